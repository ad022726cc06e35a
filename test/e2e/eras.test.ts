// §13 Protocol eras (issue 20), end to end: the official SDK v2 client in each negotiation mode
// (legacy, auto, pinned to 2026-07-28) and the SDK 1.x client, through mcp-leash with timeouts,
// heartbeats, health checks and restart on, in front of a v2 server (dual-era), SDK 1.x servers
// (McpServer, server-everything) and legacy servers that ignore or die on the server/discover
// probe. Kept lean: one connect and a couple of calls per pairing.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { v2Client as connectV2, traceLines, type Mode, type V2Options, type V2Session } from '../helpers/v2-client.js';
import { afterEach, describe, expect, it } from 'vitest';
import { EVERYTHING, NODE, ROOT, cleanupProcesses, configFile, startSdkProxy, trackGroup } from '../helpers/proxy.js';
import { fixtureEvents, receivedMessages, tmpFile, waitFor } from '../helpers/procs.js';

afterEach(() => cleanupProcesses());

const ERA_SERVER = join(ROOT, 'test/fixtures/era-server.mjs');
const server = (kind: string, log?: string) => [NODE, ERA_SERVER, '--kind', kind, ...(log ? ['--log', log] : [])];

/** What the checks run under: a tool timeout, heartbeats, health checks and restarts all on. */
const LEASH = {
  defaults: { totalTimeout: '30s', heartbeat: '1s' },
  rules: [{ tool: 'sleep', totalTimeout: '300ms' }],
  healthCheck: { interval: '250ms', misses: 2 },
  restart: { policy: 'on-failure', initialBackoff: '100ms' },
};

/** mcp-leash's warning when it answered a probe itself after the probe wait. */
const PROBE_WAITED = /did not answer the server\/discover probe in time/;

/** The SDK v2 client through mcp-leash with LEASH (or another config). */
const v2Client = (mode: Mode, child: string[], o: Partial<V2Options> = {}): Promise<V2Session> => connectV2(mode, child, { config: LEASH, ...o });

/** Calls that check the session: an echo, and a timeout result the client must accept. */
async function exercise(client: Client): Promise<void> {
  const echo = await client.callTool({ name: 'echo', arguments: { text: 'through the leash' } });
  expect(echo.content).toEqual([{ type: 'text', text: 'through the leash' }]);
  // mcp-leash's own result (a 2026 client rejects one without resultType: INVALID_RESULT).
  const timedOut = await client.callTool({ name: 'sleep', arguments: { ms: 5000 } });
  expect(timedOut.isError).toBe(true);
  expect(JSON.stringify(timedOut.content)).toContain('did not finish within its time limit of 300ms');
}


describe('§13 a v2 (dual-era) server through mcp-leash', () => {
  it('§13 v2 client pinned to 2026-07-28: modern session, resultType on the timeout result, health checks are server/discover (never ping)', async () => {
    const trace = tmpFile('trace.jsonl');
    const s = await v2Client('pin', server('v2'), { trace, inPlace: true });
    try {
      expect(s.client.getProtocolEra()).toBe('modern');
      await exercise(s.client);
      // Health checks ran while the client was busy: several, all answered, none a ping.
      const checks = await waitFor(() => {
        const own = traceLines(trace).filter((l) => l.dir === 'leash->child' && typeof l.id === 'string' && l.id.startsWith('mcp-leash:'));
        return own.length >= 2 ? own : undefined;
      }, 10_000, 'two health checks in the trace');
      expect(new Set(checks.map((l) => l.method))).toEqual(new Set(['server/discover']));
      expect(traceLines(trace).some((l) => l.method === 'ping' || l.method === 'initialize')).toBe(false);
      expect(s.stderr()).not.toMatch(/missed its health|killing the server/);
    } finally {
      await s.close();
    }
  });

  it('§13 v2 client in auto mode: the probe is relayed, the session is modern', async () => {
    const s = await v2Client('auto', server('v2'));
    try {
      expect(s.client.getProtocolEra()).toBe('modern');
      expect(s.client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
      await exercise(s.client);
    } finally {
      await s.close();
    }
  });

  it('§13 v2 client in legacy mode, and the SDK 1.x client: plain initialize, health checks are ping', async () => {
    const trace = tmpFile('trace.jsonl');
    const s = await v2Client('legacy', server('v2'), { trace });
    try {
      expect(s.client.getProtocolEra()).toBe('legacy');
      await exercise(s.client);
      await waitFor(() => traceLines(trace).some((l) => l.dir === 'leash->child' && l.method === 'ping'), 10_000, 'a health ping');
      expect(traceLines(trace).some((l) => l.dir === 'leash->child' && l.method === 'server/discover')).toBe(false);
    } finally {
      await s.close();
    }
    const p = await startSdkProxy({ child: server('v2'), leashArgs: ['--config', configFile(LEASH)] });
    try {
      const r = await p.client.callTool({ name: 'echo', arguments: { text: 'one' } });
      expect(r.content).toEqual([{ type: 'text', text: 'one' }]);
    } finally {
      await p.close();
    }
  });
});

describe('§13 server/discover is not a request timeout\'s business', () => {
  it('§13 a slow-starting v2 server behind a 500 ms --timeout: the probe waits for it, and the session is modern', async () => {
    const config = { ...LEASH, defaults: { totalTimeout: '500ms', heartbeat: '1s' } };
    const s = await v2Client('auto', [...server('v2'), '--start-delay', '1500'], { config, inPlace: true });
    try {
      expect(s.client.getProtocolEra()).toBe('modern');
      expect(s.connectMs).toBeGreaterThanOrEqual(1_500);
      const r = await s.client.callTool({ name: 'echo', arguments: { text: 'late but fine' } });
      expect(r.content).toEqual([{ type: 'text', text: 'late but fine' }]);
    } finally {
      await s.close();
    }
  });
});

describe('§13 legacy servers in front of a probing v2 client (auto mode)', () => {
  it('§13 SDK 1.x McpServer and server-everything: the probe gets their own error at once and the client falls back', async () => {
    for (const child of [server('v1'), [NODE, EVERYTHING, 'stdio']]) {
      // In place, so that this mcp-leash's stderr shows who answered the probe.
      const s = await v2Client('auto', child, { inPlace: true });
      try {
        expect(s.client.getProtocolEra()).toBe('legacy');
        expect(s.stderr()).not.toMatch(PROBE_WAITED); // the server answered: no probe wait
        const { tools } = await s.client.listTools();
        expect(tools.map((t) => t.name)).toContain('echo');
      } finally {
        await s.close();
      }
    }
  });

  it('§13 a server that ignores the probe: mcp-leash answers it after its probe wait (5 s), not the client\'s 60 s; the session works', async () => {
    // In place, so that the warning is in this mcp-leash's stderr (a probe sibling's is discarded).
    const s = await v2Client('auto', server('ignores-probe'), { inPlace: true });
    try {
      expect(s.client.getProtocolEra()).toBe('legacy');
      expect(s.connectMs).toBeGreaterThanOrEqual(4_900);
      expect(s.connectMs).toBeLessThan(25_000); // far from the 60 s the client would wait by itself
      await exercise(s.client);
      expect(s.stderr()).toMatch(PROBE_WAITED);
    } finally {
      await s.close();
    }
  });

  it('§13 a server that exits on the probe, probed in place: restarted at once (outside the restart policy), the fallback initialize goes through', async () => {
    const log = tmpFile('fixture.jsonl');
    // restart "never": the probe restart must not need the policy.
    const config = { ...LEASH, restart: { policy: 'never' } };
    const s = await v2Client('auto', server('exits-on-probe', log), { config, inPlace: true });
    try {
      for (const e of fixtureEvents(log, 'start')) if (typeof e.pid === 'number') trackGroup(e.pid as number);
      expect(s.client.getProtocolEra()).toBe('legacy');
      await exercise(s.client);
      expect(fixtureEvents(log, 'start')).toHaveLength(2);
      expect(fixtureEvents(log, 'exit')).toHaveLength(1);
      // The new server's health checks are pings: the session is legacy, whatever the probe was.
      await waitFor(() => receivedMessages(log, 'ping').length > 0, 10_000, 'a health ping at the restarted server');
      expect(receivedMessages(log, 'server/discover')).toHaveLength(1);
      expect(s.stderr()).toMatch(/exited on the server\/discover probe/);
    } finally {
      await s.close();
    }
  });

  it('§13 a server that exits on the probe, with the SDK\'s sibling probe: connects and works', async () => {
    const s = await v2Client('auto', server('exits-on-probe'));
    try {
      expect(s.client.getProtocolEra()).toBe('legacy');
      const r = await s.client.callTool({ name: 'echo', arguments: { text: 'x' } });
      expect(r.content).toEqual([{ type: 'text', text: 'x' }]);
    } finally {
      await s.close();
    }
  });

  it('§13 serverEra "legacy": the probe is answered at once and never reaches the server', async () => {
    const log = tmpFile('fixture.jsonl');
    const s = await v2Client('auto', server('ignores-probe', log), { config: { ...LEASH, serverEra: 'legacy' }, inPlace: true });
    try {
      expect(s.client.getProtocolEra()).toBe('legacy');
      expect(s.stderr()).not.toMatch(PROBE_WAITED);
      const r = await s.client.callTool({ name: 'echo', arguments: { text: 'y' } });
      expect(r.content).toEqual([{ type: 'text', text: 'y' }]);
      const received = readFileSync(log, 'utf8');
      expect(received).toContain('"initialize"');
      expect(received).not.toContain('server/discover');
    } finally {
      await s.close();
    }
  });
});
