// The child process: spawned without a shell, in its own process group, with the environment,
// working directory and pipes a client would have given it directly.
//
// Process groups are what make "no orphans" possible: `npx`, `uvx` and shell wrappers start the
// real server as their own child, so signalling only the direct child leaves the server running.
// On POSIX the child leads a new group (detached) and we signal the whole group (-pid).
// Windows has no process groups: there `taskkill /T /F` ends the tree (execa, used on Windows
// only, has already resolved `npx.cmd`-style shims), and every signal is a forced kill.

import { spawn as spawnProcess, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { groupHasLiveMember } from './process-group.js';
import { PipeReader } from './pipe-reader.js';

const isWindows = process.platform === 'win32';

export interface ChildExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Child {
  pid: number;
  stdin: Writable;
  /** What the child writes before the proxy reads is kept for it, even when the child exits first. */
  stdout: PipeReader;
  stderr: PipeReader;
  exited: Promise<ChildExitInfo>;
  hasExited(): boolean;
  /** Signals every process in the child's group. Never throws. */
  signalGroup(signal: NodeJS.Signals): void;
  /** True while any process of the child's group is alive, zombies not counted (POSIX), or the child itself (Windows). */
  groupAlive(): boolean;
}

interface Started {
  proc: ChildProcess;
  /** Settles on 'spawn' or 'error'; listeners are attached in the tick the process was created. */
  spawned: Promise<void>;
  exited: Promise<ChildExitInfo>;
  exitInfo(): ChildExitInfo | undefined;
  stdout: PipeReader;
  stderr: PipeReader;
}

/**
 * Attaches the life-cycle listeners at once: 'spawn' and 'error' are emitted on the next tick,
 * before any await could let a later listener see them. The output pipes' readers too, so that
 * none misses the child's exit (src/shell/pipe-reader.ts says why).
 */
function watch(proc: ChildProcess, command: string): Started {
  let info: ChildExitInfo | undefined;
  const exited = new Promise<ChildExitInfo>((resolve) => {
    proc.once('exit', (code, signal) => {
      info = { code, signal };
      resolve(info);
    });
  });
  const spawned = new Promise<void>((resolve, reject) => {
    proc.once('spawn', () => resolve());
    proc.once('error', (err: NodeJS.ErrnoException) => reject(new SpawnError(command, err.code ?? 'UNKNOWN', err)));
  });
  return { proc, spawned, exited, exitInfo: () => info, stdout: new PipeReader(proc.stdout!, proc), stderr: new PipeReader(proc.stderr!, proc) };
}

/**
 * On POSIX a plain spawn with detached: true is all that is needed, and it spares every start the
 * ~70 ms of loading execa. On Windows execa (cross-spawn inside) resolves `npx.cmd`-style shims
 * and PATHEXT the way a user expects, so it is loaded there, and only there.
 */
async function start(command: string, args: string[], cwd: string): Promise<Started> {
  if (!isWindows) {
    return watch(spawnProcess(command, args, { cwd, env: process.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] }), command);
  }
  const { execa } = await import('execa');
  const sub = execa(command, args, {
    cwd,
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    cleanup: false, // we own the shutdown ladder; execa's cleanup would only kill the direct child
    windowsHide: true,
  });
  // With reject:false execa's promise never throws; the handler keeps it from ever being unhandled.
  sub.catch(() => undefined);
  // Returned inside an object: execa's subprocess is also a promise, which an async function
  // would otherwise wait for (until the process ends).
  return watch(sub, command);
}

export class SpawnError extends Error {
  readonly code: string;
  constructor(command: string, code: string, cause: unknown) {
    const why =
      code === 'ENOENT'
        ? 'command not found; check the command name and PATH, or give an absolute path'
        : code === 'EACCES'
          ? 'permission denied; check that the file is executable'
          : `spawn failed (${code})`;
    super(`mcp-leash: cannot start "${command}": ${why}`, { cause });
    this.code = code;
  }
}

export async function spawnChild(command: string, args: string[], cwd = process.cwd()): Promise<Child> {
  const { proc: sub, spawned, exited, exitInfo, stdout, stderr } = await start(command, args, cwd);
  await spawned;
  const pid = sub.pid!;
  return {
    pid,
    stdin: sub.stdin!,
    stdout,
    stderr,
    exited,
    hasExited: () => exitInfo() !== undefined,
    signalGroup(signal) {
      if (isWindows) {
        spawnProcess('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true }).on('error', () => undefined);
        return;
      }
      try {
        process.kill(-pid, signal);
      } catch {
        // ESRCH: the group is already gone.
      }
    },
    groupAlive() {
      if (isWindows) return exitInfo() === undefined;
      return groupHasLiveMember(pid);
    },
  };
}
