// Whether a process group still has a live member. kill(-pgid, 0) answers yes while any member
// exists, zombies included; a zombie is dead (it only waits for its parent to collect its exit
// status), and in a container whose PID 1 does not reap, it may wait forever. Counting it kept
// mcp-leash waiting out its grace periods, 1-2 s, after the server was already gone. So on Linux
// the members are read from /proc and zombies are not counted; elsewhere kill(-pgid, 0) it is.

import { readdirSync, readFileSync } from 'node:fs';

/** From one /proc/PID/stat line: its process group and state, or undefined when unreadable. */
export function statGroupAndState(stat: string): { pgrp: number; state: string } | undefined {
  // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so read after the last ')'.
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat.slice(close + 2).split(' ');
  const pgrp = Number(fields[2]);
  return fields[0] && Number.isInteger(pgrp) ? { pgrp, state: fields[0] } : undefined;
}

/** True while a process of group `pgid` is alive and not a zombie. */
export function groupHasLiveMember(pgid: number): boolean {
  if (process.platform !== 'linux') return killZero(pgid);
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return killZero(pgid);
  }
  for (const name of entries) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue; // not a pid
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue; // it exited while we looked
    }
    const s = statGroupAndState(stat);
    if (s && s.pgrp === pgid && s.state !== 'Z' && s.state !== 'X') return true;
  }
  return false;
}

function killZero(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
