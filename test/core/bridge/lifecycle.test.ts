// Issue 20 part 3, the bridge across the server's life: a probe-decided legacy server, restarts,
// a server that is gone, and the end of the session.

import { describe, expect, it } from 'vitest';
import { DISCOVER, PROBE_WAIT_MS } from '../../../src/core/era.js';
import type { RequestId } from '../../../src/core/message.js';
import { Link, note, ok, responsesOf } from '../link.js';
import { bridge, DEFAULT_POLICY, engaged, err, INIT_RESULT, mcall, mreq, SERVER_INFO, SI, SUB } from './helpers.js';

const restartable = { restart: { ...DEFAULT_POLICY.restart, policy: 'on-failure' as const, initialBackoffMs: 0 } };
const lastAtChild = (l: Link, method: string) => l.toChild.filter((m) => m.method === method).at(-1)!;

describe('bridge: a server found legacy by the probe', () => {
  it("a client whose first request is server/discover gets mcp-leash's answer after the handshake, not the server's error", () => {
    const l = new Link(bridge());
    l.client(mreq('d', DISCOVER));
    l.child(err(l.toChild[0]!.id as string, -32601, 'Method not found'));
    expect(l.toClient).toStrictEqual([]);
    l.child(ok(lastAtChild(l, 'initialize').id as string, INIT_RESULT));
    expect(l.toClient).toMatchObject([{ id: 'd', result: { supportedVersions: ['2026-07-28'], resultType: 'complete', _meta: { [SI]: SERVER_INFO } } }]);
    expect(l.toChild.filter((m) => m.method === DISCOVER)).toHaveLength(1); // the probe only
  });

  it('health checks are pings once the probe found a legacy server (silent on it)', () => {
    const l = new Link(bridge({ healthCheck: { intervalMs: 1000, misses: 3 } }));
    l.client(mcall(1, 'echo')).advance(PROBE_WAIT_MS);
    l.child(ok(lastAtChild(l, 'initialize').id as string, INIT_RESULT)).advance(2500);
    const after = l.toChild.slice(l.toChild.findIndex((m) => m.method === 'initialize') + 1);
    expect(after.map((m) => m.method)).toStrictEqual(['notifications/initialized', 'tools/call', 'ping', 'ping']);
  });
});

describe("bridge: a server that fails mcp-leash's handshake", () => {
  it('silent past the startup limit: stopped, with a warning that names the bridge, not a restart; the held call fails', () => {
    const l = new Link(bridge({ serverEra: 'legacy', startupTimeoutMs: 10_000 }));
    l.client(mcall(1, 'echo')).advance(9_999);
    expect(l.outputs.some((o) => o.out.type === 'signal-child')).toBe(false);
    l.advance(1);
    const warn = l.logs.filter((g) => g.level === 'warn').map((g) => g.msg);
    expect(warn[0]).toContain('protocol "bridge"');
    expect(warn.join(' ')).not.toContain('restarted');
    expect(l.outputs.some((o) => o.out.type === 'signal-child')).toBe(true);
    l.childExit({ code: null, signal: 'SIGTERM' });
    expect(responsesOf(l.toClient)).toMatchObject([{ id: 1, error: { code: -32000 } }]);
  });

  it('refusing it: stopped, with a warning that names the bridge', () => {
    const l = new Link(bridge({ serverEra: 'legacy' }));
    l.client(mcall(1, 'echo'));
    l.child(err(lastAtChild(l, 'initialize').id as string, -32602, 'unsupported protocol version'));
    const warn = l.logs.filter((g) => g.level === 'warn').map((g) => g.msg);
    expect(warn[0]).toContain('protocol "bridge"');
    expect(warn[0]).toContain('refused');
    expect(l.outputs.some((o) => o.out.type === 'signal-child')).toBe(true);
  });
});

describe('bridge: restarts', () => {
  it('a restarted server gets the handshake again; tools that differ reach only the listens that asked, tagged', () => {
    const l = engaged(restartable);
    l.client(mreq(5, 'tools/list'));
    l.child(ok(lastAtChild(l, 'tools/list').id as RequestId, { tools: [{ name: 'a', inputSchema: { type: 'object' } }] }));
    l.client(mreq(6, 'subscriptions/listen', { notifications: { toolsListChanged: true } }));
    l.client(mreq(7, 'subscriptions/listen', { notifications: { promptsListChanged: true } }));
    l.take();
    l.childExit({ code: 1 }).advance(0).childStarted();
    const init = lastAtChild(l, 'initialize');
    expect(init).toMatchObject({ params: { protocolVersion: '2025-11-25' } });
    l.child(ok(init.id as string, INIT_RESULT));
    const check = lastAtChild(l, 'tools/list');
    expect(String(check.id)).toMatch(/^mcp-leash:/);
    l.take();
    l.child(ok(check.id as string, { tools: [{ name: 'b', inputSchema: { type: 'object' } }] }));
    expect(l.takeTo('client')).toStrictEqual([{ jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: { [SUB]: 6 } } }]);
  });

  it('a server that crashes while a call waits for its retry: the retry gets -32000, the new server no stray answer', () => {
    const l = engaged(restartable);
    l.client(mcall(40, 'ask', { sampling: {} }));
    l.child({ jsonrpc: '2.0', id: 100, method: 'sampling/createMessage', params: { messages: [], maxTokens: 1 } });
    const state = (responsesOf(l.toClient).find((m) => m.id === 40)!.result as { requestState: string }).requestState;
    l.childExit({ code: 1 }).advance(0).childStarted();
    l.child(ok(lastAtChild(l, 'initialize').id as string, INIT_RESULT));
    l.take();
    const answer = { role: 'assistant', content: { type: 'text', text: 'x' }, model: 'm' };
    l.client(mreq(41, 'tools/call', { name: 'ask', arguments: {}, requestState: state, inputResponses: { 'input-1': answer } }, { sampling: {} }));
    expect(l.takeTo('client')).toMatchObject([{ id: 41, error: { code: -32000 } }]);
    expect(l.toChild.filter((m) => m.id === 100)).toStrictEqual([]);
    expect(l.session.inFlight).toBe(0);
  });

  it('server/discover while the server restarts is answered at once from the last handshake', () => {
    const l = engaged(restartable);
    l.childExit({ code: 1 });
    l.take();
    l.client(mreq('d', DISCOVER));
    expect(responsesOf(l.takeTo('client'))).toMatchObject([{ id: 'd', result: { resultType: 'complete', _meta: { [SI]: SERVER_INFO } } }]);
  });

  it('server/discover once mcp-leash gave up on the server gets the same -32000 as every other request', () => {
    const l = engaged({ restart: { ...DEFAULT_POLICY.restart, policy: 'on-failure', maxRestarts: 0, onGiveUp: 'error' } });
    l.childExit({ code: 1 }).advance(0);
    l.take();
    l.client(mreq('d', DISCOVER)).client(mcall(3, 'echo'));
    expect(responsesOf(l.takeTo('client'))).toMatchObject([
      { id: 'd', error: { code: -32000 } },
      { id: 3, error: { code: -32000 } },
    ]);
    expect(l.toChild.filter((m) => m.method === DISCOVER)).toStrictEqual([]);
  });
});

describe('bridge: the end of the session', () => {
  const busy = () => {
    const l = engaged();
    l.client(mcall(40, 'ask', { sampling: {} }));
    l.child({ jsonrpc: '2.0', id: 100, method: 'sampling/createMessage', params: { messages: [], maxTokens: 1 } });
    l.client(mreq(6, 'subscriptions/listen', { notifications: { toolsListChanged: true } }));
    l.take();
    return l;
  };

  it('client EOF with a call waiting for its retry and a listen open: the server is stopped, mcp-leash exits 0', () => {
    const l = busy();
    l.eof();
    expect(l.take().map((s) => s.out.type)).toContain('close-child-stdin');
    l.childExit({ code: 0 }).advance(60_000);
    expect(l.stops).toMatchObject([{ code: 0 }]);
    expect(l.toClient.some((m) => m.method === 'sampling/createMessage')).toBe(false);
  });

  it('SIGTERM in the same state: exit 129, and the server\'s request never reaches the client', () => {
    const l = busy();
    l.signal('SIGTERM', 1).advance(60_000).childExit({ code: 0 }).advance(60_000);
    expect(l.stops).toMatchObject([{ code: 129 }]);
    expect(l.toClient.filter((m) => 'method' in m).map((m) => m.method)).toStrictEqual(['notifications/subscriptions/acknowledged']);
  });
});
