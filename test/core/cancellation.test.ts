// CONTRACT §4 (cancellation), on the core alone.

import { describe, expect, it } from 'vitest';
import { Link, call, cancel, ok, policy, progress, progressOf, req, requestsOf, responsesOf } from './link.js';

describe('§4 cancellation: from the client', () => {
  it('forwards the cancel with the child-side id, the same reason and every other params field', () => {
    const l = new Link();
    l.client(call('abc', 't')).client(call('other', 't')).take();
    l.client(cancel('abc', 'user pressed stop', { _meta: { k: 'v' }, vendorField: [1] }));
    expect(l.takeTo('child')).toStrictEqual([
      {
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: 1, reason: 'user pressed stop', _meta: { k: 'v' }, vendorField: [1] },
      },
    ]);
    expect(l.session.inFlight).toBe(1);
  });

  it('forwards a cancel without a reason as it came (no reason invented)', () => {
    const l = new Link();
    l.client(call(3, 't')).take();
    l.client(cancel(3));
    expect(l.takeTo('child')).toStrictEqual([{ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } }]);
  });

  it('cancels a request whose id is 0', () => {
    const l = new Link();
    l.client(call(0, 't')).take();
    l.client(cancel(0, 'r'));
    expect(l.takeTo('child')).toStrictEqual([{ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, reason: 'r' } }]);
  });

  it('drops the late child response (logged at debug) and says nothing more about the request', () => {
    const l = new Link(policy({ defaults: { heartbeatMs: 1000 } }));
    l.client(call(5, 't', 'tok')).advance(500).client(cancel(5, 'stop')).take();
    l.child(progress(1, 0.5)).child(ok(1, { content: [] })).advance(60_000);
    const step = l.take().map((s) => s.out);
    expect(step.filter((o) => o.type === 'send')).toStrictEqual([]);
    expect(step.filter((o) => o.type === 'log').map((o) => o.type === 'log' && o.level)).toStrictEqual(['debug', 'debug']);
    expect(l.session.nextDeadline()).toBeUndefined();
    expect(l.session.inFlight).toBe(0);
  });

  it('with a reused id, cancels the oldest request with that id and still answers the other', () => {
    const l = new Link();
    l.client(call(1, 'a', undefined, { n: 1 })).client(call(1, 'a', undefined, { n: 2 })).take();
    l.client(cancel(1, 'first one'));
    expect(l.takeTo('child')).toStrictEqual([
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, reason: 'first one' } },
    ]);
    l.child(ok(2, { n: 2 })).child(ok(1, { n: 1 }));
    expect(l.takeTo('client')).toStrictEqual([{ jsonrpc: '2.0', id: 1, result: { n: 2 } }]);
  });

  it('ignores (debug log, not forwarded) a cancel for an unknown id', () => {
    const l = new Link();
    l.client(call(1, 'a')).take();
    l.client(cancel(2)).client(cancel('1')).client(cancel(null as unknown as number)).client({ jsonrpc: '2.0', method: 'notifications/cancelled' });
    const step = l.take().map((s) => s.out);
    expect(step.filter((o) => o.type === 'send')).toStrictEqual([]);
    expect(step.every((o) => o.type === 'log' && o.level === 'debug')).toBe(true);
  });

  it('ignores a cancel for a finished request', () => {
    const l = new Link();
    l.client(call(1, 'a')).child(ok(1, {})).take();
    l.client(cancel(1, 'too late'));
    expect(l.takeTo('child')).toStrictEqual([]);
  });

  it('ignores a second cancel for an already cancelled request', () => {
    const l = new Link();
    l.client(call(1, 'a')).client(cancel(1, 'once')).take();
    l.client(cancel(1, 'twice'));
    expect(l.takeTo('child')).toStrictEqual([]);
  });

  it('never cancels initialize: warns, does not forward, and the response still reaches the client', () => {
    const l = new Link();
    const init = req(0, 'initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } });
    l.client(init).take();
    l.client(cancel(0, 'impatient'));
    const step = l.take().map((s) => s.out);
    expect(step).toHaveLength(1);
    expect(step[0]).toMatchObject({ type: 'log', level: 'warn' });
    const result = { protocolVersion: '2025-11-25', capabilities: {}, serverInfo: { name: 's', version: '1' } };
    l.child(ok(1, result));
    expect(l.takeTo('client')).toStrictEqual([{ jsonrpc: '2.0', id: 0, result }]);
  });

  it('stops heartbeats of a cancelled request at once', () => {
    const l = new Link(policy({ defaults: { heartbeatMs: 1000 } }));
    l.client(call(1, 'a', 'tok')).advance(2500);
    expect(progressOf(l.toClient)).toHaveLength(2);
    l.client(cancel(1)).advance(10_000);
    expect(progressOf(l.toClient)).toHaveLength(2);
  });
});

describe('§4 cancellation: from the child (server-to-client requests)', () => {
  it("translates the child's cancel to the client-side id, keeping reason and other fields", () => {
    const l = new Link();
    l.child(req('s7', 'sampling/createMessage', { messages: [] })).child(req(8, 'elicitation/create', {}));
    const [up] = requestsOf(l.takeTo('client'));
    l.child(cancel('s7', 'no longer needed', { extra: true }));
    expect(l.takeTo('client')).toStrictEqual([
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: up!.id, reason: 'no longer needed', extra: true } },
    ]);
    expect(l.session.inFlight).toBe(1);
  });

  it("drops the client's late answer to a request the child cancelled", () => {
    const l = new Link();
    l.child(req(1, 'elicitation/create', {}));
    const [up] = requestsOf(l.takeTo('client'));
    l.child(cancel(1)).take();
    l.client(ok(up!.id as number, { action: 'accept' }));
    const step = l.take().map((s) => s.out);
    expect(step.filter((o) => o.type === 'send')).toStrictEqual([]);
    expect(step).toMatchObject([{ type: 'log', level: 'debug' }]);
  });

  it('ignores a child cancel for a request that is not in flight', () => {
    const l = new Link();
    l.child(req(1, 'roots/list'));
    const [up] = requestsOf(l.takeTo('client'));
    l.client(ok(up!.id as number, { roots: [] })).take();
    l.child(cancel(1)).child(cancel(2)).child(cancel('1'));
    expect(l.takeTo('client')).toStrictEqual([]);
  });

  it('does not let a child cancel its own id space onto a client request', () => {
    const l = new Link();
    l.client(call(1, 'a')).take();
    // Child id 1 is the client's tools/call; the child "cancelling" request 1 is not a server-to-client request.
    l.child(cancel(1, 'confused'));
    expect(l.takeTo('client')).toStrictEqual([]);
    l.child(ok(1, { fine: true }));
    expect(responsesOf(l.takeTo('client'))).toStrictEqual([{ jsonrpc: '2.0', id: 1, result: { fine: true } }]);
  });
});
