// The trace writer in isolation: frames in, JSONL out, with a fake clock. Each case plays what the
// proxy would hand the Tap for one story (the core's outputs, as Session would produce them).

import { mkdtempSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { peek, type JsonObject, type RequestId } from '../../src/core/message.js';
import type { Frame } from '../../src/core/session.js';
import type { Side } from '../../src/core/outputs.js';
import { TraceWriter } from '../../src/trace/writer.js';
import type { EventRecord, FrameRecord, TraceRecord } from '../../src/trace/format.js';

function setup(opts: { payloads?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'leash-trace-'));
  const path = join(dir, 'trace.jsonl');
  let now = 1000;
  const w = new TraceWriter(path, { payloads: opts.payloads ?? false, command: 'node', clock: () => now });
  const frame = (m: JsonObject): Frame => peek(m);
  return {
    path,
    w,
    at(ms: number) {
      now = 1000 + ms;
    },
    recv(from: Side, msg: JsonObject) {
      const line = JSON.stringify(msg);
      w.received(from, frame(msg), Buffer.byteLength(line));
    },
    send(to: Side, msg: JsonObject, origId?: RequestId) {
      w.sent(to, origId === undefined ? { type: 'send', to, msg } : { type: 'send', to, msg, origId });
    },
    async records(): Promise<TraceRecord[]> {
      await w.close();
      const text = readFileSync(path, 'utf8');
      expect(text.endsWith('\n')).toBe(true);
      return text.trimEnd().split('\n').map((l) => JSON.parse(l) as TraceRecord);
    },
  };
}

const req = (id: RequestId, method: string, params?: JsonObject): JsonObject => ({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
const res = (id: RequestId, result: JsonObject): JsonObject => ({ jsonrpc: '2.0', id, result });
const note = (method: string, params: JsonObject): JsonObject => ({ jsonrpc: '2.0', method, params });
const frames = (rs: TraceRecord[]) => rs.filter((r): r is FrameRecord => r.kind !== 'event');
const events = (rs: TraceRecord[], name?: string) => rs.filter((r): r is EventRecord => r.kind === 'event' && (name === undefined || r.event === name));

describe('trace writer', () => {
  it('writes a start line, one line per frame with time, direction, ids and size, and an end line', async () => {
    const s = setup();
    const call = req(7, 'tools/call', { name: 'echo', arguments: { text: 'hi' }, _meta: { progressToken: 'tok' } });
    s.at(1);
    s.recv('client', call);
    s.at(2);
    s.send('child', { ...call, id: 1, params: { ...(call.params as JsonObject), _meta: { progressToken: 1 } } }, 7);
    s.at(50);
    const answer = res(1, { content: [{ type: 'text', text: 'hi' }] });
    s.recv('child', answer);
    s.send('client', { ...answer, id: 7 }, 1);
    const rs = await s.records();

    expect(rs[0]).toMatchObject({ t: 0, dir: 'leash', kind: 'event', event: 'start', version: 1, command: 'node', payloads: false });
    expect(rs.at(-1)).toMatchObject({ kind: 'event', event: 'end' });
    const f = frames(rs);
    expect(f.map((r) => r.dir)).toEqual(['client->leash', 'leash->child', 'child->leash', 'leash->client']);
    expect(f.map((r) => r.t)).toEqual([1, 2, 50, 50]);
    expect(f[0]).toMatchObject({ kind: 'request', method: 'tools/call', tool: 'echo', id: 7, token: 'tok', call: 1 });
    expect(f[0]!.bytes).toBe(Buffer.byteLength(JSON.stringify(call)));
    expect(f[1]).toMatchObject({ kind: 'request', id: 1, origId: 7, call: 1, tool: 'echo' });
    expect(f[2]).toMatchObject({ kind: 'response', id: 1, isError: false, call: 1 });
    expect(f[3]).toMatchObject({ kind: 'response', id: 7, origId: 1, call: 1, outcome: 'ok', ms: 49 });
    // A forwarded answer's size is the received one adjusted for the new id.
    expect(f[3]!.bytes).toBe(Buffer.byteLength(JSON.stringify({ ...answer, id: 7 })));
    for (const r of f) expect(r).not.toHaveProperty('params');
  });

  it('marks heartbeats and child progress, and relates them to their call', async () => {
    const s = setup();
    s.recv('client', req('a', 'tools/call', { name: 'slow', _meta: { progressToken: 5 } }));
    s.send('child', req(1, 'tools/call', { name: 'slow', _meta: { progressToken: 1 } }), 'a');
    s.at(1000);
    s.send('client', note('notifications/progress', { progressToken: 5, progress: 1 / 1024, message: 'mcp-leash: waiting for tool "slow": 1s, no progress from server' }));
    s.at(1500);
    s.recv('child', note('notifications/progress', { progressToken: 1, progress: 3, total: 10, message: 'secret step' }));
    s.send('client', note('notifications/progress', { progressToken: 5, progress: 3, total: 10, message: 'secret step' }));
    const rs = await s.records();
    const f = frames(rs);
    expect(f[2]).toMatchObject({ dir: 'leash->client', method: 'notifications/progress', token: 5, heartbeat: true, call: 1 });
    expect(f[2]!.message).toMatch(/^mcp-leash:/);
    expect(f[3]).toMatchObject({ dir: 'child->leash', token: 1, progress: 3, total: 10, call: 1 });
    expect(f[4]).toMatchObject({ dir: 'leash->client', token: 5, progress: 3, total: 10, call: 1 });
    expect(f[4]).not.toHaveProperty('heartbeat');
    // The server's own progress messages are payload.
    expect(JSON.stringify(rs)).not.toContain('secret step');
  });

  it('records a timeout: the cancel sent to the child, the isError answer, and a timeout event', async () => {
    const s = setup();
    s.recv('client', req(3, 'tools/call', { name: 'hang' }));
    s.send('child', req(1, 'tools/call', { name: 'hang' }), 3);
    s.at(3000);
    s.send('child', note('notifications/cancelled', { requestId: 1, reason: 'timed out after 3s' }));
    s.send('client', { jsonrpc: '2.0', id: 3, result: { content: [{ type: 'text', text: 'The tool "hang" did not finish' }], isError: true } }, 1);
    s.at(5000);
    s.recv('child', res(1, { content: [] })); // late
    const rs = await s.records();
    const f = frames(rs);
    expect(f[2]).toMatchObject({ dir: 'leash->child', method: 'notifications/cancelled', requestId: 1, reason: 'timed out after 3s', call: 1 });
    expect(f[2]).not.toHaveProperty('origId');
    expect(f[3]).toMatchObject({ dir: 'leash->client', id: 3, isError: true, outcome: 'timeout', ms: 3000, call: 1 });
    expect(events(rs, 'timeout')).toEqual([
      expect.objectContaining({ call: 1, tool: 'hang', method: 'tools/call', timeoutKind: 'total', reason: 'timed out after 3s' }),
    ]);
    expect(events(rs, 'late-response')).toEqual([expect.objectContaining({ call: 1, afterMs: 2000 })]);
  });

  it('records a JSON-RPC -32001 timeout with its limit, and a timeout of a request still queued', async () => {
    const s = setup();
    s.recv('client', req(1, 'resources/read', { uri: 'x' }));
    s.recv('client', req(2, 'tools/call', { name: 'queued' }));
    s.send('child', req(1, 'resources/read', { uri: 'x' }), 1);
    s.at(2000);
    s.send('child', note('notifications/cancelled', { requestId: 1, reason: 'timed out after 2s' }));
    s.send('client', { jsonrpc: '2.0', id: 1, error: { code: -32001, message: 'Request timed out', data: { method: 'resources/read', timeoutMs: 2000, elapsedMs: 2000, kind: 'total' } } }, 1);
    // The queued one never reached the child; its answer carries the key mcp-leash gave it.
    s.send('client', { jsonrpc: '2.0', id: 2, result: { content: [], isError: true } }, 2);
    const rs = await s.records();
    const ends = frames(rs).filter((r) => r.outcome !== undefined);
    expect(ends).toEqual([
      expect.objectContaining({ id: 1, call: 1, errorCode: -32001, outcome: 'timeout' }),
      expect.objectContaining({ id: 2, call: 2, outcome: 'timeout', tool: 'queued' }),
    ]);
    expect(events(rs, 'timeout')[0]).toMatchObject({ call: 1, limitMs: 2000, timeoutKind: 'total' });
    expect(events(rs, 'timeout')[1]).toMatchObject({ call: 2 });
  });

  it('records a client cancellation and pairs reused ids to the right request', async () => {
    const s = setup();
    s.recv('client', req(1, 'tools/call', { name: 'first' }));
    s.send('child', req(1, 'tools/call', { name: 'first' }), 1);
    s.recv('client', req(1, 'tools/call', { name: 'second' }));
    s.send('child', req(2, 'tools/call', { name: 'second' }), 1);
    s.at(10);
    s.recv('child', res(2, { content: [] }));
    s.send('client', res(1, { content: [] }), 2);
    s.at(20);
    s.recv('client', note('notifications/cancelled', { requestId: 1, reason: 'user' }));
    s.send('child', note('notifications/cancelled', { requestId: 1, reason: 'user' }), 1);
    const rs = await s.records();
    const f = frames(rs);
    expect(f[5]).toMatchObject({ dir: 'leash->client', call: 2, outcome: 'ok' });
    expect(events(rs, 'cancelled')).toEqual([expect.objectContaining({ call: 1, tool: 'first', by: 'client' })]);
    expect(f[7]).toMatchObject({ dir: 'leash->child', requestId: 1, origId: 1, call: 1 });
    // A client's reason is its own words: not recorded without payloads.
    expect(f[7]).not.toHaveProperty('reason');
  });

  it('follows server-to-client requests and marks mcp-leash\'s own requests', async () => {
    const s = setup();
    s.recv('child', req('s1', 'sampling/createMessage', { messages: [] }));
    s.send('client', req(1, 'sampling/createMessage', { messages: [] }), 's1');
    s.recv('client', res(1, { role: 'assistant', content: { type: 'text', text: 'ok' } }));
    s.send('child', res('s1', { role: 'assistant', content: { type: 'text', text: 'ok' } }), 1);
    s.send('child', req('mcp-leash:ping:1', 'ping'));
    s.recv('child', res('mcp-leash:ping:1', {}));
    const rs = await s.records();
    const f = frames(rs);
    expect(f[0]).toMatchObject({ dir: 'child->leash', kind: 'request', method: 'sampling/createMessage', call: 1 });
    expect(f[1]).toMatchObject({ dir: 'leash->client', id: 1, origId: 's1', call: 1 });
    expect(f[3]).toMatchObject({ dir: 'leash->child', id: 's1', origId: 1, call: 1, outcome: 'ok' });
    expect(f[4]).toMatchObject({ own: true, method: 'ping' });
    expect(f[5]).toMatchObject({ own: true, kind: 'response' });
  });

  it('records a request failed by a server exit and unreadable lines without their content', async () => {
    const s = setup();
    s.recv('client', req(9, 'tools/call', { name: 'crash' }));
    s.send('child', req(1, 'tools/call', { name: 'crash' }), 9);
    s.send('client', { jsonrpc: '2.0', id: 9, error: { code: -32000, message: 'MCP server exited with code 3 before answering' } }, 1);
    s.w.received('client', { kind: 'unparsable', problem: 'json', detail: 'x', preview: 'password=hunter2' }, 16);
    const rs = await s.records();
    expect(frames(rs).find((r) => r.outcome)).toMatchObject({ call: 1, outcome: 'server-exited', errorCode: -32000 });
    expect(frames(rs).find((r) => r.kind === 'unparsable')).toMatchObject({ problem: 'json', bytes: 16 });
    expect(JSON.stringify(rs)).not.toContain('hunter2');
  });

  it('includes params, result and error bodies only with payloads', async () => {
    const without = setup();
    const with_ = setup({ payloads: true });
    for (const s of [without, with_]) {
      s.recv('client', req(1, 'tools/call', { name: 'login', arguments: { password: 'hunter2' } }));
      s.send('child', req(1, 'tools/call', { name: 'login', arguments: { password: 'hunter2' } }), 1);
      s.recv('child', { jsonrpc: '2.0', id: 1, error: { code: -32602, message: 'bad hunter2' } });
      s.send('client', { jsonrpc: '2.0', id: 1, error: { code: -32602, message: 'bad hunter2' } }, 1);
    }
    const a = await without.records();
    const b = await with_.records();
    expect(readFileSync(without.path, 'utf8')).not.toContain('hunter2');
    expect(frames(a)[3]).toMatchObject({ errorCode: -32602, outcome: 'error' });
    expect(frames(b)[0]!.params).toEqual({ name: 'login', arguments: { password: 'hunter2' } });
    expect(frames(b)[3]!.error).toEqual({ code: -32602, message: 'bad hunter2' });
    expect(b[0]).toMatchObject({ event: 'start', payloads: true });
  });

  it('creates the file with mode 0600, and tightens an existing file to 0600', async () => {
    const s = setup();
    await s.records();
    expect(statSync(s.path).mode & 0o777).toBe(0o600);

    const dir = mkdtempSync(join(tmpdir(), 'leash-trace-'));
    const path = join(dir, 'old.jsonl');
    writeFileSync(path, '');
    chmodSync(path, 0o644);
    const w = new TraceWriter(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await w.close();
  });

  it('batches writes off the hot path: nothing is written synchronously', async () => {
    const s = setup();
    for (let i = 0; i < 1000; i++) s.recv('client', note('notifications/message', { level: 'info', data: i }));
    // Only the start line might be on its way; the frames are still in memory.
    expect(readFileSync(s.path, 'utf8')).toBe('');
    const rs = await s.records();
    expect(frames(rs)).toHaveLength(1000);
  });

  it('drops lines (and says so) rather than hold more than its limit in memory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leash-trace-'));
    const path = join(dir, 'small.jsonl');
    const w = new TraceWriter(path, { maxPendingBytes: 2000 });
    const big = note('notifications/message', { level: 'info' });
    // Fill the stream's buffer in one turn, then keep writing in the same turn.
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 50; i++) w.received('client', peek(big), 1000);
      await new Promise((r) => setImmediate(r));
    }
    await w.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as TraceRecord);
    expect(lines.length).toBeLessThan(251);
    for (const l of lines) expect(typeof l.t).toBe('number');
  });
});
