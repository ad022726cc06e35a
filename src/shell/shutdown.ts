// The MCP shutdown ladder (spec: lifecycle, stdio): close the child's stdin, wait; SIGTERM the
// group, wait; SIGKILL the group. Then make sure nothing of the group is left, because a
// grandchild can outlive a leader that exited politely.

import type { Child, ChildExitInfo } from './child.js';

export interface Grace {
  stdinGraceMs: number;
  termGraceMs: number;
}

export type StoppedBy = 'itself' | 'SIGTERM' | 'SIGKILL';

function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(undefined), ms);
    p.then((v) => {
      clearTimeout(t);
      resolve(v);
    });
  });
}

/** Polls the group until it is empty or `ms` has passed; the group gives no event to wait on. */
async function groupGoneWithin(child: Child, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (child.groupAlive()) {
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** Ends what is left of the group after its leader exited: SIGTERM, grace, SIGKILL. */
export async function reapGroup(child: Child, termGraceMs: number): Promise<void> {
  if (!child.groupAlive()) return;
  child.signalGroup('SIGTERM');
  if (await groupGoneWithin(child, termGraceMs)) return;
  child.signalGroup('SIGKILL');
  await groupGoneWithin(child, 1000);
}

export async function stopChild(child: Child, grace: Grace): Promise<{ by: StoppedBy; exit: ChildExitInfo }> {
  let by: StoppedBy = 'itself';
  child.stdin.end();
  let exit = await within(child.exited, grace.stdinGraceMs);
  if (!exit) {
    by = 'SIGTERM';
    child.signalGroup('SIGTERM');
    exit = await within(child.exited, grace.termGraceMs);
  }
  if (!exit) {
    by = 'SIGKILL';
    child.signalGroup('SIGKILL');
    exit = await child.exited;
  }
  await reapGroup(child, grace.termGraceMs);
  return { by, exit };
}
