// CONTRACT §13 (protocol eras), issue 20 parts 1 and 2, on the core alone with a virtual clock:
// the era learnt from the traffic, resultType on mcp-leash's own results in 2026, server/discover
// bounded by the startup limit and the probe wait, probes that never stall or break, health checks
// in both eras, and nothing sent before the client's first message.

import { describe, expect, it } from 'vitest';
import { DISCOVER, Eras, PROBE_WAIT_MS, requestEra } from '../../src/core/era.js';
import { DEFAULT_POLICY, type ServerEra } from '../../src/policy/types.js';
import { call, Link, ok, policy, req, responsesOf } from './link.js';

const V = '2026-07-28';
const envelope = (extra: object = {}) => ({ _meta: { 'io.modelcontextprotocol/protocolVersion': V, 'io.modelcontextprotocol/clientCapabilities': {}, ...extra } });
const discover = (id: string | number) => req(id, DISCOVER, envelope());
const modernCall = (id: string | number, tool: string) => req(id, 'tools/call', { name: tool, arguments: {}, ...envelope() });
const INIT = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } };
const INIT_RESULT = { protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 's', version: '1' } };
const DISCOVER_RESULT = { resultType: 'complete', supportedVersions: [V], capabilities: { tools: {} } };

const withEra = (serverEra: ServerEra, over: Parameters<typeof policy>[0] = {}) => policy({ serverEra, ...over });
const spawns = (l: Link) => l.outputs.filter((o) => o.out.type === 'spawn');

describe('§13 the era comes from the traffic', () => {
  it('a request with the 2026 envelope is modern, initialize is legacy, anything else says nothing', () => {
    expect(requestEra('tools/list', envelope())).toBe('modern');
    expect(requestEra(DISCOVER, envelope())).toBe('modern');
    expect(requestEra('initialize', INIT)).toBe('legacy');
    expect(requestEra('tools/list', {})).toBeUndefined();
    expect(requestEra('tools/list', { _meta: { progressToken: 1 } })).toBeUndefined();
    const eras = new Eras('auto');
    eras.fromClient('tools/list', {});
    expect(eras.client).toBeUndefined();
    expect(eras.fromClient(DISCOVER, envelope())).toBe(true);
    expect(eras.client).toBe('modern');
    // The fallback: a probe, then initialize, is a legacy session; a later probe does not undo it.
    expect(eras.fromClient('initialize', INIT)).toBe(false);
    expect(eras.client).toBe('legacy');
    eras.fromClient(DISCOVER, envelope());
    expect(eras.client).toBe('legacy');
  });

  it('the child is modern once it answers server/discover with a result, legacy once it answers initialize', () => {
    const a = new Eras('auto');
    a.childAnswered(DISCOVER, { jsonrpc: '2.0', id: 1, error: { code: -32601, message: 'x' } });
    expect(a.child).toBeUndefined();
    a.childAnswered('initialize', ok(2, INIT_RESULT));
    expect(a.child).toBe('legacy');
    const m = new Eras('auto');
    m.childAnswered(DISCOVER, ok(1, DISCOVER_RESULT));
    expect(m.child).toBe('modern');
    expect(new Eras('2026').child).toBe('modern');
  });
});

describe('§13 resultType on the results mcp-leash writes itself', () => {
  const slow = (serverEra: ServerEra = 'auto') => withEra(serverEra, { rules: [{ tool: 'slow', totalTimeoutMs: 1000 }] });

  it('a 2026 tools/call that times out gets an isError result with resultType "complete"', () => {
    const l = new Link(slow());
    l.client(modernCall(7, 'slow')).advance(1000);
    const [resp] = responsesOf(l.toClient);
    expect(resp).toMatchObject({ id: 7, result: { resultType: 'complete', isError: true, content: [{ type: 'text' }] } });
  });

  it('a legacy tools/call that times out gets the same result without resultType (transparent for 2025 clients)', () => {
    const l = new Link(slow());
    l.client(call(7, 'slow')).advance(1000);
    const [resp] = responsesOf(l.toClient);
    expect(resp).toMatchObject({ id: 7, result: { isError: true } });
    expect(resp!.result).not.toHaveProperty('resultType');
  });

  it('task results mcp-leash writes carry resultType for a 2026 request', () => {
    const l = new Link(policy({ tasks: 'auto' }));
    l.client(req(0, 'initialize', INIT)).child(ok(1, INIT_RESULT));
    l.client(req(1, 'tools/call', { name: 't', arguments: {}, task: {}, ...envelope() }));
    const first = responsesOf(l.toClient).find((m) => m.id === 1)!;
    expect(first.result).toMatchObject({ resultType: 'complete', task: { status: 'working' } });
    l.client(req(2, 'tasks/list', envelope())).client(req(3, 'tasks/list', {}));
    const lists = responsesOf(l.toClient).filter((m) => m.id === 2 || m.id === 3);
    expect(lists[0]!.result).toHaveProperty('resultType', 'complete');
    expect(lists[1]!.result).not.toHaveProperty('resultType');
  });
});

describe('§13 server/discover is bounded by the startup limit, never by request timeouts', () => {
  it('a slow 2026 server (serverEra "2026") answers the probe after the request timeout and it still goes through', () => {
    const l = new Link(withEra('2026', { defaults: { ...DEFAULT_POLICY.defaults, totalTimeoutMs: 1000 }, startupTimeoutMs: 30_000 }));
    l.client(discover('server-discover-probe-1')).advance(20_000);
    expect(l.toClient).toStrictEqual([]);
    const id = l.toChild[0]!.id;
    l.child(ok(id as number, DISCOVER_RESULT));
    expect(l.toClient).toStrictEqual([{ jsonrpc: '2.0', id: 'server-discover-probe-1', result: DISCOVER_RESULT }]);
    expect(l.stops).toHaveLength(0);
  });

  it('a 2026 server that never answers the probe gets -32001 at the startup limit and is stopped', () => {
    const l = new Link(withEra('2026', { startupTimeoutMs: 30_000 }));
    l.client(discover(1)).advance(29_999);
    expect(l.toClient).toStrictEqual([]);
    l.advance(1);
    expect(responsesOf(l.toClient)[0]).toMatchObject({ id: 1, error: { code: -32001 } });
    expect(l.outputs.some((o) => o.out.type === 'close-child-stdin')).toBe(true);
  });

  it('a 2026 client that sends a tool call first: the startup limit bounds the first answer', () => {
    const l = new Link(withEra('auto', { startupTimeoutMs: 10_000 }));
    l.client(modernCall(1, 'x')).advance(9_999);
    expect(l.toClient).toStrictEqual([]);
    l.advance(1);
    const [resp] = responsesOf(l.toClient);
    expect(resp).toMatchObject({ id: 1, error: { code: -32001, message: expect.stringContaining('startup limit'), data: { startup: true } } });
    expect(l.outputs.some((o) => o.out.type === 'close-child-stdin')).toBe(true);
  });

  it('a first 2026 request is followed by a server/discover of mcp-leash\'s own; its answer ends the watch, so a long first tool call lives on', () => {
    const l = new Link(withEra('auto', { startupTimeoutMs: 10_000 }));
    l.client(modernCall(1, 'long'));
    const [first, check] = l.toChild;
    expect(first).toMatchObject({ id: 1, method: 'tools/call' });
    expect(check).toStrictEqual({
      jsonrpc: '2.0',
      id: expect.stringMatching(/^mcp-leash:start:/),
      method: DISCOVER,
      params: { _meta: { 'io.modelcontextprotocol/protocolVersion': V, 'io.modelcontextprotocol/clientCapabilities': {} } },
    });
    l.child(ok(check!.id as string, DISCOVER_RESULT)).advance(120_000);
    expect(l.toClient).toStrictEqual([]); // the check's answer is mcp-leash's own
    expect(l.stops).toHaveLength(0);
    l.child(ok(1, { resultType: 'complete', content: [] }));
    expect(responsesOf(l.toClient).map((m) => m.id)).toStrictEqual([1]);
  });

  it('nothing of the kind for a legacy first request (initialize carries the startup limit itself)', () => {
    const l = new Link(withEra('auto', { startupTimeoutMs: 10_000 }));
    l.client(call(1, 'x')).advance(60_000);
    expect(l.toChild.map((m) => m.method)).toStrictEqual(['tools/call']);
    expect(l.stops).toHaveLength(0);
  });

  it('once the child answered, a later 2026 call is not bound by the startup limit', () => {
    const l = new Link(withEra('auto', { startupTimeoutMs: 10_000 }));
    l.client(modernCall(1, 'x')).child(ok(1, { resultType: 'complete', content: [] }));
    l.client(modernCall(2, 'x')).advance(60_000);
    expect(responsesOf(l.toClient).map((m) => m.id)).toStrictEqual([1]);
  });
});

describe('§13 a probe never stalls or breaks (serverEra "auto")', () => {
  it("relays the server's own answer to the probe, error or result, unchanged", () => {
    const l = new Link(withEra('auto'));
    l.client(discover('p'));
    const err = { code: -32601, message: 'Method not found' };
    l.child({ jsonrpc: '2.0', id: l.toChild[0]!.id, error: err });
    expect(l.toClient).toStrictEqual([{ jsonrpc: '2.0', id: 'p', error: err }]);
  });

  it(`a silent server: after ${PROBE_WAIT_MS} ms mcp-leash answers a non-modern error (-32601), and initialize goes through`, () => {
    const l = new Link(withEra('auto', { defaults: { ...DEFAULT_POLICY.defaults, totalTimeoutMs: 1000 } }));
    l.client(discover('p')).advance(PROBE_WAIT_MS - 1);
    expect(l.toClient).toStrictEqual([]);
    l.advance(1);
    const [resp] = responsesOf(l.toClient);
    expect(resp).toMatchObject({ id: 'p', error: { code: -32601, data: { method: DISCOVER, waitedMs: PROBE_WAIT_MS } } });
    expect(resp).not.toHaveProperty('result');
    // Nothing of mcp-leash's own went to the child (no cancel, no ping): only the probe itself.
    expect(l.toChild.map((m) => m.method)).toStrictEqual([DISCOVER]);
    l.client(req(0, 'initialize', INIT));
    const init = l.toChild[1]!;
    expect(init.method).toBe('initialize');
    l.child(ok(init.id as number, INIT_RESULT));
    expect(responsesOf(l.toClient).at(-1)).toStrictEqual({ jsonrpc: '2.0', id: 0, result: INIT_RESULT });
    expect(l.stops).toHaveLength(0);
  });

  it('a late discover result after mcp-leash answered the probe is dropped with a warning that names serverEra', () => {
    const l = new Link(withEra('auto'));
    l.client(discover('p')).advance(PROBE_WAIT_MS);
    l.take();
    l.child(ok(l.toChild[0]!.id as number, DISCOVER_RESULT));
    expect(l.takeTo('client')).toStrictEqual([]);
    expect(l.logs.some((g) => g.level === 'warn' && g.msg.includes('"serverEra": "2026"'))).toBe(true);
  });

  it('the probe wait never exceeds the startup limit', () => {
    const l = new Link(withEra('auto', { startupTimeoutMs: 2000 }));
    l.client(discover('p')).advance(2000);
    expect(responsesOf(l.toClient)[0]).toMatchObject({ id: 'p', error: { code: -32601 } });
  });

  it('once the child answered a probe with a result, later probes wait only for the startup limit', () => {
    const l = new Link(withEra('auto'));
    l.client(discover('a')).child(ok(l.toChild[0]!.id as number, DISCOVER_RESULT));
    l.client(discover('b')).advance(PROBE_WAIT_MS * 2);
    expect(responsesOf(l.toClient).map((m) => m.id)).toStrictEqual(['a']);
  });

  it('a legacy server that exits on the probe: the probe gets -32000, the server is restarted at once (restart off), initialize goes through', () => {
    const l = new Link(withEra('auto'));
    expect(l.session.policy.restart.policy).toBe('never');
    l.client(discover('p')).childExit({ code: 1, stderrTail: ['unknown method'] });
    expect(responsesOf(l.toClient)[0]).toMatchObject({ id: 'p', error: { code: -32000 } });
    expect(l.stops).toHaveLength(0);
    l.advance(0);
    expect(spawns(l)).toHaveLength(1);
    l.client(req(0, 'initialize', INIT)); // the client's fallback, while the new child starts: it waits
    l.childStarted();
    const init = l.toChild.filter((m) => m.method === 'initialize');
    expect(init).toHaveLength(1);
    expect(init[0]!.id).toBe(2);
    l.child(ok(2, INIT_RESULT));
    expect(responsesOf(l.toClient).at(-1)).toStrictEqual({ jsonrpc: '2.0', id: 0, result: INIT_RESULT });
  });

  it('the free restart does not count: a later crash still gets the whole restart budget', () => {
    const l = new Link(withEra('auto', { restart: { ...DEFAULT_POLICY.restart, policy: 'on-failure', maxRestarts: 1, initialBackoffMs: 100 } }));
    l.client(discover('p')).childExit({ code: 1 }).advance(0).childStarted();
    l.client(req(0, 'initialize', INIT)).child(ok(2, INIT_RESULT));
    l.childExit({ code: 1 });
    expect(l.stops).toHaveLength(0);
    l.advance(100);
    expect(spawns(l)).toHaveLength(2);
  });

  it('a child that dies on a second probe without answering anything is left to the restart policy', () => {
    const l = new Link(withEra('auto'));
    l.client(discover('p')).childExit({ code: 1 }).advance(0).childStarted();
    l.client(discover('q')).childExit({ code: 1 });
    expect(spawns(l)).toHaveLength(1);
    expect(l.stops).toHaveLength(1);
  });

  it('a child that dies on a probe when the user said it speaks 2026 is a plain crash', () => {
    const l = new Link(withEra('2026'));
    l.client(discover('p')).childExit({ code: 1 });
    expect(spawns(l)).toHaveLength(0);
    expect(l.stops).toHaveLength(1);
  });

  it('serverEra "legacy": the probe is answered at once with -32601 and never reaches the child', () => {
    const l = new Link(withEra('legacy'));
    l.client(discover('p'));
    expect(l.toChild).toStrictEqual([]);
    expect(responsesOf(l.toClient)[0]).toMatchObject({ id: 'p', error: { code: -32601 } });
    expect(l.events.filter((e) => e.type === 'call-ended')).toMatchObject([{ outcome: 'error', by: 'leash', errorCode: -32601 }]);
  });
});

describe('§13 health checks in both eras', () => {
  const health = (serverEra: ServerEra = 'auto') => withEra(serverEra, { healthCheck: { intervalMs: 1000, misses: 3 } });

  it('nothing of mcp-leash\'s own goes to the child before the client\'s first message', () => {
    for (const era of ['auto', 'legacy', '2026'] as const) {
      const l = new Link(health(era));
      l.advance(60_000);
      expect(l.toChild).toStrictEqual([]);
    }
  });

  it('legacy: ping, after the initialize answer', () => {
    const l = new Link(health());
    l.client(req(0, 'initialize', INIT)).advance(5000);
    expect(l.toChild.map((m) => m.method)).toStrictEqual(['initialize']);
    l.child(ok(1, INIT_RESULT)).advance(1000);
    expect(l.toChild.map((m) => m.method)).toStrictEqual(['initialize', 'ping']);
  });

  it('2026: server/discover with the envelope of the client\'s version, once the child answered a 2026 request; never ping', () => {
    const l = new Link(health());
    l.client(discover('p')).advance(1000);
    expect(l.toChild.map((m) => m.method)).toStrictEqual([DISCOVER]);
    l.child(ok(1, DISCOVER_RESULT)).advance(1000);
    const [, check] = l.toChild;
    expect(check).toStrictEqual({
      jsonrpc: '2.0',
      id: expect.stringMatching(/^mcp-leash:/),
      method: DISCOVER,
      params: { _meta: { 'io.modelcontextprotocol/protocolVersion': V, 'io.modelcontextprotocol/clientCapabilities': {} } },
    });
    // Its answer never reaches the client, and answered checks keep the child alive.
    l.take();
    for (let i = 0; i < 5; i++) {
      const last = l.toChild.at(-1)!;
      l.child(ok(last.id as string, DISCOVER_RESULT)).advance(1000);
    }
    expect(l.takeTo('client')).toStrictEqual([]);
    expect(l.toChild.some((m) => m.method === 'ping')).toBe(false);
    expect(l.outputs.some((o) => o.out.type === 'signal-child')).toBe(false);
  });

  it('a dual-era client whose probe a legacy server refused, then initialize: health checks are ping, and only after the initialize answer', () => {
    const l = new Link(health());
    l.client(discover('p'));
    l.child({ jsonrpc: '2.0', id: 1, error: { code: -32601, message: 'Method not found' } }).advance(5000);
    expect(l.toChild.map((m) => m.method)).toStrictEqual([DISCOVER]);
    l.client(req(0, 'initialize', INIT)).advance(5000);
    expect(l.toChild.map((m) => m.method)).toStrictEqual([DISCOVER, 'initialize']);
    l.child(ok(2, INIT_RESULT)).advance(1000);
    expect(l.toChild.map((m) => m.method)).toStrictEqual([DISCOVER, 'initialize', 'ping']);
  });

  it('2026: a child that stops answering the checks is killed as hung', () => {
    const l = new Link(health());
    l.client(modernCall(1, 'x')).child(ok(1, { resultType: 'complete', content: [] }));
    l.advance(4000);
    expect(l.outputs.filter((o) => o.out.type === 'signal-child')).toHaveLength(1);
  });
});
