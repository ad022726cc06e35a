// CONTRACT §5 (timeouts), on the core alone with a virtual clock.

import { describe, expect, it } from 'vitest';
import { ERR } from '../../src/core/session.js';
import { Link, call, cancel, note, ok, policy, progress, req, requestsOf, responsesOf } from './link.js';

const slow = () => policy({ rules: [{ tool: 'slow', totalTimeoutMs: 30_000 }] });

describe('§5 timeouts: total timeout of a tool', () => {
  it('answers with an isError result naming the tool and the limit, exactly at the limit and not a ms before', () => {
    const l = new Link(slow());
    l.client(call(7, 'slow')).take();
    l.advance(29_999);
    expect(l.take()).toStrictEqual([]);
    l.advance(1);
    const [resp] = l.sent('client');
    expect(resp!.t).toBe(30_000);
    expect(resp!.msg).toMatchObject({ jsonrpc: '2.0', id: 7, result: { isError: true, content: [{ type: 'text' }] } });
    const text = ((resp!.msg.result as { content: Array<{ text: string }> }).content[0]!).text;
    expect(text).toContain('"slow"');
    expect(text).toContain('30s');
    expect(l.session.inFlight).toBe(0);
  });

  it('sends the child a cancel with reason "timed out after 30s"', () => {
    const l = new Link(slow());
    l.client(call(7, 'slow')).advance(30_000);
    expect(l.toChild.slice(1)).toStrictEqual([
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, reason: 'timed out after 30s' } },
    ]);
  });

  it('drops the late answer and says nothing more', () => {
    const l = new Link(slow());
    l.client(call(7, 'slow')).advance(30_000).take();
    l.child(ok(1, { content: [] })).advance(100_000);
    expect(l.take().filter((s) => s.out.type === 'send')).toStrictEqual([]);
    expect(l.session.nextDeadline()).toBeUndefined();
  });

  it('does not time out other tools', () => {
    const l = new Link(slow());
    l.client(call(1, 'fast')).advance(3_600_000);
    expect(l.toClient).toStrictEqual([]);
    expect(l.session.nextDeadline()).toBeUndefined();
  });

  it('uses the most specific rule: an exact tool name beats a glob', () => {
    const l = new Link(policy({ rules: [{ tool: 'index_*', totalTimeoutMs: 1000 }, { tool: 'index_repo', totalTimeoutMs: 5000 }] }));
    l.client(call(1, 'index_repo')).client(call(2, 'index_docs')).advance(1000);
    expect(responsesOf(l.toClient).map((m) => m.id)).toStrictEqual([2]);
    l.advance(4000);
    expect(responsesOf(l.toClient).map((m) => m.id)).toStrictEqual([2, 1]);
  });
});

describe('§5 timeouts: JSON-RPC error -32001', () => {
  it('when the rule says onTimeout "error": data has method, tool, limit and elapsed time', () => {
    const l = new Link(policy({ rules: [{ tool: 'strict', totalTimeoutMs: 5000, onTimeout: 'error' }] }));
    l.client(call('s', 'strict')).advance(5000);
    const [resp] = responsesOf(l.toClient);
    expect(resp).toMatchObject({
      jsonrpc: '2.0',
      id: 's',
      error: { code: ERR.timedOut, message: expect.stringContaining('timed out'), data: { method: 'tools/call', tool: 'strict', timeoutMs: 5000, elapsedMs: 5000 } },
    });
    expect(resp).not.toHaveProperty('result');
  });

  it('for a method other than tools/call (no tool in data)', () => {
    const l = new Link(policy({ rules: [{ method: 'resources/read', totalTimeoutMs: 2000 }] }));
    l.client(req(1, 'resources/read', { uri: 'file:///x' })).advance(2000);
    const [resp] = responsesOf(l.toClient);
    expect(resp).toMatchObject({ id: 1, error: { code: -32001, data: { method: 'resources/read', timeoutMs: 2000, elapsedMs: 2000 } } });
    expect((resp!.error as { data: object }).data).not.toHaveProperty('tool');
    expect(l.toChild[1]).toStrictEqual({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, reason: 'timed out after 2s' } });
  });

  it('for the default timeout applied to a method no rule names', () => {
    const l = new Link(policy({ defaults: { totalTimeoutMs: 1500 } }));
    l.client(req(9, 'tools/list')).advance(1499);
    expect(l.toClient).toStrictEqual([]);
    l.advance(1);
    expect(responsesOf(l.toClient)).toMatchObject([{ id: 9, error: { code: -32001, data: { method: 'tools/list', timeoutMs: 1500, elapsedMs: 1500 } } }]);
  });
});

describe('§5 timeouts: idle timeout', () => {
  const idle = () => policy({ rules: [{ tool: 'crawl', idleTimeoutMs: 5000 }] });

  it('gives the child a progress token of its own even when the client sent none', () => {
    const l = new Link(idle());
    l.client(call(1, 'crawl'));
    expect((l.toChild[0]!.params as { _meta: unknown })._meta).toStrictEqual({ progressToken: 1 });
  });

  it('is restarted by child progress for that request and fires when progress stops', () => {
    const l = new Link(idle());
    l.client(call(1, 'crawl')).client(call(2, 'crawl'));
    l.advance(4000).child(progress(1, 1)).advance(4000).child(progress(1, 2)).advance(4999);
    // Request 2 had no progress: it timed out at 5000. Request 1 is alive.
    expect(responsesOf(l.toClient).map((m) => m.id)).toStrictEqual([2]);
    l.advance(1); // 8000 + 5000
    const sent = l.sent('client');
    expect(sent.map((s) => [s.msg.id, s.t])).toStrictEqual([
      [2, 5000],
      [1, 13_000],
    ]);
    const text = ((sent[1]!.msg.result as { content: Array<{ text: string }> }).content[0]!).text;
    expect(text).toContain('"crawl"');
    expect(text).toContain('no progress for 5s');
    expect(l.toChild.at(-1)).toStrictEqual({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 1, reason: 'timed out: no progress for 5s' },
    });
  });

  it('is not restarted by progress for another request or with a foreign token', () => {
    const l = new Link(idle());
    l.client(call(1, 'crawl')).client(call(2, 'other'));
    l.advance(3000).child(progress(2, 1)).child(progress('1', 1)).child(progress(99, 1)).advance(2000);
    expect(responsesOf(l.toClient).map((m) => m.id)).toStrictEqual([1]);
  });

  it('does not let progress extend the total timeout', () => {
    const l = new Link(policy({ rules: [{ tool: 'both', idleTimeoutMs: 5000, totalTimeoutMs: 12_000 }] }));
    l.client(call(1, 'both'));
    for (let i = 1; i <= 5; i++) l.advance(3000).child(progress(1, i));
    const [resp] = l.sent('client').filter((s) => 'id' in s.msg);
    expect(resp!.t).toBe(12_000);
    expect(l.toChild.at(-1)).toMatchObject({ params: { reason: 'timed out after 12s' } });
  });
});

describe('§5 timeouts: racing the answer at the same tick', () => {
  it('answer first: the client gets the answer and no timeout', () => {
    const l = new Link(slow());
    l.client(call(1, 'slow')).advance(29_999).at(30_000);
    l.child(ok(1, { content: [{ type: 'text', text: 'done' }] })).advance(0).advance(60_000);
    expect(responsesOf(l.toClient)).toStrictEqual([{ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'done' }] } }]);
    expect(l.toChild).toHaveLength(1); // no cancel
  });

  it('timeout first: the client gets the timeout, the answer at the same tick is dropped', () => {
    const l = new Link(slow());
    l.client(call(1, 'slow')).advance(30_000);
    l.child(ok(1, { content: [{ type: 'text', text: 'done' }] }));
    const resps = responsesOf(l.toClient);
    expect(resps).toHaveLength(1);
    expect(resps[0]).toMatchObject({ id: 1, result: { isError: true } });
  });

  it('cancel and timeout at the same tick: one or the other, never both', () => {
    const l = new Link(slow());
    l.client(call(1, 'slow')).advance(30_000).client(cancel(1, 'x'));
    const cancels = l.toChild.filter((m) => m.method === 'notifications/cancelled');
    expect(cancels).toHaveLength(1);
    expect(responsesOf(l.toClient)).toHaveLength(1);
  });
});

describe('§5 timeouts: initialize has its own startup timeout', () => {
  const init = req(0, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'c', version: '1' } });

  it('on expiry the client gets an error and the shell is told to stop the child', () => {
    const l = new Link(policy({ startupTimeoutMs: 5000, rules: [{ method: '*', totalTimeoutMs: 1000 }] }));
    l.client(init).advance(4999);
    expect(l.toClient).toStrictEqual([]);
    l.advance(1);
    expect(responsesOf(l.toClient)).toMatchObject([{ id: 0, error: { code: -32001, data: { method: 'initialize', timeoutMs: 5000, elapsedMs: 5000 } } }]);
    // The ladder starts after the error, so the shell can still write the error first.
    const kinds = l.outputs.map((s) => (s.out.type === 'send' ? `send:${s.out.to}` : s.out.type));
    expect(kinds.lastIndexOf('send:client')).toBeLessThan(kinds.indexOf('close-child-stdin'));
    expect(l.logs.some((o) => o.level === 'error')).toBe(true);
    // Once the child is gone, the run ends with a non-zero code.
    expect(l.stops).toHaveLength(0);
    l.childExit({ code: 0 });
    expect(l.stops).toHaveLength(1);
    expect(l.stops[0]!.code).toBe(1);
  });

  it('a late initialize response is dropped', () => {
    const l = new Link(policy({ startupTimeoutMs: 5000 }));
    l.client(init).advance(5000).take();
    l.child(ok(1, { protocolVersion: '2025-06-18', capabilities: {}, serverInfo: { name: 's', version: '1' } }));
    expect(l.takeTo('client')).toStrictEqual([]);
  });

  it('initialize answered in time is not affected by tool rules or default timeouts', () => {
    const l = new Link(policy({ startupTimeoutMs: 60_000, defaults: { totalTimeoutMs: 10 } }));
    l.client(init).advance(59_999).child(ok(1, { protocolVersion: '2025-06-18', capabilities: {}, serverInfo: { name: 's', version: '1' } }));
    expect(responsesOf(l.toClient)).toMatchObject([{ id: 0, result: { protocolVersion: '2025-06-18' } }]);
    expect(l.stops).toStrictEqual([]);
  });
});

describe('§5 timeouts: server-to-client requests', () => {
  it('are untimed by default, even with default limits and method globs', () => {
    const l = new Link(policy({ defaults: { totalTimeoutMs: 1000, idleTimeoutMs: 500 }, rules: [{ method: 'sampling/*', totalTimeoutMs: 1000 }, { method: '*', totalTimeoutMs: 10 }] }));
    l.child(req('s', 'sampling/createMessage', { messages: [] })).child(req('e', 'elicitation/create', {}));
    const up = requestsOf(l.toClient);
    expect(l.session.nextDeadline()).toBeUndefined();
    l.advance(24 * 3_600_000);
    expect(l.toClient).toHaveLength(2);
    expect(l.toChild).toStrictEqual([]);
    l.client(ok(up[0]!.id as number, { role: 'assistant' }));
    expect(l.toChild).toStrictEqual([{ jsonrpc: '2.0', id: 's', result: { role: 'assistant' } }]);
  });

  it('are timed when a rule names their method exactly: cancel upstream, -32001 to the child', () => {
    const l = new Link(policy({ rules: [{ method: 'elicitation/create', totalTimeoutMs: 60_000 }] }));
    l.child(req('e1', 'elicitation/create', {}));
    const [up] = requestsOf(l.takeTo('client'));
    l.advance(59_999);
    expect(l.take()).toStrictEqual([]);
    l.advance(1);
    expect(l.toClient.at(-1)).toStrictEqual({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: up!.id, reason: 'timed out after 1m' },
    });
    expect(l.toChild).toMatchObject([{ id: 'e1', error: { code: -32001, data: { method: 'elicitation/create', timeoutMs: 60_000, elapsedMs: 60_000 } } }]);
    // The person answers too late.
    l.client(ok(up!.id as number, { action: 'accept' }));
    expect(l.toChild).toHaveLength(1);
    expect(l.session.inFlight).toBe(0);
  });

  it('a timed server-to-client request answered in time disarms its timer', () => {
    const l = new Link(policy({ rules: [{ method: 'roots/list', totalTimeoutMs: 1000 }] }));
    l.child(req(1, 'roots/list'));
    const [up] = requestsOf(l.toClient);
    l.advance(500).client(ok(up!.id as number, { roots: [] })).advance(5000);
    expect(l.toChild).toStrictEqual([{ jsonrpc: '2.0', id: 1, result: { roots: [] } }]);
    expect(l.toClient).toHaveLength(1);
    expect(l.session.nextDeadline()).toBeUndefined();
  });
});

describe('§5 timeouts: notifications are never timed', () => {
  it('a client notification leaves no deadline behind', () => {
    const l = new Link(policy({ defaults: { totalTimeoutMs: 10 } }));
    l.client(note('notifications/initialized'));
    expect(l.session.nextDeadline()).toBeUndefined();
  });
});

describe('§5 timeouts: the words a model reads (issue 21)', () => {
  it('a 1.5 s idle limit reads "1.5s", and the call is said to have run 1.5 s, not 2 s', () => {
    const l = new Link(policy({ rules: [{ tool: 'i', idleTimeoutMs: 1500 }] }));
    l.client(call(1, 'i')).advance(1500);
    const text = JSON.stringify(l.toClient.find((m) => m.id === 1));
    expect(text).toContain('reported no progress for 1.5s (its idle limit), 1.5s after it was called');
    expect(text).not.toMatch(/1s500ms|2s after/);
  });

  it('an error answer names the limit the same way', () => {
    const l = new Link(policy({ rules: [{ method: 'resources/read', totalTimeoutMs: 2250 }] }));
    l.client(req(1, 'resources/read', { uri: 'x' })).advance(2250);
    expect((l.toClient.find((m) => m.id === 1)!.error as { message: string }).message).toBe('Request timed out (total limit 2.25s)');
  });
});
