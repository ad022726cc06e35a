// What mcp-leash writes for people has secrets redacted (CONTRACT §12); src/trace/redact.ts.

import { describe, expect, it } from 'vitest';
import { createRedactor, REDACTED, redactText } from '../../src/trace/redact.js';

describe('createRedactor', () => {
  const redact = createRedactor(['session_id']);

  it('replaces values under secret-looking keys, whatever their case and separators, at any depth', () => {
    const input = {
      name: 'login',
      arguments: { user: 'ann', PASSWORD: 'hunter2', 'api-key': 'k1', apiKey: 'k2', nested: [{ githubToken: 'g', Set_Cookie: 'c', privateKey: { pem: 'x' } }] },
      headers: { Authorization: 'Basic abc', 'Session-Id': 's' },
    };
    expect(redact(input)).toStrictEqual({
      name: 'login',
      arguments: { user: 'ann', PASSWORD: REDACTED, 'api-key': REDACTED, apiKey: REDACTED, nested: [{ githubToken: REDACTED, Set_Cookie: REDACTED, privateKey: REDACTED }] },
      headers: { Authorization: REDACTED, 'Session-Id': REDACTED },
    });
  });

  it('keeps protocol fields that only look like secrets: progressToken, maxTokens, inputTokens', () => {
    const params = { _meta: { progressToken: 'tok-1' }, maxTokens: 100, usage: { inputTokens: 3 } };
    expect(redact(params)).toBe(params); // nothing to hide: the very same object
  });

  it('replaces credential-shaped text wherever it stands, and nothing else', () => {
    const samples = [
      'Bearer abc.DEF-123_xyz',
      'AKIAIOSFODNN7EXAMPLE',
      'ghp_' + 'a'.repeat(36),
      'github_pat_' + 'B'.repeat(30),
      'npm_' + 'c'.repeat(36),
      'xoxb-1234567890-abcdef',
      'sk-live-0123456789-very-secret',
      'sk-ant-api03-' + 'x'.repeat(30),
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----',
    ];
    for (const s of samples) {
      expect(redactText(`before ${s} after`), s).toBe(`before ${REDACTED} after`);
      expect(redact({ text: s }), s).toStrictEqual({ text: REDACTED });
    }
    const plain = 'a skeleton key, an ask-me-anything, bearer of news, bearer responsibilities';
    expect(redactText(plain)).toBe(plain);
  });

  it('never changes its input', () => {
    const input = { a: { password: 'p' }, b: ['Bearer xyz123'] };
    const copy = structuredClone(input);
    redact(input);
    expect(input).toStrictEqual(copy);
  });
});
