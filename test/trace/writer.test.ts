// The trace writer in isolation: what the shell and the core hand its Tap (frames read, outputs
// written, the core's events), with a fake clock, and the JSONL that comes out. The writer
// formats; each case checks that a line says what the Tap was told and nothing it was not.

import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MessageFrame } from '../../src/core/frame.js';
import type { JsonObject } from '../../src/core/message.js';
import type { EventRecord, FrameRecord, TraceRecord } from '../../src/trace/format.js';
import { TraceWriter } from '../../src/trace/writer.js';
import { frameOf, note, queuedTimeoutStory, req, res, T0, tapScript, taskStory } from './tap-script.js';
import { tmpDir } from '../helpers/procs.js';

const frames = (rs: TraceRecord[]) => rs.filter((r): r is FrameRecord => r.kind !== 'event');
const events = (rs: TraceRecord[], name?: string) => rs.filter((r): r is EventRecord => r.kind === 'event' && (name === undefined || r.event === name));

describe('trace writer', () => {
  it('writes a start line with a session id, one line per frame with time, direction, ids, size and call, and an end line', async () => {
    const s = tapScript();
    const call = req(7, 'tools/call', { name: 'echo', arguments: { text: 'hi' }, _meta: { progressToken: 'tok' } });
    s.at(1);
    const inbound = s.recv('client', call);
    s.ev({ type: 'call-opened', call: 'c1', from: 'client', method: 'tools/call', tool: 'echo', id: 7, token: 'tok' });
    s.at(2);
    s.forward('child', inbound, { id: 1, token: 1, call: 'c1' });
    s.at(50);
    const answer = s.recv('child', res(1, { content: [{ type: 'text', text: 'hi' }] }));
    s.forward('client', answer, { id: 7, call: 'c1' });
    s.ev({ type: 'call-ended', call: 'c1', outcome: 'ok', by: 'server', ms: 49, phase: 'running' });
    s.at(60);
    const rs = await s.records();

    const start = rs[0] as EventRecord;
    expect(start).toMatchObject({ t: 0, kind: 'event', event: 'start', version: 2, command: 'node', payloads: false });
    expect(start.session).toMatch(/^[0-9a-f-]{36}$/);
    expect(start.session).toBe(s.w.session);
    for (const r of rs) expect(r.s).toBe(start.session!.slice(0, 8));
    expect(rs.at(-1)).toMatchObject({ t: 60, kind: 'event', event: 'end' });

    const f = frames(rs);
    expect(f.map((r) => r.dir)).toEqual(['client->leash', 'leash->child', 'child->leash', 'leash->client']);
    expect(f.map((r) => r.t)).toEqual([1, 2, 50, 50]);
    expect(f[0]).toMatchObject({ kind: 'request', method: 'tools/call', tool: 'echo', id: 7, token: 'tok' });
    // A received frame does not know its call: the call-opened line after it does.
    expect(f[0]).not.toHaveProperty('call');
    expect(f[0]!.bytes).toBe(Buffer.byteLength(JSON.stringify(call)));
    expect(f[1]).toMatchObject({ kind: 'request', id: 1, origId: 7, token: 1, call: 'c1', tool: 'echo' });
    expect(f[2]).toMatchObject({ kind: 'response', id: 1, isError: false });
    expect(f[3]).toMatchObject({ kind: 'response', id: 7, origId: 1, call: 'c1', isError: false });
    // The size the shell says it wrote.
    expect(f[3]!.bytes).toBe(Buffer.byteLength(JSON.stringify({ ...answer.msg, id: 7 })));
    for (const r of f) {
      expect(r).not.toHaveProperty('params');
      expect(r).not.toHaveProperty('own');
    }
    expect(events(rs, 'call-opened')).toEqual([expect.objectContaining({ t: 1, call: 'c1', from: 'client', method: 'tools/call', tool: 'echo', id: 7, token: 'tok' })]);
    expect(events(rs, 'call-ended')).toEqual([expect.objectContaining({ t: 50, call: 'c1', method: 'tools/call', tool: 'echo', outcome: 'ok', by: 'server', ms: 49, phase: 'running' })]);
  });

  it('writes the core\'s event names and fields, with `at` as `t`', async () => {
    const s = tapScript();
    s.ev({ type: 'child', phase: 'starting' });
    s.at(5);
    s.ev({ type: 'child', phase: 'ready' });
    s.ev({ type: 'call-opened', call: 'c1', from: 'client', method: 'tools/call', tool: 'slow', id: 'a', token: 5 });
    s.ev({ type: 'call-queued', call: 'c1', position: 2 });
    s.at(105);
    s.ev({ type: 'call-dispatched', call: 'c1', queuedMs: 100 });
    s.at(1105);
    s.send('client', note('notifications/progress', { progressToken: 5, progress: 1 / 1024, message: 'mcp-leash: waiting for tool "slow"' }), 'c1');
    s.ev({ type: 'heartbeat', call: 'c1', progress: 1 / 1024, queued: false });
    s.at(1500);
    s.ev({ type: 'progress', call: 'c1', progress: 3, total: 10, fate: 'held' });
    s.at(3105);
    s.send('child', note('notifications/cancelled', { requestId: 1, reason: 'timed out after 3s' }), 'c1');
    s.send('client', res('a', { content: [], isError: true }), 'c1');
    s.ev({ type: 'call-ended', call: 'c1', outcome: 'timeout', by: 'leash', ms: 3100, phase: 'running', timeout: { kind: 'total', limitMs: 3000, cancelSentToServer: true } });
    s.at(4000);
    s.ev({ type: 'late-answer', call: 'c1', from: 'child', afterMs: 895 });
    s.ev({ type: 'stray', from: 'child', what: 'answer', id: 99 });
    s.ev({ type: 'task', taskId: 't1', status: 'working', call: 'c1' });
    s.ev({ type: 'child', phase: 'restarting', reason: 'exited', exitCode: 1, signal: null });
    s.ev({ type: 'restart', attempt: 1, delayMs: 500 });
    s.ev({ type: 'exit', code: 0, reason: 'client closed stdin' });
    const rs = await s.records();
    const strip = (e: EventRecord) => {
      const { s: _s, kind: _k, ...rest } = e;
      return rest;
    };
    expect(events(rs).slice(1, -1).map(strip)).toEqual([
      { t: 0, event: 'child', phase: 'starting' },
      { t: 5, event: 'child', phase: 'ready' },
      { t: 5, event: 'call-opened', call: 'c1', from: 'client', method: 'tools/call', tool: 'slow', id: 'a', token: 5 },
      { t: 5, event: 'call-queued', call: 'c1', position: 2 },
      { t: 105, event: 'call-dispatched', call: 'c1', queuedMs: 100 },
      { t: 1105, event: 'heartbeat', call: 'c1', progress: 1 / 1024, queued: false },
      { t: 1500, event: 'progress', call: 'c1', progress: 3, total: 10, fate: 'held' },
      {
        t: 3105, event: 'call-ended', call: 'c1', method: 'tools/call', tool: 'slow', outcome: 'timeout', by: 'leash', ms: 3100, phase: 'running',
        timeoutKind: 'total', limitMs: 3000, cancelSentToServer: true,
      },
      { t: 4000, event: 'late-answer', call: 'c1', from: 'child', afterMs: 895 },
      { t: 4000, event: 'stray', from: 'child', what: 'answer', id: 99 },
      { t: 4000, event: 'task', call: 'c1', taskId: 't1', status: 'working' },
      { t: 4000, event: 'child', phase: 'restarting', reason: 'exited', exitCode: 1, signal: null },
      { t: 4000, event: 'restart', attempt: 1, delayMs: 500 },
      { t: 4000, event: 'exit', code: 0, reason: 'client closed stdin' },
    ]);
    // mcp-leash's own messages are marked and tied to their call.
    const own = frames(rs);
    expect(own).toEqual([
      expect.objectContaining({ dir: 'leash->client', kind: 'notification', method: 'notifications/progress', token: 5, progress: 1 / 1024, own: true, call: 'c1' }),
      expect.objectContaining({ dir: 'leash->child', kind: 'notification', method: 'notifications/cancelled', requestId: 1, own: true, call: 'c1' }),
      expect.objectContaining({ dir: 'leash->client', kind: 'response', id: 'a', isError: true, own: true, call: 'c1' }),
    ]);
  });

  it('writes a task\'s calls as the core ends them, the l-calls included (issue 18)', async () => {
    const s = tapScript();
    taskStory(s);
    const rs = await s.records();
    expect(events(rs, 'call-opened').map((e) => [e.call, e.method])).toEqual([['c1', 'tools/call'], ['l1', 'tasks/get'], ['l2', 'tasks/result']]);
    expect(events(rs, 'call-ended').map((e) => [e.call, e.outcome, e.by])).toEqual([['c1', 'ok', 'leash'], ['l1', 'ok', 'leash'], ['l2', 'ok', 'leash']]);
    expect(events(rs, 'task').map((e) => e.status)).toEqual(['working', 'completed']);
  });

  it('writes a timeout of a call still queued with its phase, kind and limit (issue 18)', async () => {
    const s = tapScript();
    queuedTimeoutStory(s);
    const rs = await s.records();
    expect(events(rs, 'call-queued')).toEqual([expect.objectContaining({ t: 10, call: 'c2', position: 1 })]);
    expect(events(rs, 'call-ended')[0]).toMatchObject({
      t: 2010, call: 'c2', tool: 'queued', outcome: 'timeout', by: 'leash', ms: 2000, phase: 'queued',
      timeoutKind: 'total', limitMs: 2000, cancelSentToServer: false,
    });
  });

  it('records unreadable and invalid lines without their content', async () => {
    const s = tapScript();
    s.w.received('client', { kind: 'unparsable', problem: 'json', detail: 'x', preview: 'password=hunter2' }, 16, T0);
    s.w.received('child', { kind: 'invalid', reason: 'expected "jsonrpc": "2.0", got "hunter2"', id: 4 }, 30, T0);
    const rs = await s.records();
    expect(frames(rs)).toEqual([
      expect.objectContaining({ dir: 'client->leash', kind: 'unparsable', problem: 'json', bytes: 16 }),
      expect.objectContaining({ dir: 'child->leash', kind: 'invalid', id: 4, bytes: 30 }),
    ]);
    expect(JSON.stringify(rs)).not.toContain('hunter2');
  });

  it('includes params, result, error bodies and words only with payloads', async () => {
    const without = tapScript();
    const with_ = tapScript({ payloads: true });
    for (const s of [without, with_]) {
      const r = s.recv('client', req(1, 'tools/call', { name: 'login', arguments: { password: 'hunter2' }, _meta: { progressToken: 'p' } }));
      s.forward('child', r, { id: 9, token: 9, call: 'c9' });
      const p = s.recv('child', note('notifications/progress', { progressToken: 9, progress: 1, message: 'hunter2 step' }));
      s.forward('client', p, { token: 'p', call: 'c9' });
      s.recv('client', note('notifications/cancelled', { requestId: 1, reason: 'hunter2 reason' }));
      s.send('child', note('notifications/cancelled', { requestId: 9, reason: 'hunter2 reason' }), 'c9');
      const e = s.recv('child', { jsonrpc: '2.0', id: 9, error: { code: -32602, message: 'bad hunter2' } });
      s.forward('client', e, { id: 1, call: 'c9' });
    }
    const a = frames(await without.records());
    const b = frames(await with_.records());
    expect(readFileSync(without.path, 'utf8')).not.toContain('hunter2');
    expect(a[3]).toMatchObject({ dir: 'leash->client', token: 'p', progress: 1 });
    expect(a[5]).toMatchObject({ own: true, requestId: 9 });
    expect(a[7]).toMatchObject({ errorCode: -32602, id: 1, origId: 9 });
    // The password is redacted (redact.ts); the progress token, a protocol field, is not.
    expect(b[0]!.params).toEqual({ name: 'login', arguments: { password: '[redacted]' }, _meta: { progressToken: 'p' } });
    // A forwarded message's params as sent: with the token mcp-leash gave it.
    expect(b[1]!.params).toEqual({ name: 'login', arguments: { password: '[redacted]' }, _meta: { progressToken: 9 } });
    expect(b[3]).toMatchObject({ message: 'hunter2 step', token: 'p' });
    expect(b[5]).toMatchObject({ reason: 'hunter2 reason' });
    expect(b[7]!.error).toEqual({ code: -32602, message: 'bad hunter2' });
  });

  it('leaves a long answer\'s result unparsed without payloads, and parses it with them', async () => {
    const full = res(3, { content: [{ type: 'text', text: 'x'.repeat(100) }], isError: true });
    const partial = (): MessageFrame => {
      const { result: _r, ...rest } = full;
      return { kind: 'response', id: 3, msg: rest as JsonObject, partial: true, raw: { bytes: 5_000_000, parse: () => full } };
    };
    const lines: FrameRecord[][] = [];
    for (const payloads of [false, true]) {
      const s = tapScript({ payloads });
      s.w.received('child', partial(), 5_000_000, T0 + 1);
      s.w.sent({ type: 'forward', to: 'client', frame: partial(), id: 'big', call: 'c3' }, 5_000_002, T0 + 1);
      lines.push(frames(await s.records()));
    }
    expect(lines[0]![0]).toMatchObject({ kind: 'response', id: 3, bytes: 5_000_000 });
    expect(lines[0]![0]).not.toHaveProperty('isError');
    expect(lines[0]![1]).toMatchObject({ id: 'big', origId: 3, bytes: 5_000_002, call: 'c3' });
    expect(lines[0]![1]).not.toHaveProperty('isError');
    expect(lines[1]![1]).toMatchObject({ isError: true, result: full.result });
  });

  it('creates the file with mode 0600, and tightens an existing file to 0600', async () => {
    const s = tapScript();
    await s.records();
    expect(statSync(s.path).mode & 0o777).toBe(0o600);

    const dir = tmpDir('leash-trace-');
    const path = join(dir, 'old.jsonl');
    writeFileSync(path, '');
    chmodSync(path, 0o644);
    const w = new TraceWriter(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await w.close();
  });

  it('batches writes off the hot path: nothing is written synchronously', async () => {
    const s = tapScript();
    for (let i = 0; i < 1000; i++) s.recv('client', note('notifications/message', { level: 'info', data: i }));
    // Only the start line might be on its way; the frames are still in memory.
    expect(readFileSync(s.path, 'utf8')).toBe('');
    const rs = await s.records();
    expect(frames(rs)).toHaveLength(1000);
  });

  it('drops lines (and says so) rather than hold more than its limit in memory', async () => {
    const dir = tmpDir('leash-trace-');
    const path = join(dir, 'small.jsonl');
    const w = new TraceWriter(path, { maxPendingBytes: 2000 });
    const big = frameOf(note('notifications/message', { level: 'info' }));
    // Fill the stream's buffer in one turn, then keep writing in the same turn.
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 50; i++) w.received('client', big, 1000, performance.now());
      for (let i = 0; i < 50; i++) w.event({ type: 'stray', from: 'client', what: 'cancel', id: i, at: performance.now() });
      await new Promise((r) => setImmediate(r));
    }
    await w.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as TraceRecord);
    expect(lines.length).toBeLessThan(501);
    expect(lines.some((l) => l.kind === 'event' && l.event === 'dropped')).toBe(true);
    expect(lines.at(-1)).toMatchObject({ kind: 'event', event: 'end' });
    for (const l of lines) expect(typeof l.t).toBe('number');
  });
});
