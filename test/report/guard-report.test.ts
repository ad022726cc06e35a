// The report shows what the guard rails did (CONTRACT §12): refusals, hidden items, cut answers.

import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/report/analyze.js';
import { renderHtml } from '../../src/report/html.js';
import { renderText } from '../../src/report/table.js';
import type { TraceRecord } from '../../src/trace/format.js';

const s = 'abcd1234';
const records: TraceRecord[] = [
  { t: 0, s, kind: 'event', event: 'start', session: `${s}-x`, version: 2 },
  { t: 1, s, kind: 'event', event: 'call-opened', call: 'g1', from: 'client', method: 'tools/call', tool: 'delete_repo', id: 1 },
  { t: 1, s, kind: 'event', event: 'guard', call: 'g1', action: 'refused', what: 'tool', name: 'delete_repo', rule: 'tools.deny["delete_*"]' },
  { t: 1, s, kind: 'event', event: 'call-ended', call: 'g1', outcome: 'tool-error', by: 'leash', ms: 0, phase: 'queued' },
  { t: 2, s, kind: 'event', event: 'call-opened', call: 'c1', from: 'client', method: 'tools/call', tool: 'read_file', id: 2 },
  { t: 9, s, kind: 'event', event: 'guard', call: 'c1', action: 'truncated', bytes: 5_000_000, limit: 200_000, keptBytes: 199_990 },
  { t: 9, s, kind: 'event', event: 'call-ended', call: 'c1', outcome: 'ok', by: 'server', ms: 7, phase: 'running' },
];

describe('mcp-leash report and the guard rails', () => {
  it('lists refused calls and cut answers, in the text and the HTML report', () => {
    const a = analyze(records);
    // Lines are wrapped: compare the words.
    const text = renderText(a, 'trace.jsonl').replace(/\s+/g, ' ');
    expect(text).toContain('tools/call "delete_repo" started at 1.0ms: isError result from mcp-leash');
    expect(text).toContain('refused by mcp-leash: tool "delete_repo" is hidden by tools.deny["delete_*"]');
    expect(text).toMatch(/tools\/call "read_file" started at 2\.0ms: ok.*answer of 5 MB cut to 200 kB \(limit 200 kB\)/);
    expect(renderHtml(a, 'trace.jsonl')).toContain('answer of 5 MB cut to 200 kB');
  });
});
