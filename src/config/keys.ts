// (About 320 lines: the table is one row per key, and it is the point to keep them together.)
//
// THE table of config keys. Each row gives a key's name, its kind (type), a one-line doc, where
// it lands (a Policy field, a rule field or a file setting), and, where they apply, a short
// --help text and the flag that sets the same value. Everything else is derived from it: the zod
// schema (schema.ts), hence the JSON Schema (json-schema.ts); the zod-free reader (fast-config.ts);
// the layering onto a Policy (policy-from-config.ts); --print-config (print.ts); --help (help.ts,
// options.ts).
//
// Defaults are not restated here: a policy key's default is DEFAULT_POLICY's value at the field
// it lands on (src/policy/types.ts, where the core reads it), and `defaultOf` reads it from there.
//
// Adding a key: a row here, and for a policy key its field and default in src/policy/types.ts.
// (A new flag is more: its option in options.ts and its parsing in args.ts, which still read
// flag values by hand; `flag` here only ties the option's --help default to the key.)
// Rows are in file order: zod writes objects' keys in schema order, and so does everything here.
//
// Zod-free: loaded at every start.

import { DEFAULT_POLICY, type Rule } from '../policy/types.js';
import { show } from './duration.js';
import { boolean, concurrency, count, duration, glob, globs, names, oneOf, path, positiveInt, size, string, type Kind } from './kinds.js';
import { LOG_LEVELS, type LogLevel } from './log-levels.js';
import { getAt, type PolicyAt, type PolicyLeaf } from './policy-path.js';

/** Settings in the file that are not timeout policy. Paths are absolute once loaded. */
export interface FileSettings {
  logLevel?: LogLevel;
  logFile?: string;
  trace?: string;
}

/** A file after validation: the table's keys, values as their kinds read them (durations in ms). */
export type ConfigFile = { readonly [key: string]: unknown };

export type Lands =
  | { policy: PolicyLeaf }
  | { rule: keyof Rule }
  | { setting: keyof FileSettings; default?: string }
  | { nowhere: true };

export interface KeyRow {
  type: 'key';
  name: string;
  /** Checked against `lands` by the constructors below; stored loosely, since rows differ. */
  kind: Kind<unknown>;
  doc: string;
  lands: Lands;
  /** For --help, where the key has a line of its own. */
  help?: string;
  /** The command-line flag that sets the same value. */
  flag?: string;
}

export interface GroupRow {
  type: 'group';
  name: string;
  doc: string;
  help: string;
  keys: readonly KeyRow[];
}

/** "rules": a list of objects of RULE_KEYS, each checked by ruleProblems. */
export interface RulesRow {
  type: 'rules';
  name: 'rules';
  doc: string;
  help: string;
}

export type Row = KeyRow | GroupRow | RulesRow;

type Extra = Pick<KeyRow, 'help' | 'flag'>;

// The kind is what the field holds, checked here (Kind is invariant in its type), and stored as
// Kind<unknown>, since one table holds every kind.
const loose = <T>(kind: Kind<T>): Kind<unknown> => kind as unknown as Kind<unknown>;

function key<P extends PolicyLeaf>(name: string, lands: P, kind: Kind<PolicyAt<P>>, doc: string, extra: Extra = {}): KeyRow {
  return { type: 'key', name, kind: loose(kind), doc, lands: { policy: lands }, ...extra };
}

function ruleKey<F extends keyof Rule>(name: string, lands: F, kind: Kind<NonNullable<Rule[F]>>, doc: string): KeyRow {
  return { type: 'key', name, kind: loose(kind), doc, lands: { rule: lands } };
}

function setting<F extends keyof FileSettings>(name: F, kind: Kind<NonNullable<FileSettings[F]>>, doc: string, extra: Extra & { default?: string }): KeyRow {
  const { default: fallback, ...rest } = extra;
  return { type: 'key', name, kind: loose(kind), doc, lands: { setting: name, ...(fallback !== undefined && { default: fallback }) }, ...rest };
}

const onTimeout = oneOf(['result', 'error']);
const ON_TIMEOUT_DOC =
  'What the client gets when a request times out. "result": for tools/call, a normal tool result with isError: true ' +
  'whose text tells the model what happened (other methods still get an error). "error": a JSON-RPC error -32001.';
const IDLE_DOC = 'Cancel the request when the server sends no progress for it for this long (restarted by every progress notification).';
const TOTAL_DOC = 'Hard cap on the whole request, from the moment mcp-leash received it (time queued included); never extended.';
const HEARTBEAT_DOC = 'While a request with a progress token waits, the client hears about it at least this often.';
const MAX_RESULT_DOC =
  'Largest tools/call answer passed on as it came, measured on the wire; a larger one is handled as onLargeResult says. 0 or "off": no limit.';
const onLargeResult = oneOf(['truncate', 'spill', 'error']);
const DETACH_DOC =
  'tools/call only: a call still unanswered this long after receipt (queue time included) is answered at once with a job the model ' +
  'can wait for with leash_await (or stop with leash_cancel), and goes on at the server under its own limits. Set it a little below ' +
  "the host's hard limit on tool calls. 0 or \"off\": never.";
const ON_LARGE_DOC =
  'What a tools/call answer over maxResultBytes becomes. "truncate": the beginning of its text, within the limit, and a note the model can act on. ' +
  '"spill": the whole result written to a file in spill.folder, and an answer with its beginning and the file\'s path. ' +
  '"error": an isError result saying how large it was and what the limit is.';

/** The keys of one rule, landing on the Rule's fields. */
export const RULE_KEYS: readonly KeyRow[] = [
  ruleKey('tool', 'tool', glob, 'Tool name for tools/call: exact ("index_repo") or a glob with * and ? ("search_*"). Exact beats glob; more literal characters beat fewer; a later rule beats an earlier one.'),
  ruleKey('method', 'method', glob, 'JSON-RPC method, exact or glob ("resources/read", "prompts/*"). Not with "tool", which already means tools/call.'),
  ruleKey('idleTimeout', 'idleTimeoutMs', duration, IDLE_DOC),
  ruleKey('totalTimeout', 'totalTimeoutMs', duration, TOTAL_DOC),
  ruleKey('onTimeout', 'onTimeout', onTimeout, ON_TIMEOUT_DOC),
  ruleKey('heartbeat', 'heartbeatMs', duration, HEARTBEAT_DOC),
  ruleKey('maxConcurrency', 'maxConcurrency', positiveInt, 'At most this many calls of the matching tools at once (only on a rule with "tool"); the top-level maxConcurrency still applies.'),
  ruleKey('maxResultBytes', 'maxResultBytes', size, MAX_RESULT_DOC),
  ruleKey('onLargeResult', 'onLargeResult', onLargeResult, ON_LARGE_DOC),
  ruleKey('detachAfter', 'detachAfterMs', duration, DETACH_DOC),
];

export const RULE_DOC =
  'A timeout rule for a tool (tools/call) or a method. Fields it leaves out fall through to less specific rules, then to "defaults".';

/** What is wrong with a rule beyond its keys' own kinds; `key` is where, when one key is to blame. */
export function ruleProblems(rule: Readonly<Record<string, unknown>>): { key?: string; message: string }[] {
  const problems: { key?: string; message: string }[] = [];
  if (rule.tool === undefined && rule.method === undefined) {
    problems.push({ message: 'expected "tool" or "method" (a rule must say what it applies to)' });
  }
  // Issue 21: both used to be accepted silently, "tool" winning; say which one to keep instead.
  if (rule.tool !== undefined && rule.method !== undefined) {
    problems.push({
      message:
        `expected "tool" or "method", not both, got "tool": ${show(rule.tool)} and "method": ${show(rule.method)}; ` +
        'keep "tool" for tools/call of that tool, or "method" for a whole method',
    });
  }
  if (rule.tool === undefined && rule.maxConcurrency !== undefined) {
    problems.push({ key: 'maxConcurrency', message: 'per-rule maxConcurrency is only for tools: add "tool", or use the top-level "maxConcurrency"' });
  }
  return problems;
}

export const CONFIG_TITLE = 'mcp-leash configuration';
export const CONFIG_DOC =
  'Timeout policy and process settings for mcp-leash. Command-line flags override this file; this file overrides the built-in defaults.';

export const CONFIG_KEYS: readonly Row[] = [
  { type: 'key', name: '$schema', kind: loose(string), doc: 'Path or URL of the JSON Schema, for editors; ignored by mcp-leash.', lands: { nowhere: true } },
  {
    type: 'group',
    name: 'defaults',
    doc: 'Limits for every client request that no rule names.',
    help: 'limits for requests that no rule names',
    keys: [
      key('idleTimeout', 'defaults.idleTimeoutMs', duration, IDLE_DOC),
      key('totalTimeout', 'defaults.totalTimeoutMs', duration, TOTAL_DOC, { flag: '--timeout' }),
      key('onTimeout', 'defaults.onTimeout', onTimeout, ON_TIMEOUT_DOC),
      key('heartbeat', 'defaults.heartbeatMs', duration, HEARTBEAT_DOC, { flag: '--heartbeat' }),
      key('maxResultBytes', 'defaults.maxResultBytes', size, MAX_RESULT_DOC),
      key('onLargeResult', 'defaults.onLargeResult', onLargeResult, ON_LARGE_DOC),
      key('detachAfter', 'defaults.detachAfterMs', duration, DETACH_DOC, { flag: '--detach-after' }),
    ],
  },
  {
    type: 'rules',
    name: 'rules',
    doc: 'Timeout rules. The most specific match wins, field by field.',
    help:
      'tool: a tool name or glob (* and ?), for tools/call; method: a JSON-RPC method or glob. Exact beats glob ' +
      'beats defaults, field by field. idleTimeout restarts on every progress from the server; totalTimeout never ' +
      'does. onTimeout "result": tools/call gets an isError result the model can read; "error": JSON-RPC -32001.',
  },
  key('startupTimeout', 'startupTimeoutMs', duration, 'Time the server has for its first answer ("initialize", or "server/discover" and the first request in MCP 2026-07-28); past it the client gets an error and the server is stopped.', {
    help: 'time allowed for the first answer (initialize or server/discover)',
  }),
  key(
    'serverEra',
    'serverEra',
    oneOf(['auto', 'legacy', '2026']),
    'The MCP era the server speaks, when you know it. "legacy" (2024-11-05 to 2025-11-25): a client\'s server/discover probe is answered at once and never reaches the server. ' +
      '"2026" (2026-07-28): the probe waits for the server up to startupTimeout. "auto": learnt from the traffic; a probe the server leaves unanswered for 5s is answered as a legacy server would.',
    { help: 'the server\'s MCP era, when known (see README)' },
  ),
  key(
    'protocol',
    'protocol',
    oneOf(['relay', 'bridge']),
    '"relay": every client is served in the era it speaks, and a 2026-07-28 client needs a 2026 server. "bridge": a client pinned to MCP 2026-07-28 can use a legacy ' +
      '(2024-11-05 to 2025-11-25) server: mcp-leash answers server/discover, performs the legacy handshake itself, checks each request\'s envelope, completes results and turns ' +
      "the server's sampling, elicitation and roots requests into input_required results. Clients that send initialize are relayed as before.",
    { help: 'relay, or bridge: a 2026-07-28 face for a legacy server (see README)' },
  ),
  key('progressInterval', 'progressIntervalMs', duration, "The progress throttle's refill: after a burst of 5, one of the server's updates per interval per request (a flood is throttled, newest state kept).", {
    help: 'minimum gap between forwarded progress notifications',
  }),
  key('maxConcurrency', 'maxConcurrency', concurrency, 'At most this many client requests in flight at the server; the rest wait in a FIFO queue. 0 or "off": unlimited.', {
    help: 'requests in flight at the server, 0 or "off" = unlimited',
    flag: '--max-concurrency',
  }),
  key('maxMessageBytes', 'maxMessageBytes', positiveInt, 'Longest JSON-RPC line accepted, in bytes; longer ones are discarded.', { help: 'longest accepted line' }),
  {
    type: 'group',
    name: 'restart',
    doc: 'What to do when the server exits unexpectedly.',
    help: 'what to do when the server exits unexpectedly',
    keys: [
      key('policy', 'restart.policy', oneOf(['never', 'on-failure']), '"never": exit when the server exits. "on-failure": restart it after a crash, replaying initialize.'),
      key('initialBackoff', 'restart.initialBackoffMs', duration, 'Delay before the first restart; doubles after each consecutive failure.'),
      key('maxBackoff', 'restart.maxBackoffMs', duration, 'Longest delay between restarts.'),
      key('maxRestarts', 'restart.maxRestarts', count, 'At most this many restarts within "window"; past that, give up.'),
      key('window', 'restart.windowMs', duration, 'The sliding window that maxRestarts counts in.'),
      key('onGiveUp', 'restart.onGiveUp', oneOf(['error', 'exit']), 'After too many restarts: keep answering every request with an error, or exit.'),
    ],
  },
  {
    type: 'group',
    name: 'healthCheck',
    doc: 'Optional liveness pings.',
    help: 'ping the server; this many misses in a row = hung',
    keys: [
      key('interval', 'healthCheck.intervalMs', duration, 'Send the server a health check of mcp-leash\'s own this often (ping; in MCP 2026-07-28, where ping is gone, server/discover); "off" disables health checks.'),
      key('misses', 'healthCheck.misses', positiveInt, 'Treat the server as hung after this many unanswered checks in a row.'),
    ],
  },
  {
    type: 'group',
    name: 'shutdown',
    doc: 'The shutdown ladder: close stdin, SIGTERM, SIGKILL (to the whole process group).',
    help: 'close stdin, wait, SIGTERM, wait, SIGKILL',
    keys: [
      key('stdinGrace', 'shutdown.stdinGraceMs', duration, 'After closing the server\'s stdin, wait this long before SIGTERM.'),
      key('termGrace', 'shutdown.termGraceMs', duration, 'After SIGTERM, wait this long before SIGKILL.'),
    ],
  },
  key('tasks', 'tasks', oneOf(['off', 'auto']), 'Task-augmented requests (MCP 2025-11-25).', { help: 'task-augmented requests' }),
  {
    type: 'group',
    name: 'jobs',
    doc: 'Jobs: tool calls answered early by detachAfter, whose results leash_await returns.',
    help: 'tool calls answered early by detachAfter (see README, Jobs)',
    keys: [
      key('awaitMax', 'jobs.awaitMaxMs', duration, 'Longest one leash_await call blocks before it answers "still running"; 0 or "off": the job\'s own detachAfter.'),
      key('ttl', 'jobs.ttlMs', duration, 'How long a finished job\'s result is kept for leash_await after it ended.'),
      key('max', 'jobs.max', positiveInt, 'At most this many jobs (running or finished) are kept; the oldest finished ones make room.'),
      key('maxBytes', 'jobs.maxBytes', positiveInt, 'At most this many bytes of finished jobs\' results are kept; the oldest go first, and a larger result by itself fails its job.'),
    ],
  },
  {
    type: 'group',
    name: 'tools',
    doc: 'Which tools the client sees and may call. A hidden tool is left out of every tools/list answer, and a call to it is answered with an isError result without reaching the server.',
    help: 'names and globs of tools to show and hide; deny wins',
    keys: [
      key('allow', 'tools.allow', globs, 'Only tools matching one of these names or globs are shown (["*"]: all).'),
      key('deny', 'tools.deny', globs, 'Tools matching one of these names or globs are hidden, even when "allow" matches them.'),
    ],
  },
  {
    type: 'group',
    name: 'prompts',
    doc: 'Prompts the client does not see: left out of prompts/list, and prompts/get of one is refused without reaching the server.',
    help: 'names and globs of prompts to hide',
    keys: [key('deny', 'prompts.deny', globs, 'Prompts matching one of these names or globs are hidden.')],
  },
  {
    type: 'group',
    name: 'resources',
    doc: 'Resources the client does not see: left out of resources/list, and resources/read of one is refused without reaching the server.',
    help: 'URIs and globs of resources to hide',
    keys: [key('deny', 'resources.deny', globs, 'Resources whose URI matches one of these URIs or globs are hidden ("file:///secrets/*").')],
  },
  {
    type: 'group',
    name: 'spill',
    doc: 'Where onLargeResult "spill" writes whole results: a folder of mode 0700, files of mode 0600.',
    help: 'where onLargeResult "spill" writes results',
    keys: [
      key('folder', 'spill.folder', string, 'The folder for spilled results, created if missing; relative to this file\'s directory. "": a new folder in the system temp folder.'),
      key('keep', 'spill.keep', boolean, 'Keep the spilled files after mcp-leash exits (false: they are deleted at exit).'),
    ],
  },
  key(
    'redactKeys',
    'redactKeys',
    names,
    'More key names whose values are replaced by "[redacted]" in traces with payloads and in logs, on top of password, passwd, secret, token, api_key, apikey, authorization, cookie, private_key (case and separators ignored; a key ending in one matches).',
    { help: 'more secret key names to redact from traces and logs' },
  ),
  setting('logLevel', oneOf(LOG_LEVELS), 'Log level (logs go to stderr, or to logFile).', { help: 'as --log-level', flag: '--log-level', default: 'info' }),
  setting('logFile', path, 'Write logs here instead of stderr. Relative to this file\'s directory.', {
    help: 'as --log-file; relative to the config file\'s directory',
    flag: '--log-file',
  }),
  setting('trace', path, 'Write every frame in both directions to this JSONL file (mode 0600). Relative to this file\'s directory.', {
    help: 'as --trace; relative to the config file\'s directory',
    flag: '--trace',
  }),
];

/** A key's default in the file's own vocabulary ("10s", "off"), or undefined when it has none. */
export function defaultOf(row: KeyRow): string | undefined {
  const { lands } = row;
  if ('policy' in lands) {
    const value = row.kind.write(getAt(DEFAULT_POLICY, lands.policy));
    // A list (tools.deny) is written as its entries, or "none" when empty.
    if (Array.isArray(value)) return value.length > 0 ? value.map(String).join(', ') : 'none';
    // An empty string (spill.folder) means "mcp-leash chooses": show it as written.
    return value === '' ? '""' : String(value);
  }
  if ('setting' in lands) return lands.default;
  return undefined;
}

/** The key row a flag sets, for --help's defaults. */
export function rowOfFlag(flag: string): KeyRow | undefined {
  for (const row of CONFIG_KEYS) {
    const rows = row.type === 'group' ? row.keys : row.type === 'key' ? [row] : [];
    const found = rows.find((r) => r.flag === flag);
    if (found !== undefined) return found;
  }
  return undefined;
}
