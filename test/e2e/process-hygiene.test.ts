// §8 The child process: own process group, the shutdown ladder on stdin EOF and on signals, no
// orphan left (checked by pid and process group, never by name), environment and cwd passed on.

import { realpathSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProcesses, startRawProxy, startSdkProxy, trackGroup, trackPid, type LineClient } from '../helpers/proxy.js';
import {
  fixtureEvents,
  groupAlive,
  groupMembers,
  isAlive,
  pgidOf,
  tmpDir,
  tmpFile,
  waitFor,
  waitForStart,
  within,
} from '../helpers/procs.js';

afterEach(() => cleanupProcesses());

interface Started {
  c: LineClient;
  log: string;
  pid: number;
  pgid: number;
  grandchild?: number;
}

/** Starts the proxy with the fixture, initializes, and reads the fixture's pids from its log. */
async function start(fixtureArgs: string[]): Promise<Started> {
  const log = tmpFile('fixture.jsonl');
  const c = startRawProxy({ fixtureArgs: [...fixtureArgs, '--log', log] });
  await c.initialize();
  const st = await waitForStart(log);
  trackGroup(st.pgid);
  trackPid(st.pid);
  const s: Started = { c, log, pid: st.pid, pgid: st.pgid };
  if (fixtureArgs.includes('--grandchild')) {
    s.grandchild = (await waitFor(() => fixtureEvents(log, 'grandchild')[0], 10_000, 'the grandchild event')).pid;
    trackPid(s.grandchild!);
    expect(isAlive(s.grandchild!)).toBe(true);
  }
  return s;
}

/** After mcp-leash exited: nothing of the child's group is left. */
async function expectNoOrphans(s: Started) {
  await waitFor(
    () => !groupAlive(s.pgid) && !isAlive(s.pid) && (s.grandchild === undefined || !isAlive(s.grandchild)),
    5_000,
    `no process left in the child's group ${s.pgid} (left: ${groupMembers(s.pgid).join(', ') || 'none'})`,
  );
}

describe('§8 process hygiene', () => {
  it('§8 child process: the child runs in its own process group, not mcp-leash\'s', async () => {
    const s = await start([]);
    expect(s.pgid).toBe(s.pid);
    expect(pgidOf(s.c.pid)).not.toBe(s.pgid);
    s.c.close();
    await within(s.c.exited, 15_000, 'the proxy to exit');
    await expectNoOrphans(s);
  });

  it('§8 shutdown: when the client closes stdin, a well-behaved child exits and mcp-leash exits 0', async () => {
    const s = await start([]);
    s.c.close();
    const { code } = await within(s.c.exited, 15_000, 'the proxy to exit');
    expect(code).toBe(0);
    expect(fixtureEvents(s.log, 'eof')).toHaveLength(1);
    await expectNoOrphans(s);
  });

  it('§8 shutdown: closing stdin leaves no grandchild behind', async () => {
    const s = await start(['--grandchild']);
    s.c.close();
    await within(s.c.exited, 15_000, 'the proxy to exit');
    await expectNoOrphans(s);
  });

  it('§8 shutdown: a child that ignores stdin EOF and SIGTERM is killed with its grandchild', async () => {
    const s = await start(['--ignore-eof', '--ignore-sigterm', '--grandchild']);
    s.c.close();
    await within(s.c.exited, 20_000, 'the proxy to exit');
    // The ladder went through its steps: EOF, then SIGTERM (ignored), then SIGKILL.
    expect(fixtureEvents(s.log, 'eof')).toHaveLength(1);
    expect(fixtureEvents(s.log, 'sigterm')).toHaveLength(1);
    await expectNoOrphans(s);
  });

  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)(
    '§8 shutdown: %s to mcp-leash stops the child and its grandchild',
    async (signal) => {
      const s = await start(['--grandchild']);
      s.c.kill(signal);
      await within(s.c.exited, 15_000, 'the proxy to exit');
      await expectNoOrphans(s);
    },
  );

  it('§8 shutdown: SIGTERM to mcp-leash also stops a child that ignores EOF and SIGTERM', async () => {
    const s = await start(['--ignore-eof', '--ignore-sigterm', '--grandchild']);
    s.c.kill('SIGTERM');
    await within(s.c.exited, 20_000, 'the proxy to exit');
    await expectNoOrphans(s);
  });

  // PROXY BUG (observed): StdioClientTransport.close() (SDK 1.x) ends stdin, sends SIGTERM 2 s
  // later and SIGKILL 2 s after that. mcp-leash ignores the SIGTERM because its own EOF ladder is
  // already running (stdin 2 s, SIGTERM 2 s, then SIGKILL), so the client's SIGKILL and
  // mcp-leash's SIGKILL of the group land at about the same moment; when the client's wins, the
  // child (which ignores EOF and SIGTERM) is left running, an orphan. With the real SDK client
  // this failed 4 times out of 6. This test plays the SDK's ladder with its last step 100 ms
  // early so the outcome is not a coin flip. (The timers below are the client's behaviour under
  // test, not waits for an event.)
  it('§8 shutdown: a client that closes like the SDK (stdin end; SIGTERM after 2 s; SIGKILL 2 s later) leaves no orphan of a stubborn child', async () => {
    const s = await start(['--ignore-eof', '--ignore-sigterm', '--grandchild']);
    s.c.close();
    const term = setTimeout(() => s.c.kill('SIGTERM'), 2_000);
    const kill = setTimeout(() => s.c.kill('SIGKILL'), 3_900);
    try {
      await within(s.c.exited, 15_000, 'the proxy to exit');
    } finally {
      clearTimeout(term);
      clearTimeout(kill);
    }
    await expectNoOrphans(s);
  });

  it('§8 child process: environment and working directory are passed through', async () => {
    const dir = realpathSync(tmpDir('leash-cwd-'));
    const p = await startSdkProxy({ env: { LEASH_E2E_VAR: 'value with spaces = and "quotes"' }, cwd: dir });
    try {
      const env = await p.client.callTool({ name: 'env', arguments: { name: 'LEASH_E2E_VAR' } });
      expect((env.content as any)[0].text).toBe('value with spaces = and "quotes"');
      const path = await p.client.callTool({ name: 'env', arguments: { name: 'PATH' } });
      expect((path.content as any)[0].text).toBe(process.env.PATH);
      const cwd = await p.client.callTool({ name: 'cwd', arguments: {} });
      expect(realpathSync((cwd.content as any)[0].text)).toBe(dir);
    } finally {
      await p.close();
    }
  });
});
