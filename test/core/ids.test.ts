// CONTRACT §3 (request ids) and the id side of §2 (transparency), on the core alone.

import { describe, expect, it } from 'vitest';
import { Link, call, note, ok, req, requestsOf, responsesOf } from './link.js';

describe('§3 request ids: client requests', () => {
  it('gives the child integer ids from 1, whatever the client used', () => {
    const l = new Link();
    l.client(call('a', 't')).client(call(0, 't')).client(call(-5, 't')).client(req('x', 'tools/list'));
    expect(l.toChild.map((m) => m.id)).toStrictEqual([1, 2, 3, 4]);
  });

  const odd: Array<[string, string | number]> = [
    ['0', 0],
    ['empty string', ''],
    ['negative number', -5],
    ['string "1"', '1'],
    ['number 1', 1],
    ['fraction', 2.5],
    ['large number', Number.MAX_SAFE_INTEGER],
    ['long string', 'x'.repeat(10_000)],
    ['unicode string', 'id-\u00e9\u{1F600}\n"quoted"'],
  ];
  for (const [name, id] of odd) {
    it(`restores the client's exact id on the response: ${name}`, () => {
      const l = new Link();
      l.client(call(id, 'echo', undefined, { v: 1 }));
      const [fwd] = l.takeTo('child');
      expect(typeof fwd!.id).toBe('number');
      l.child(ok(fwd!.id as number, { content: [], extra: { kept: true } }));
      const [resp] = l.takeTo('client');
      expect(resp).toStrictEqual({ jsonrpc: '2.0', id, result: { content: [], extra: { kept: true } } });
    });
  }

  it('keeps 1 and "1" apart while both are in flight', () => {
    const l = new Link();
    l.client(call(1, 'a', undefined, { n: 'number' })).client(call('1', 'a', undefined, { n: 'string' }));
    const [a, b] = l.takeTo('child');
    expect((a!.params as { arguments: unknown }).arguments).toStrictEqual({ n: 'number' });
    // Answer in reverse order.
    l.child(ok(b!.id as number, { for: 'string' })).child(ok(a!.id as number, { for: 'number' }));
    const out = l.takeTo('client');
    expect(out).toStrictEqual([
      { jsonrpc: '2.0', id: '1', result: { for: 'string' } },
      { jsonrpc: '2.0', id: 1, result: { for: 'number' } },
    ]);
  });

  it('pairs each response with its own request when the client reuses an in-flight id', () => {
    const l = new Link();
    l.client(call(1, 'echo', undefined, { n: 'first' })).client(call(1, 'echo', undefined, { n: 'second' }));
    const fwd = l.takeTo('child');
    expect(fwd.map((m) => m.id)).toStrictEqual([1, 2]);
    const echo = (m: typeof fwd[number]) => ok(m.id as number, { echo: (m.params as { arguments: unknown }).arguments });
    l.child(echo(fwd[1]!)).child(echo(fwd[0]!));
    expect(l.takeTo('client')).toStrictEqual([
      { jsonrpc: '2.0', id: 1, result: { echo: { n: 'second' } } },
      { jsonrpc: '2.0', id: 1, result: { echo: { n: 'first' } } },
    ]);
    expect(l.session.inFlight).toBe(0);
  });

  it('drops a child response for an id it never gave out, with a log', () => {
    const l = new Link();
    l.client(call(1, 'a')).take();
    l.child(ok(99, { x: 1 })).child(ok('1', { x: 2 }));
    const step = l.take();
    expect(step.filter((s) => s.out.type === 'send')).toStrictEqual([]);
    const logs = step.map((s) => s.out).filter((o) => o.type === 'log');
    expect(logs).toHaveLength(2);
    expect(logs.every((o) => o.type === 'log' && o.level === 'warn')).toBe(true);
    // The real request is still in flight and still answerable.
    l.child(ok(1, { x: 3 }));
    expect(l.takeTo('client')).toStrictEqual([{ jsonrpc: '2.0', id: 1, result: { x: 3 } }]);
  });

  it('drops a second answer to the same request (logged at debug, not forwarded)', () => {
    const l = new Link();
    l.client(call(7, 'a')).child(ok(1, { n: 1 })).take();
    l.child(ok(1, { n: 2 }));
    const step = l.take().map((s) => s.out);
    expect(step).toHaveLength(1);
    expect(step[0]).toMatchObject({ type: 'log', level: 'debug' });
  });

  it('passes every other field of request and response through (jsonrpc, params, _meta, unknown fields, error objects)', () => {
    const l = new Link();
    const params = { name: 't', arguments: { secret: 's' }, _meta: { 'vendor/x': [1, 2] }, unknown: null };
    l.client({ jsonrpc: '2.0', id: 'r', method: 'tools/call', params, extra: 'top' });
    expect(l.takeTo('child')).toStrictEqual([{ jsonrpc: '2.0', id: 1, method: 'tools/call', params, extra: 'top' }]);
    const error = { code: -32602, message: 'bad', data: { deep: { a: [true] } } };
    l.child({ jsonrpc: '2.0', id: 1, error, more: 1 });
    expect(l.takeTo('client')).toStrictEqual([{ jsonrpc: '2.0', id: 'r', error, more: 1 }]);
  });

  it('passes notifications through unchanged in both directions', () => {
    const l = new Link();
    const a = note('notifications/initialized', { _meta: { x: 1 } });
    const b = note('notifications/tools/list_changed');
    const c = note('notifications/message', { level: 'info', data: { any: 'thing' } });
    l.client(a).child(b).child(c);
    expect(l.toChild).toStrictEqual([a]);
    expect(l.toClient).toStrictEqual([b, c]);
  });
});

describe('§3 request ids: server-to-client requests', () => {
  it("gets mcp-leash's own ids upstream and the child's exact id back", () => {
    const l = new Link();
    const childIds = ['s-1', 0, 1, -3, '1'];
    for (const id of childIds) l.child(req(id, 'sampling/createMessage', { messages: [], maxTokens: 1 }));
    const up = requestsOf(l.takeTo('client'));
    expect(up.map((m) => m.id)).toStrictEqual([1, 2, 3, 4, 5]);
    expect(up[0]).toStrictEqual({ jsonrpc: '2.0', id: 1, method: 'sampling/createMessage', params: { messages: [], maxTokens: 1 } });
    // The client answers out of order; each answer reaches the child under its own id.
    for (const m of [...up].reverse()) l.client(ok(m.id as number, { model: `m${m.id}` }));
    expect(l.takeTo('child')).toStrictEqual(
      [...childIds].reverse().map((id, i) => ({ jsonrpc: '2.0', id, result: { model: `m${5 - i}` } })),
    );
    expect(l.session.inFlight).toBe(0);
  });

  it('does not confuse a client request and a server-to-client request with the same id', () => {
    const l = new Link();
    l.client(call(1, 'a'));
    l.child(req(1, 'roots/list'));
    const [up] = requestsOf(l.takeTo('client'));
    const [down] = requestsOf(l.toChild);
    expect(down!.id).toBe(1);
    // The client answers the server's request; the child answers the client's.
    l.client(ok(up!.id as number, { roots: [] }));
    l.child(ok(1, { content: [] }));
    expect(l.toChild.slice(1)).toStrictEqual([{ jsonrpc: '2.0', id: 1, result: { roots: [] } }]);
    expect(responsesOf(l.toClient)).toStrictEqual([{ jsonrpc: '2.0', id: 1, result: { content: [] } }]);
  });

  it('drops a client answer for an id mcp-leash never gave out', () => {
    const l = new Link();
    l.client(ok(42, {})).client(ok('x', {}));
    expect(l.toChild).toStrictEqual([]);
    expect(l.logs.map((o) => o.level)).toStrictEqual(['warn', 'warn']);
  });
});
