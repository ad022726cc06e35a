// CONTRACT §8 (restart and health parts), issue 5: restart with backoff and a cap, replaying the
// client's initialize; health pings of mcp-leash's own that never reach the client.

import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../src/policy/types.js';
import { call, Link, policy, req } from './link.js';

const restartPolicy = (over: Partial<typeof DEFAULT_POLICY.restart> = {}) =>
  policy({ restart: { ...DEFAULT_POLICY.restart, policy: 'on-failure', initialBackoffMs: 100, maxBackoffMs: 1000, maxRestarts: 3, windowMs: 10_000, ...over } });

const INIT_PARAMS = { protocolVersion: '2025-06-18', capabilities: { roots: {} }, clientInfo: { name: 'c', version: '1' } };

function initialized(l: Link, caps: object = { tools: { listChanged: true } }): Link {
  l.client(req(0, 'initialize', INIT_PARAMS)).child({ jsonrpc: '2.0', id: 1, result: { protocolVersion: '2025-06-18', capabilities: caps, serverInfo: { name: 's', version: '1' } } });
  l.client({ jsonrpc: '2.0', method: 'notifications/initialized' });
  return l;
}

const spawns = (l: Link) => l.outputs.filter((o) => o.out.type === 'spawn');
/** A kill is SIGTERM to the group (SIGKILL follows after termGrace unless the child exits). */
const kills = (l: Link) => l.outputs.filter((o) => o.out.type === 'signal-child' && o.out.signal === 'SIGTERM');

describe('§8 restart on failure', () => {
  it('fails the running call with -32000, keeps queued ones, and asks for a new child after the backoff', () => {
    const l = initialized(new Link(restartPolicy({}), 0));
    l.client(call('a', 'slow')).take();
    l.childExit({ code: 1, stderrTail: ['boom'] });
    const out = l.takeTo('client');
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ id: 'a', error: { code: -32000 } });
    expect(l.stops).toHaveLength(0);
    l.advance(99);
    expect(spawns(l)).toHaveLength(0);
    l.advance(1);
    expect(spawns(l)).toHaveLength(1);
    expect(spawns(l)[0]!.t).toBe(100);
  });

  it('replays the client\'s initialize and initialized, swallows the answer, then runs what waited', () => {
    const l = initialized(new Link(restartPolicy({}), 0));
    l.childExit({ code: 1 }).advance(100);
    l.client(call('b', 'echo')).take(); // arrives while the child is being replaced: waits
    l.childStarted();
    const all = l.toChild;
    const init = all.filter((m) => m.method === 'initialize');
    expect(init).toHaveLength(2);
    expect(init[1]!.params).toStrictEqual(INIT_PARAMS);
    expect(typeof init[1]!.id).toBe('string');
    expect(String(init[1]!.id)).toMatch(/^mcp-leash:/);
    l.take();
    // The new child answers the replayed initialize: nothing reaches the client, the queued call goes out.
    l.child({ jsonrpc: '2.0', id: init[1]!.id, result: { protocolVersion: '2025-06-18', capabilities: { tools: { listChanged: true } }, serverInfo: { name: 's', version: '1' } } });
    const toChild = l.takeTo('child');
    expect(toChild.map((m) => m.method)).toStrictEqual(['notifications/initialized', 'tools/call']);
    expect(l.toClient.filter((m) => m.id === init[1]!.id)).toHaveLength(0);
    const callId = toChild[1]!.id;
    l.child({ jsonrpc: '2.0', id: callId, result: { content: [] } });
    expect(l.takeTo('client')).toStrictEqual([{ jsonrpc: '2.0', id: 'b', result: { content: [] } }]);
  });

  it('backs off exponentially and gives up after maxRestarts within the window, answering with an error', () => {
    const l = initialized(new Link(restartPolicy({ maxRestarts: 2 }), 0));
    const times: number[] = [];
    for (let i = 0; i < 2; i++) {
      l.childExit({ code: 1 });
      const before = l.t;
      l.advance(10_000 - 1 - (l.t % 10_000) > 5000 ? 5000 : 1000);
      times.push(spawns(l).at(-1)!.t - before);
      l.childStarted();
      const init = l.toChild.filter((m) => m.method === 'initialize').at(-1)!;
      l.child({ jsonrpc: '2.0', id: init.id, result: { protocolVersion: '2025-06-18', capabilities: { tools: { listChanged: true } }, serverInfo: { name: 's', version: '1' } } });
    }
    expect(times).toStrictEqual([100, 200]);
    l.childExit({ code: 1 });
    expect(spawns(l)).toHaveLength(2);
    l.take();
    l.client(call('late', 'echo'));
    const [answer] = l.takeTo('client');
    expect(answer).toMatchObject({ id: 'late', error: { code: -32000 } });
    expect(String((answer!.error as { message: string }).message)).toMatch(/stopped restarting/);
  });

  it('with onGiveUp "exit" stops with the child\'s code once the cap is reached', () => {
    const l = initialized(new Link(restartPolicy({ maxRestarts: 0, onGiveUp: 'exit' }), 0));
    l.childExit({ code: 4 });
    expect(l.stops).toStrictEqual([{ type: 'exit', code: 4, reason: 'child exited', graceMs: 2000 }]);
  });

  it('tells the client the tool list changed when the restarted child lists other tools', () => {
    const l = initialized(new Link(restartPolicy({}), 0));
    l.client(req('L', 'tools/list', {}));
    const listId = l.toChild.at(-1)!.id;
    l.child({ jsonrpc: '2.0', id: listId, result: { tools: [{ name: 'a', inputSchema: { type: 'object' } }] } });
    l.childExit({ code: 1 }).advance(100);
    l.childStarted();
    const init = l.toChild.filter((m) => m.method === 'initialize').at(-1)!;
    l.child({ jsonrpc: '2.0', id: init.id, result: { protocolVersion: '2025-06-18', capabilities: { tools: { listChanged: true } }, serverInfo: { name: 's', version: '1' } } });
    const check = l.toChild.at(-1)!;
    expect(check.method).toBe('tools/list');
    l.take();
    l.child({ jsonrpc: '2.0', id: check.id, result: { tools: [{ name: 'b', inputSchema: { type: 'object' } }] } });
    expect(l.takeTo('client')).toStrictEqual([{ jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: {} }]);
  });

  it('restart "never" (the default) stops with the child\'s exit code', () => {
    const l = initialized(new Link(policy(), 0));
    l.childExit({ code: 3 });
    expect(l.stops).toStrictEqual([{ type: 'exit', code: 3, reason: 'child exited', graceMs: 2000 }]);
    expect(spawns(l)).toHaveLength(0);
  });
});

describe('§8 health pings', () => {
  const healthy = () => initialized(new Link(policy({ healthCheck: { intervalMs: 1000, misses: 3 } }), 0));

  it('pings with ids of its own and never shows the answers to the client', () => {
    const l = healthy();
    l.take();
    l.advance(1000);
    const [ping] = l.takeTo('child');
    expect(ping).toMatchObject({ method: 'ping' });
    expect(String(ping!.id)).toMatch(/^mcp-leash:ping:/);
    l.child({ jsonrpc: '2.0', id: ping!.id, result: {} });
    expect(l.takeTo('client')).toStrictEqual([]);
    // A child that keeps answering is never killed.
    for (let i = 0; i < 10; i++) {
      l.advance(1000);
      const p = l.takeTo('child').find((m) => m.method === 'ping')!;
      l.child({ jsonrpc: '2.0', id: p.id, result: {} });
    }
    expect(kills(l)).toHaveLength(0);
    expect(l.takeTo('client')).toStrictEqual([]);
  });

  it('kills a child that misses `misses` pings in a row', () => {
    const l = healthy();
    l.advance(1000); // first ping
    l.advance(2999);
    expect(kills(l)).toHaveLength(0);
    l.advance(1);
    expect(kills(l)).toHaveLength(1);
    expect(kills(l)[0]!.t).toBe(4000);
    expect(l.toClient.filter((m) => m.method === 'ping' || String(m.id ?? '').startsWith('mcp-leash'))).toStrictEqual([]);
  });

  it('sends no pings before the client initialized', () => {
    const l = new Link(policy({ healthCheck: { intervalMs: 1000, misses: 3 } }), 0);
    l.advance(10_000);
    expect(l.toChild).toStrictEqual([]);
  });
});

describe('§8 restart before the session exists', () => {
  it('does not replay an initialize the dead child never answered; the client\'s own retry is the only one', () => {
    const l = new Link(restartPolicy({}), 0);
    l.client(req('i1', 'initialize', INIT_PARAMS));
    l.childExit({ code: 4 });
    expect(l.toClient.at(-1)).toMatchObject({ id: 'i1', error: { code: -32000 } });
    l.advance(100).childStarted();
    expect(l.toChild.filter((m) => m.method === 'initialize')).toHaveLength(1); // only the first child's
    l.client(req('i2', 'initialize', INIT_PARAMS));
    const inits = l.toChild.filter((m) => m.method === 'initialize');
    expect(inits).toHaveLength(2);
    expect(typeof inits[1]!.id).toBe('number');
  });
});
