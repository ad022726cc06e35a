// Issue 19 (CONTRACT §11): a slow call outlives a host with a hard limit. The real SDK Client
// with a hard `timeout` and no reset on progress (what Claude Desktop, Cowork, Copilot CLI and
// most SDK agents do), against the legacy fixture's slow tools: directly the call fails; through
// mcp-leash with detachAfter the first answer comes before the client's limit, and leash_await
// brings back exactly what a direct call with no limit returns.

import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import { cleanupProcesses, configFile, fixtureCommand, startSdkProxy, type Json, type SdkProxy } from '../helpers/proxy.js';
import { fixtureEvents, tmpFile, waitFor } from '../helpers/procs.js';

const JOB_META = 'mcp-leash/job';
/** The host's hard limit on one tool call, never reset by progress. */
const HOST_LIMIT_MS = 2_500;
/** Below the host's limit, as the README advises. */
const DETACH = '1s';
/** The slow call: longer than the host's limit. */
const SLOW_MS = 4_000;

const created: string[] = [];
afterEach(() => {
  cleanupProcesses();
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tmp(name: string): string {
  const file = tmpFile(name);
  created.push(dirname(file));
  return file;
}

function config(extra: Json = {}): string {
  const file = configFile({ defaults: { detachAfter: DETACH }, ...extra });
  created.push(dirname(file));
  return file;
}

/** The fixture alone behind the SDK client: what the host gets without mcp-leash. */
async function direct(): Promise<Client> {
  const [command, ...args] = fixtureCommand();
  const client = new Client({ name: 'direct', version: '0.0.0' });
  await client.connect(new StdioClientTransport({ command: command!, args, stderr: 'pipe' }));
  return client;
}

/** A model-like loop: call the tool, then leash_await until the job is no longer running. */
async function callAndAwait(p: SdkProxy, name: string, args: Json): Promise<{ first: Json; firstMs: number; awaits: number; final: Json }> {
  const t0 = Date.now();
  const first = await p.client.callTool({ name, arguments: args }, undefined, { timeout: HOST_LIMIT_MS });
  const firstMs = Date.now() - t0;
  const job = (first._meta as Json)?.[JOB_META]?.id;
  if (typeof job !== 'string') return { first, firstMs, awaits: 0, final: first };
  let final: Json;
  let awaits = 0;
  for (;;) {
    if (++awaits > 20) throw new Error(`job ${job} still running after 20 awaits`);
    final = await p.client.callTool({ name: 'leash_await', arguments: { job } }, undefined, { timeout: HOST_LIMIT_MS });
    if ((final._meta as Json)?.[JOB_META]?.state !== 'running') break;
  }
  return { first, firstMs, awaits, final };
}

describe('issue 19: what the SDK client accepts for a tool with an outputSchema (why the handle is isError there)', () => {
  /** An in-process server whose one tool declares an outputSchema and answers `result`. */
  async function clientFor(result: Json): Promise<Client> {
    const server = new Server({ name: 's', version: '1' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, () => ({
      tools: [{ name: 't', inputSchema: { type: 'object' }, outputSchema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] } }],
    }));
    server.setRequestHandler(CallToolRequestSchema, () => result);
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(a);
    const client = new Client({ name: 'c', version: '1' });
    await client.connect(b);
    await client.listTools(); // caches the output validator, as hosts do
    return client;
  }
  const handle = { content: [{ type: 'text', text: 'still running as job "j1"' }], _meta: { [JOB_META]: { id: 'j1', tool: 't', state: 'running' } } };

  it('rejects a handle without structuredContent unless it is isError, and rejects structuredContent that misses the schema', async () => {
    await expect((await clientFor(handle)).callTool({ name: 't', arguments: {} })).rejects.toThrow(/has an output schema but did not return structured content/);
    await expect((await clientFor({ ...handle, structuredContent: { job: 'j1' } })).callTool({ name: 't', arguments: {} })).rejects.toThrow(/does not match the tool's output schema/);
    await expect((await clientFor({ ...handle, isError: true })).callTool({ name: 't', arguments: {} })).resolves.toMatchObject({ isError: true });
  });
});

describe('issue 19: jobs through the real SDK client with a hard limit', () => {
  it('directly the slow call fails at the host limit; through mcp-leash the first answer comes in time and leash_await returns what a direct call without a limit returns', async () => {
    const d = await direct();
    try {
      await expect(d.callTool({ name: 'index_repo', arguments: { ms: SLOW_MS } }, undefined, { timeout: HOST_LIMIT_MS })).rejects.toSatisfy(
        (e: unknown) => e instanceof McpError && e.code === -32001,
      );
      const reference = await d.callTool({ name: 'index_repo', arguments: { ms: SLOW_MS } }, undefined, { timeout: 30_000 });
      expect((reference.content as Json)[0].text).toBe(`indexed after ${SLOW_MS}ms in 4 steps`);

      const p = await startSdkProxy({ leashArgs: ['--config', config()] });
      const { first, firstMs, awaits, final } = await callAndAwait(p, 'index_repo', { ms: SLOW_MS });
      expect(firstMs).toBeLessThan(HOST_LIMIT_MS);
      expect((first._meta as Json)[JOB_META]).toEqual({ id: 'j1', tool: 'index_repo', state: 'running' });
      expect(first.isError).toBeUndefined();
      expect((first.content as Json)[0].text).toMatch(
        /^The tool "index_repo" is still running after 1(\.\d+)?s \((progress \d\/4: "indexing part \d of 4"|no progress reported yet)\)\. mcp-leash keeps it running as job "j1"\. Call leash_await with \{"job": "j1"\} to wait for its result, or leash_cancel with \{"job": "j1"\} to stop it\.$/,
      );
      expect(awaits).toBeGreaterThanOrEqual(2); // 4 s of work, awaits of at most 1 s each
      expect(final).toEqual(reference);
      await p.close();
    } finally {
      await d.close();
    }
  });

  it('lists leash_await and leash_cancel with input schemas, and a fast call is a plain call', async () => {
    const p = await startSdkProxy({ leashArgs: ['--detach-after', DETACH] });
    const { tools } = await p.client.listTools();
    const names = tools.map((t) => t.name);
    expect(names.slice(-2)).toEqual(['leash_await', 'leash_cancel']);
    expect(tools.at(-1)!.inputSchema).toMatchObject({ type: 'object', required: ['job'] });
    const fast = await p.client.callTool({ name: 'echo', arguments: { text: 'hi' } }, undefined, { timeout: HOST_LIMIT_MS });
    expect(fast).toEqual({ content: [{ type: 'text', text: 'hi' }] });
    await p.close();
  });

  it('a tool with an outputSchema: the SDK client, which validates structuredContent, accepts the handle (isError) and the awaited structured result', async () => {
    const d = await direct();
    const reference = await d.callTool({ name: 'index_structured', arguments: { ms: SLOW_MS } }, undefined, { timeout: 30_000 });
    await d.close();
    const p = await startSdkProxy({ leashArgs: ['--config', config()] });
    // listTools() is where the SDK client learns the outputSchema it validates against.
    const { tools } = await p.client.listTools();
    expect(tools.find((t) => t.name === 'index_structured')?.outputSchema).toBeDefined();
    const { first, final } = await callAndAwait(p, 'index_structured', { ms: SLOW_MS });
    expect(first.isError).toBe(true);
    expect(first.structuredContent).toBeUndefined();
    expect((first._meta as Json)[JOB_META].state).toBe('running');
    expect(final).toEqual(reference);
    expect(final.structuredContent).toEqual({ files: 42, tookMs: SLOW_MS });
    await p.close();
  });

  it('leash_cancel reaches the server as notifications/cancelled; the job then reports cancelled; a repeat is harmless', async () => {
    const log = tmp('fixture.jsonl');
    const p = await startSdkProxy({ leashArgs: ['--config', config()], fixtureArgs: ['--log', log] });
    const first = await p.client.callTool({ name: 'index_repo', arguments: { ms: 20_000 } }, undefined, { timeout: HOST_LIMIT_MS });
    const job = (first._meta as Json)[JOB_META].id as string;
    const cancelled = await p.client.callTool({ name: 'leash_cancel', arguments: { job } }, undefined, { timeout: HOST_LIMIT_MS });
    expect((cancelled.content as Json)[0].text).toContain(`The job "${job}" (tool "index_repo") was cancelled`);
    const [event] = await waitFor(() => {
      const e = fixtureEvents(log, 'cancelled');
      return e.length ? e : undefined;
    }, 10_000, 'the fixture to log the cancel');
    expect(event).toMatchObject({ reason: 'job cancelled by the client (leash_cancel)', known: true });
    const awaited = await p.client.callTool({ name: 'leash_await', arguments: { job } }, undefined, { timeout: HOST_LIMIT_MS });
    expect(awaited.isError).toBe(true);
    expect((awaited._meta as Json)[JOB_META].state).toBe('cancelled');
    const again = await p.client.callTool({ name: 'leash_cancel', arguments: { job } });
    expect((again.content as Json)[0].text).toContain('had already ended (cancelled)');
    expect(fixtureEvents(log, 'cancelled')).toHaveLength(1);
    await p.close();
  });

  it('a finished result expires after jobs.ttl; a result over jobs.maxBytes fails its job; an unknown job names the ones kept', async () => {
    const p = await startSdkProxy({ leashArgs: ['--config', config({ jobs: { ttl: '1s', maxBytes: 1000 } })] });
    const big = await callAndAwait(p, 'index_repo', { ms: 1_500, bytes: 2_000 });
    expect(big.final.isError).toBe(true);
    expect((big.final.content as Json)[0].text).toMatch(/failed: the tool "index_repo" finished, but its result \(\d+ bytes\) is larger than mcp-leash keeps for jobs \(jobs.maxBytes = 1000\)/);
    const small = await callAndAwait(p, 'index_repo', { ms: 1_500 });
    expect((small.final.content as Json)[0].text).toBe('indexed after 1500ms in 4 steps');
    const unknown = await p.client.callTool({ name: 'leash_await', arguments: { job: 'j99' } });
    expect((unknown.content as Json)[0].text).toMatch(/^There is no job "j99"\. Jobs mcp-leash keeps now: .*"j2" \(completed, tool "index_repo"\)/);
    // Expiry is a matter of time: ask until the 1 s ttl has passed (bounded wait, no fixed sleep).
    const expired = await waitFor(
      async () => {
        const r = await p.client.callTool({ name: 'leash_await', arguments: { job: 'j2' } });
        const text = (r.content as Json)[0].text as string;
        return text.includes('has expired') ? text : undefined;
      },
      10_000,
      'job j2 to expire',
      100,
    );
    expect(expired).toMatch(/^The job "j2" has expired: its result was kept for 1s after it finished/);
    await p.close();
  });
});
