// §6 Progress and heartbeats through real processes (issue 4, "How it will be checked"): a silent
// call survives an SDK client's 2 s progress-reset timeout thanks to heartbeats (and does not
// without mcp-leash); an SDK server's own progress passes with no heartbeat interleaved; a flood
// is throttled to the configured rate and ends on the child's last state.
//
// The tests run concurrently, so clean-up is afterAll (cleanupProcesses() kills everything).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ErrorCode, McpError, type Progress } from '@modelcontextprotocol/sdk/types.js';
import {
  EVERYTHING,
  FIXTURE,
  NODE,
  ROOT,
  cleanupProcesses,
  isResponseTo,
  startRawProxy,
  startSdkProxy,
  trackPid,
  type LineClient,
} from '../helpers/proxy.js';
import { tmpDir, within } from '../helpers/procs.js';
import { PROGRESS_BURST } from '../../src/core/progress.js';

afterAll(() => cleanupProcesses());

const progressFor = (c: LineClient, token: unknown) =>
  c.messages().filter((m) => m?.method === 'notifications/progress' && m.params?.progressToken === token);
const responseIndex = (c: LineClient, id: unknown) => c.messages().findIndex((m) => isResponseTo(id)(m, ''));
const isHeartbeat = (message: unknown) => typeof message === 'string' && message.startsWith('mcp-leash:');

async function finish(c: LineClient) {
  c.close();
  await within(c.exited, 15_000, 'the proxy to exit');
  c.assertCleanStdout();
}

/** The legacy fixture with no proxy in front, as an SDK client would start it. */
async function startDirectFixture(): Promise<Client> {
  const transport = new StdioClientTransport({ command: NODE, args: [FIXTURE], cwd: ROOT, stderr: 'pipe' });
  const client = new Client({ name: 'mcp-leash-e2e-direct', version: '0.0.0' });
  await client.connect(transport);
  if (transport.pid) trackPid(transport.pid);
  return client;
}

describe.concurrent('§6 heartbeats', () => {
  it('§6 progress: an SDK client with a 2 s progress-reset timeout completes an 8 s silent call through mcp-leash thanks to heartbeats; without mcp-leash the same call times out', async () => {
    const leashed = await startSdkProxy({ leashArgs: ['--heartbeat', '500ms'] });
    const direct = await startDirectFixture();
    try {
      const seenLeashed: Progress[] = [];
      const seenDirect: Progress[] = [];
      const options = (seen: Progress[]) => ({
        timeout: 2000,
        resetTimeoutOnProgress: true,
        onprogress: (p: Progress) => seen.push(p),
      });
      const args = { name: 'sleep', arguments: { ms: 8000 } };
      // Both at once: the direct call fails after 2 s while the leashed one goes on.
      const [viaLeash, withoutLeash] = await Promise.allSettled([
        leashed.client.callTool(args, undefined, options(seenLeashed)),
        direct.callTool(args, undefined, options(seenDirect)),
      ]);

      // Through mcp-leash: the real answer, after heartbeats that say where they come from.
      expect(viaLeash.status).toBe('fulfilled');
      const res = (viaLeash as PromiseFulfilledResult<any>).value;
      expect(res.content).toEqual([{ type: 'text', text: 'slept 8000ms' }]);
      expect(res.isError).toBeFalsy();
      // About 16 at 500 ms; at least enough that no 2 s went by without one.
      expect(seenLeashed.length).toBeGreaterThanOrEqual(4);
      for (const p of seenLeashed) {
        expect(p.message).toMatch(/^mcp-leash:/);
        expect(p.message).toContain('"sleep"');
      }
      const values = seenLeashed.map((p) => p.progress);
      for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1]!);

      // Without: the SDK's own request timeout, -32001, and no progress ever.
      expect(withoutLeash.status).toBe('rejected');
      const err = (withoutLeash as PromiseRejectedResult).reason;
      expect(err).toBeInstanceOf(McpError);
      expect((err as McpError).code).toBe(ErrorCode.RequestTimeout);
      expect(seenDirect).toEqual([]);
    } finally {
      await Promise.allSettled([leashed.close(), direct.close()]);
    }
  });

  it("§6 progress: server-everything's long-running operation: the client sees the server's own progress with its own token, in order, with no heartbeat interleaved", async () => {
    // Heartbeat 1 s, server steps every 200 ms: a heartbeat would only come if the server fell
    // silent for 5 steps. A second call, silent for 3 s before its single step, shows heartbeats
    // are on in this very session.
    const c = startRawProxy({ child: [NODE, EVERYTHING, 'stdio'], leashArgs: ['--heartbeat', '1s'] });
    await c.initialize();
    const tool = 'trigger-long-running-operation';
    c.send({ jsonrpc: '2.0', id: 'silent', method: 'tools/call', params: { name: tool, arguments: { duration: 3, steps: 1 }, _meta: { progressToken: 'quiet' } } });
    c.send({ jsonrpc: '2.0', id: 'busy', method: 'tools/call', params: { name: tool, arguments: { duration: 2.4, steps: 12 }, _meta: { progressToken: 'ev-token' } } });
    const busy = await c.next(isResponseTo('busy'), 15_000, 'the long-running operation');
    expect(busy.result.content[0].text).toMatch(/Long running operation completed/);
    await c.next(isResponseTo('silent'), 15_000, 'the silent operation');
    await c.barrier();

    const fromServer = progressFor(c, 'ev-token');
    expect(fromServer.map((m) => m.params)).toEqual(
      Array.from({ length: 12 }, (_, i) => ({ progressToken: 'ev-token', progress: i + 1, total: 12 })),
    );
    expect(fromServer.filter((m) => isHeartbeat(m.params.message))).toEqual([]);
    // Nothing after the answer.
    expect(c.messages().slice(responseIndex(c, 'busy') + 1).filter((m) => m?.params?.progressToken === 'ev-token')).toEqual([]);

    // The control: the silent call got heartbeats, then the server's own 1/1.
    const quiet = progressFor(c, 'quiet').map((m) => m.params);
    expect(quiet.filter((p) => isHeartbeat(p.message)).length).toBeGreaterThanOrEqual(1);
    expect(quiet.at(-1)).toEqual({ progressToken: 'quiet', progress: 1, total: 1 });
    // No progress with any other token: every notification went to its own request's token.
    const tokens = new Set(c.messages().filter((m) => m?.method === 'notifications/progress').map((m) => m.params.progressToken));
    expect([...tokens].sort()).toEqual(['ev-token', 'quiet']);
    await finish(c);
  });
});

describe.concurrent('§6 throttling', () => {
  const INTERVAL_MS = 50;
  const config = () => {
    const file = join(tmpDir(), 'leash.json');
    writeFileSync(file, JSON.stringify({ progressInterval: `${INTERVAL_MS}ms` }));
    return file;
  };

  /** Calls a progress tool and returns what the client saw before the answer, and how long it took. */
  async function run(c: LineClient, id: string, name: string, args: Record<string, unknown>) {
    const t0 = performance.now();
    c.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, _meta: { progressToken: id } } });
    const res = await c.next(isResponseTo(id), 20_000, `the answer to ${name}`);
    const elapsed = performance.now() - t0;
    await c.barrier();
    const seen = progressFor(c, id);
    const after = c.messages().slice(responseIndex(c, id) + 1).filter((m) => m?.params?.progressToken === id);
    return { res, elapsed, seen: seen.map((m) => m.params), after };
  }

  it('§6 progress: a flood of 5000 updates reaches the client at the configured rate, ending on the child\'s last value and message', async () => {
    const c = startRawProxy({ leashArgs: ['--config', config()] });
    await c.initialize();
    const { res, elapsed, seen, after } = await run(c, 'flood', 'flood', { count: 5000 });
    expect(res.result.content[0].text).toBe('flooded 5000');
    expect(seen.length).toBeGreaterThanOrEqual(1);
    // The bucket's burst, then one per interval at most, plus the held-back last one flushed
    // before the answer.
    expect(seen.length).toBeLessThanOrEqual(PROGRESS_BURST + Math.floor(elapsed / INTERVAL_MS) + 1);
    expect(seen.length).toBeLessThan(100);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.progress).toBeGreaterThan(seen[i - 1]!.progress);
    expect(seen.at(-1)).toEqual({ progressToken: 'flood', progress: 5000, total: 5000, message: 'step 5000' });
    expect(after).toEqual([]);
    await finish(c);
  });

  it('§6 progress: a paced flood (about a thousand updates a second for ~1.5 s) is forwarded about once per progressInterval, ending on the last state', async () => {
    const c = startRawProxy({ leashArgs: ['--config', config()] });
    await c.initialize();
    const steps = 1500;
    const { res, elapsed, seen, after } = await run(c, 'paced', 'progress', { steps, intervalMs: 1, total: steps });
    expect(res.result.content[0].text).toBe(`progress done after ${steps} steps`);
    // Throttled: never more than the bucket's burst and one per interval after it (+1 for the final flush)...
    expect(seen.length).toBeLessThanOrEqual(PROGRESS_BURST + Math.floor(elapsed / INTERVAL_MS) + 1);
    // ...but not starved either: the newest state keeps getting through while the child speaks.
    expect(seen.length).toBeGreaterThanOrEqual(Math.max(3, Math.floor(elapsed / INTERVAL_MS / 4)));
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.progress).toBeGreaterThan(seen[i - 1]!.progress);
    for (const p of seen) expect(isHeartbeat(p.message)).toBe(false);
    expect(seen.at(-1)).toEqual({ progressToken: 'paced', progress: steps, total: steps, message: `step ${steps}` });
    expect(after).toEqual([]);
    await finish(c);
  });
});
