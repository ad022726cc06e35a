// §3 Request IDs, through the real proxy with a raw line client (an SDK client only ever sends
// 0, 1, 2...): odd IDs come back exactly, duplicates in flight stay apart, null is refused, and
// the child sees IDs of mcp-leash's own.

import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProcesses, isMethod, isResponseTo, startRawProxy, type LineClient } from '../helpers/proxy.js';
import { receivedMessages, tmpFile, within } from '../helpers/procs.js';

afterEach(() => cleanupProcesses());

const echo = (id: unknown, text: string) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text } } });
const sleep = (id: unknown, ms: number) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'sleep', arguments: { ms } } });

/** All responses on the client's stdout with exactly this id. */
const responsesTo = (c: LineClient, id: unknown) => c.messages().filter((m) => isResponseTo(id)(m, ''));

async function finish(c: LineClient) {
  c.close();
  await within(c.exited, 15_000, 'the proxy to exit');
  c.assertCleanStdout();
}

describe('§3 request IDs', () => {
  it('§3 ids: 0, "", -5, "1" vs 1 and a long string each come back exactly, with their own result', async () => {
    const c = startRawProxy();
    await c.initialize();
    const long = 'id-' + 'x'.repeat(5000) + '-end';
    const ids: unknown[] = [0, '', -5, '1', 1, long, 2 ** 31, 'ünïcödé ✓'];
    ids.forEach((id, i) => c.send(echo(id, `answer ${i}`)));
    for (const [i, id] of ids.entries()) {
      const res = await c.next(isResponseTo(id), 10_000, `the response to id ${JSON.stringify(id).slice(0, 40)}`);
      expect(res.result.content[0].text).toBe(`answer ${i}`);
    }
    await c.barrier();
    for (const id of ids) expect(responsesTo(c, id)).toHaveLength(1);
    await finish(c);
  });

  it('§3 ids: the child sees integer IDs of mcp-leash, starting at 1, never the client\'s', async () => {
    const log = tmpFile('fixture.jsonl');
    const c = startRawProxy({ fixtureArgs: ['--log', log] });
    await c.initialize(); // client id "init-..."
    c.send(echo(0, 'zero'));
    c.send(echo('', 'empty'));
    c.send(echo(-5, 'negative'));
    await c.next(isResponseTo(0));
    await c.next(isResponseTo(''));
    await c.next(isResponseTo(-5));
    const childIds = receivedMessages(log).filter((m) => m.method !== undefined && 'id' in m).map((m) => m.id);
    expect(childIds).toHaveLength(4);
    expect(childIds[0]).toBe(1);
    for (const id of childIds) expect(Number.isInteger(id) && (id as number) >= 1).toBe(true);
    expect(new Set(childIds).size).toBe(childIds.length);
    await finish(c);
  });

  it('§3 ids: two requests in flight with the same id 1 are each answered once, with their own result', async () => {
    const log = tmpFile('fixture.jsonl');
    const c = startRawProxy({ fixtureArgs: ['--log', log] });
    await c.initialize();
    c.send(sleep(1, 400));
    c.send(sleep(1, 100));
    const first = await c.next(isResponseTo(1));
    const second = await c.next(isResponseTo(1));
    expect(first.result.content[0].text).toBe('slept 100ms');
    expect(second.result.content[0].text).toBe('slept 400ms');
    await c.barrier();
    expect(responsesTo(c, 1)).toHaveLength(2);
    // The child saw two different ids.
    const calls = receivedMessages(log, 'tools/call');
    expect(calls).toHaveLength(2);
    expect(calls[0]!.id).not.toBe(calls[1]!.id);
    await finish(c);
  });

  it('§3 ids: duplicate ids of different types and methods are not cross-wired', async () => {
    const c = startRawProxy();
    await c.initialize();
    c.send(sleep('dup', 300));
    c.send({ jsonrpc: '2.0', id: 'dup', method: 'tools/list' });
    c.send(echo('dup', 'quick'));
    const got = [await c.next(isResponseTo('dup')), await c.next(isResponseTo('dup')), await c.next(isResponseTo('dup'))];
    const kinds = got.map((m) => (m.result.tools ? 'list' : m.result.content[0].text)).sort();
    expect(kinds).toEqual(['list', 'quick', 'slept 300ms'].sort());
    await c.barrier();
    expect(responsesTo(c, 'dup')).toHaveLength(3);
    await finish(c);
  });

  it('§3 ids: a request with id null gets -32600 and is not forwarded', async () => {
    const log = tmpFile('fixture.jsonl');
    const c = startRawProxy({ fixtureArgs: ['--log', log] });
    await c.initialize();
    c.send(echo(null, 'null-id-marker'));
    const res = await c.next((m) => m.id === null && 'error' in m);
    expect(res.error.code).toBe(-32600);
    await c.barrier();
    expect(JSON.stringify(receivedMessages(log))).not.toContain('null-id-marker');
    // The session goes on.
    expect((await c.request('tools/call', { name: 'echo', arguments: { text: 'after' } }, 3)).result.content[0].text).toBe('after');
    await finish(c);
  });

  it('§3 ids: a server-to-client request gets an id of mcp-leash, and the answer goes back under the child\'s id', async () => {
    const log = tmpFile('fixture.jsonl');
    const c = startRawProxy({ fixtureArgs: ['--log', log] });
    await c.initialize('2025-06-18', { sampling: {} });
    c.send({ jsonrpc: '2.0', id: 's-1', method: 'tools/call', params: { name: 'sample', arguments: { prompt: 'q' } } });
    const req = await c.next(isMethod('sampling/createMessage'));
    expect(req.id).not.toBe('s-1'); // an id of mcp-leash's own, not the child's
    c.send({ jsonrpc: '2.0', id: req.id, result: { role: 'assistant', content: { type: 'text', text: 'sampled' }, model: 'm' } });
    const res = await c.next(isResponseTo('s-1'));
    expect(res.result.content[0].text).toBe('sampled');
    const answer = receivedMessages(log).find((m) => 'result' in m);
    expect(answer?.id).toBe('s-1');
    await finish(c);
  });
});
