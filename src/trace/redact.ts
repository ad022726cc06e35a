// Redaction of what mcp-leash writes for people: trace payloads (--trace-payloads) and log lines.
// Never applied to what is forwarded between client and server (CONTRACT §12): the trace writer
// and the logger call it on their own copies, after the message has been encoded.
//
// Two rules, both on a copy (the input is never changed; parts without secrets are shared):
//   - a value under a key that looks like a secret is replaced whole by "[redacted]". Keys are
//     compared without regard to case and separators ("API-Key", "api_key", "apiKey" are one),
//     and match when they are, or end in, one of SECRET_KEYS or the configured `redactKeys`
//     ("githubToken", "db_password", "Set-Cookie"). Keys that end in "token" but are protocol
//     fields, not secrets, are kept: `progressToken` (MCP progress), and plurals such as
//     "maxTokens" or "inputTokens" never matched in the first place;
//   - a string anywhere (a tool's arguments or its result text) has each credential-shaped part
//     replaced by "[redacted]": bearer tokens, AWS access key ids, GitHub, npm and Slack tokens,
//     "sk-" style API keys (OpenAI, Anthropic, Stripe), PEM private keys and JWTs.
//
// Why not pino's own `redact` option: it takes fixed paths ("params.arguments.password", with a
// `*` for one level), so it cannot find a key at any depth, compare keys without regard to case
// and separators, or look at values at all. The logger uses this module through pino's
// `formatters.log` hook instead (src/log.ts), so pino still does the writing.
//
// Cost: a walk of the value and one regular expression per string; paid only where payloads are
// written for people (traces with --trace-payloads, log lines), never on the forwarding path.

export const REDACTED = '[redacted]';

/** Key names (normalised: lower case, no separators) whose values are secrets. */
export const SECRET_KEYS: readonly string[] = ['password', 'passwd', 'secret', 'token', 'apikey', 'authorization', 'cookie', 'privatekey'];

/** Keys that match SECRET_KEYS but name protocol fields, not secrets. */
const NOT_SECRETS = new Set(['progresstoken']);

/** Credential-shaped text. Each alternative is anchored on a prefix, so the scan stays linear. */
const CREDENTIALS = new RegExp(
  [
    // PEM private keys, to their END line (or to the end of the text when cut short).
    String.raw`-----BEGIN[A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END[A-Z ]*PRIVATE KEY-----|$)`,
    // Bearer tokens (an Authorization header's value, in any text): 8 characters or more, one of
    // them not a letter, so that "bearer of news" stays.
    String.raw`\b[Bb]earer\s+(?=[A-Za-z]*[0-9\-._~+/])[A-Za-z0-9\-._~+/]{8,}=*`,
    // AWS access key ids.
    String.raw`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`,
    // GitHub tokens: classic (ghp_, gho_, ghu_, ghs_, ghr_) and fine-grained.
    String.raw`\bgh[pousr]_[A-Za-z0-9]{30,}`,
    String.raw`\bgithub_pat_[A-Za-z0-9_]{22,}`,
    // npm tokens.
    String.raw`\bnpm_[A-Za-z0-9]{30,}`,
    // Slack tokens.
    String.raw`\bxox[abposr]-[A-Za-z0-9-]{10,}`,
    // "sk-" style secret keys (OpenAI "sk-", "sk-proj-", Anthropic "sk-ant-", Stripe "sk_live_").
    String.raw`\bsk[-_][A-Za-z0-9_-]{16,}`,
    // JWTs: a base64url JSON header and payload ("eyJ" is '{"'), and a signature.
    String.raw`\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*`,
  ].join('|'),
  'g',
);

/** Lower case, and no separators: "API-Key", "api_key" and "apiKey" all become "apikey". */
export function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[-_.\s]/g, '');
}

export type Redactor = (value: unknown) => unknown;

/** A string with every credential-shaped part replaced (the same string when there is none). */
export function redactText(text: string): string {
  CREDENTIALS.lastIndex = 0;
  return CREDENTIALS.test(text) ? text.replace(CREDENTIALS, REDACTED) : text;
}

/** A redactor for SECRET_KEYS plus `extraKeys` (the config's `redactKeys`). */
export function createRedactor(extraKeys: readonly string[] = []): Redactor {
  const words = [...SECRET_KEYS, ...extraKeys.map(normaliseKey).filter((k) => k.length > 0)];
  const verdicts = new Map<string, boolean>();
  const secretKey = (key: string): boolean => {
    let v = verdicts.get(key);
    if (v === undefined) {
      const n = normaliseKey(key);
      v = !NOT_SECRETS.has(n) && words.some((w) => n.endsWith(w));
      // Keys repeat across messages; a message with thousands of distinct keys must not grow this.
      if (verdicts.size < 4096) verdicts.set(key, v);
    }
    return v;
  };

  const walk = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return redactText(value);
    if (typeof value !== 'object' || value === null) return value;
    // Past this depth nothing is written for people anyway; say so rather than recurse on.
    if (depth > 64) return REDACTED;
    if (Array.isArray(value)) {
      let out: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const v = walk(value[i], depth + 1);
        if (v !== value[i]) (out ??= value.slice())[i] = v;
      }
      return out ?? value;
    }
    let out: Record<string, unknown> | undefined;
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      const before = obj[key];
      const after = secretKey(key) && before !== null && before !== undefined && before !== '' ? REDACTED : walk(before, depth + 1);
      if (after !== before) (out ??= { ...obj })[key] = after;
    }
    return out ?? value;
  };
  return (value) => walk(value, 0);
}
