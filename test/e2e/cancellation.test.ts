// §4 Cancellation end to end: a client aborts, the child hears about it under its own id, and
// nothing about the cancelled request reaches the client afterwards.

import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProcesses, isMethod, isResponseTo, startRawProxy, startSdkProxy, type LineClient, toolCall as call } from '../helpers/proxy.js';
import { fixtureEvents, receivedMessages, tmpFile, waitFor, within } from '../helpers/procs.js';

afterEach(() => cleanupProcesses());

const cancel = (requestId: unknown, reason?: string) => ({
  jsonrpc: '2.0',
  method: 'notifications/cancelled',
  params: { requestId, ...(reason ? { reason } : {}) },
});

async function finish(c: LineClient) {
  c.close();
  await within(c.exited, 15_000, 'the proxy to exit');
  c.assertCleanStdout();
}

describe('§4 cancellation', () => {
  it('§4 cancellation: an SDK client aborting a call makes the child receive notifications/cancelled with the child-side id and the reason', async () => {
    const log = tmpFile('fixture.jsonl');
    const p = await startSdkProxy({ fixtureArgs: ['--log', log] });
    try {
      const ac = new AbortController();
      const pending = p.client.callTool({ name: 'sleep', arguments: { ms: 60_000 } }, undefined, { signal: ac.signal });
      const seen = await waitFor(() => receivedMessages(log, 'tools/call')[0], 10_000, 'the child to receive the call');
      ac.abort('user pressed stop');
      await expect(pending).rejects.toThrow();
      const ev = await waitFor(() => fixtureEvents(log, 'cancelled')[0], 10_000, 'the child to receive notifications/cancelled');
      expect(ev.requestId).toBe(seen.id);
      expect(ev.known).toBe(true);
      expect(ev.reason).toBe('user pressed stop');
      // The session goes on.
      const res = await p.client.callTool({ name: 'echo', arguments: { text: 'still here' } });
      expect((res.content as any)[0].text).toBe('still here');
    } finally {
      await p.close();
    }
  });

  it('§4 cancellation: the late answer of a server that ignores the cancel never reaches the client', async () => {
    const log = tmpFile('fixture.jsonl');
    const c = startRawProxy({ fixtureArgs: ['--log', log] });
    await c.initialize();
    c.send(call('late', 'slow_ignore_cancel', { ms: 300 }));
    await waitFor(() => receivedMessages(log, 'tools/call').length === 1, 10_000, 'the child to receive the call');
    c.send(cancel('late', 'too slow'));
    await waitFor(() => fixtureEvents(log, 'late-answer').length === 1, 10_000, 'the child to send its late answer');
    await c.barrier(); // the late answer was written before the ping's answer
    expect(c.messages().filter((m) => m?.id === 'late')).toEqual([]);
    expect((await c.request('tools/call', { name: 'echo', arguments: { text: 'ok' } })).result.content[0].text).toBe('ok');
    await finish(c);
  });

  it('§4 cancellation: an SDK client never sees a late answer after aborting (no stray response error)', async () => {
    const log = tmpFile('fixture.jsonl');
    const p = await startSdkProxy({ fixtureArgs: ['--log', log] });
    try {
      const errors: Error[] = [];
      p.client.onerror = (e) => errors.push(e);
      const ac = new AbortController();
      const pending = p.client.callTool({ name: 'slow_ignore_cancel', arguments: { ms: 300 } }, undefined, { signal: ac.signal });
      await waitFor(() => receivedMessages(log, 'tools/call').length === 1, 10_000, 'the child to receive the call');
      ac.abort('stop');
      await expect(pending).rejects.toThrow();
      await waitFor(() => fixtureEvents(log, 'late-answer').length === 1, 10_000, 'the child to send its late answer');
      await p.client.ping(); // barrier
      // The SDK reports a response for an unknown id through onerror.
      expect(errors.map((e) => e.message)).toEqual([]);
    } finally {
      await p.close();
    }
  });

  it('§4 cancellation: a cancel for initialize is dropped and initialize is answered', async () => {
    const log = tmpFile('fixture.jsonl');
    const c = startRawProxy({ fixtureArgs: ['--log', log] });
    c.send({ jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } });
    c.send(cancel('init', 'never mind'));
    const res = await c.next(isResponseTo('init'));
    expect(res.result.protocolVersion).toBe('2025-06-18');
    c.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await c.barrier();
    expect(receivedMessages(log, 'notifications/cancelled')).toEqual([]);
    await finish(c);
  });

  it('§4 cancellation: a cancel for an unknown, finished or already cancelled id is not forwarded and gets no answer', async () => {
    const log = tmpFile('fixture.jsonl');
    const c = startRawProxy({ fixtureArgs: ['--log', log] });
    await c.initialize();
    c.send(cancel('never-sent'));
    c.send(cancel(12345));
    c.send(cancel(null));
    await c.request('tools/call', { name: 'echo', arguments: { text: 'x' } }, 'done');
    c.send(cancel('done'));
    c.send(call('twice', 'sleep', { ms: 60_000 }));
    await waitFor(() => receivedMessages(log, 'tools/call').length === 2, 10_000, 'the child to receive the sleep');
    c.send(cancel('twice'));
    c.send(cancel('twice'));
    await c.barrier();
    const forwarded = receivedMessages(log, 'notifications/cancelled');
    expect(forwarded).toHaveLength(1);
    expect(forwarded[0]!.params.requestId).toBe(receivedMessages(log, 'tools/call')[1]!.id);
    // Nothing was answered for the notifications (a notification never gets a response).
    const ids = c.messages().filter((m) => m && 'id' in m).map((m) => m.id);
    expect(ids.filter((id) => !(typeof id === 'string' && /^(init-|barrier-|done$)/.test(id)))).toEqual([]);
    await finish(c);
  });

  it('§4 cancellation: a cancelled call gets no response at all from mcp-leash (no result, no error)', async () => {
    const log = tmpFile('fixture.jsonl');
    const c = startRawProxy({ fixtureArgs: ['--log', log] });
    await c.initialize();
    c.send(call(1, 'sleep', { ms: 200 }));
    await waitFor(() => receivedMessages(log, 'tools/call').length === 1, 10_000, 'the child to receive the call');
    c.send(cancel(1));
    await waitFor(() => fixtureEvents(log, 'cancelled').length === 1, 10_000, 'the child to hear of the cancel');
    // A longer sleep started later: when it is answered, the first one would have been too.
    await c.request('tools/call', { name: 'sleep', arguments: { ms: 300 } }, 2);
    expect(c.messages().filter((m) => m?.id === 1)).toEqual([]);
    await finish(c);
  });

  it('§4 cancellation: the child cancelling its own request to the client is forwarded with the client-side id; the late answer is dropped', async () => {
    const log = tmpFile('fixture.jsonl');
    const c = startRawProxy({ fixtureArgs: ['--log', log] });
    await c.initialize('2025-06-18', { sampling: {} });
    c.send(call('stc', 'sample_then_cancel', { afterMs: 100 }));
    const req = await c.next(isMethod('sampling/createMessage'));
    const cancelled = await c.next(isMethod('notifications/cancelled'));
    expect(cancelled.params).toEqual({ requestId: req.id, reason: 'changed my mind' });
    const res = await c.next(isResponseTo('stc'));
    expect(res.result.content[0].text).toBe('cancelled s-1');
    // The client answers anyway, too late: the child must not see it.
    c.send({ jsonrpc: '2.0', id: req.id, result: { role: 'assistant', content: { type: 'text', text: 'late' }, model: 'm' } });
    await c.barrier(); // the late answer was sent before the ping
    expect(receivedMessages(log).filter((m) => 'result' in m)).toEqual([]);
    expect(fixtureEvents(log, 'unknown-response')).toEqual([]);
    await finish(c);
  });
});
