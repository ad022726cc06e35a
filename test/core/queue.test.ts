// CONTRACT §7 (concurrency and the queue), on the core alone with a virtual clock.

import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/core/message.js';
import { Link, call, cancel, note, ok, policy, progressOf, req, requestsOf, responsesOf } from './link.js';

const one = (over: Parameters<typeof policy>[0] = {}) => new Link(policy({ maxConcurrency: 1, ...over }));
const argsOf = (m: JsonObject) => (m.params as { arguments: { n: number } }).arguments.n;
const childCalls = (l: Link) => requestsOf(l.toChild).filter((m) => m.method === 'tools/call');

describe('§7 concurrency: the queue', () => {
  it('maxConcurrency 1: the child never sees the second request until the first is answered', () => {
    const l = one();
    l.client(call('a', 't', undefined, { n: 1 })).client(call('b', 't', undefined, { n: 2 })).advance(3_600_000);
    expect(childCalls(l).map(argsOf)).toStrictEqual([1]);
    l.child(ok(1, { r: 1 }));
    expect(childCalls(l).map(argsOf)).toStrictEqual([1, 2]);
    expect(childCalls(l)[1]!.id).toBe(2);
    l.child(ok(2, { r: 2 }));
    expect(responsesOf(l.toClient)).toStrictEqual([
      { jsonrpc: '2.0', id: 'a', result: { r: 1 } },
      { jsonrpc: '2.0', id: 'b', result: { r: 2 } },
    ]);
  });

  it('is FIFO', () => {
    const l = one();
    for (let n = 1; n <= 5; n++) l.client(call(n, 't', undefined, { n }));
    for (let k = 1; k <= 5; k++) l.child(ok(childCalls(l).at(-1)!.id as number, {}));
    expect(childCalls(l).map(argsOf)).toStrictEqual([1, 2, 3, 4, 5]);
    expect(responsesOf(l.toClient).map((m) => m.id)).toStrictEqual([1, 2, 3, 4, 5]);
  });

  it('a cancelled queued request is removed; the child never sees it nor a cancel for it', () => {
    const l = one();
    l.client(call('a', 't', undefined, { n: 1 })).client(call('b', 't', undefined, { n: 2 })).client(call('c', 't', undefined, { n: 3 }));
    l.client(cancel('b', 'never mind'));
    expect(l.toChild).toHaveLength(1);
    l.child(ok(1, {}));
    expect(childCalls(l).map(argsOf)).toStrictEqual([1, 3]);
    l.child(ok(childCalls(l)[1]!.id as number, {}));
    expect(l.toChild.filter((m) => m.method === 'notifications/cancelled')).toStrictEqual([]);
    expect(responsesOf(l.toClient).map((m) => m.id)).toStrictEqual(['a', 'c']);
    expect(l.session.inFlight).toBe(0);
  });

  it('queued requests get heartbeats that say they are queued and their position', () => {
    const l = one({ defaults: { heartbeatMs: 5000 } });
    l.client(call(1, 'busy')).client(call(2, 'second', 'tok2')).client(call(3, 'third', 'tok3')).advance(5000);
    const ps = progressOf(l.toClient);
    expect(ps.map((p) => [p.progressToken, p.message])).toStrictEqual([
      ['tok2', 'mcp-leash: tool "second" is queued (position 1), waiting 5s for a free slot'],
      ['tok3', 'mcp-leash: tool "third" is queued (position 2), waiting 5s for a free slot'],
    ]);
    // Position moves up as the queue drains.
    l.child(ok(1, {})).advance(5000);
    const next = progressOf(l.toClient).slice(2);
    expect(next.find((p) => p.progressToken === 'tok3')!.message).toMatch(/queued \(position 1\)/);
    expect(next.find((p) => p.progressToken === 'tok2')!.message).toMatch(/^mcp-leash: waiting for tool "second"/);
  });

  it('queued time counts toward the total timeout', () => {
    const l = one({ rules: [{ tool: 'slow', totalTimeoutMs: 30_000 }] });
    l.client(call(1, 'other')).client(call(2, 'slow')).advance(20_000).child(ok(1, {}));
    expect(childCalls(l)).toHaveLength(2);
    l.advance(10_000);
    const resps = l.sent('client').filter((s) => 'id' in s.msg);
    expect(resps.map((s) => [s.msg.id, s.t])).toStrictEqual([
      [1, 20_000],
      [2, 30_000],
    ]);
  });

  it('a request that times out while queued never reaches the child and sends no cancel', () => {
    const l = one({ rules: [{ tool: 'slow', totalTimeoutMs: 1000 }] });
    l.client(call(1, 'other')).client(call(2, 'slow')).advance(1000);
    expect(responsesOf(l.toClient)).toMatchObject([{ id: 2, result: { isError: true } }]);
    l.child(ok(1, {}));
    expect(l.toChild).toHaveLength(1);
  });

  it('initialize and ping bypass the queue', () => {
    const l = one();
    l.client(call(1, 'busy')).client(call(2, 'queued'));
    l.client(req('p', 'ping')).client(req('i', 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'c', version: '1' } }));
    expect(l.toChild.map((m) => m.method)).toStrictEqual(['tools/call', 'ping', 'initialize']);
    // Child ids are given on arrival: the queued call holds 2, so ping is 3 and initialize 4.
    expect(l.toChild.map((m) => m.id)).toStrictEqual([1, 3, 4]);
    l.child(ok(3, {})).child(ok(4, {}));
    expect(responsesOf(l.toClient).map((m) => m.id)).toStrictEqual(['p', 'i']);
  });

  it('an unanswered ping does not take the only slot (it is never counted against maxConcurrency)', () => {
    const l = one();
    l.client(req('p', 'ping')).client(call(1, 'work'));
    expect(l.toChild.map((m) => m.method)).toStrictEqual(['ping', 'tools/call']);
  });

  it('notifications and responses never wait in the queue', () => {
    const l = one();
    l.client(call(1, 'busy')).client(call(2, 'queued'));
    l.client(note('notifications/roots/list_changed'));
    l.child(req('s', 'roots/list'));
    l.client(ok(requestsOf(l.toClient)[0]!.id as number, { roots: [] }));
    expect(l.toChild.slice(1)).toStrictEqual([note('notifications/roots/list_changed'), { jsonrpc: '2.0', id: 's', result: { roots: [] } }]);
  });

  it('other methods than tools/call also take a slot and wait', () => {
    const l = one();
    l.client(call(1, 'busy')).client(req(2, 'tools/list'));
    expect(l.toChild).toHaveLength(1);
    l.child(ok(1, {}));
    expect(l.toChild[1]).toMatchObject({ id: 2, method: 'tools/list' });
  });
});

describe('§7 concurrency: per-tool limits', () => {
  it("a rule's maxConcurrency does not block other tools", () => {
    const l = new Link(policy({ rules: [{ tool: 'heavy', maxConcurrency: 1 }] }));
    l.client(call(1, 'heavy', undefined, { n: 1 })).client(call(2, 'heavy', undefined, { n: 2 })).client(call(3, 'light', undefined, { n: 3 }));
    expect(childCalls(l).map(argsOf)).toStrictEqual([1, 3]);
    l.child(ok(3, {}));
    expect(childCalls(l).map(argsOf)).toStrictEqual([1, 3]);
    l.child(ok(1, {}));
    expect(childCalls(l).map(argsOf)).toStrictEqual([1, 3, 2]);
  });

  it('under a global limit, a blocked tool lets a later request of another tool take the free slot', () => {
    const l = new Link(policy({ maxConcurrency: 2, rules: [{ tool: 'heavy', maxConcurrency: 1 }] }));
    l.client(call(1, 'heavy', undefined, { n: 1 })).client(call(2, 'heavy', undefined, { n: 2 }));
    l.client(call(3, 'light', undefined, { n: 3 })).client(call(4, 'light', undefined, { n: 4 }));
    expect(childCalls(l).map(argsOf)).toStrictEqual([1, 3]);
    l.child(ok(3, {})); // light 3 done: heavy 2 still blocked, light 4 goes
    expect(childCalls(l).map(argsOf)).toStrictEqual([1, 3, 4]);
    l.child(ok(1, {})); // heavy 1 done: heavy 2 goes
    expect(childCalls(l).map(argsOf)).toStrictEqual([1, 3, 4, 2]);
  });

  it('a glob rule limits all the tools it matches together', () => {
    const l = new Link(policy({ rules: [{ tool: 'db_*', maxConcurrency: 1 }] }));
    l.client(call(1, 'db_read', undefined, { n: 1 })).client(call(2, 'db_write', undefined, { n: 2 }));
    expect(childCalls(l).map(argsOf)).toStrictEqual([1]);
    l.child(ok(1, {}));
    expect(childCalls(l).map(argsOf)).toStrictEqual([1, 2]);
  });
});

describe('§7 concurrency: slots are freed exactly once', () => {
  it('by a cancel: one queued request starts, and a second cancel or a late answer starts no other', () => {
    const l = one();
    for (let n = 1; n <= 3; n++) l.client(call(n, 't', undefined, { n }));
    l.client(cancel(1, 'stop'));
    expect(childCalls(l).map(argsOf)).toStrictEqual([1, 2]);
    l.client(cancel(1, 'again')).child(ok(1, {}));
    expect(childCalls(l).map(argsOf)).toStrictEqual([1, 2]);
    l.child(ok(2, {}));
    expect(childCalls(l).map(argsOf)).toStrictEqual([1, 2, 3]);
  });

  it('by a timeout: one queued request starts, and the late answer starts no other', () => {
    const l = one({ rules: [{ tool: 'slow', totalTimeoutMs: 1000 }] });
    l.client(call(1, 'slow', undefined, { n: 1 })).client(call(2, 't', undefined, { n: 2 })).client(call(3, 't', undefined, { n: 3 }));
    l.advance(1000);
    expect(childCalls(l).map(argsOf)).toStrictEqual([1, 2]);
    l.child(ok(1, {}));
    expect(childCalls(l).map(argsOf)).toStrictEqual([1, 2]);
  });

  it('a timed-out or cancelled queued request frees nothing (it held no slot)', () => {
    const l = new Link(policy({ maxConcurrency: 2, rules: [{ tool: 'slow', totalTimeoutMs: 1000 }] }));
    l.client(call(1, 'a', undefined, { n: 1 })).client(call(2, 'a', undefined, { n: 2 }));
    l.client(call(3, 'slow', undefined, { n: 3 })).client(call(4, 'a', undefined, { n: 4 })).client(call(5, 'a', undefined, { n: 5 }));
    l.client(cancel(4)).advance(1000); // 4 cancelled, 3 timed out, both while queued
    expect(childCalls(l).map(argsOf)).toStrictEqual([1, 2]);
    l.child(ok(1, {}));
    expect(childCalls(l).map(argsOf)).toStrictEqual([1, 2, 5]);
  });
});
