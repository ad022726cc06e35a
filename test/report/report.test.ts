// `mcp-leash report`: a synthetic trace with known calls, through the analysis, the table and the
// HTML page, and the subcommand through the real binary.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, parseTrace, percentile } from '../../src/report/analyze.js';
import { renderHtml } from '../../src/report/html.js';
import { renderText } from '../../src/report/table.js';
import type { TraceRecord } from '../../src/trace/format.js';
import { BIN, NODE, ROOT } from '../helpers/proxy.js';

/** A trace as the writer would write it: n calls of a few kinds. */
function syntheticTrace(): TraceRecord[] {
  const r: TraceRecord[] = [{ t: 0, dir: 'leash', kind: 'event', event: 'start', version: 1, startedAt: '2025-01-01T00:00:00.000Z', pid: 1, command: 'python', payloads: false }];
  let n = 0;
  let key = 0;
  const call = (t: number, method: string, tool: string | undefined, ms: number, outcome: 'ok' | 'error' | 'tool-error' | 'timeout' | 'cancelled' | 'server-exited' | 'open', heartbeats = 0, progress = 0) => {
    const c = ++n;
    const k = ++key;
    const base = { call: c, ...(tool ? { tool } : {}) };
    r.push({ t, dir: 'client->leash', kind: 'request', bytes: 100, method, id: c, ...base });
    r.push({ t: t + 0.1, dir: 'leash->child', kind: 'request', bytes: 100, method, id: k, origId: c, ...base });
    for (let i = 1; i <= heartbeats; i++) {
      r.push({ t: t + (i * ms) / (heartbeats + 1), dir: 'leash->client', kind: 'notification', bytes: 90, method: 'notifications/progress', token: `p${c}`, progress: i / 1024, heartbeat: true, message: 'mcp-leash: waiting', call: c });
    }
    for (let i = 1; i <= progress; i++) {
      r.push({ t: t + (i * ms) / (progress + 1), dir: 'child->leash', kind: 'notification', bytes: 60, method: 'notifications/progress', token: k, progress: i, call: c });
      r.push({ t: t + (i * ms) / (progress + 1), dir: 'leash->client', kind: 'notification', bytes: 60, method: 'notifications/progress', token: `p${c}`, progress: i, call: c });
    }
    if (outcome === 'open') return;
    if (outcome === 'cancelled') {
      r.push({ t: t + ms, dir: 'client->leash', kind: 'notification', bytes: 70, method: 'notifications/cancelled', requestId: c, call: c });
      r.push({ t: t + ms, dir: 'leash', kind: 'event', event: 'cancelled', call: c, method, by: 'client', ...(tool ? { tool } : {}) });
      return;
    }
    if (outcome === 'ok' || outcome === 'error' || outcome === 'tool-error') {
      r.push({ t: t + ms - 0.1, dir: 'child->leash', kind: 'response', bytes: 200, id: k, call: c, ...(outcome === 'error' ? { errorCode: -32602 } : { isError: outcome === 'tool-error' }) });
    }
    const end = { t: t + ms, dir: 'leash->client' as const, kind: 'response' as const, bytes: 200, id: c, origId: k, outcome, ms, ...base };
    if (outcome === 'error' || outcome === 'server-exited') r.push({ ...end, errorCode: outcome === 'error' ? -32602 : -32000 });
    else r.push({ ...end, isError: outcome !== 'ok' });
    if (outcome === 'timeout') r.push({ t: t + ms, dir: 'leash', kind: 'event', event: 'timeout', call: c, method, by: 'leash', reason: `timed out after ${ms / 1000}s`, timeoutKind: 'total', ...(tool ? { tool } : {}) });
  };
  call(1, 'initialize', undefined, 20, 'ok');
  call(30, 'tools/list', undefined, 2, 'ok');
  // search: 20 calls, latencies 10, 20, ..., 200 ms; one with an error
  for (let i = 1; i <= 20; i++) call(40 + i * 5, 'tools/call', 'search', i * 10, i === 7 ? 'error' : 'ok');
  call(300, 'tools/call', 'index_repo', 8000, 'ok', 7, 3);
  call(400, 'tools/call', 'hang', 3000, 'timeout', 2);
  call(500, 'tools/call', 'hang', 3000, 'timeout', 2);
  call(600, 'tools/call', 'cancel_me', 1500, 'cancelled', 1);
  call(700, 'tools/call', 'flaky', 50, 'tool-error');
  call(800, 'tools/call', 'crash', 60, 'server-exited');
  call(9000, 'tools/call', 'never', 100, 'open');
  // A late answer for the second hang.
  r.push({ t: 4000, dir: 'child->leash', kind: 'response', bytes: 50, id: 25, call: 25, isError: false });
  r.push({ t: 4000, dir: 'leash', kind: 'event', event: 'late-response', call: 25, method: 'tools/call', tool: 'hang', afterMs: 500 });
  r.push({ t: 9500, dir: 'leash', kind: 'event', event: 'end' });
  return r;
}

const toText = (rs: TraceRecord[]) => rs.map((x) => JSON.stringify(x)).join('\n') + '\n';

describe('report analysis', () => {
  const a = analyze(syntheticTrace());
  const group = (label: string) => a.groups.find((g) => g.label === label)!;

  it('pairs requests and ends into calls', () => {
    expect(a.calls).toHaveLength(29);
    expect(a.calls.map((c) => c.n)).toEqual(Array.from({ length: 29 }, (_, i) => i + 1));
    expect(a.totals.calls).toBe(29);
    expect(a.command).toBe('python');
  });

  it('counts calls, outcomes, heartbeats and latency per method and tool', () => {
    expect(a.groups.map((g) => g.label)).toEqual([
      'initialize',
      'tools/call cancel_me',
      'tools/call crash',
      'tools/call flaky',
      'tools/call hang',
      'tools/call index_repo',
      'tools/call never',
      'tools/call search',
      'tools/list',
    ]);
    expect(group('tools/call search')).toMatchObject({ calls: 20, ok: 19, errors: 1, timeouts: 0, cancellations: 0, heartbeats: 0, p50: 100, p95: 190, max: 200 });
    expect(group('tools/call hang')).toMatchObject({ calls: 2, ok: 0, timeouts: 2, heartbeats: 4, lateResponses: 1, p50: 3000, max: 3000 });
    expect(group('tools/call cancel_me')).toMatchObject({ calls: 1, cancellations: 1, heartbeats: 1 });
    expect(group('tools/call cancel_me').p50).toBeUndefined();
    expect(group('tools/call flaky')).toMatchObject({ errors: 1 });
    expect(group('tools/call crash')).toMatchObject({ errors: 1 });
    expect(group('tools/call never')).toMatchObject({ calls: 1, unfinished: 1 });
    expect(group('tools/call index_repo')).toMatchObject({ ok: 1, heartbeats: 7, max: 8000 });
    expect(a.totals).toMatchObject({ calls: 29, ok: 22, errors: 3, timeouts: 2, cancellations: 1, unfinished: 1, heartbeats: 12 });
    const ir = a.calls.find((c) => c.tool === 'index_repo')!;
    expect(ir.progress).toHaveLength(3);
  });

  it('computes nearest-rank percentiles', () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([5], 95)).toBe(5);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 95)).toBe(4);
  });

  it('prints a table whose rows hold those counts', () => {
    const text = renderText(a, 'trace.jsonl');
    const row = (label: string) => text.split('\n').find((l) => l.startsWith(`${label} `))!.trim().split(/\s{2,}/);
    expect(text.split('\n')[2]).toBe('');
    const header = text.split('\n')[3]!.trim().split(/\s{2,}/);
    expect(header).toEqual(['method / tool', 'calls', 'ok', 'errors', 'timeouts', 'cancelled', 'heartbeats', 'unfinished', 'late answers', 'p50', 'p95', 'max']);
    expect(row('tools/call search')).toEqual(['tools/call search', '20', '19', '1', '0', '0', '0', '0', '0', '100ms', '190ms', '200ms']);
    expect(row('tools/call hang')).toEqual(['tools/call hang', '2', '0', '0', '2', '0', '4', '0', '1', '3.00s', '3.00s', '3.00s']);
    expect(row('all')).toEqual(['all', '29', '22', '3', '2', '1', '12', '1', '1', expect.any(String), expect.any(String), '8.00s']);
    expect(text).toContain('#25 tools/call "hang"');
    expect(text).toContain('answer dropped');
  });

  it('skips unreadable lines of a trace cut short, and counts them', () => {
    const text = toText(syntheticTrace()).slice(0, -40);
    const { records, badLines } = parseTrace(text + '\n{"t": 1, "kin');
    expect(badLines).toBe(2);
    const b = analyze(records, badLines);
    expect(b.calls).toHaveLength(29);
    expect(renderText(b, 'x')).toMatch(/2 line\(s\) of the trace could not be read/);
  });
});

/** Non-void elements open and close in order; SVG children may self-close. */
function assertBalanced(html: string): void {
  const VOID = new Set(['meta', 'link', 'br', 'img', 'input', 'hr', 'col', 'source', 'wbr', 'area', 'base', 'embed', 'track']);
  const body = html.replace(/<!DOCTYPE html>/i, '').replace(/<style>[\s\S]*?<\/style>/, '<style></style>');
  const stack: string[] = [];
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9-]*)([^>]*?)(\/?)>/g)) {
    const [, close, name, , selfClose] = m;
    const tag = name!.toLowerCase();
    if (close) {
      expect(stack.pop(), `closing </${tag}>`).toBe(tag);
    } else if (!selfClose && !VOID.has(tag)) {
      stack.push(tag);
    }
  }
  expect(stack).toEqual([]);
}

describe('HTML report', () => {
  const a = analyze(syntheticTrace());
  const html = renderHtml(a, '/tmp/trace.jsonl');

  it('draws every call on the timeline, coloured by outcome', () => {
    const calls = [...html.matchAll(/<g class="call" data-call="(\d+)" data-outcome="([a-z-]+)"/g)];
    expect(calls.map((m) => Number(m[1]))).toEqual(a.calls.map((c) => c.n));
    const outcomes = new Map(calls.map((m) => [Number(m[1]), m[2]]));
    expect(outcomes.get(24)).toBe('timeout');
    expect(outcomes.get(26)).toBe('cancelled');
    expect(outcomes.get(29)).toBe('unfinished');
    // Heartbeat and progress marks.
    expect(html.match(/class="heartbeat" d=/g)!.length).toBeGreaterThanOrEqual(12);
    expect(html.match(/<circle class="progress"/g)!.length).toBeGreaterThanOrEqual(3);
    expect(html).toContain('class="late"');
  });

  it('has a latency distribution per method and tool with data', () => {
    const rows = [...html.matchAll(/<g class="dist-row" data-group="([^"]+)"/g)].map((m) => m[1]);
    expect(rows).toEqual(a.groups.filter((g) => g.latencies.length).map((g) => g.label));
    expect(rows).toContain('tools/call search');
  });

  it('is self-contained: no external references, and a policy that forbids requests', () => {
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/\s(src|href|xlink:href)\s*=/i);
    expect(html).not.toMatch(/@import|url\(|@font-face/i);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|<object/i);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
  });

  it('is a well-formed page', () => {
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    assertBalanced(html);
  });

  it('escapes what comes from the trace', () => {
    const rs = syntheticTrace();
    for (const r of rs) if ('tool' in r && r.tool === 'flaky') r.tool = '<img src=x onerror=alert(1)>"&';
    const page = renderHtml(analyze(rs), 'a<b>.jsonl');
    expect(page).not.toContain('<img');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&amp;');
    expect(page).toContain('a&lt;b&gt;.jsonl');
    assertBalanced(page);
  });

  it('handles an empty trace and a very long one', () => {
    const empty = renderHtml(analyze([{ t: 0, dir: 'leash', kind: 'event', event: 'start' }]), 'e');
    expect(empty).toContain('No requests in this trace.');
    assertBalanced(empty);
    const many: TraceRecord[] = [];
    for (let i = 1; i <= 2000; i++) {
      many.push({ t: i, dir: 'client->leash', kind: 'request', bytes: 10, method: 'tools/call', tool: 'x', id: i, call: i });
      many.push({ t: i + 5, dir: 'leash->client', kind: 'response', bytes: 10, id: i, call: i, outcome: 'ok', ms: 5 });
    }
    const big = renderHtml(analyze(many), 'big');
    expect(big.match(/<g class="call" /g)).toHaveLength(2000);
    assertBalanced(big);
  });
});

describe('mcp-leash report (the subcommand)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'leash-report-'));
  const trace = join(dir, 'trace.jsonl');
  writeFileSync(trace, toText(syntheticTrace()));

  it('prints the table to stdout and writes the page', () => {
    const out = join(dir, 'report.html');
    const r = spawnSync(NODE, [BIN, 'report', trace, '--html', out], { encoding: 'utf8', cwd: ROOT });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`mcp-leash report: ${trace}`);
    expect(r.stdout).toMatch(/^tools\/call search\s+20\s+19\s+1\s/m);
    expect(r.stdout).toContain(`HTML report written to ${out}`);
    expect(readFileSync(out, 'utf8')).toContain('<g class="call" data-call="29"');
  });

  it('explains its usage and its failures', () => {
    const none = spawnSync(NODE, [BIN, 'report'], { encoding: 'utf8' });
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/no trace file given; usage: mcp-leash report FILE \[--html OUT\]/);
    const missing = spawnSync(NODE, [BIN, 'report', join(dir, 'nope.jsonl')], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/cannot read .*nope\.jsonl: ENOENT/);
    const junk = join(dir, 'junk.txt');
    writeFileSync(junk, 'hello\nworld\n');
    const notTrace = spawnSync(NODE, [BIN, 'report', junk], { encoding: 'utf8' });
    expect(notTrace.status).toBe(1);
    expect(notTrace.stderr).toMatch(/holds no trace lines/);
    const help = spawnSync(NODE, [BIN, 'report', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--html OUT');
    const bad = spawnSync(NODE, [BIN, 'report', trace, '--pdf'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown option "--pdf"/);
  });
});
