// §7 Concurrency (issue 5): a one-at-a-time legacy server (`--serial`: a second concurrent call
// gets "busy") behind `--max-concurrency 1`. mcp-leash's FIFO queue must make every call succeed
// in the order sent; queued calls can be cancelled without the child ever seeing them, get
// heartbeats naming their queue position, and time out like any other request.

import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProcesses, isResponseTo, startRawProxy, startSdkProxy, type Json, type LineClient, toolCall as call } from '../helpers/proxy.js';
import { fixtureEvents, readFixtureLog, receivedMessages, tmpFile, waitFor, within } from '../helpers/procs.js';

afterEach(() => cleanupProcesses());

const cancel = (requestId: unknown, reason?: string) => ({
  jsonrpc: '2.0',
  method: 'notifications/cancelled',
  params: { requestId, ...(reason ? { reason } : {}) },
});
const isProgressFor =
  (token: unknown, message?: RegExp) =>
  (m: Json): boolean =>
    m?.method === 'notifications/progress' && m.params?.progressToken === token && (message === undefined || message.test(m.params.message ?? ''));

/** The `tag` argument of every tools/call the fixture received, in order. */
const receivedTags = (log: string) => receivedMessages(log, 'tools/call').map((m) => m.params?.arguments?.tag);

/** Responses the client got (no method; a result or an error), as their ids in arrival order. */
const responseIds = (c: LineClient) =>
  c.messages()
    .filter((m) => m && typeof m === 'object' && !('method' in m) && ('result' in m || 'error' in m))
    .map((m) => m.id);

async function finish(c: LineClient) {
  c.close();
  await within(c.exited, 15_000, 'the proxy to exit');
  c.assertCleanStdout();
}

const serialProxy = (log: string, extra: string[] = []) =>
  startRawProxy({ leashArgs: ['--max-concurrency', '1', ...extra], fixtureArgs: ['--serial', '--log', log] });

describe('§7 concurrency queue (issue 5)', () => {
  it('§7 queue (issue 5): 20 concurrent calls to a one-at-a-time server behind --max-concurrency 1 all succeed, reach it FIFO, never two in flight', async () => {
    const log = tmpFile('fixture.jsonl');
    const c = serialProxy(log);
    await c.initialize();
    const ids = Array.from({ length: 20 }, (_, i) => `q${i}`);
    // All 20 are written before any answer can come back: they are concurrent for mcp-leash.
    c.write(ids.map((id, i) => JSON.stringify(call(id, 'sleep', { ms: 20, tag: i })) + '\n').join(''));
    const answers = await Promise.all(ids.map((id) => c.next(isResponseTo(id), 20_000, `the answer to ${id}`)));
    for (const a of answers) {
      expect(a.error, JSON.stringify(a)).toBeUndefined(); // a "busy" error means two reached the server at once
      expect(a.result.content[0].text).toBe('slept 20ms');
    }
    // The server received them in the order they were sent, and answered them in that order.
    expect(receivedTags(log)).toEqual(ids.map((_, i) => i));
    expect(responseIds(c).filter((id) => typeof id === 'string' && id.startsWith('q'))).toEqual(ids);
    // Never two in flight: walking the fixture's log, each call was answered before the next arrived.
    const open = new Set<unknown>();
    let most = 0;
    for (const e of readFixtureLog(log)) {
      if (e.method === 'tools/call') open.add(e.id);
      if (e.event === 'answered') open.delete(e.id);
      most = Math.max(most, open.size);
    }
    expect(most).toBe(1);
    expect(open.size).toBe(0);
    await finish(c);
  });

  it('§7 queue (issue 5): queued calls cancelled with raw notifications/cancelled never reach the child; ping does not wait in the queue', async () => {
    const log = tmpFile('fixture.jsonl');
    const c = serialProxy(log);
    await c.initialize();
    c.send(call('a', 'sleep', { ms: 60_000, tag: 'a' }));
    c.send(call('b', 'sleep', { ms: 10, tag: 'b' }));
    c.send(call('c', 'echo', { text: 'c ran', tag: 'c' }));
    c.send(call('d', 'sleep', { ms: 10, tag: 'd' }));
    await waitFor(() => receivedTags(log).length >= 1, 10_000, 'the child to receive the first call');
    // ping answers at once though the only slot is taken and three calls wait (§7).
    await c.barrier(5_000);
    expect(receivedTags(log)).toEqual(['a']);
    c.send(cancel('b', 'not needed any more'));
    c.send(cancel('d', 'not needed either'));
    c.send(cancel('a', 'stop the long one'));
    const rc = await c.next(isResponseTo('c'), 10_000, 'the answer to c');
    expect(rc.result.content[0].text).toBe('c ran');
    // A later call runs too; had d still been queued, FIFO would have sent it to the child first.
    expect((await c.request('tools/call', { name: 'echo', arguments: { text: 'e ran', tag: 'e' } }, 'e')).result.content[0].text).toBe('e ran');
    await c.barrier();
    expect(receivedTags(log)).toEqual(['a', 'c', 'e']);
    // The child heard one cancellation only: for the call it had (a), under its own id for it.
    const aId = receivedMessages(log, 'tools/call')[0]!.id;
    expect(receivedMessages(log, 'notifications/cancelled').map((m) => m.params.requestId)).toEqual([aId]);
    expect(fixtureEvents(log, 'cancelled').map((e) => e.known)).toEqual([true]);
    // Nothing is said about the cancelled requests.
    expect(responseIds(c).filter((id) => ['a', 'b', 'd'].includes(id))).toEqual([]);
    await finish(c);
  });

  it('§7 queue (issue 5): an SDK client aborting a queued call (AbortSignal) means the child never receives it', async () => {
    const log = tmpFile('fixture.jsonl');
    const p = await startSdkProxy({ leashArgs: ['--max-concurrency', '1'], fixtureArgs: ['--serial', '--log', log] });
    try {
      const acA = new AbortController();
      const a = p.client.callTool({ name: 'sleep', arguments: { ms: 60_000, tag: 'a' } }, undefined, { signal: acA.signal });
      const aRejected = a.then(
        () => 'resolved',
        () => 'rejected',
      );
      await waitFor(() => receivedTags(log).length >= 1, 10_000, 'the child to receive the first call');
      const acB = new AbortController();
      const b = p.client.callTool({ name: 'sleep', arguments: { ms: 10, tag: 'b' } }, undefined, { signal: acB.signal });
      const bOutcome = b.then(
        () => 'resolved',
        () => 'rejected',
      );
      await p.client.ping(); // b was read by mcp-leash (and queued) before this ping was answered
      acB.abort('changed my mind');
      expect(await bOutcome).toBe('rejected');
      const c = p.client.callTool({ name: 'echo', arguments: { text: 'c ran', tag: 'c' } });
      await p.client.ping(); // c is queued behind a
      acA.abort('stop the long one');
      expect(await aRejected).toBe('rejected');
      expect(((await within(c, 10_000, 'call c')).content as any)[0].text).toBe('c ran');
      expect(receivedTags(log)).toEqual(['a', 'c']);
      const aId = receivedMessages(log, 'tools/call')[0]!.id;
      expect(receivedMessages(log, 'notifications/cancelled').map((m) => m.params.requestId)).toEqual([aId]);
    } finally {
      await p.close();
    }
  });

  it('§7 queue (issue 5): queued calls with a progress token get heartbeats "queued (position N)", and positions move up as the queue drains', async () => {
    const log = tmpFile('fixture.jsonl');
    const c = serialProxy(log, ['--heartbeat', '200ms']);
    await c.initialize();
    c.send(call('a', 'sleep', { ms: 60_000, tag: 'a' })); // no token: no heartbeats for it
    c.send(call('b', 'sleep', { ms: 1_500, tag: 'b' }, 'tok-b'));
    c.send(call('c', 'echo', { text: 'c ran', tag: 'c' }, 'tok-c'));
    const hbB = await c.next(isProgressFor('tok-b'), 5_000, 'a heartbeat for b');
    expect(hbB.params.message).toMatch(/^mcp-leash: tool "sleep" is queued \(position 1\), waiting \S+ for a free slot$/);
    const hbC = await c.next(isProgressFor('tok-c'), 5_000, 'a heartbeat for c');
    expect(hbC.params.message).toMatch(/^mcp-leash: tool "echo" is queued \(position 2\), waiting \S+ for a free slot$/);
    expect(receivedTags(log)).toEqual(['a']);
    // a goes; b runs (1.5 s), so c moves up to position 1.
    c.send(cancel('a'));
    await c.next(isProgressFor('tok-c', /is queued \(position 1\)/), 5_000, 'a heartbeat for c at position 1');
    // b is now running: its heartbeats say so, not "queued".
    await c.next(isProgressFor('tok-b', /^mcp-leash: waiting for tool "sleep"/), 5_000, 'a running heartbeat for b');
    expect((await c.next(isResponseTo('b'), 10_000, 'the answer to b')).result.content[0].text).toBe('slept 1500ms');
    expect((await c.next(isResponseTo('c'), 10_000, 'the answer to c')).result.content[0].text).toBe('c ran');
    expect(receivedTags(log)).toEqual(['a', 'b', 'c']);
    // a had no token: nothing about it, ever.
    expect(c.messages().filter((m) => m?.method === 'notifications/progress' && !['tok-b', 'tok-c'].includes(m.params?.progressToken))).toEqual([]);
    // Per token, progress strictly increases.
    for (const tok of ['tok-b', 'tok-c']) {
      const values = c.messages().filter(isProgressFor(tok)).map((m) => m.params.progress as number);
      expect(values.length).toBeGreaterThan(0);
      for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1]!);
    }
    await finish(c);
  });

  it('§7 queue (issue 5): a queued call times out like any other (queue time counts) and the child never receives it', async () => {
    const log = tmpFile('fixture.jsonl');
    const c = serialProxy(log, ['--tool-timeout', 'echo=500ms']);
    await c.initialize();
    c.send(call('a', 'sleep', { ms: 60_000, tag: 'a' }));
    await waitFor(() => receivedTags(log).length >= 1, 10_000, 'the child to receive the first call');
    const t0 = Date.now();
    c.send(call('late', 'echo', { text: 'never run', tag: 'late' }));
    const r = await c.next(isResponseTo('late'), 10_000, 'the queued call to time out');
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(5_000);
    expect(r.result.isError).toBe(true);
    expect(r.result.content[0].text).toContain('"echo"');
    expect(r.result.content[0].text).toContain('500ms');
    // Its slot was never taken: once a goes, the next call runs at once.
    c.send(cancel('a'));
    expect((await c.request('tools/call', { name: 'echo', arguments: { text: 'ok', tag: 'next' } }, 'next')).result.content[0].text).toBe('ok');
    expect(receivedTags(log)).toEqual(['a', 'next']);
    await finish(c);
  });
});
