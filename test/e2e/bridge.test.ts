// Issue 20 part 3, end to end: `"protocol": "bridge"`, a 2026-07-28 face for legacy servers. The
// official SDK v2 client pinned to 2026-07-28 (and in auto and legacy modes) and the SDK 1.x
// client, through mcp-leash with timeouts, heartbeats, health checks and restart on, in front of
// server-everything and the SDK 1.x / raw legacy fixtures (era-server.mjs, legacy-server.mjs).
// Real processes, real messages: what the client sees, and what the server got (the --trace file
// or the fixture's log).

import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { v2Client as connectV2, traceLines, type Mode, type V2Options, type V2Session } from '../helpers/v2-client.js';
import { afterEach, describe, expect, it } from 'vitest';
import { EVERYTHING, FIXTURE, NODE, ROOT, cleanupProcesses, configFile, startSdkProxy, trackGroup, type Json } from '../helpers/proxy.js';
import { fixtureEvents, receivedMessages, tmpFile, waitFor, within } from '../helpers/procs.js';

afterEach(() => cleanupProcesses());

const ERA_SERVER = join(ROOT, 'test/fixtures/era-server.mjs');
const era = (kind: string, log?: string) => [NODE, ERA_SERVER, '--kind', kind, ...(log ? ['--log', log] : [])];
const EVERYTHING_CMD = [NODE, EVERYTHING, 'stdio'];

/** The SDK v2 client through mcp-leash with the bridge config (or another), its trace with payloads. */
const v2Client = (mode: Mode, child: string[], o: Partial<V2Options> = {}): Promise<V2Session> => connectV2(mode, child, { config: BRIDGE, payloads: true, ...o });

/** The bridge, with a tool timeout, heartbeats, health checks and restarts all on. */
const BRIDGE = {
  protocol: 'bridge',
  defaults: { totalTimeout: '30s', heartbeat: '1s' },
  rules: [
    { tool: 'sleep', totalTimeout: '300ms' },
    { tool: 'trigger-long-running-operation', totalTimeout: '1s' },
  ],
  healthCheck: { interval: '250ms', misses: 2 },
  restart: { policy: 'on-failure', initialBackoff: '100ms' },
};

const toChild = (file: string, method?: string): Json[] => traceLines(file).filter((l) => l.dir === 'leash->child' && (method === undefined || l.method === method));

const textOf = (r: unknown): string => JSON.stringify((r as { content?: unknown }).content);

/** The sampling handler's answer, recognisable in the server's tool result. */
const SAMPLED = 'a sampled answer from the bridge-e2e client';

/** Everything issue 20's check asks for, against server-everything. */
async function exerciseEverything(s: V2Session, trace: string): Promise<void> {
  const { client } = s;
  expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
  const { tools } = await client.listTools();
  expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'trigger-long-running-operation', 'trigger-sampling-request']));

  const echo = await client.callTool({ name: 'echo', arguments: { message: 'through the bridge' } });
  expect(textOf(echo)).toContain('through the bridge');

  // Progress from the server, through mcp-leash, to the client's onprogress.
  const progress: { progress: number; total?: number }[] = [];
  const long = await client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } }, { onprogress: (p) => progress.push(p) });
  expect(long.isError).toBeFalsy();
  expect(progress.map((p) => p.progress)).toEqual(expect.arrayContaining([1, 2, 3]));

  // mcp-leash's own timeout result: accepted by a 2026 client (resultType), readable.
  const slow = await client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 1.5, steps: 3 } });
  expect(slow.isError).toBe(true);
  expect(textOf(slow)).toMatch(/did not finish within its time limit of (1s|1000ms)\b/);

  // Cancellation: the client aborts after the first progress; the server gets notifications/cancelled.
  const ac = new AbortController();
  const cancelled = client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 1.5, steps: 15 } }, { signal: ac.signal, onprogress: () => ac.abort('the user changed their mind') });
  await expect(within(cancelled, 10_000, 'the aborted call to end')).rejects.toThrow();
  const calls = toChild(trace, 'tools/call').filter((l) => l.params?.arguments?.steps === 15);
  expect(calls).toHaveLength(1);
  // The client's cancel (by its reason: mcp-leash's time limit would cancel the call later on).
  const cancel = await waitFor(() => toChild(trace, 'notifications/cancelled').find((l) => l.params?.requestId === calls[0].id), 10_000, 'notifications/cancelled for the aborted call at the server');
  expect(String(cancel.params?.reason)).toContain('the user changed their mind');

  // Sampling, asked by the server in the middle of a call, answered through MRTR.
  const sampled = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'say something', maxTokens: 10 } });
  expect(sampled.isError).toBeFalsy();
  expect(textOf(sampled)).toContain(SAMPLED);
}

const samplingClient = {
  capabilities: { sampling: {} },
  setup: (c: Client) => {
    c.setRequestHandler('sampling/createMessage', async () => ({ model: 'test-model', role: 'assistant', content: { type: 'text', text: SAMPLED } }));
  },
};

describe('bridge: a v2 client pinned to 2026-07-28 in front of server-everything (SDK 1.x)', () => {
  it('bridge: with the SDK\'s probe sibling: lists, calls, progress, a readable timeout, cancellation and sampling through MRTR', async () => {
    const trace = tmpFile('trace.jsonl');
    const s = await v2Client('pin', EVERYTHING_CMD, { trace, ...samplingClient });
    try {
      await exerciseEverything(s, trace);
      // Both mcp-leash processes traced to the file: the sibling only saw the probe.
      const sessions = new Map<string, string[]>();
      for (const l of traceLines(trace)) if (l.dir === 'client->leash') sessions.set(l.s, [...(sessions.get(l.s) ?? []), l.method]);
      expect(sessions.size).toBe(2);
      expect([...sessions.values()].find((methods) => !methods.includes('tools/call'))).toEqual(['server/discover']);
    } finally {
      await s.close();
    }
  });

  it('bridge: probed in place: the same, and the server got one legacy handshake', async () => {
    const trace = tmpFile('trace.jsonl');
    const s = await v2Client('pin', EVERYTHING_CMD, { trace, inPlace: true, ...samplingClient });
    try {
      await exerciseEverything(s, trace);
      expect(new Set(traceLines(trace).map((l) => l.s)).size).toBe(1);
      expect(toChild(trace, 'initialize')).toHaveLength(1);
      expect(toChild(trace, 'initialize')[0].params?.capabilities).toMatchObject({ sampling: {} });
    } finally {
      await s.close();
    }
  });
});

describe('bridge: a v2 client pinned to 2026-07-28 in front of legacy fixtures', () => {
  it('bridge: an SDK 1.x server asks elicitation in a tool call: answered through MRTR; health checks are pings, never server/discover', async () => {
    const trace = tmpFile('trace.jsonl');
    const asked: string[] = [];
    const s = await v2Client('pin', era('v1'), {
      trace,
      inPlace: true,
      capabilities: { elicitation: { form: {} } },
      setup: (c) =>
        c.setRequestHandler('elicitation/create', async (r) => {
          asked.push(String((r.params as { message?: unknown }).message));
          return { action: 'accept', content: { answer: 'blue' } };
        }),
    });
    try {
      expect(s.client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
      const r = await s.client.callTool({ name: 'ask', arguments: { question: 'favourite colour?' } });
      expect(r.isError).toBeFalsy();
      expect(r.content).toEqual([{ type: 'text', text: 'accept: {"answer":"blue"}' }]);
      expect(asked).toEqual(['favourite colour?']);
      // Health checks ran: pings from mcp-leash; the only server/discover is the bridge's probe.
      await waitFor(() => toChild(trace, 'ping').filter((l) => String(l.id).startsWith('mcp-leash:')).length >= 2, 10_000, 'two health pings at the server');
      expect(toChild(trace, 'server/discover')).toHaveLength(1);
      expect(s.stderr()).not.toMatch(/missed its health|killing the server/);
    } finally {
      await s.close();
    }
  });

  it('bridge: a legacy server that ignores the probe: connects after the probe wait (~5 s) and works', async () => {
    const s = await v2Client('pin', era('ignores-probe'), { inPlace: true });
    try {
      expect(s.client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
      expect(s.connectMs).toBeGreaterThanOrEqual(4_900);
      expect(s.connectMs).toBeLessThan(25_000);
      const r = await s.client.callTool({ name: 'echo', arguments: { text: 'after the wait' } });
      expect(r.content).toEqual([{ type: 'text', text: 'after the wait' }]);
      const slow = await s.client.callTool({ name: 'sleep', arguments: { ms: 5000 } });
      expect(slow.isError).toBe(true);
      expect(textOf(slow)).toContain('did not finish within its time limit of 300ms');
    } finally {
      await s.close();
    }
  });

  it('bridge: a legacy server that exits on the probe: restarted (whatever the restart policy), handshaken, connects and works', async () => {
    const log = tmpFile('fixture.jsonl');
    // restart "never": the restart after the probe must not need the policy.
    const s = await v2Client('pin', era('exits-on-probe', log), { inPlace: true, config: { ...BRIDGE, restart: { policy: 'never' } } });
    try {
      for (const e of fixtureEvents(log, 'start')) if (typeof e.pid === 'number') trackGroup(e.pid as number);
      expect(s.client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
      const r = await s.client.callTool({ name: 'echo', arguments: { text: 'second life' } });
      expect(r.content).toEqual([{ type: 'text', text: 'second life' }]);
      expect(fixtureEvents(log, 'start')).toHaveLength(2);
      expect(fixtureEvents(log, 'exit')).toHaveLength(1);
      expect(receivedMessages(log, 'server/discover')).toHaveLength(1);
      expect(receivedMessages(log, 'initialize')).toHaveLength(1);
    } finally {
      await s.close();
    }
  });
});

describe('bridge: restart', () => {
  it('bridge: a legacy server that crashes mid-session: the call gets a readable error, the restarted server is handshaken again, the next call works', async () => {
    const log = tmpFile('fixture.jsonl');
    const s = await v2Client('pin', [NODE, FIXTURE, '--crash-on-call', '2', '--log', log], { inPlace: true });
    try {
      const one = await s.client.callTool({ name: 'echo', arguments: { text: 'one' } });
      expect(one.content).toEqual([{ type: 'text', text: 'one' }]);
      await expect(s.client.callTool({ name: 'echo', arguments: { text: 'two' } })).rejects.toThrow(/MCP server exited with code 3.*fatal: crashed on call 2/s);
      const three = await s.client.callTool({ name: 'echo', arguments: { text: 'three' } });
      expect(three.content).toEqual([{ type: 'text', text: 'three' }]);
      expect(fixtureEvents(log, 'start')).toHaveLength(2);
      const inits = receivedMessages(log, 'initialize');
      expect(inits).toHaveLength(2);
      expect(inits[1]!.params?.clientInfo).toEqual(inits[0]!.params?.clientInfo);
    } finally {
      await s.close();
    }
  });
});

describe('bridge: clients that do not speak 2026-07-28 go through unchanged', () => {
  it('bridge: the SDK 1.x client and a v2 client in legacy mode: plain initialize, the same tools as without the bridge', async () => {
    const plain = await startSdkProxy({ child: EVERYTHING_CMD, leashArgs: ['--config', configFile({ ...BRIDGE, protocol: undefined })] });
    let expected: unknown;
    try {
      expected = (await plain.client.listTools()).tools;
    } finally {
      await plain.close();
    }
    const trace = tmpFile('trace.jsonl');
    const p = await startSdkProxy({ child: EVERYTHING_CMD, leashArgs: ['--config', configFile(BRIDGE), '--trace', trace] });
    try {
      expect((await p.client.listTools()).tools).toEqual(expected);
      const r = await p.client.callTool({ name: 'echo', arguments: { message: 'one' } });
      expect(textOf(r)).toContain('one');
      expect(toChild(trace, 'initialize')).toHaveLength(1);
      expect(toChild(trace, 'server/discover')).toHaveLength(0);
    } finally {
      await p.close();
    }
    const s = await v2Client('legacy', era('v1'));
    try {
      expect(s.client.getProtocolEra()).toBe('legacy');
      expect(s.client.getNegotiatedProtocolVersion()).not.toBe('2026-07-28');
      const r = await s.client.callTool({ name: 'echo', arguments: { text: 'two' } });
      expect(r.content).toEqual([{ type: 'text', text: 'two' }]);
    } finally {
      await s.close();
    }
  });

  it('bridge: a v2 client in auto mode in front of an SDK 1.x server ends up in a 2026-07-28 session', async () => {
    const s = await v2Client('auto', era('v1'), { inPlace: true });
    try {
      expect(s.client.getProtocolEra()).toBe('modern');
      expect(s.client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
      const r = await s.client.callTool({ name: 'echo', arguments: { text: 'auto' } });
      expect(r.content).toEqual([{ type: 'text', text: 'auto' }]);
    } finally {
      await s.close();
    }
  });
});

describe('bridge: log messages', () => {
  it('bridge: the server\'s log messages reach the client only during a call that asked for their level', async () => {
    const logged: unknown[] = [];
    const s = await v2Client('pin', era('v1'), {
      inPlace: true,
      setup: (c) => c.setNotificationHandler('notifications/message', (n) => void logged.push(n.params.data)),
    });
    try {
      const quiet = await s.client.callTool({ name: 'log', arguments: { level: 'info', text: 'not asked for' } });
      expect(quiet.content).toEqual([{ type: 'text', text: 'logged not asked for' }]);
      const tooLow = await s.client.callTool({ name: 'log', arguments: { level: 'debug', text: 'below warning' }, _meta: { 'io.modelcontextprotocol/logLevel': 'warning' } });
      expect(tooLow.isError).toBeFalsy();
      const loud = await s.client.callTool({ name: 'log', arguments: { level: 'info', text: 'asked for' }, _meta: { 'io.modelcontextprotocol/logLevel': 'debug' } });
      expect(loud.isError).toBeFalsy();
      // One pipe, in order: a message let through before would have arrived before this one.
      await waitFor(() => logged.includes('asked for'), 10_000, 'the log message asked for');
      expect(logged).toEqual(['asked for']);
    } finally {
      await s.close();
    }
  });
});

describe('bridge: subscriptions/listen', () => {
  it('bridge: a listen for tool list changes gets the SDK 1.x server\'s notifications/tools/list_changed', async () => {
    let changed = 0;
    const s = await v2Client('pin', era('v1'), {
      inPlace: true,
      setup: (c) => c.setNotificationHandler('notifications/tools/list_changed', () => void changed++),
    });
    try {
      const sub = await s.client.listen({ toolsListChanged: true });
      expect(sub.honoredFilter).toMatchObject({ toolsListChanged: true });
      const r = await s.client.callTool({ name: 'add-tool', arguments: { name: 'late-tool' } });
      expect(r.content).toEqual([{ type: 'text', text: 'added late-tool' }]);
      await waitFor(() => changed > 0, 10_000, 'notifications/tools/list_changed at the client');
      const { tools } = await s.client.listTools();
      expect(tools.map((t) => t.name)).toContain('late-tool');
      await sub.close();
    } finally {
      await s.close();
    }
  });

  it('bridge: a listen for a resource: mcp-leash subscribes at server-everything (again after a restart), its updates reach the client, close unsubscribes', async () => {
    const trace = tmpFile('trace.jsonl');
    const uri = 'demo://resource/dynamic/text/1';
    const updated: string[] = [];
    const s = await v2Client('pin', EVERYTHING_CMD, {
      trace,
      inPlace: true,
      setup: (c) => c.setNotificationHandler('notifications/resources/updated', (n) => void updated.push(n.params.uri)),
    });
    try {
      const sub = await s.client.listen({ resourceSubscriptions: [uri] });
      expect(sub.honoredFilter).toMatchObject({ resourceSubscriptions: [uri] });
      // The tool sends an update for every subscribed resource at once (then every 5 s).
      await s.client.callTool({ name: 'toggle-subscriber-updates', arguments: {} });
      await waitFor(() => updated.includes(uri), 10_000, 'notifications/resources/updated at the client');
      expect(toChild(trace, 'resources/subscribe').map((l) => l.params?.uri)).toEqual([uri]);
      // The server dies: the restarted one is subscribed again, and its updates reach the same listen.
      const childPid = Number(/"childPid":(\d+)/.exec(s.stderr())?.[1]);
      expect(childPid).toBeGreaterThan(0);
      process.kill(childPid, 'SIGKILL');
      await waitFor(() => toChild(trace, 'resources/subscribe').length === 2, 10_000, 'resources/subscribe at the restarted server');
      const before = updated.length;
      await s.client.callTool({ name: 'toggle-subscriber-updates', arguments: {} });
      await waitFor(() => updated.length > before, 10_000, 'an update from the restarted server');
      await sub.close();
      await waitFor(() => toChild(trace, 'resources/unsubscribe').some((l) => l.params?.uri === uri), 10_000, 'resources/unsubscribe at the server');
      // Off again: with its update timer running, server-everything outlives its stdin.
      await s.client.callTool({ name: 'toggle-subscriber-updates', arguments: {} });
    } finally {
      await s.close();
    }
  });
});
