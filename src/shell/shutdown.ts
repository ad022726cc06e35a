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

/** Waits up to `ms` for the child to exit, or until hurried; resolves with the exit, if any. */
function waitRung(child: Child, ms: number, hurried: Promise<void>): Promise<ChildExitInfo | undefined> {
  return Promise.race([within(child.exited, ms), hurried.then(() => undefined)]);
}

export interface Ladder {
  done: Promise<{ by: StoppedBy; exit: ChildExitInfo }>;
  /**
   * Someone wants us gone sooner (a signal to mcp-leash): skip to the next rung at once. Hosts
   * such as the SDK's StdioClientTransport close our stdin, SIGTERM us 2 s later and SIGKILL us 2 s
   * after that; without hurrying, our own 2 s + 2 s ladder would race their SIGKILL and could
   * leave a stubborn server orphaned.
   */
  hurry(): void;
}

/** Short waits for a ladder that was started, or hurried, by a signal. */
const URGENT_STDIN_MS = 500;
const URGENT_TERM_MS = 1000;

export function startLadder(child: Child, grace: Grace, urgent = false): Ladder {
  let hurryNow: () => void = () => undefined;
  let isUrgent = urgent;
  const next = (): Promise<void> =>
    new Promise<void>((r) => {
      hurryNow = () => {
        isUrgent = true;
        r();
      };
    });
  const done = (async () => {
    let by: StoppedBy = 'itself';
    child.stdin.end();
    let exit = await waitRung(child, isUrgent ? Math.min(grace.stdinGraceMs, URGENT_STDIN_MS) : grace.stdinGraceMs, next());
    if (!exit && !child.hasExited()) {
      by = 'SIGTERM';
      child.signalGroup('SIGTERM');
      exit = await waitRung(child, isUrgent ? Math.min(grace.termGraceMs, URGENT_TERM_MS) : grace.termGraceMs, next());
    }
    if (!exit && !child.hasExited()) {
      by = 'SIGKILL';
      child.signalGroup('SIGKILL');
    }
    exit ??= await child.exited;
    hurryNow = () => undefined;
    await reapGroup(child, isUrgent ? Math.min(grace.termGraceMs, URGENT_TERM_MS) : grace.termGraceMs);
    return { by, exit };
  })();
  return { done, hurry: () => hurryNow() };
}

export async function stopChild(child: Child, grace: Grace): Promise<{ by: StoppedBy; exit: ChildExitInfo }> {
  return startLadder(child, grace).done;
}
