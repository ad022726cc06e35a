/*
 * A client request's life: theory of operation.
 *
 * Every request a client sends (but the tasks/* requests mcp-leash answers itself) becomes one
 * ClientCall. Its phase is one of:
 *
 *   queued   waiting inside mcp-leash for a concurrency slot, or for a child to come up; the
 *            request (`frame`) is held here and the child has never seen it;
 *   running  sent to the child under the key mcp-leash gave it (its id on the child link);
 *   parked   a job (jobs.ts) still queued: the client's request was answered with a job handle
 *            at detachAfter, and the call waits for its slot as it did when queued;
 *   detached a job at the child: the client's request was answered with a job handle, the child
 *            still runs it under its own limits, and its answer goes to the job store; or, in
 *            the bridge, a call whose server asked the client for input: its request was
 *            answered input_required and its answer goes to the client's retry
 *            (bridge/input-required.ts);
 *   ended    answered, cancelled, timed out or failed; it has left the table for good.
 *
 * Rules of this file:
 *   1. Only this module changes a call's phase or the fields that belong to a phase (`frame`,
 *      `startedAt`, `childToken`, `lastChildProgressAt`). Everyone else sees them read-only.
 *   2. Every change is an input looked up in TRANSITIONS. An input the table does not list for
 *      the call's phase is a bug in mcp-leash, not in a peer: peers' mistakes (an answer for a
 *      queued call, progress for an ended one) are filtered out before they get here. A failed
 *      lookup is handed to the session's `illegal` hook, which names the input and the phase:
 *      tests make it throw; in production it is logged at error, the call is answered -32603,
 *      and the session goes on.
 *   3. A call ends exactly once. What its requester was told (its Outcome) is decided by the
 *      code that ends it and travels in the 'call-ended' event; the phase table only knows that
 *      it ended.
 *
 *      queued ──dispatch──▶ running ──child-progress──▶ running
 *        │                    │
 *        └─ cancel, timeout,  └─ answer, invalid-answer, unencodable, cancel, timeout,
 *           child-exit, task-cancel,                     child-exit, task-cancel, illegal
 *           illegal ──────────────────────────────▶ ended
 *
 *      queued ──detach──▶ parked ──dispatch──▶ detached ◀──detach── running
 *                           │                    │  (child-progress: detached)
 *                           └─ job-cancel,       └─ answer, invalid-answer, unencodable,
 *                              timeout,             job-cancel, timeout, child-exit, illegal
 *                              child-exit, illegal ─────▶ ended
 *
 *   A job's call keeps its key, its slot and its limits; only who hears its end changes: the
 *   client heard 'detach' (its request is over, call-ended 'ok' by 'leash'), and the job store
 *   hears the end (job-ended). Client cancels cannot reach a job's call (its client id is
 *   forgotten at detach); leash_cancel ends it with 'job-cancel'.
 */

import type { ResolvedRule } from '../policy/types.js';
import type { CallMeta } from './bridge/envelope.js';
import type { CallId } from './events.js';
import type { MessageFrame } from './frame.js';
import type { JobProgress } from './job-store.js';
import type { ProgressToken, RequestId } from './message.js';
import type { ProgressState } from './progress.js';

export type CallPhase = 'queued' | 'running' | 'parked' | 'detached' | 'ended';

export type CallInput =
  /** A slot is free and a child is up: the request goes to the child. */
  | 'dispatch'
  /** The child reported progress (restarts the idle clock). */
  | 'child-progress'
  /** The child answered. */
  | 'answer'
  /** The child's answer was not a valid JSON-RPC response. */
  | 'invalid-answer'
  /** The request could not be encoded for the child; mcp-leash answered in its place. */
  | 'unencodable'
  /** The client cancelled it. */
  | 'cancel'
  /** A time limit (total or idle) ran out. */
  | 'timeout'
  /** The child exited (running calls die with it; queued ones too unless a restart follows). */
  | 'child-exit'
  /** The client cancelled the task this call runs for. */
  | 'task-cancel'
  /** mcp-leash itself went wrong with this call (rule 2); it is answered -32603. */
  | 'illegal'
  /** detachAfter passed: the client got a job handle; the call goes on as a job (jobs.ts). */
  | 'detach'
  /** leash_cancel stopped the job this call runs for. */
  | 'job-cancel';

const ENDS = { cancel: 'ended', timeout: 'ended', 'child-exit': 'ended', 'task-cancel': 'ended', illegal: 'ended' } as const;
/** What ends a job: no client cancel (the client's request is over), but leash_cancel. */
const JOB_ENDS = { 'job-cancel': 'ended', timeout: 'ended', 'child-exit': 'ended', illegal: 'ended' } as const;

/** The whole life of a call: for each phase, the inputs it accepts and the phase they lead to. */
export const TRANSITIONS: { readonly [P in CallPhase]: { readonly [I in CallInput]?: CallPhase } } = {
  queued: { dispatch: 'running', detach: 'parked', ...ENDS },
  running: { 'child-progress': 'running', answer: 'ended', 'invalid-answer': 'ended', unencodable: 'ended', detach: 'detached', ...ENDS },
  parked: { dispatch: 'detached', ...JOB_ENDS },
  detached: { 'child-progress': 'detached', answer: 'ended', 'invalid-answer': 'ended', unencodable: 'ended', ...JOB_ENDS },
  ended: {},
};

/** The child has the call (it may answer it, report progress, be told to cancel it). */
export function atChild(call: ClientCall): boolean {
  return call.phase === 'running' || call.phase === 'detached';
}

/** The call is a job: the client's request was answered at detach. */
export function isJob(call: ClientCall): boolean {
  return call.phase === 'parked' || call.phase === 'detached';
}

interface CallCommon {
  /** The id the child sees (and our progress token for it): integers from 1, never reused. */
  readonly key: number;
  /** For events and traces: `c<key>`. */
  readonly id: CallId;
  readonly clientId: RequestId;
  readonly method: string;
  readonly tool: string | undefined;
  readonly rule: ResolvedRule;
  readonly receivedAt: number;
  /** The client's progress token, when it asked for progress. */
  readonly clientToken: ProgressToken | undefined;
  /** What the client was told about progress (progress.ts owns its fields). */
  readonly progress: ProgressState | undefined;
  /** Set when the call runs a task for the client (tasks "auto"); its answer goes to the task. */
  readonly taskId: string | undefined;
  /** initialize, server/discover and ping: never queued and never counted against maxConcurrency. */
  readonly unslotted: boolean;
  /** The request asked for a later page (params.cursor): its list result is partial. */
  readonly hadCursor: boolean;
  /**
   * jobs.ts owns these two. When the call becomes a job (receipt + detachAfter; Infinity: never,
   * or already decided), and the child's last progress, kept for the job's texts.
   */
  detachAt: number;
  childProgress: JobProgress | undefined;
  /** The request carried the 2026 envelope: results mcp-leash writes for it need resultType (era.ts). */
  readonly modern: boolean;
  /** What a bridged call keeps of its envelope (bridge/envelope.ts); undefined outside the bridge. */
  readonly meta: CallMeta | undefined;
}

/** The fields that belong to a phase; a call has them all, with these types in each phase. */
export type ClientCall = CallCommon &
  (
    | { readonly phase: 'queued' | 'parked'; readonly frame: MessageFrame; readonly startedAt: undefined; readonly childToken: undefined; readonly lastChildProgressAt: undefined }
    | { readonly phase: 'running' | 'detached'; readonly frame: undefined; readonly startedAt: number; readonly childToken: number | undefined; readonly lastChildProgressAt: number | undefined }
    | { readonly phase: 'ended'; readonly frame: undefined; readonly startedAt: number | undefined; readonly childToken: number | undefined; readonly lastChildProgressAt: number | undefined }
  );

/** What this module may write. */
interface Writable {
  phase: CallPhase;
  frame: MessageFrame | undefined;
  startedAt: number | undefined;
  childToken: number | undefined;
  lastChildProgressAt: number | undefined;
}

export type NewCall = Omit<CallCommon, 'id' | 'detachAt' | 'childProgress' | 'meta'> & { meta?: CallMeta };

/** Called with an input the table does not allow; see rule 2. */
export type IllegalHook = (call: ClientCall, input: CallInput) => void;

export class IllegalTransition extends Error {
  constructor(call: ClientCall, input: CallInput) {
    super(`mcp-leash bug: call ${call.id} (${call.method}) got "${input}" while ${call.phase}; no such transition`);
    this.name = 'IllegalTransition';
  }
}

/** A new call, queued, holding the request it will send. */
export function newCall(c: NewCall, frame: MessageFrame): ClientCall {
  // Written out rather than spread: the object gets its shape in one step (bench/README.md).
  return {
    key: c.key,
    id: `c${c.key}`,
    clientId: c.clientId,
    method: c.method,
    tool: c.tool,
    rule: c.rule,
    receivedAt: c.receivedAt,
    clientToken: c.clientToken,
    progress: c.progress,
    taskId: c.taskId,
    unslotted: c.unslotted,
    hadCursor: c.hadCursor,
    // A task's call has a handle already; only a plain tool call can become a job.
    detachAt: c.method === 'tools/call' && c.tool !== undefined && c.taskId === undefined && c.rule.detachAfterMs > 0 ? c.receivedAt + c.rule.detachAfterMs : Infinity,
    childProgress: undefined,
    modern: c.modern,
    meta: c.meta,
    phase: 'queued',
    frame,
    startedAt: undefined,
    childToken: undefined,
    lastChildProgressAt: undefined,
  };
}

/** Applies `input` when the table allows it; otherwise calls `illegal` and changes nothing. */
function step(call: ClientCall, input: CallInput, illegal: IllegalHook): boolean {
  const next = TRANSITIONS[call.phase][input];
  if (next === undefined) {
    illegal(call, input);
    return false;
  }
  (call as unknown as Writable).phase = next;
  return true;
}

/** queued -> running, or parked -> detached. Returns the request to send, or undefined when the move was illegal. */
export function dispatch(call: ClientCall, now: number, childToken: number | undefined, illegal: IllegalHook): MessageFrame | undefined {
  const frame = call.frame;
  if (!step(call, 'dispatch', illegal)) return undefined;
  const w = call as unknown as Writable;
  w.startedAt = now;
  w.childToken = childToken;
  w.frame = undefined; // not needed once sent; keeps memory per request small
  return frame;
}

/** running -> detached, queued -> parked: the client was answered with a job handle. */
export function detach(call: ClientCall, illegal: IllegalHook): boolean {
  return step(call, 'detach', illegal);
}

/** The child reported progress for a running (or detached) call: its idle clock restarts. */
export function childProgressed(call: ClientCall, now: number, illegal: IllegalHook): void {
  if (step(call, 'child-progress', illegal)) (call as unknown as Writable).lastChildProgressAt = now;
}

/** Any input that ends the call. Returns false (and changes nothing) when it was illegal. */
export function end(call: ClientCall, input: Exclude<CallInput, 'dispatch' | 'child-progress' | 'detach'>, illegal: IllegalHook): boolean {
  if (call.phase === 'ended' && input === 'illegal') return false; // already over: nothing to undo
  const frame = call.frame;
  const ok = step(call, input, illegal);
  if (ok && frame !== undefined) (call as unknown as Writable).frame = undefined;
  return ok;
}

/** When the idle clock last restarted: dispatch, or the child's last progress. */
export function idleSince(call: ClientCall): number {
  return call.lastChildProgressAt ?? call.startedAt ?? call.receivedAt;
}
