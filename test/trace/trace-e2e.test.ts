// --trace through the real binary: mcp-leash in front of the legacy fixture, a raw client.

import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProcesses, isMethod, startRawProxy } from '../helpers/proxy.js';
import type { EventRecord, FrameRecord, TraceRecord } from '../../src/trace/format.js';

afterEach(() => cleanupProcesses());

const SECRET = 'sk-live-0123456789-very-secret';

async function session(extraArgs: string[] = []): Promise<{ path: string; records: TraceRecord[]; text: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'leash-trace-e2e-'));
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
  // A cancellation.
  p.send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'slow_ignore_cancel', arguments: { ms: 300 } } });
  await new Promise((r) => setTimeout(r, 100));
  p.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 4, reason: 'no longer needed' } });
  await new Promise((r) => setTimeout(r, 400)); // the late answer arrives and is dropped
  await p.barrier();
  p.close();
  const exit = await p.exited;
  expect(exit.code).toBe(0);
  expect(p.messages().filter((m) => isMethod('notifications/progress')(m, '')).length).toBeGreaterThan(0);
  const text = readFileSync(path, 'utf8');
  const records = text.trimEnd().split('\n').map((l) => JSON.parse(l) as TraceRecord);
  return { path, records, text };
}

describe('--trace', () => {
  it('writes every frame both ways as JSONL, mode 0600, with no payloads by default', async () => {
    const { path, records, text } = await session();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(text.endsWith('\n')).toBe(true);
    expect(text).not.toContain(SECRET);

    expect(records[0]).toMatchObject({ event: 'start', payloads: false });
    expect(records.at(-1)).toMatchObject({ event: 'end' });
    let last = -1;
    for (const r of records) {
      expect(typeof r.t).toBe('number');
      expect(r.t).toBeGreaterThanOrEqual(last); // written in order, from a monotonic clock
      last = r.t;
      expect(['client->leash', 'leash->child', 'child->leash', 'leash->client', 'leash']).toContain(r.dir);
      if (r.kind !== 'event') expect((r as FrameRecord).bytes).toBeGreaterThan(0);
    }
    const frames = records.filter((r): r is FrameRecord => r.kind !== 'event');
    const events = records.filter((r): r is EventRecord => r.kind === 'event');
    for (const dir of ['client->leash', 'leash->child', 'child->leash', 'leash->client']) {
      expect(frames.some((f) => f.dir === dir)).toBe(true);
    }

    // The echo call: client id 1, rewritten for the child, and back.
    const echoIn = frames.find((f) => f.dir === 'client->leash' && f.tool === 'echo')!;
    const echoOut = frames.find((f) => f.dir === 'leash->child' && f.call === echoIn.call && f.kind === 'request')!;
    expect(echoOut.origId).toBe(1);
    expect(echoOut.id).not.toBeUndefined();
    const echoBack = frames.find((f) => f.dir === 'leash->client' && f.call === echoIn.call)!;
    expect(echoBack).toMatchObject({ id: 1, origId: echoOut.id, outcome: 'ok', isError: false });

    // The sleep call: heartbeats, a cancel to the child, an isError answer, a timeout event.
    const sleepIn = frames.find((f) => f.dir === 'client->leash' && f.tool === 'sleep')!;
    expect(sleepIn.token).toBe('tok');
    const beats = frames.filter((f) => f.heartbeat && f.call === sleepIn.call);
    expect(beats.length).toBeGreaterThanOrEqual(2);
    for (const b of beats) expect(b.message).toMatch(/^mcp-leash: waiting for tool "sleep"/);
    expect(frames.find((f) => f.dir === 'leash->child' && f.method === 'notifications/cancelled' && f.call === sleepIn.call)?.reason).toMatch(/timed out/);
    expect(frames.find((f) => f.dir === 'leash->client' && f.call === sleepIn.call && f.kind === 'response')).toMatchObject({ outcome: 'timeout', isError: true });
    expect(events.find((e) => e.event === 'timeout')).toMatchObject({ call: sleepIn.call, tool: 'sleep' });

    // Progress from the server, mapped to the client's token.
    const progIn = frames.find((f) => f.dir === 'client->leash' && f.tool === 'progress')!;
    const progOut = frames.filter((f) => f.dir === 'leash->client' && f.method === 'notifications/progress' && f.call === progIn.call && !f.heartbeat);
    expect(progOut.length).toBeGreaterThan(0);
    expect(progOut[0]).toMatchObject({ token: 'tok2', progress: 1 });

    // The cancellation, and the late answer the child sent anyway.
    const cancelled = events.find((e) => e.event === 'cancelled')!;
    expect(cancelled).toMatchObject({ by: 'client', tool: 'slow_ignore_cancel' });
    expect(events.find((e) => e.event === 'late-response')).toMatchObject({ call: cancelled.call });
  });

  it('includes payloads with --trace-payloads', async () => {
    const { records, text } = await session(['--trace-payloads']);
    expect(records[0]).toMatchObject({ event: 'start', payloads: true });
    expect(text).toContain(SECRET);
    const echoIn = records.find((r): r is FrameRecord => r.kind === 'request' && (r as FrameRecord).tool === 'echo')!;
    expect(echoIn.params).toMatchObject({ name: 'echo', arguments: { text: SECRET } });
  });

  it('traces a long answer by its size, without its content', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leash-trace-e2e-'));
    const path = join(dir, 'trace.jsonl');
    const p = startRawProxy({ leashArgs: ['--trace', path, '--log-level', 'warn'] });
    await p.initialize();
    const big = await p.request('tools/call', { name: 'big', arguments: { bytes: 3_000_000 } }, 'big');
    expect(big.result.content[0].text).toHaveLength(3_000_000);
    p.close();
    await p.exited;
    const text = readFileSync(path, 'utf8');
    expect(text.length).toBeLessThan(20_000);
    const frames = text.trimEnd().split('\n').map((l) => JSON.parse(l) as FrameRecord);
    const fromChild = frames.find((f) => f.dir === 'child->leash' && f.kind === 'response' && (f.bytes ?? 0) > 3_000_000)!;
    const toClient = frames.find((f) => f.dir === 'leash->client' && f.id === 'big')!;
    expect(toClient).toMatchObject({ outcome: 'ok', call: fromChild.call });
    // The same bytes but for the id.
    expect(Math.abs(toClient.bytes - fromChild.bytes)).toBeLessThan(16);
  });

  it('refuses a trace file it cannot open, before starting the server', async () => {
    const p = startRawProxy({ leashArgs: ['--trace', '/nonexistent-dir/trace.jsonl'] });
    const exit = await p.exited;
    expect(exit.code).toBe(2);
    expect(p.stderr()).toMatch(/--trace \/nonexistent-dir\/trace\.jsonl: cannot open/);
    expect(existsSync('/nonexistent-dir')).toBe(false);
  });
});
