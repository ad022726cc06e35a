// The MCP shutdown ladder on the core's clock (spec: lifecycle, stdio): close the child's stdin,
// wait; SIGTERM its group, wait; SIGKILL. And the exit code the run ends with. ChildLife owns
// one ladder while it is 'stopping'; the rungs are outputs, the waits are deadlines.

import type { ChildExit } from './child-life.js';
import type { Outbox } from './outbox.js';

/** Why the run ends: it decides the exit code. */
export type StopCause = { kind: 'eof' } | { kind: 'signal'; signalNumber: number } | { kind: 'decided'; code: number; reason: string };

export interface Grace {
  stdinGraceMs: number;
  termGraceMs: number;
}

/**
 * Short waits for a ladder that was started, or hurried, by a signal: hosts such as the SDK's
 * StdioClientTransport SIGKILL mcp-leash 2 s after their SIGTERM, so a stubborn server must be
 * gone well before that or it would be orphaned.
 */
const URGENT_STDIN_MS = 500;
const URGENT_TERM_MS = 1000;

type Rung = 'waiting-for-child' | 'stdin' | 'term' | 'kill';

export class ShutdownLadder {
  #out: Outbox;
  #grace: Grace;
  readonly cause: StopCause;
  #rung: Rung = 'waiting-for-child';
  #rungAt: number | undefined;
  #urgent: boolean;

  /** Starts at once, or once the child being spawned runs (`childRunning` false). */
  constructor(out: Outbox, grace: Grace, cause: StopCause, childRunning: boolean, now: number) {
    this.#out = out;
    this.#grace = grace;
    this.cause = cause;
    this.#urgent = cause.kind === 'signal';
    if (childRunning) this.#firstRung(now);
  }

  /** When the current rung has waited long enough. */
  get deadline(): number | undefined {
    return this.#rungAt;
  }

  /** The child that was being spawned runs now: the ladder starts. */
  childStarted(now: number): void {
    if (this.#rung === 'waiting-for-child') this.#firstRung(now);
  }

  /** Climbs a rung when its wait is over; true when it did. */
  tick(now: number): boolean {
    if (this.#rungAt === undefined || now < this.#rungAt) return false;
    return this.#next(now);
  }

  /** A signal while the ladder runs: the next rung at once, and short waits from now on. */
  hurry(now: number): boolean {
    this.#urgent = true;
    return this.#rung === 'stdin' || this.#rung === 'term' ? this.#next(now) : false;
  }

  /** The exit code once the child stopped. */
  codeOnExit(exit: ChildExit): number {
    if (this.cause.kind === 'decided') return this.cause.code;
    // It went by itself when its stdin closed: its own code is the most honest answer.
    if (this.#rung === 'stdin') return exit.code ?? 128 + (exit.signalNumber ?? 0);
    return codeWithoutChild(this.cause);
  }

  /** The run's last output. */
  exit(code: number, now: number, reason?: string): void {
    this.#rungAt = undefined;
    exitOutput(this.#out, this.#grace, this.cause, code, this.#urgent, now, reason);
  }

  #firstRung(now: number): void {
    this.#rung = 'stdin';
    this.#out.push({ type: 'close-child-stdin' });
    this.#rungAt = now + this.#wait('stdin');
  }

  #next(now: number): boolean {
    if (this.#rung === 'stdin') {
      this.#rung = 'term';
      this.#out.push({ type: 'signal-child', signal: 'SIGTERM' });
      this.#rungAt = now + this.#wait('term');
      return true;
    }
    if (this.#rung === 'term') {
      this.#rung = 'kill';
      this.#out.push({ type: 'signal-child', signal: 'SIGKILL' });
      this.#rungAt = undefined;
      return true;
    }
    return false;
  }

  #wait(rung: 'stdin' | 'term'): number {
    const { stdinGraceMs, termGraceMs } = this.#grace;
    if (rung === 'stdin') return this.#urgent ? Math.min(stdinGraceMs, URGENT_STDIN_MS) : stdinGraceMs;
    return this.#urgent ? Math.min(termGraceMs, URGENT_TERM_MS) : termGraceMs;
  }
}

/** The exit code when no child runs: 0 for client EOF, 128+N for signal N, or the decided code. */
export function codeWithoutChild(cause: StopCause): number {
  return cause.kind === 'eof' ? 0 : cause.kind === 'signal' ? 128 + cause.signalNumber : cause.code;
}

/** Pushes the 'exit' output (and event). Stragglers of the group get the short grace when hurried. */
export function exitOutput(out: Outbox, grace: Grace, cause: StopCause, code: number, urgent: boolean, now: number, reason?: string): void {
  const why = reason ?? (cause.kind === 'eof' ? 'client closed stdin' : cause.kind === 'signal' ? 'signal' : cause.reason);
  const graceMs = urgent ? Math.min(grace.termGraceMs, URGENT_TERM_MS) : grace.termGraceMs;
  out.push({ type: 'exit', code, reason: why, graceMs });
  if (out.events) out.event({ type: 'exit', code, reason: why, at: now });
}
