// `mcp-leash report`: a synthetic trace with known calls, through the analysis, the table and the
// HTML page, and the subcommand through the real binary.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, labelOf, parseTrace, percentile } from '../../src/report/analyze.js';
import { esc, renderHtml } from '../../src/report/html.js';
import { ERRORS_LEGEND, renderText } from '../../src/report/table.js';
import type { CallId } from '../../src/core/events.js';
import type { TraceRecord } from '../../src/trace/format.js';
import { BIN, NODE, ROOT } from '../helpers/proxy.js';
import { note, queuedTimeoutStory, req, res, tapScript, taskStory } from '../trace/tap-script.js';

type Ending = 'ok' | 'error' | 'tool-error' | 'timeout' | 'cancelled' | 'server-exited' | 'open';

/** A trace as the writer writes it from what the shell and the core hand its Tap: n calls of a few kinds. */
async function syntheticTrace(): Promise<TraceRecord[]> {
  const s = tapScript({ command: 'python' });
  let n = 0;
  const call = (t: number, method: string, tool: string | undefined, ms: number, outcome: Ending, heartbeats = 0, progress = 0): void => {
    const c = ++n;
    const id: CallId = `c${c}`;
    const token = heartbeats || progress ? `p${c}` : undefined;
    s.at(t);
    const params = { ...(tool ? { name: tool } : {}), ...(token ? { _meta: { progressToken: token } } : {}) };
    const request = s.recv('client', req(c, method, params));
    s.ev({ type: 'call-opened', call: id, from: 'client', method, ...(tool ? { tool } : {}), id: c, ...(token ? { token } : {}) });
    s.ev({ type: 'call-dispatched', call: id, queuedMs: 0 });
    s.at(t + 0.1);
    s.forward('child', request, { id: c, call: id, ...(token ? { token: c } : {}) });
    for (let i = 1; i <= heartbeats; i++) {
      s.at(t + (i * ms) / (heartbeats + 1));
      s.send('client', note('notifications/progress', { progressToken: token!, progress: i / 1024, message: 'mcp-leash: waiting' }), id);
      s.ev({ type: 'heartbeat', call: id, progress: i / 1024, queued: false });
    }
    for (let i = 1; i <= progress; i++) {
      s.at(t + (i * ms) / (progress + 1));
      const p = s.recv('child', note('notifications/progress', { progressToken: c, progress: i }));
      s.ev({ type: 'progress', call: id, progress: i, fate: 'forwarded' });
      s.forward('client', p, { token: token!, call: id });
    }
    if (outcome === 'open') return;
    s.at(t + ms);
    const ended = { type: 'call-ended' as const, call: id, ms, phase: 'running' as const };
    if (outcome === 'cancelled') {
      s.recv('client', note('notifications/cancelled', { requestId: c }));
      s.send('child', note('notifications/cancelled', { requestId: c }), id);
      s.ev({ ...ended, outcome: 'cancelled', by: 'requester', cancelledBy: 'client' });
    } else if (outcome === 'ok' || outcome === 'error' || outcome === 'tool-error') {
      const answer = s.recv('child', outcome === 'error' ? { jsonrpc: '2.0', id: c, error: { code: -32602, message: 'bad' } } : res(c, { content: [], isError: outcome === 'tool-error' }));
      s.forward('client', answer, { id: c, call: id });
      s.ev({ ...ended, outcome, by: 'server', ...(outcome === 'error' ? { errorCode: -32602 } : {}) });
    } else if (outcome === 'timeout') {
      s.send('child', note('notifications/cancelled', { requestId: c, reason: `timed out after ${ms / 1000}s` }), id);
      s.send('client', res(c, { content: [], isError: true }), id);
      s.ev({ ...ended, outcome, by: 'leash', timeout: { kind: 'total', limitMs: ms, cancelSentToServer: true } });
    } else {
      s.send('client', { jsonrpc: '2.0', id: c, error: { code: -32000, message: 'MCP server exited' } }, id);
      s.ev({ ...ended, outcome, by: 'leash', errorCode: -32000 });
    }
  };
  call(1, 'initialize', undefined, 20, 'ok');
  call(30, 'tools/list', undefined, 2, 'ok');
  // search: 20 calls, latencies 10, 20, ..., 200 ms; one with an error
  for (let i = 1; i <= 20; i++) call(40 + i * 5, 'tools/call', 'search', i * 10, i === 7 ? 'error' : 'ok');
  call(300, 'tools/call', 'index_repo', 8000, 'ok', 7, 3);
  call(400, 'tools/call', 'hang', 3000, 'timeout', 2);
  call(500, 'tools/call', 'hang', 3000, 'timeout', 2);
  // The second hang's late answer.
  s.at(4000);
  s.recv('child', res(25, { content: [] }));
  s.ev({ type: 'late-answer', call: 'c25', from: 'child', afterMs: 500 });
  call(600, 'tools/call', 'cancel_me', 1500, 'cancelled', 1);
  call(700, 'tools/call', 'flaky', 50, 'tool-error');
  call(800, 'tools/call', 'crash', 60, 'server-exited');
  call(9000, 'tools/call', 'never', 100, 'open');
  s.at(9500);
  return s.records();
}

const SYNTHETIC = await syntheticTrace();
const synthetic = (): TraceRecord[] => structuredClone(SYNTHETIC);

const toText = (rs: TraceRecord[]) => rs.map((x) => JSON.stringify(x)).join('\n') + '\n';

describe('report analysis', () => {
  const a = analyze(synthetic());
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

  it('prints tables whose rows hold those counts', () => {
    const text = renderText(a, 'trace.jsonl');
    const lines = text.split('\n');
    const row = (from: number, label: string) => lines.slice(from).find((l) => l.startsWith(`${label} `))!.trim().split(/\s{2,}/);
    const outcomes = lines.indexOf('Requests by outcome:');
    const latency = lines.indexOf('Latency of answered requests, and heartbeats sent:');
    expect(outcomes).toBeGreaterThan(0);
    expect(latency).toBeGreaterThan(outcomes);
    expect(lines[outcomes + 1]!.trim().split(/\s{2,}/)).toEqual(['method / tool', 'calls', 'ok', 'errors', 'timeouts', 'cancelled', 'unfinished', 'late']);
    expect(row(outcomes, 'tools/call search')).toEqual(['tools/call search', '20', '19', '1', '0', '0', '0', '0']);
    expect(row(outcomes, 'tools/call hang')).toEqual(['tools/call hang', '2', '0', '0', '2', '0', '0', '1']);
    expect(row(outcomes, 'all')).toEqual(['all', '29', '22', '3', '2', '1', '1', '1']);
    expect(lines[latency + 1]!.trim().split(/\s{2,}/)).toEqual(['method / tool', 'answered', 'p50', 'p95', 'max', 'heartbeats']);
    expect(row(latency, 'tools/call search')).toEqual(['tools/call search', '20', '100ms', '190ms', '200ms', '0']);
    expect(row(latency, 'tools/call hang')).toEqual(['tools/call hang', '2', '3.00s', '3.00s', '3.00s', '4']);
    expect(row(latency, 'all')).toEqual(['all', '27', expect.any(String), expect.any(String), '8.00s', '12']);
    expect(text).toContain('\n  #25 tools/call "hang"');
    expect(text).toContain('answer dropped');
  });

  it('fits 80 columns, long tool names and large counts included', () => {
    const wide = (text: string) => text.split('\n').filter((l) => [...l].length > 80);
    expect(wide(renderText(a, 'trace.jsonl'))).toEqual([]);
    const many: TraceRecord[] = [{ t: 0, s: 'a', kind: 'event', event: 'start', version: 2, startedAt: '2025-01-01T00:00:00.000Z', command: 'python' }];
    const long = 'a_tool_with_a_really_quite_long_descriptive_name';
    for (let i = 1; i <= 12000; i++) {
      const outcome = (['ok', 'error', 'timeout', 'cancelled'] as const)[i % 4]!;
      many.push({ t: i, s: 'a', kind: 'event', event: 'call-opened', call: `c${i}`, from: i % 7 ? 'client' : 'child', method: i % 7 ? 'tools/call' : 'sampling/createMessage', ...(i % 7 ? { tool: i % 2 ? long : 'x' } : {}), id: i });
      if (i % 5) many.push({ t: i + 65_000, s: 'a', kind: 'event', event: 'call-ended', call: `c${i}`, outcome, by: 'leash', ms: 65_000 + i, phase: 'running', ...(outcome === 'timeout' ? { timeoutKind: 'idle', limitMs: 60_000 } : {}) });
      if (i % 3 === 0) many.push({ t: i + 70_000, s: 'a', kind: 'event', event: 'late-answer', call: `c${i}`, from: 'child' });
    }
    const text = renderText(analyze(many), '/a/rather/long/path/to/the/trace/file/that/someone/wrote/trace.jsonl');
    expect(wide(text)).toEqual([]);
    // A long label is shortened from the front: the tool's own name stays readable.
    expect(text).toMatch(/…\S*descriptive_name /);
  });

  it('says what "errors" counts the way it counts: a timed-out tool\'s isError result is a timeout, not an error', async () => {
    const s = tapScript();
    const open = (n: number, tool: string) => {
      s.recv('client', req(n, 'tools/call', { name: tool }));
      s.ev({ type: 'call-opened', call: `c${n}`, from: 'client', method: 'tools/call', tool, id: n });
    };
    open(1, 'slow');
    open(2, 'flaky');
    s.at(100);
    s.send('client', res(1, { content: [], isError: true }), 'c1');
    s.ev({ type: 'call-ended', call: 'c1', outcome: 'timeout', by: 'leash', ms: 100, phase: 'running', timeout: { kind: 'total', limitMs: 100, cancelSentToServer: true } });
    s.forward('client', s.recv('child', res(2, { content: [], isError: true })), { id: 2, call: 'c2' });
    s.ev({ type: 'call-ended', call: 'c2', outcome: 'tool-error', by: 'server', ms: 100, phase: 'running' });
    const a = analyze(parseTrace(await s.text()).records);
    expect(a.totals).toMatchObject({ errors: 1, timeouts: 1 });
    // Both results were isError; the legend must not claim "errors" counts every isError result.
    const legend = renderText(a, 'x').replace(/\n/g, ' ');
    expect(legend).not.toMatch(/"errors" counts JSON-RPC errors, isError results and/);
    expect(legend).toContain(ERRORS_LEGEND);
    expect(ERRORS_LEGEND).toMatch(/from the server/);
    expect(ERRORS_LEGEND).toMatch(/timeouts/);
    expect(renderHtml(a, 'x')).toContain(esc(ERRORS_LEGEND));
  });

  it('skips unreadable lines of a trace cut short, and counts them', () => {
    const text = toText(synthetic()).slice(0, -40);
    const { records, badLines } = parseTrace(text + '\n{"t": 1, "kin');
    expect(badLines).toBe(2);
    const b = analyze(records, badLines);
    expect(b.calls).toHaveLength(29);
    expect(renderText(b, 'x')).toMatch(/2 line\(s\) of the trace could not be read/);
  });
});

describe('calls come from the core\'s events (issue 18)', () => {
  it('counts a task\'s tools/call, tasks/get and tasks/result once each, answered by mcp-leash', async () => {
    const s = tapScript();
    taskStory(s);
    const a = analyze(parseTrace(await s.text()).records);
    expect(a.calls.map((c) => [c.call, labelOf(c), c.outcome, c.by])).toEqual([
      ['c1', 'tools/call render', 'ok', 'leash'],
      ['l1', 'tasks/get', 'ok', 'leash'],
      ['l2', 'tasks/result', 'ok', 'leash'],
    ]);
    expect(a.totals).toMatchObject({ calls: 3, ok: 3, unfinished: 0, errors: 0 });
    const text = renderText(a, 'x');
    expect(text).not.toContain('unfinished');
    expect(text).not.toContain('no answer');
  });

  it('gives a call that timed out while queued its outcome, kind, limit and time in the queue', async () => {
    const s = tapScript();
    queuedTimeoutStory(s);
    const a = analyze(parseTrace(await s.text()).records);
    expect(a.calls).toHaveLength(2);
    const queued = a.calls.find((c) => c.call === 'c2')!;
    expect(queued).toMatchObject({ outcome: 'timeout', by: 'leash', phase: 'queued', ms: 2000, queuedMs: 2000, timeout: { kind: 'total', limitMs: 2000, cancelSentToServer: false } });
    expect(a.calls.find((c) => c.call === 'c1')).toMatchObject({ outcome: 'ok', by: 'server', ms: 2500 });
    expect(a.calls.find((c) => c.call === 'c1')!.queuedMs).toBeUndefined();
    expect(a.totals).toMatchObject({ calls: 2, ok: 1, timeouts: 1, queued: 1, unfinished: 0 });
    expect(renderText(a, 'x').replace(/\n\s+/g, ' ')).toContain('#2 tools/call "queued" started at 10ms: timed out (total limit 2.00s) while queued, after 2.00s');
  });

  it('keeps apart two sessions that appended to one file (issue 20)', async () => {
    const first = tapScript();
    queuedTimeoutStory(first);
    await first.text();
    const second = tapScript({ path: first.path });
    taskStory(second);
    const text = await second.text();
    const records = parseTrace(text).records;
    const starts = records.filter((r) => r.kind === 'event' && r.event === 'start');
    expect(starts).toHaveLength(2);
    expect(new Set(records.map((r) => r.s)).size).toBe(2);
    const a = analyze(records);
    expect(a.sessions).toBe(2);
    // Both sessions have a call c1: two calls, each with its own end.
    expect(a.calls.map((c) => `${c.call} ${c.outcome}`)).toEqual(['c1 ok', 'c2 timeout', 'c1 ok', 'l1 ok', 'l2 ok']);
    expect(a.calls.filter((c) => c.call === 'c1').map((c) => c.tool)).toEqual(['busy', 'render']);
    expect(a.totals).toMatchObject({ calls: 5, ok: 4, timeouts: 1, unfinished: 0 });
    // The one that did not simply succeed, with its session.
    expect(renderText(a, 'x')).toContain(`#2 (session ${first.w.session.slice(0, 8)}) tools/call "queued"`);
  });

  it('says so when a trace is in another format', () => {
    const old = [
      { t: 0, dir: 'leash', kind: 'event', event: 'start', version: 1 },
      { t: 1, dir: 'client->leash', kind: 'request', bytes: 10, method: 'ping', id: 1, call: 1 },
    ] as unknown as TraceRecord[];
    const a = analyze(old);
    expect(a.otherFormat).toBe(1);
    expect(renderText(a, 'x')).toContain('This trace is in format 1; this mcp-leash reads format 2');
  });

  it('counts a call once even when its lines are written twice, and a call cut short as unfinished', async () => {
    const s = tapScript();
    s.recv('client', req(1, 'tools/call', { name: 'x' }));
    s.ev({ type: 'call-opened', call: 'c1', from: 'client', method: 'tools/call', tool: 'x', id: 1 });
    s.ev({ type: 'call-opened', call: 'c2', from: 'client', method: 'ping', id: 2 });
    s.at(5);
    s.ev({ type: 'call-ended', call: 'c1', outcome: 'error', by: 'server', ms: 5, phase: 'running', errorCode: -32602 });
    const rs = await s.records();
    const a = analyze([...rs, ...rs]);
    expect(a.calls.map((c) => `${c.call} ${c.outcome}`)).toEqual(['c1 error', 'c2 unfinished']);
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
  const a = analyze(synthetic());
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
    const rs = synthetic();
    for (const r of rs) if ('tool' in r && r.tool === 'flaky') r.tool = '<img src=x onerror=alert(1)>"&';
    const page = renderHtml(analyze(rs), 'a<b>.jsonl');
    expect(page).not.toContain('<img');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&amp;');
    expect(page).toContain('a&lt;b&gt;.jsonl');
    assertBalanced(page);
  });

  it('draws the time a call waited in the queue as a lighter segment before its bar', async () => {
    const s = tapScript();
    queuedTimeoutStory(s);
    // c3 waits 500ms, then runs for 500ms.
    s.at(2500);
    s.ev({ type: 'call-opened', call: 'c3', from: 'client', method: 'tools/call', tool: 'later', id: 3 });
    s.ev({ type: 'call-queued', call: 'c3', position: 1 });
    s.at(3000);
    s.ev({ type: 'call-dispatched', call: 'c3', queuedMs: 500 });
    s.at(3500);
    s.ev({ type: 'call-ended', call: 'c3', outcome: 'ok', by: 'server', ms: 1000, phase: 'running' });
    const page = renderHtml(analyze(parseTrace(await s.text()).records), 'q');
    const group = (n: number) => page.match(new RegExp(`<g class="call" data-call="${n}"[\\s\\S]*?</g>`))![0];
    const rect = (g: string, cls: string) => {
      const m = g.match(new RegExp(`<rect class="${cls}" x="([\\d.]+)" y="[\\d.]+" width="([\\d.]+)"`));
      return m ? { x: Number(m[1]), w: Number(m[2]) } : undefined;
    };
    expect(rect(group(1), 'queued')).toBeUndefined();
    // c2 never left the queue: all of it is queued time.
    const q2 = rect(group(2), 'queued')!;
    expect(q2.w).toBeGreaterThan(10);
    expect(group(2)).toContain('waited 2.00s in the queue');
    // c3: half queued, half running, the bar right after the queued part.
    const q3 = rect(group(3), 'queued')!;
    const b3 = rect(group(3), 'bar')!;
    expect(Math.abs(q3.w - b3.w)).toBeLessThan(1);
    expect(Math.abs(q3.x + q3.w - b3.x)).toBeLessThan(0.2);
    expect(page).toContain('waiting in the queue');
    assertBalanced(page);
  });

  it('keeps 300 calls readable: a label on every row and the time axis at the top and the bottom', () => {
    const rs: TraceRecord[] = [{ t: 0, s: 'a', kind: 'event', event: 'start', version: 2 }];
    for (let i = 1; i <= 300; i++) {
      rs.push({ t: i * 10, s: 'a', kind: 'event', event: 'call-opened', call: `c${i}`, from: 'client', method: 'tools/call', tool: `tool_${i % 7}`, id: i });
      rs.push({ t: i * 10 + 200, s: 'a', kind: 'event', event: 'call-ended', call: `c${i}`, outcome: 'ok', by: 'server', ms: 200, phase: 'running' });
    }
    const page = renderHtml(analyze(rs), 'many');
    const svg = page.match(/<svg class="timeline"[\s\S]*?<\/svg>/)![0];
    expect(svg.match(/<text class="row-label"/g)).toHaveLength(300);
    const ticks = [...svg.matchAll(/<text class="tick" x="([\d.]+)" y="([\d.]+)"/g)];
    const ys = [...new Set(ticks.map((m) => Number(m[2])))];
    expect(ys).toHaveLength(2);
    const height = Number(svg.match(/viewBox="0 0 \d+ (\d+)"/)![1]);
    expect(Math.max(...ys)).toBeGreaterThan(height - 20);
    // Rows no thinner than a readable line of text.
    const bars = [...svg.matchAll(/<rect class="bar[^"]*" x="[\d.]+" y="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(bars[1]! - bars[0]!).toBeGreaterThanOrEqual(12);
    assertBalanced(page);
  });

  it('handles an empty trace and a very long one', () => {
    const empty = renderHtml(analyze([{ t: 0, s: 'a', kind: 'event', event: 'start' }]), 'e');
    expect(empty).toContain('No requests in this trace.');
    assertBalanced(empty);
    const many: TraceRecord[] = [];
    for (let i = 1; i <= 2000; i++) {
      many.push({ t: i, s: 'a', kind: 'event', event: 'call-opened', call: `c${i}`, from: 'client', method: 'tools/call', tool: 'x', id: i });
      many.push({ t: i + 5, s: 'a', kind: 'event', event: 'call-ended', call: `c${i}`, outcome: 'ok', by: 'server', ms: 5, phase: 'running' });
    }
    const big = renderHtml(analyze(many), 'big');
    expect(big.match(/<g class="call" /g)).toHaveLength(2000);
    assertBalanced(big);
  });
});

describe('mcp-leash report (the subcommand)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'leash-report-'));
  const trace = join(dir, 'trace.jsonl');
  writeFileSync(trace, toText(synthetic()));

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
