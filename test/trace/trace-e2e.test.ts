// --trace through the real binary: mcp-leash in front of the legacy fixture, a raw client, and
// `mcp-leash report`'s analysis of the file it wrote.
//
// The call lines (call-opened ... call-ended, heartbeat, late-answer) come from the core's events
// (src/core/events.ts): these tests pass once the shell hands the core's events to the Tap.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { analyze, parseTrace } from '../../src/report/analyze.js';
import type { EventRecord, FrameRecord, TraceRecord } from '../../src/trace/format.js';
import { cleanupProcesses, isMethod, startRawProxy } from '../helpers/proxy.js';
import { tmpDir } from '../helpers/procs.js';

afterEach(() => cleanupProcesses());

const SECRET = 'sk-live-0123456789-very-secret';

function readTrace(path: string): TraceRecord[] {
  if (!existsSync(path)) return [];
  return parseTrace(readFileSync(path, 'utf8')).records;
}

/** Waits until the trace holds a line that `match` accepts (the writer flushes every event-loop turn). */
async function traceLine(path: string, match: (r: TraceRecord) => boolean, what: string, limitMs = 15_000): Promise<TraceRecord> {
  const until = Date.now() + limitMs;
  for (;;) {
    const found = readTrace(path).find(match);
    if (found) return found;
    if (Date.now() > until) throw new Error(`no ${what} in the trace after ${limitMs}ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const isEventLine = (r: TraceRecord): r is EventRecord => r.kind === 'event';

async function session(extraArgs: string[] = [], o: { cancel?: boolean } = {}): Promise<{ path: string; records: TraceRecord[]; text: string; stderr: string }> {
  const dir = tmpDir('leash-trace-e2e-');
  const path = join(dir, 'trace.jsonl');
  const p = startRawProxy({ leashArgs: ['--trace', path, '--tool-timeout', 'sleep=400ms', '--heartbeat', '150ms', '--log-level', 'warn', ...extraArgs] });
  await p.initialize();
  const echo = await p.request('tools/call', { name: 'echo', arguments: { text: SECRET } }, 1);
  expect(echo.result.content[0].text).toBe(SECRET);
  // Times out (400ms) with heartbeats every 150ms.
  const slow = await p.request('tools/call', { name: 'sleep', arguments: { ms: 5000 }, _meta: { progressToken: 'tok' } }, 2);
  expect(slow.result.isError).toBe(true);
  // Progress from the server.
  await p.request('tools/call', { name: 'progress', arguments: { steps: 2, intervalMs: 30 }, _meta: { progressToken: 'tok2' } }, 3);
  if (o.cancel !== false) {
    // A cancellation once the request has reached the server, and the late answer it sends anyway.
    p.send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'slow_ignore_cancel', arguments: { ms: 300 } } });
    await traceLine(path, (r) => r.kind === 'request' && (r as FrameRecord).dir === 'leash->child' && (r as FrameRecord).tool === 'slow_ignore_cancel', 'forwarded slow_ignore_cancel');
    p.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 4, reason: 'no longer needed' } });
    await traceLine(path, (r) => isEventLine(r) && r.event === 'late-answer', 'late-answer line');
  }
  await p.barrier();
  p.close();
  const exit = await p.exited;
  expect(exit.code).toBe(0);
  expect(p.messages().filter((m) => isMethod('notifications/progress')(m, '')).length).toBeGreaterThan(0);
  const text = readFileSync(path, 'utf8');
  const records = text.trimEnd().split('\n').map((l) => JSON.parse(l) as TraceRecord);
  return { path, records, text, stderr: p.stderr() };
}

describe('--trace', () => {
  it('writes frames both ways and the core\'s events as JSONL, mode 0600, with no payloads by default', async () => {
    const { path, records, text } = await session();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(text.endsWith('\n')).toBe(true);
    expect(text).not.toContain(SECRET);

    const start = records[0] as EventRecord;
    expect(start).toMatchObject({ event: 'start', version: 2, payloads: false });
    expect(records.at(-1)).toMatchObject({ event: 'end' });
    let last = -1;
    for (const r of records) {
      expect(r.s).toBe(start.session!.slice(0, 8));
      expect(typeof r.t).toBe('number');
      expect(r.t).toBeGreaterThanOrEqual(last); // written in order, from a monotonic clock
      last = r.t;
      if (r.kind !== 'event') {
        expect(['client->leash', 'leash->child', 'child->leash', 'leash->client']).toContain(r.dir);
        expect(r.bytes).toBeGreaterThan(0);
      }
    }
    const frames = records.filter((r): r is FrameRecord => r.kind !== 'event');
    const events = records.filter(isEventLine);
    for (const dir of ['client->leash', 'leash->child', 'child->leash', 'leash->client']) {
      expect(frames.some((f) => f.dir === dir)).toBe(true);
    }
    const opened = (tool: string) => events.find((e) => e.event === 'call-opened' && e.tool === tool)!;
    const ended = (call: string | undefined) => events.find((e) => e.event === 'call-ended' && e.call === call);

    // The echo call: client id 1, rewritten for the child, and back.
    const echo = opened('echo');
    expect(echo).toMatchObject({ from: 'client', method: 'tools/call', id: 1 });
    const echoOut = frames.find((f) => f.dir === 'leash->child' && f.call === echo.call && f.kind === 'request')!;
    expect(echoOut.origId).toBe(1);
    expect(frames.find((f) => f.dir === 'leash->client' && f.call === echo.call)).toMatchObject({ kind: 'response', id: 1, origId: echoOut.id, isError: false });
    expect(ended(echo.call)).toMatchObject({ outcome: 'ok', by: 'server', tool: 'echo' });

    // The sleep call: heartbeats, a cancel to the child, an isError answer from mcp-leash, its end.
    const sleep = opened('sleep');
    expect(sleep.token).toBe('tok');
    expect(events.filter((e) => e.event === 'heartbeat' && e.call === sleep.call).length).toBeGreaterThanOrEqual(2);
    expect(frames.find((f) => f.dir === 'leash->child' && f.method === 'notifications/cancelled' && f.call === sleep.call)).toMatchObject({ own: true });
    expect(frames.find((f) => f.dir === 'leash->client' && f.call === sleep.call && f.kind === 'response')).toMatchObject({ own: true, isError: true });
    expect(ended(sleep.call)).toMatchObject({ outcome: 'timeout', by: 'leash', phase: 'running', timeoutKind: 'total', limitMs: 400, cancelSentToServer: true });

    // Progress from the server, mapped to the client's token.
    const prog = opened('progress');
    expect(events.filter((e) => e.event === 'progress' && e.call === prog.call).length).toBeGreaterThan(0);
    // The server's own update is rewritten (the client's token, a value kept increasing), so
    // mcp-leash writes it; the 'progress' event says it was the server's, forwarded.
    expect(events.find((e) => e.event === 'progress' && e.call === prog.call)).toMatchObject({ fate: 'forwarded', progress: 1 });
    const progOut = frames.filter((f) => f.dir === 'leash->client' && f.method === 'notifications/progress' && f.call === prog.call);
    expect(progOut.find((f) => f.progress === 1)).toMatchObject({ token: 'tok2', progress: 1 });

    // The cancellation, and the late answer the child sent anyway.
    const cancelled = opened('slow_ignore_cancel');
    expect(ended(cancelled.call)).toMatchObject({ outcome: 'cancelled', cancelledBy: 'client' });
    expect(events.find((e) => e.event === 'late-answer')).toMatchObject({ call: cancelled.call, from: 'child' });

    // The report counts each call once, with the core's outcome.
    const a = analyze(records);
    expect(a.calls.map((c) => `${c.tool ?? c.method} ${c.outcome}`)).toEqual([
      'initialize ok',
      'echo ok',
      'sleep timeout',
      'progress ok',
      'slow_ignore_cancel cancelled',
      'ping ok', // the harness's barrier ping is a call like any other
    ]);
    expect(a.totals.heartbeats).toBeGreaterThanOrEqual(2);
    expect(a.totals.lateResponses).toBe(1);
  });

  it('includes payloads with --trace-payloads, secrets redacted there and in debug logs, never in what it forwards', async () => {
    // session() checks that the client got SECRET back from the echo tool: it was forwarded intact both ways.
    const { records, text, stderr } = await session(['--trace-payloads', '--log-level', 'debug'], { cancel: false });
    expect(records[0]).toMatchObject({ event: 'start', payloads: true });
    expect(text).not.toContain(SECRET);
    expect(stderr).toContain('"level":20'); // debug lines were written
    expect(stderr).not.toContain(SECRET);
    const echoIn = records.find((r): r is FrameRecord => r.kind === 'request' && (r as FrameRecord).tool === 'echo')!;
    expect(echoIn.params).toMatchObject({ name: 'echo', arguments: { text: '[redacted]' } });
    const echoOut = records.find((r): r is FrameRecord => r.kind === 'response' && r.dir === 'leash->client' && r.id === 1)!;
    expect(echoOut.result).toMatchObject({ content: [{ type: 'text', text: '[redacted]' }] });
    // Protocol fields that merely look like secrets are kept.
    expect(text).toContain('"progressToken":"tok"');
  });

  it('traces a long answer by its size, without its content', async () => {
    const dir = tmpDir('leash-trace-e2e-');
    const path = join(dir, 'trace.jsonl');
    const p = startRawProxy({ leashArgs: ['--trace', path, '--log-level', 'warn'] });
    await p.initialize();
    const big = await p.request('tools/call', { name: 'big', arguments: { bytes: 3_000_000 } }, 'big');
    expect(big.result.content[0].text).toHaveLength(3_000_000);
    p.close();
    await p.exited;
    const text = readFileSync(path, 'utf8');
    expect(text.length).toBeLessThan(20_000);
    const records = text.trimEnd().split('\n').map((l) => JSON.parse(l) as TraceRecord);
    const frames = records.filter((r): r is FrameRecord => r.kind !== 'event');
    const fromChild = frames.find((f) => f.dir === 'child->leash' && f.kind === 'response' && f.bytes > 3_000_000)!;
    const toClient = frames.find((f) => f.dir === 'leash->client' && f.id === 'big')!;
    // The same bytes but for the id.
    expect(Math.abs(toClient.bytes - fromChild.bytes)).toBeLessThan(16);
    expect(toClient.call).toBeDefined();
    expect(records.find((r) => isEventLine(r) && r.event === 'call-ended' && r.call === toClient.call)).toMatchObject({ outcome: 'ok', by: 'server' });
  });

  it('refuses a trace file it cannot open, before starting the server', async () => {
    const p = startRawProxy({ leashArgs: ['--trace', '/nonexistent-dir/trace.jsonl'] });
    const exit = await p.exited;
    expect(exit.code).toBe(2);
    expect(p.stderr()).toMatch(/--trace \/nonexistent-dir\/trace\.jsonl: cannot open/);
    expect(existsSync('/nonexistent-dir')).toBe(false);
  });
});
