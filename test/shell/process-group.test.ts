// CONTRACT §8: a process group whose members are all dead (zombies included) is gone, so
// mcp-leash does not wait out grace periods for it (issue 21: 1-1.8 s after the server exited).

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { groupHasLiveMember, statGroupAndState } from '../../src/shell/process-group.js';

/** States of group `pgid`'s members, read from /proc. */
function members(pgid: number): string[] {
  const out: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const s = statGroupAndState(readFileSync(`/proc/${name}/stat`, 'latin1'));
      if (s?.pgrp === pgid) out.push(s.state);
    } catch {
      // exited while we looked
    }
  }
  return out;
}

async function until(what: string, check: () => boolean, limitMs = 10_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`waited ${limitMs} ms for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

describe('process groups', () => {
  it('reads the group and state after the last ")" of the command name', () => {
    expect(statGroupAndState('123 (a (b) c) S 1 456 456 0 -1 4194560')).toStrictEqual({ pgrp: 456, state: 'S' });
    expect(statGroupAndState('77 (sleep) Z 1 77 77 0')).toStrictEqual({ pgrp: 77, state: 'Z' });
    expect(statGroupAndState('garbage')).toBeUndefined();
  });

  it.runIf(process.platform === 'linux')('a live member counts, a zombie does not', async () => {
    // `sleep 0 &` exits at once; its parent exec'd into `sleep 30`, which never reaps it: a zombie
    // beside a live leader, in a group of their own.
    const p = spawn('sh', ['-c', 'sleep 0 & exec sleep 30'], { detached: true, stdio: 'ignore' });
    const pgid = p.pid!;
    const exited = new Promise((r) => p.once('exit', r));
    try {
      await until('a zombie in the group', () => members(pgid).includes('Z'));
      expect(groupHasLiveMember(pgid)).toBe(true); // the leader still runs
      p.kill('SIGKILL');
      await exited;
      // Only the zombie may remain (whether PID 1 reaps it depends on the machine); either way
      // nothing of the group is alive.
      await until('the group to have no live member', () => !groupHasLiveMember(pgid));
      expect(members(pgid).every((s) => s === 'Z' || s === 'X')).toBe(true);
    } finally {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
});
