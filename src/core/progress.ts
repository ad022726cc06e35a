// Progress as the client sees it, per request: strictly increasing, never above the total it was
// given, throttled, and topped up with heartbeats when the child is silent.
//
// Heartbeat values are tiny steps above the last value sent (1/1024, or 1/16 of the remaining
// room when a total is known, whichever is smaller): they keep the sequence increasing without
// moving a progress bar visibly, so the child's own later values can still go through unchanged.
// A child value that would not increase is nudged up by the same tiny step, so its message is
// not lost; one that has no room left below the total is dropped.
//
// The throttle is a token bucket on the core's virtual time, kept as one number (GCRA, the
// "virtual scheduling" form of a token bucket): `tat` is when the bucket would be full again.
// An update may go out at `now` when now >= tat - (PROGRESS_BURST - 1) * interval, and sending
// it moves tat to max(tat, now) + interval. So PROGRESS_BURST updates pass at once after a quiet
// spell, and a flood gets one per interval after that: in any window of w ms at most
// PROGRESS_BURST + w / interval child updates reach the client (plus the flush before the answer).
// A server's ordinary burst (the conformance suite's reference server sends 0, 50 and 100 within
// 100 ms) passes untouched, where a plain "one per interval" throttle lost the 50.

import type { JsonObject, ProgressToken } from './message.js';

export const HEARTBEAT_STEP = 1 / 1024;

/**
 * How long an answer keeps behind the last progress notification for its request. SDK clients
 * (TypeScript v1 and v2) hand a notification to its handler a microtask later but retire the
 * request's progress handler as soon as its answer is read; when both lines come in one read, the
 * progress finds no handler and is dropped ("unknown token"). Over stdio that happens whenever the
 * answer is written right behind the progress, as SDK servers do, directly or through a proxy:
 * measured with an SDK server answering at once after its last progress, the SDK client saw that
 * progress in 0 of 30 calls directly; with the answer 1 ms later in 44 of 50, 5 ms later in 50 of
 * 50. 20 ms leaves room for a loaded machine (400 of 400 through mcp-leash on a 2-core VM at load
 * average 8 to 10; at 10 ms, 399 of 400), and only answers that follow progress that closely wait.
 */
export const ANSWER_GAP_MS = 20;

/** Child updates that pass at once after a quiet spell before the throttle holds any back. */
export const PROGRESS_BURST = 5;

export interface ProgressState {
  clientToken: ProgressToken;
  /** Last progress value the client was sent, if any. */
  sent: number | undefined;
  /** Total of the last notification sent, echoed on heartbeats so a progress bar does not jump. */
  total: number | undefined;
  /** When the client last heard about this request (request receipt counts as the start). */
  lastSentAt: number;
  /** When a progress notification last actually went out (heartbeats included), if ever. */
  notifiedAt: number | undefined;
  /** The throttle's bucket: when it would be full again (see the file comment). */
  tat: number;
  /** Newest child notification held back by the throttle. */
  pending: JsonObject | undefined;
}

export function newProgress(clientToken: ProgressToken, now: number): ProgressState {
  return { clientToken, sent: undefined, total: undefined, lastSentAt: now, notifiedAt: undefined, tat: now, pending: undefined };
}

/** The earliest moment the throttle lets a child update through (now or earlier: at once). */
export function throttleOpensAt(state: ProgressState, intervalMs: number): number {
  return state.tat - (PROGRESS_BURST - 1) * intervalMs;
}

/** A child update went out at `now`: it takes one token from the bucket. */
export function takeToken(state: ProgressState, intervalMs: number, now: number): void {
  state.tat = Math.max(state.tat, now) + intervalMs;
}

/** The smallest visible-nothing step above `from`, or undefined when there is no room below total. */
export function stepAbove(from: number | undefined, total: number | undefined): number | undefined {
  const base = from ?? 0;
  const room = total === undefined ? Infinity : total - base;
  const next = base + Math.min(HEARTBEAT_STEP, room / 16);
  return next > base && (total === undefined || next <= total) ? next : undefined;
}

function finite(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * Turns a child's progress params into the params the client may see, or undefined when nothing
 * can be sent without breaking monotonicity or the total. Extra fields (`_meta`) pass through.
 */
export function shapeChildProgress(state: ProgressState, child: JsonObject): JsonObject | undefined {
  const total = finite(child.total);
  const raw = finite(child.progress);
  if (raw === undefined) return undefined;
  let value = total !== undefined && raw > total ? total : raw;
  if (state.sent !== undefined && value <= state.sent) {
    const nudged = stepAbove(state.sent, total);
    if (nudged === undefined) return undefined;
    value = nudged;
  }
  const out: JsonObject = { ...child, progressToken: state.clientToken, progress: value };
  if (total === undefined) delete out.total;
  return out;
}

/** Records that `params` went to the client at `now`. */
export function markSent(state: ProgressState, params: JsonObject, now: number): void {
  state.sent = params.progress as number;
  // A notification without a total means the total is unknown now; heartbeats follow suit.
  state.total = finite(params.total);
  state.lastSentAt = now;
  state.notifiedAt = now;
}

/** Params for a heartbeat, or undefined when no increasing value fits under the total. */
export function heartbeatParams(state: ProgressState, message: string): JsonObject | undefined {
  const value = stepAbove(state.sent, state.total);
  if (value === undefined) return undefined;
  const out: JsonObject = { progressToken: state.clientToken, progress: value, message };
  if (state.total !== undefined) out.total = state.total;
  return out;
}
