// §9 Bad input from either side: junk on the child's stdout never reaches the client; junk from
// the client is answered with the right JSON-RPC error, never forwarded, and the session goes on.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProcesses, isResponseTo, startRawProxy, startSdkProxy, type LineClient } from '../helpers/proxy.js';
import { fixtureEvents, receivedMessages, tmpDir, tmpFile, within } from '../helpers/procs.js';

afterEach(() => cleanupProcesses());

const echo = (id: unknown, text: string) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text } } });

async function stillWorks(c: LineClient, id: string) {
  c.send(echo(id, `alive ${id}`));
  const res = await c.next(isResponseTo(id));
  expect(res.result.content[0].text).toBe(`alive ${id}`);
}

async function finish(c: LineClient) {
  c.close();
  await within(c.exited, 15_000, 'the proxy to exit');
  c.assertCleanStdout();
}

/** Error responses with id null (the answer to a line that had no usable id). */
const nullIdErrors = (c: LineClient) => c.messages().filter((m) => m && m.id === null && 'error' in m);

describe('§9 bad input', () => {
  it('§9 bad input: a banner and debug lines on the child stdout never reach the client, and are logged', async () => {
    const c = startRawProxy({ fixtureArgs: ['--banner', '--junk'] });
    await c.initialize();
    for (let i = 0; i < 3; i++) await stillWorks(c, `j${i}`);
    await c.barrier();
    expect(c.lines.join('\n')).not.toMatch(/Server starting|DEBUG: got request/);
    c.assertCleanStdout();
    // It is logged as a warning (stderr by default) so a user can see what the server printed.
    expect(c.stderr()).toContain('Server starting... v1.0');
    await finish(c);
  });

  it('§9 bad input: an SDK client talks to a server that prints junk on stdout without errors', async () => {
    const p = await startSdkProxy({ fixtureArgs: ['--banner', '--junk'] });
    try {
      const errors: Error[] = [];
      p.client.onerror = (e) => errors.push(e);
      const res = await p.client.callTool({ name: 'echo', arguments: { text: 'clean' } });
      expect((res.content as any)[0].text).toBe('clean');
      await p.client.callTool({ name: 'echo', arguments: { text: 'again' } });
      expect(errors.map((e) => e.message)).toEqual([]);
    } finally {
      await p.close();
    }
  });

  it('§9 bad input: a line that is not JSON gets -32700 with id null, is not forwarded, and the session goes on', async () => {
    const log = tmpFile('fixture.jsonl');
    const c = startRawProxy({ fixtureArgs: ['--log', log] });
    await c.initialize();
    c.send('this is not json {');
    const res = await c.next((m) => m.id === null && 'error' in m);
    expect(res.error.code).toBe(-32700);
    c.send('{"jsonrpc":"2.0","id":5,"method":"tools/call"'); // truncated
    expect((await c.next((m) => m.id === null && 'error' in m)).error.code).toBe(-32700);
    await stillWorks(c, 'after-parse-error');
    expect(fixtureEvents(log, 'bad-line')).toEqual([]);
    await finish(c);
  });

  it.each([
    ['an object without jsonrpc', '{"hello":"world"}'],
    ['a number', '42'],
    ['a string', '"just a string"'],
    ['null', 'null'],
    ['a method that is not a string', '{"jsonrpc":"2.0","id":"m7","method":7}'],
  ])('§9 bad input: %s gets -32600, is not forwarded, and the session goes on', async (_what, line) => {
    const log = tmpFile('fixture.jsonl');
    const c = startRawProxy({ fixtureArgs: ['--log', log] });
    await c.initialize();
    await c.barrier(); // notifications/initialized has reached the child
    const before = receivedMessages(log).length;
    c.send(line);
    const res = await c.next((m) => 'error' in m && !String(m.id).startsWith('init-'));
    expect(res.error.code).toBe(-32600);
    await c.barrier();
    // Only the barrier ping reached the child.
    expect(receivedMessages(log).slice(before).map((m) => m.method)).toEqual(['ping']);
    expect(fixtureEvents(log, 'bad-line')).toEqual([]);
    await stillWorks(c, 'after-invalid');
    await finish(c);
  });

  // Regression: a message that said it was JSON-RPC 1.0 used to be forwarded as a request.
  it('§9 bad input: a message with jsonrpc "1.0" gets -32600 and is not forwarded', async () => {
    const log = tmpFile('fixture.jsonl');
    const c = startRawProxy({ fixtureArgs: ['--log', log] });
    await c.initialize();
    c.send('{"jsonrpc":"1.0","id":"v1","method":"ping"}');
    const res = await c.next(isResponseTo('v1'));
    expect(res.error?.code).toBe(-32600);
    await c.barrier();
    expect(receivedMessages(log).filter((m) => m.id === 'v1')).toEqual([]);
    await finish(c);
  });

  it('§9 bad input: a batch array gets one -32600 saying batches are not supported, and nothing in it is forwarded', async () => {
    const log = tmpFile('fixture.jsonl');
    const c = startRawProxy({ fixtureArgs: ['--log', log] });
    await c.initialize();
    c.send(JSON.stringify([echo('b1', 'batch-marker-1'), echo('b2', 'batch-marker-2')]));
    const res = await c.next((m) => 'error' in m);
    expect(res.error.code).toBe(-32600);
    expect(res.error.message).toMatch(/batch/i);
    await c.barrier();
    const errors = c.messages().filter((m) => m && 'error' in m);
    expect(errors).toHaveLength(1);
    expect(c.messages().filter((m) => m?.id === 'b1' || m?.id === 'b2')).toEqual([]);
    expect(JSON.stringify(receivedMessages(log))).not.toContain('batch-marker');
    await stillWorks(c, 'after-batch');
    await finish(c);
  });

  it('§9 bad input: blank lines and \\r\\n line endings are fine', async () => {
    const c = startRawProxy();
    c.write('\n\n   \n');
    c.write(JSON.stringify({ jsonrpc: '2.0', id: 'i', method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'crlf', version: '1' } } }) + '\r\n');
    expect((await c.next(isResponseTo('i'))).result.protocolVersion).toBe('2025-06-18');
    c.write('\r\n' + JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\r\n\r\n');
    c.write(JSON.stringify(echo('crlf', 'windows')) + '\r\n');
    expect((await c.next(isResponseTo('crlf'))).result.content[0].text).toBe('windows');
    // A message split over several writes is reassembled.
    const whole = JSON.stringify(echo('split', 'in pieces'));
    c.write(whole.slice(0, 10));
    c.write(whole.slice(10, 30));
    c.write(whole.slice(30) + '\n');
    expect((await c.next(isResponseTo('split'))).result.content[0].text).toBe('in pieces');
    await c.barrier();
    expect(nullIdErrors(c)).toEqual([]);
    await finish(c);
  });

  it('§9 bad input: a line of several megabytes passes both ways', async () => {
    const c = startRawProxy();
    await c.initialize();
    const big = 'x'.repeat(5 * 1024 * 1024);
    c.send(echo('big', big));
    const res = await c.next(isResponseTo('big'), 20_000);
    expect(res.result.content[0].text.length).toBe(big.length);
    await finish(c);
  });

  it('§9 bad input: a client line over maxMessageBytes gets -32600, is not forwarded, and the session goes on', async () => {
    const dir = tmpDir();
    const config = join(dir, 'leash.json');
    writeFileSync(config, JSON.stringify({ maxMessageBytes: 1024 * 1024 }));
    const log = tmpFile('fixture.jsonl');
    const c = startRawProxy({ leashArgs: ['--config', config], fixtureArgs: ['--log', log] });
    await c.initialize();
    c.send(echo('huge', 'oversize-marker ' + 'y'.repeat(2 * 1024 * 1024)));
    const res = await c.next((m) => 'error' in m, 20_000);
    expect(res.error.code).toBe(-32600);
    await stillWorks(c, 'after-huge');
    expect(JSON.stringify(receivedMessages(log))).not.toContain('oversize-marker');
    await finish(c);
  });

  it('§9 bad input: a child answer over maxMessageBytes never reaches the client; the request then times out by policy', async () => {
    const dir = tmpDir();
    const config = join(dir, 'leash.json');
    writeFileSync(config, JSON.stringify({ maxMessageBytes: 1024 * 1024 }));
    const c = startRawProxy({ leashArgs: ['--config', config, '--timeout', '1s'] });
    await c.initialize();
    c.send({ jsonrpc: '2.0', id: 'big', method: 'tools/call', params: { name: 'big', arguments: { bytes: 2 * 1024 * 1024 } } });
    const res = await c.next(isResponseTo('big'), 20_000);
    expect(res.result?.isError).toBe(true);
    expect(res.result.content[0].text).toContain('"big"');
    expect(c.lines.every((l) => l.length < 1024 * 1024)).toBe(true);
    await stillWorks(c, 'after-big');
    await finish(c);
  });
});
