// §10 Logs: pino JSON lines, to --log-file when given, saying what happened and never holding
// message payloads (tool arguments may be secrets) at info.

import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProcesses, isResponseTo, startRawProxy, finish } from '../helpers/proxy.js';
import { receivedMessages, tmpFile, waitFor, within } from '../helpers/procs.js';

afterEach(() => cleanupProcesses());

const SECRET = 'sk-live-SECRET-4242-do-not-log';

function readLog(file: string): any[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}

describe('§10 logging', () => {
  it('§10 logs: --log-file gets pino JSON lines, and at info none holds tool arguments or results', async () => {
    const logFile = tmpFile('leash.log');
    const fixtureLog = tmpFile('fixture.jsonl');
    const c = startRawProxy({ leashArgs: ['--log-file', logFile, '--log-level', 'info'], fixtureArgs: ['--log', fixtureLog, '--banner'] });
    await c.initialize();
    c.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: SECRET } } });
    expect((await c.next(isResponseTo(1))).result.content[0].text).toBe(SECRET);
    // A cancellation, which info should mention.
    c.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'sleep', arguments: { ms: 60_000, note: SECRET } } });
    await waitFor(() => receivedMessages(fixtureLog, 'tools/call').length === 2, 10_000, 'the child to receive the sleep');
    c.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 2, reason: SECRET } });
    await c.barrier();
    c.close();
    expect((await within(c.exited, 15_000, 'the proxy to exit')).code).toBe(0);

    const text = readFileSync(logFile, 'utf8');
    const lines = readLog(logFile);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) {
      expect(typeof l.level).toBe('number');
      expect(typeof l.time).toBe('number');
      expect(typeof l.msg).toBe('string');
      expect(l.level).toBeGreaterThanOrEqual(30); // info and above only
    }
    expect(text).not.toContain(SECRET);
    expect(c.stderr()).not.toContain(SECRET);
    // What happened is there: the child's start and exit, the banner warning, the cancellation.
    expect(text).toMatch(/start/i);
    expect(text).toMatch(/exit/i);
    expect(text).toContain('Server starting... v1.0');
    expect(text).toMatch(/cancel/i);
  });

  it('§10 logs: without --log-file, logs go to stderr and stdout stays clean', async () => {
    const c = startRawProxy({ fixtureArgs: ['--banner'] });
    await c.initialize();
    await finish(c);
    const pinoLines = c
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    expect(pinoLines.length).toBeGreaterThan(0);
    expect(pinoLines.every((l) => typeof l.level === 'number' && typeof l.msg === 'string')).toBe(true);
  });
});
