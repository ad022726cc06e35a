// Process and file helpers for tests that drive real processes.
//
// Tests never sleep to wait: they wait for an event with `waitFor` and a generous limit, polling
// at a short interval. Liveness checks treat zombies as dead: an orphan that was killed but not
// yet reaped by PID 1 still answers `kill(pid, 0)`, yet it is gone for any practical purpose.

import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HAS_PROC = existsSync('/proc/self/stat');

/** Fields of /proc/PID/stat after the command name: [state, ppid, pgrp, ...]; null if gone. */
function procStat(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** True when a process with this pid exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (!HAS_PROC) return true;
  const stat = procStat(pid);
  return stat !== null && stat[0] !== 'Z';
}

/** Pids of the live (non-zombie) members of a process group; needs /proc. */
export function groupMembers(pgid: number): number[] {
  if (!HAS_PROC) return [];
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = procStat(Number(name));
    if (stat && Number(stat[2]) === pgid && stat[0] !== 'Z') out.push(Number(name));
  }
  return out;
}

/** True when any live process is left in the process group. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // kill() also succeeds for a group of zombies only; look closer where we can.
  return HAS_PROC ? groupMembers(pgid).length > 0 : true;
}

/** Process group of a pid (Linux /proc), or null when the process is gone. */
export function pgidOf(pid: number): number | null {
  const stat = procStat(pid);
  return stat ? Number(stat[2]) : null;
}

/**
 * Polls `cond` every `intervalMs` until it returns a truthy value, and returns that value.
 * Throws `timed out after Nms waiting for <what>` (plus the last error thrown by cond, if any).
 */
export async function waitFor<T>(
  cond: () => T | Promise<T>,
  timeoutMs = 10_000,
  what = 'condition',
  intervalMs = 20,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v as NonNullable<T>;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A line of the fixture's --log file: a message it received, or an event it recorded. */
export interface FixtureLogEntry {
  event?: string;
  jsonrpc?: string;
  id?: unknown;
  method?: string;
  params?: any;
  result?: any;
  error?: any;
  [k: string]: any;
}

/** Parses the fixture's JSONL log; a missing file is an empty log. */
export function readFixtureLog(file: string): FixtureLogEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as FixtureLogEntry);
}

/** Messages the fixture received (log lines that are JSON-RPC), optionally of one method. */
export function receivedMessages(file: string, method?: string): FixtureLogEntry[] {
  return readFixtureLog(file).filter((e) => e.jsonrpc !== undefined && (method === undefined || e.method === method));
}

/** Events the fixture recorded, optionally of one kind. */
export function fixtureEvents(file: string, name?: string): FixtureLogEntry[] {
  return readFixtureLog(file).filter((e) => e.event !== undefined && (name === undefined || e.event === name));
}

/** Waits until the fixture logged its start event; returns it (pid, pgid, cwd, argv). */
export function waitForStart(file: string, timeoutMs = 10_000): Promise<FixtureLogEntry> {
  return waitFor(() => fixtureEvents(file, 'start')[0], timeoutMs, `fixture start event in ${file}`);
}

/** Folders tmpDir() made in this test file; removed after it (test/helpers/cleanup.ts). */
const made: string[] = [];

/** A fresh temporary directory, removed with everything in it once the test file is done. */
export function tmpDir(prefix = 'mcp-leash-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes every folder tmpDir() made so far (tests remove the files they create). */
export function removeTmpDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}
export function tmpFile(name: string): string {
  return join(tmpDir(), name);
}

/** Resolves like `p`, or rejects after timeoutMs with `timed out ... waiting for <what>`. */
export function within<T>(p: Promise<T>, timeoutMs = 10_000, what = 'a promise'): Promise<T> {
  let timer: NodeJS.Timeout;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs}ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
