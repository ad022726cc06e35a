// Admission, the queue, and the one way a client call ends.
//
// admit(): a new call runs at once when the child is up and a slot is free (initialize and ping
// never wait and take no slot), and waits in the FIFO otherwise. close(): the only place a call
// ends: its phase moves to 'ended' (call-life.ts), its one answer goes out (to the client, or
// into its task), its 'call-ended' event is emitted, its timer is disarmed, its slot is freed,
// and queued calls that now fit are dispatched. A job's call (jobs.ts) ends here too, but its
// client was answered at detach(): its answer and its end go to the job store instead.

import type { Policy } from '../policy/types.js';
import { detach, dispatch, end, isJob, type CallInput, type ClientCall, type IllegalHook } from './call-life.js';
import type { ClientCalls } from './client-calls.js';
import type { DeadlineQueue } from './deadlines.js';
import type { CallPhase, Outcome, TimeoutKind } from './events.js';
import { wholeMessage, type MessageFrame } from './frame.js';
import { ERR } from './errors.js';
import { errorResponse, isObject, type JsonObject } from './message.js';
import type { Outbox } from './outbox.js';
import { wakeAt } from './timers.js';

/** How a call ended, for its 'call-ended' event. */
export interface Ending {
  outcome: Outcome;
  by: 'server' | 'leash' | 'requester';
  timeout?: { kind: TimeoutKind; limitMs: number; cancelSentToServer: boolean };
  cancelledBy?: 'client' | 'task' | 'job';
}

/**
 * The answer a call gets: a frame from the child forwarded, or a message of mcp-leash's own.
 * With `spill` (result-budget.ts), `msg` is sent once the shell has written the result to a
 * file, and `spill.unwritten` when it could not.
 */
export type Answer = { frame: MessageFrame } | { msg: JsonObject; spill?: Spill } | undefined;

export interface Spill {
  path: string;
  frame: MessageFrame;
  unwritten: JsonObject;
}

export interface AdmissionDeps {
  policy: Policy;
  out: Outbox;
  calls: ClientCalls;
  timers: DeadlineQueue<number>;
  illegal: IllegalHook;
  /** Whether a child is up to take requests. */
  childUp(): boolean;
  /** A task's call got its answer (tasks "auto"): the task keeps it instead of the client. */
  completeTask(call: ClientCall, response: JsonObject, now: number): void;
  /** A job's call ended (jobs.ts): the job store keeps what it gave. */
  jobEnded(call: ClientCall, ending: Ending, answer: Answer, now: number): void;
}

type Ends = Exclude<CallInput, 'dispatch' | 'child-progress' | 'detach'>;

export class Admission {
  #d: AdmissionDeps;

  constructor(deps: AdmissionDeps) {
    this.#d = deps;
  }

  /** A new call enters: it runs now or waits. */
  admit(call: ClientCall, now: number): void {
    const { calls, out } = this.#d;
    calls.add(call);
    if (out.events) {
      out.event({ type: 'call-opened', call: call.id, from: 'client', method: call.method, tool: call.tool, id: call.clientId, token: call.clientToken, at: now });
    }
    if (this.#d.childUp() && (call.unslotted || calls.hasSlotFor(call))) this.#dispatch(call, now);
    else {
      calls.enqueue(call);
      if (out.events) out.event({ type: 'call-queued', call: call.id, position: calls.queued, at: now });
    }
    this.arm(call);
  }

  /** Dispatches queued calls that fit now (a slot was freed, or a child came up). */
  runQueued(now: number): void {
    for (const next of this.#d.calls.takeRunnable()) {
      this.#dispatch(next, now);
      this.arm(next);
    }
  }

  /** The one way a call ends (see the file comment). `answer` is undefined for a cancelled call. */
  close(call: ClientCall, input: Ends, ending: Ending, answer: Answer, now: number): void {
    const phase: CallPhase = call.phase === 'queued' || call.phase === 'parked' ? 'queued' : 'running';
    const job = isJob(call);
    if (!end(call, input, this.#d.illegal)) return;
    if (job) this.#d.jobEnded(call, ending, answer, now);
    else if (answer !== undefined) {
      if ('frame' in answer) this.#answer(call, answer.frame, undefined, now);
      else this.#answer(call, undefined, answer.msg, now, answer.spill);
    }
    if (this.#d.out.events && !job) this.#ended(call, ending, answer === undefined ? undefined : 'msg' in answer ? answer.msg : answer.frame.msg, phase, now);
    this.#release(call, now);
  }

  /**
   * close() for the common case, the child's own answer forwarded as it came: the same steps,
   * without the objects close() takes (an Ending, an Answer), which cost an allocation each on
   * every call when nobody reads events (bench/README.md, CPU per pipelined call).
   */
  answeredByChild(call: ClientCall, frame: MessageFrame, now: number): void {
    // A job's answer goes to the job store (close() knows how); jobs are rare, the fast path is not for them.
    if (isJob(call)) return this.close(call, 'answer', { outcome: outcomeOf(frame.msg, call.method), by: 'server' }, { frame }, now);
    if (!end(call, 'answer', this.#d.illegal)) return;
    this.#answer(call, frame, undefined, now);
    if (this.#d.out.events) this.#ended(call, { outcome: outcomeOf(frame.msg, call.method), by: 'server' }, frame.msg, 'running', now);
    this.#release(call, now);
  }

  #ended(call: ClientCall, ending: Ending, answer: JsonObject | undefined, phase: CallPhase, now: number): void {
    const e = answer?.error;
    const errorCode = isObject(e) && typeof e.code === 'number' ? { errorCode: e.code } : {};
    this.#d.out.event({ type: 'call-ended', call: call.id, ...ending, ...errorCode, ms: now - call.receivedAt, at: now, phase });
  }

  /** The call's timer goes, and its slot: queued calls that now fit are dispatched. */
  #release(call: ClientCall, now: number): void {
    this.#d.timers.disarm(call.key);
    if (this.#d.calls.remove(call) && this.#d.childUp()) this.runQueued(now);
  }

  /**
   * detachAfter passed (jobs.ts): the call becomes a job and its client gets `msg` now, which
   * ends the client's request (its 'call-ended'); the call itself goes on, keeping its key, slot
   * and timers. Its client id is forgotten: a client cancel can no longer reach it.
   */
  detach(call: ClientCall, msg: JsonObject, now: number): boolean {
    const { calls, out } = this.#d;
    const phase: CallPhase = call.phase === 'queued' ? 'queued' : 'running';
    if (!detach(call, this.#d.illegal)) return false;
    out.send('client', msg, call.id);
    if (out.events) out.event({ type: 'call-ended', call: call.id, outcome: 'ok', by: 'leash', ms: now - call.receivedAt, at: now, phase });
    calls.forgetClientId(call);
    this.arm(call);
    return true;
  }

  /**
   * The child died: calls it had (jobs included) get `answer(call)`, and queued ones too unless
   * a restart follows (they wait for the next child). Returns how many were failed.
   */
  failAll(answer: (call: ClientCall) => JsonObject, restarting: boolean, now: number): number {
    const failed = this.#d.calls.all().filter((c) => c.phase === 'running' || c.phase === 'detached' || !restarting);
    for (const call of failed) this.close(call, 'child-exit', { outcome: 'server-exited', by: 'leash' }, { msg: answer(call) }, now);
    return failed.length;
  }

  /** Re-arms the call's one timer entry at its earliest deadline (timers.ts). */
  arm(call: ClientCall): void {
    const at = wakeAt(call, this.#d.policy.progressIntervalMs);
    if (at !== Infinity) this.#d.timers.arm(call.key, at);
  }

  #dispatch(call: ClientCall, now: number): void {
    const { out, calls } = this.#d;
    const queuedMs = now - call.receivedAt;
    // The child gets a token of ours when the client asked for progress, or when an idle timeout
    // needs the child's progress to know it is alive.
    // A call that may become a job gets one too: its progress goes into the job's texts.
    const token =
      call.clientToken !== undefined || (call.rule.idleTimeoutMs > 0 && call.method !== 'initialize') || call.detachAt !== Infinity || call.phase === 'parked' ? call.key : undefined;
    const job = call.phase === 'parked';
    const frame = dispatch(call, now, token, this.#d.illegal);
    if (frame === undefined) return;
    calls.takeSlot(call);
    out.forward('child', frame, call.key, token, call.id);
    // A parked job's client request already ended; its dispatch is the job's own business.
    if (out.events && !job) out.event({ type: 'call-dispatched', call: call.id, queuedMs, at: now });
  }

  /** The call's one answer: a frame from the child forwarded, or `msg` of mcp-leash's own. */
  #answer(call: ClientCall, frame: MessageFrame | undefined, msg: JsonObject | undefined, now: number, spill?: Spill): void {
    const { out } = this.#d;
    if (call.taskId !== undefined) {
      // A task keeps its answer for tasks/result; a long answer is parsed here (tasks are rare).
      // A task's result is kept, not sent, so nothing is spilled for it: it gets the answer for an unwritten file.
      const whole = frame ? wholeMessage(frame) : (spill?.unwritten ?? msg!);
      const kept = whole instanceof Error ? errorResponse(call.clientId, ERR.internal, `Internal error: the MCP server sent an answer that does not parse (${whole.message})`) : whole;
      this.#d.completeTask(call, kept, now);
    } else if (frame) out.forward('client', frame, call.clientId, undefined, call.id);
    else if (spill !== undefined) {
      const { path, frame: spilled, unwritten } = spill;
      out.push({ type: 'spill', to: 'client', call: call.id, path, frame: spilled, written: { ...msg!, id: call.clientId }, unwritten: { ...unwritten, id: call.clientId } });
    } else out.send('client', { ...msg!, id: call.clientId }, call.id);
  }
}

/** Outcome of an answer from the child (results with isError count as tool errors). */
export function outcomeOf(msg: JsonObject, method: string): Outcome {
  if (isObject(msg.error)) return 'error';
  if (method === 'tools/call' && isObject(msg.result) && msg.result.isError === true) return 'tool-error';
  return 'ok';
}
