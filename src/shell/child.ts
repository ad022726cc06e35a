// The child process: spawned without a shell, in its own process group, with the environment,
// working directory and pipes a client would have given it directly.
//
// Process groups are what make "no orphans" possible: `npx`, `uvx` and shell wrappers start the
// real server as their own child, so signalling only the direct child leaves the server running.
// On POSIX the child leads a new group (detached) and we signal the whole group (-pid).
// Windows has no process groups: there `taskkill /T /F` ends the tree (execa's cross-spawn has
// already resolved `npx.cmd`-style shims), and every signal is a forced kill.

import { execa, type ResultPromise } from 'execa';
import { spawn as spawnProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

const isWindows = process.platform === 'win32';

export interface ChildExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Child {
  pid: number;
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  exited: Promise<ChildExitInfo>;
  hasExited(): boolean;
  /** Signals every process in the child's group. Never throws. */
  signalGroup(signal: NodeJS.Signals): void;
  /** True while any process of the child's group is alive (POSIX), or the child itself (Windows). */
  groupAlive(): boolean;
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
  const sub: ResultPromise = execa(command, args, {
    cwd,
    env: process.env,
    extendEnv: false,
    detached: !isWindows,
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    cleanup: false, // we own the shutdown ladder; execa's cleanup would only kill the direct child
    windowsHide: true,
  });
  let exitInfo: ChildExitInfo | undefined;
  const exited = new Promise<ChildExitInfo>((resolve) => {
    sub.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });
  await new Promise<void>((resolve, reject) => {
    sub.once('spawn', () => resolve());
    sub.once('error', (err: NodeJS.ErrnoException) => reject(new SpawnError(command, err.code ?? 'UNKNOWN', err)));
  });
  // execa's promise settles when the process ends; with reject:false it never throws, but keep
  // an explicit handler so an unexpected rejection can never become an unhandled one.
  sub.catch(() => undefined);
  const pid = sub.pid!;
  return {
    pid,
    stdin: sub.stdin!,
    stdout: sub.stdout!,
    stderr: sub.stderr!,
    exited,
    hasExited: () => exitInfo !== undefined,
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
      if (isWindows) return exitInfo === undefined;
      try {
        process.kill(-pid, 0);
        return true;
      } catch (e) {
        return (e as NodeJS.ErrnoException).code === 'EPERM';
      }
    },
  };
}
