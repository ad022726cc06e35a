// Issue 20 part 3, the bridge's era decision and its own answers (bridge/bridge.ts, envelope.ts,
// handshake.ts): what a 2026-07-28 client and a legacy server see on the wire when mcp-leash runs
// with protocol "bridge".

import { describe, expect, it } from 'vitest';
import { DISCOVER, PROBE_WAIT_MS } from '../../../src/core/era.js';
import { call, Link, note, ok, policy, req, responsesOf } from '../link.js';
import { bridge, CC, CLIENT_INFO, engaged, err, INIT_RESULT, mcall, meta, mreq, PV, SERVER_INFO, SI, V } from './helpers.js';

const INIT = { protocolVersion: '2025-11-25', capabilities: { sampling: {} }, clientInfo: { name: 'old-client', version: '1' } };
const spawns = (l: Link) => l.outputs.filter((o) => o.out.type === 'spawn');

describe('bridge: the era decision', () => {
  it('a client that opens with initialize is relayed exactly as without the bridge', () => {
    const run = (l: Link) => {
      l.client(req(0, 'initialize', INIT)).child(ok(1, INIT_RESULT)).client(note('notifications/initialized'));
      l.client(call(1, 'echo')).child(ok(2, { content: [] }));
      l.child(note('notifications/message', { level: 'info', data: 'hi' }));
      l.child(req(9, 'sampling/createMessage', { messages: [] }));
      l.client(ok(0, { content: { type: 'text', text: 'ok' } }));
      l.client(req(2, 'tools/list')).child(ok(3, { tools: [] }));
      return l.outputs;
    };
    const relayed = run(new Link(policy()));
    const bridged = run(new Link(bridge()));
    expect(bridged).toStrictEqual(relayed);
    expect(relayed.filter((o) => o.out.type === 'send').length).toBeGreaterThan(6);
  });

  it("a first 2026 request sends mcp-leash's own server/discover and is held; a discover result means relay, and the request reaches the child unchanged", () => {
    const l = new Link(bridge());
    l.client(mcall(1, 'echo'));
    expect(l.toChild).toStrictEqual([{ jsonrpc: '2.0', id: expect.stringMatching(/^mcp-leash:/), method: DISCOVER, params: { _meta: meta() } }]);
    expect(l.toClient).toStrictEqual([]);
    l.advance(PROBE_WAIT_MS - 1);
    expect(l.toChild).toHaveLength(1);
    l.child(ok(l.toChild[0]!.id as string, { resultType: 'complete', supportedVersions: [V], capabilities: { tools: {} } }));
    expect(l.toChild.slice(1)).toStrictEqual([{ ...mcall(1, 'echo'), id: 1 }]);
    expect(l.toClient).toStrictEqual([]); // the probe's answer is mcp-leash's own
    // Relay: the server's answer goes back as it is, no completion by the bridge.
    l.child(ok(1, { content: [] }));
    expect(l.toClient).toStrictEqual([{ jsonrpc: '2.0', id: 1, result: { content: [] } }]);
  });

  it('an error to the probe means a legacy server: initialize (2025-11-25, the client\'s capabilities and clientInfo), initialized, then the held request', () => {
    const l = new Link(bridge());
    l.client(mcall(1, 'echo', { sampling: {}, elicitation: {} }));
    l.child(err(l.toChild[0]!.id as string, -32601, 'Method not found'));
    const init = l.toChild[1]!;
    expect(init).toStrictEqual({
      jsonrpc: '2.0',
      id: expect.anything(),
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: { sampling: {}, elicitation: {} }, clientInfo: CLIENT_INFO },
    });
    expect(l.toChild).toHaveLength(2); // the request waits for the handshake
    l.child(ok(init.id as string, INIT_RESULT));
    expect(l.toChild.slice(2)).toStrictEqual([note('notifications/initialized'), { ...mcall(1, 'echo', { sampling: {}, elicitation: {} }), id: 1 }]);
    expect(l.toClient).toStrictEqual([]);
    expect(l.logs.some((g) => g.msg.includes('bridging'))).toBe(true);
  });

  it(`a server silent on the probe for ${PROBE_WAIT_MS} ms is a legacy one`, () => {
    const l = new Link(bridge());
    l.client(mcall(1, 'echo')).advance(PROBE_WAIT_MS - 1);
    expect(l.toChild.map((m) => m.method)).toStrictEqual([DISCOVER]);
    l.advance(1);
    expect(l.toChild.map((m) => m.method)).toStrictEqual([DISCOVER, 'initialize']);
    l.child(ok(l.toChild[1]!.id as string, INIT_RESULT));
    expect(l.toChild.map((m) => m.method)).toStrictEqual([DISCOVER, 'initialize', 'notifications/initialized', 'tools/call']);
  });

  it('a server that exits on the probe is restarted at once (restart "never") and the new one gets the initialize, then the held request', () => {
    const l = new Link(bridge());
    expect(l.session.policy.restart.policy).toBe('never');
    l.client(mcall(1, 'echo')).client(mreq(2, 'tools/list')).childExit({ code: 1, stderrTail: ['unknown method'] });
    expect(l.stops).toHaveLength(0);
    expect(l.toClient).toStrictEqual([]); // the held requests are not failed
    l.advance(0);
    expect(spawns(l)).toHaveLength(1);
    l.childStarted();
    const init = l.toChild.filter((m) => m.method === 'initialize');
    expect(init).toMatchObject([{ params: { protocolVersion: '2025-11-25', clientInfo: CLIENT_INFO } }]);
    l.child(ok(init[0]!.id as string, INIT_RESULT));
    expect(l.toChild.slice(-3).map((m) => m.method)).toStrictEqual(['notifications/initialized', 'tools/call', 'tools/list']);
    expect(l.stops).toHaveLength(0);
  });

  it('serverEra "legacy": no probe, the handshake at once', () => {
    const l = new Link(bridge({ serverEra: 'legacy' }));
    l.client(mcall(1, 'echo'));
    expect(l.toChild.map((m) => m.method)).toStrictEqual(['initialize']);
  });

  it('serverEra "2026": a pure relay, as without the bridge (no probe of its own, no handshake, no completion)', () => {
    const run = (l: Link) => {
      l.client(mcall(1, 'echo')).child(ok(1, { content: [] }));
      l.client(mreq(2, DISCOVER)).child(ok(2, { resultType: 'complete', supportedVersions: [V], capabilities: {} }));
      return l.outputs;
    };
    const bridged = run(new Link(bridge({ serverEra: '2026' })));
    expect(bridged).toStrictEqual(run(new Link(policy({ serverEra: '2026' }))));
    const l = new Link(bridge({ serverEra: '2026' }));
    run(l);
    expect(l.toChild.map((m) => m.method)).not.toContain('initialize');
    expect(responsesOf(l.toClient)[0]).toStrictEqual({ jsonrpc: '2.0', id: 1, result: { content: [] } });
  });
});

describe('bridge: server/discover is answered by mcp-leash', () => {
  const expected = (id: number | string) => ({
    jsonrpc: '2.0',
    id,
    result: {
      supportedVersions: [V],
      capabilities: { tools: { listChanged: true }, prompts: {}, resources: { subscribe: true, listChanged: true }, logging: {} },
      instructions: 'be kind',
      resultType: 'complete',
      ttlMs: 0,
      cacheScope: 'private',
      _meta: { [SI]: SERVER_INFO },
    },
  });

  it("from the server's initialize result, without tasks, never forwarded", () => {
    const l = engaged();
    l.client(mreq(5, DISCOVER));
    expect(l.takeTo('child')).toStrictEqual([]);
    expect(responsesOf(l.toClient).at(-1)).toStrictEqual(expected(5));
  });

  it('as the first request: answered once the handshake is done, the child never sees it', () => {
    const l = new Link(bridge({ serverEra: 'legacy' }));
    l.client(mreq('d', DISCOVER));
    expect(l.toClient).toStrictEqual([]);
    l.child(ok(l.toChild[0]!.id as string, INIT_RESULT));
    expect(l.toClient).toStrictEqual([expected('d')]);
    expect(l.toChild.map((m) => m.method)).toStrictEqual(['initialize', 'notifications/initialized']);
  });
});

describe('bridge: envelope errors never reach the child', () => {
  const cases: Array<[string, object, object]> = [
    ['missing protocolVersion', { _meta: { [CC]: {} } }, { code: -32602 }],
    ['unsupported version', { _meta: { [PV]: '2099-01-01', [CC]: {} } }, { code: -32022, data: { supported: [V], requested: '2099-01-01' } }],
    ['missing clientCapabilities', { _meta: { [PV]: V } }, { code: -32602 }],
    ['unknown logLevel', { _meta: meta({}, { 'io.modelcontextprotocol/logLevel': 'loud' }) }, { code: -32602 }],
  ];
  for (const [what, params, error] of cases) {
    it(what, () => {
      const l = engaged();
      l.client(req(7, 'tools/call', { name: 'echo', arguments: {}, ...params }));
      expect(l.takeTo('client')).toStrictEqual([{ jsonrpc: '2.0', id: 7, error: expect.objectContaining(error) }]);
      l.advance(60_000);
      expect(l.toChild.filter((m) => m.method === 'tools/call')).toStrictEqual([]);
    });
  }

  it('an unsupported version on the very first request: answered -32022, no probe', () => {
    const l = new Link(bridge());
    l.client(req(1, 'tools/list', { _meta: { [PV]: '2026-01-01', [CC]: {} } }));
    expect(l.toClient).toStrictEqual([{ jsonrpc: '2.0', id: 1, error: { code: -32022, message: expect.any(String), data: { supported: [V], requested: '2026-01-01' } } }]);
    expect(l.toChild).toStrictEqual([]);
  });

  it('initialize after the session was bridged is refused', () => {
    const l = engaged();
    l.client(req(3, 'initialize', INIT));
    expect(l.takeTo('client')).toStrictEqual([{ jsonrpc: '2.0', id: 3, error: { code: -32600, message: expect.stringContaining('2026-07-28') } }]);
    expect(l.toChild.filter((m) => m.method === 'initialize')).toHaveLength(1);
  });
});

describe('bridge: health checks', () => {
  it('a bridged session checks the server with ping, never server/discover', () => {
    const l = engaged({ healthCheck: { intervalMs: 1000, misses: 3 } });
    l.advance(3500);
    const own = l.toChild.filter((m) => m.id !== undefined && String(m.id).startsWith('mcp-leash:') && m.method !== 'initialize');
    expect(own.length).toBeGreaterThanOrEqual(3);
    expect(own.every((m) => m.method === 'ping')).toBe(true);
    for (const m of own) l.child(ok(m.id as string, {}));
    expect(l.takeTo('client')).toStrictEqual([]);
  });
});
