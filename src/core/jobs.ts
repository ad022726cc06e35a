/*
 * Jobs: theory of operation (issue 19).
 *
 * Many hosts cut a tool call at a hard limit whatever progress says. With `detachAfter` set for
 * a tool, a tools/call still unanswered that long after receipt (queue time included) is
 * detached: the client's request is answered at once with a normal tool result that names a job
 * and tells the model to call leash_await or leash_cancel (leash-tools.ts), and the call goes on
 * at the server as before, under its own total and idle limits, holding its slot. Its end (the
 * server's answer, a timeout, the server's exit, leash_cancel) goes to the job store
 * (job-store.ts) instead of the client, and leash_await returns it: the tool's own result
 * unchanged, or an isError result that says why there is none.
 *
 * How it maps onto calls (call-life.ts): the call's phase moves running -> detached (or
 * queued -> parked) on 'detach', and the ending input of a job goes through Admission.close()
 * like any call's; close() hands a job's answer here (ended()) rather than to the client.
 * Events (events.ts): c<key> ends 'ok' by 'leash' at detach; job-detached, job-ended (once),
 * job-dropped follow the job; leash_await and leash_cancel are l<n> calls.
 *
 * Not detached: a call with a task (params.task: it has its own handle), a call cancelled or
 * answered before detachAfter, and any call while jobs.max jobs are running (it stays a plain
 * call, with a warning).
 */

import type { Policy } from '../policy/types.js';
import type { Ending } from './admission.js';
import { isJob, type ClientCall } from './call-life.js';
import type { CallId, JobId, JobState, Outcome } from './events.js';
import { wholeMessage } from './frame.js';
import { JobStore, keepResult, keptResult, type Job, type JobProgress, type Waiter } from './job-store.js';
import { LeashTools } from './leash-tools.js';
import { isObject, type JsonObject, type RequestId } from './message.js';
import type { Outbox } from './outbox.js';
import type { Answer } from './admission.js';
import { resultResponse } from './era.js';
import {
  jobCancelledText,
  jobCancelNothingText,
  jobDetachedText,
  jobExitedText,
  jobFailedText,
  jobProgressText,
  jobStillRunningText,
  jobTooBigText,
  jobUnknownText,
} from './texts.js';

/** The key programs read in a job answer's _meta. */
export const JOB_META = 'mcp-leash/job';

export interface JobsDeps {
  policy: Policy;
  out: Outbox;
  /** Moves the call to detached (or parked) and answers its client with `msg`; false when illegal. */
  detachCall(call: ClientCall, msg: JsonObject, now: number): boolean;
  /** Sends the progress the throttle held back, before the client's answer goes out. */
  flushProgress(call: ClientCall, now: number): void;
  /** Stops the call behind a job (cancel at the child when it has it; ends it 'job-cancel'). */
  cancelCall(key: number, now: number): void;
  /** The next l<n> id for a call mcp-leash answers itself (shared with tasks). */
  ownCall(): CallId;
  /** The client speaks 2026-07-28: every result mcp-leash writes for it carries resultType (era.ts). */
  modernClient(): boolean;
}

export class Jobs {
  readonly active: boolean;
  readonly tools: LeashTools;
  #d: JobsDeps;
  #store: JobStore;

  constructor(deps: JobsDeps, active: boolean) {
    this.#d = deps;
    this.active = active;
    this.tools = new LeashTools(deps.out);
    const { ttlMs, max, maxBytes } = deps.policy.jobs;
    this.#store = new JobStore({ ttlMs, max, maxBytes });
  }

  /** For tests and the memory check. */
  get store(): JobStore {
    return this.#store;
  }

  nextDeadline(): number | undefined {
    return this.active ? this.#store.nextDeadline() : undefined;
  }

  /** Waits that ran out get a fresh "still running"; finished jobs past their ttl go. */
  tick(now: number): void {
    if (!this.active) return;
    const { waiters, expired } = this.#store.due(now);
    for (const w of waiters) {
      const job = this.#store.get(w.job);
      if (job) this.#answerWaiter(w, job, now);
    }
    for (const id of expired) this.#dropped(id, 'expired', now);
  }

  // ── detaching ────────────────────────────────────────────────────────────────────────────

  /** detachAfter passed for a queued or running call: it becomes a job, its client gets the handle. */
  detach(call: ClientCall, now: number): void {
    const { out } = this.#d;
    const tool = call.tool!;
    const { job, dropped } = this.#store.add(
      {
        tool,
        callKey: call.key,
        receivedAt: call.receivedAt,
        detachedAt: now,
        awaitMaxMs: this.#d.policy.jobs.awaitMaxMs > 0 ? this.#d.policy.jobs.awaitMaxMs : call.rule.detachAfterMs,
      },
      call.childProgress,
      now,
    );
    for (const id of dropped) this.#dropped(id, 'evicted', now);
    call.detachAt = Infinity; // decided, either way
    if (!job) {
      out.log('warn', 'a call reached detachAfter, but jobs.max jobs are running; it goes on as a plain call', { tool, max: this.#d.policy.jobs.max });
      return;
    }
    const queued = call.phase === 'queued';
    this.#d.flushProgress(call, now);
    const text = jobDetachedText(tool, now - call.receivedAt, jobProgressText(job.progress), job.id, this.tools.awaitName, this.tools.cancelName);
    if (!this.#d.detachCall(call, resultResponse(call.clientId, this.#handle(job, text), call.modern), now)) return;
    out.log('info', 'slow call detached as a job', { tool, job: job.id, afterMs: now - call.receivedAt, queued });
    if (out.events) out.event({ type: 'job-detached', job: job.id, call: call.id, tool, afterMs: now - call.receivedAt, queued, at: now });
  }

  /** Child progress for a call that is or may become a job: kept for the model's texts. */
  progressed(call: ClientCall, params: JsonObject, now: number): void {
    const progress = params.progress;
    if (typeof progress !== 'number' || !Number.isFinite(progress)) return;
    const p: JobProgress = {
      progress,
      total: typeof params.total === 'number' && Number.isFinite(params.total) ? params.total : undefined,
      message: typeof params.message === 'string' ? params.message : undefined,
      at: now,
    };
    call.childProgress = p;
    const job = isJob(call) ? this.#store.byKey(call.key) : undefined;
    if (job) job.progress = p;
  }

  /** A job's call ended (Admission.close): keep what it gave for leash_await, answer the waiters. */
  ended(call: ClientCall, ending: Ending, answer: Answer, now: number): void {
    const job = this.#store.byKey(call.key);
    if (!job) return;
    const end = this.#outcome(job, ending, answer);
    const tooBig = (bytes: number, max: number) => jobFailedText(job.id, job.tool, jobTooBigText(job.tool, bytes, max));
    const { waiters, dropped } = this.#store.finish(job, end, tooBig, now);
    const { out } = this.#d;
    out.log('info', 'job ended', { job: job.id, tool: job.tool, state: job.state, bytes: job.bytes });
    if (out.events) {
      out.event({
        type: 'job-ended',
        job: job.id,
        call: call.id,
        state: job.state,
        outcome: ending.outcome,
        by: ending.by,
        ms: now - job.receivedAt,
        bytes: job.bytes,
        at: now,
        ...(ending.timeout ? { timeout: ending.timeout } : {}),
      });
    }
    for (const w of waiters) this.#answerWaiter(w, job, now);
    for (const id of dropped) this.#dropped(id, 'evicted', now);
  }

  #outcome(job: Job, ending: Ending, answer: Answer): { state: Exclude<JobState, 'running'>; result?: Uint8Array; failure?: string; bytes: number } {
    const fail = (why: string) => ({ state: 'failed' as const, failure: jobFailedText(job.id, job.tool, why), bytes: 0 });
    if (ending.outcome === 'cancelled') return { state: 'cancelled', failure: jobCancelledText(job.id, job.tool), bytes: 0 };
    if (answer === undefined) return fail('it ended without an answer');
    const msg = 'msg' in answer ? answer.msg : wholeMessage(answer.frame);
    if (msg instanceof Error) return fail(`the server's answer does not parse (${msg.message})`);
    if (ending.outcome === 'server-exited') {
      const e = msg.error;
      return fail(jobExitedText(isObject(e) && typeof e.message === 'string' ? e.message : 'the MCP server exited'));
    }
    if (ending.outcome === 'timeout') return fail(firstText(msg.result) ?? errorText(msg));
    if (isObject(msg.result) && ending.by === 'server') {
      const result = keepResult(msg.result);
      // The size on the wire when the codec kept it, else the encoded result's.
      const bytes = 'frame' in answer && answer.frame.raw !== undefined ? answer.frame.raw.bytes : result.byteLength;
      return { state: 'completed', result, bytes };
    }
    return fail(`the server answered with an error: ${errorText(msg)}`);
  }

  // ── leash_await and leash_cancel ─────────────────────────────────────────────────────────

  /** Whether a client request is a call of one of the job tools. */
  owns(method: string, tool: unknown): boolean {
    return this.active && method === 'tools/call' && typeof tool === 'string' && this.tools.which(tool) !== undefined;
  }

  /** A leash_await or leash_cancel call (an l-call; it never reaches the server). */
  handle(id: RequestId, tool: string, params: JsonObject | undefined, now: number): void {
    const { out } = this.#d;
    const call = this.#d.ownCall();
    if (out.events) out.event({ type: 'call-opened', call, from: 'client', method: 'tools/call', tool, id, at: now });
    const args = isObject(params?.arguments) ? params.arguments : {};
    const job = this.#store.get(args.job);
    if (!job) {
      const known = [...this.#store.all()].map((j) => `"${j.id}" (${j.state}, tool "${j.tool}")`);
      return this.#reply(call, id, toolError(jobUnknownText(args.job, this.#store.gone(args.job), this.#d.policy.jobs.ttlMs, known)), now, now);
    }
    if (this.tools.which(tool) === 'await') {
      if (job.state !== 'running') return this.#answerWaiter({ n: 0, clientId: id, call, job: job.id, at: now }, job, now);
      this.#store.wait({ clientId: id, call, job: job.id, at: now }, now + job.awaitMaxMs);
      return;
    }
    if (job.state !== 'running') {
      return this.#reply(call, id, { content: [{ type: 'text', text: jobCancelNothingText(job.id, job.tool, job.state) }], _meta: meta(job) }, now, now);
    }
    out.log('info', 'job cancelled by the client (leash_cancel)', { job: job.id, tool: job.tool });
    this.#d.cancelCall(job.callKey, now);
    this.#reply(call, id, { content: [{ type: 'text', text: jobCancelledText(job.id, job.tool) }], _meta: meta(job) }, now, now);
  }

  /** The client cancelled a leash_await it was waiting on; true when that id was one. */
  dropWaiter(clientId: RequestId, now: number): boolean {
    if (!this.active) return false;
    const w = this.#store.takeWaiter(clientId);
    if (!w) return false;
    this.#d.out.log('debug', 'client cancelled its leash_await', { job: w.job });
    if (this.#d.out.events) this.#d.out.event({ type: 'call-ended', call: w.call, outcome: 'cancelled', by: 'requester', cancelledBy: 'client', ms: now - w.at, at: now, phase: 'running' });
    return true;
  }

  /** A tools/list answer, with the job tools added (a first page only). */
  list(msg: JsonObject, firstPage: boolean): JsonObject {
    return this.active ? this.tools.list(msg, firstPage) : msg;
  }

  // ── answers ──────────────────────────────────────────────────────────────────────────────

  /** The job's result for a waiting leash_await: its own, or why there is none, or still running. */
  #answerWaiter(w: Omit<Waiter, 'n'> & { n: number }, job: Job, now: number): void {
    let result: JsonObject;
    if (job.state === 'running') {
      const text = jobStillRunningText(job.tool, now - job.receivedAt, jobProgressText(job.progress), job.id, this.tools.awaitName, this.tools.cancelName);
      result = this.#handle(job, text);
    } else if (job.state === 'completed') result = keptResult(job)!;
    else result = { ...toolError(job.failure ?? jobFailedText(job.id, job.tool, 'no result')), _meta: meta(job) };
    if (this.#d.out.events) this.#d.out.event({ type: 'job-awaited', job: job.id, call: w.call, state: job.state, waitedMs: now - w.at, at: now });
    this.#reply(w.call, w.clientId, result, w.at, now);
  }

  /**
   * A job handle in place of a tool result. For a tool with an outputSchema it must be isError:
   * SDK clients reject a result without structuredContent otherwise (leash-tools.ts).
   */
  #handle(job: Job, text: string): JsonObject {
    const result: JsonObject = { content: [{ type: 'text', text }], _meta: meta(job) };
    if (this.tools.hasOutputSchema(job.tool)) result.isError = true;
    return result;
  }

  #reply(call: CallId, id: RequestId, result: JsonObject, openedAt: number, now: number): void {
    const { out } = this.#d;
    // A kept result from a legacy server lacks resultType too: ownResult adds it, never overwrites.
    out.send('client', resultResponse(id, result, this.#d.modernClient()), call);
    if (!out.events) return;
    const outcome: Outcome = result.isError === true ? 'tool-error' : 'ok';
    out.event({ type: 'call-ended', call, outcome, by: 'leash', ms: now - openedAt, at: now, phase: 'running' });
  }

  #dropped(id: JobId, reason: 'expired' | 'evicted', now: number): void {
    this.#d.out.log('debug', 'job dropped', { job: id, reason });
    if (this.#d.out.events) this.#d.out.event({ type: 'job-dropped', job: id, reason, at: now });
  }
}

function meta(job: Job): JsonObject {
  return { [JOB_META]: { id: job.id, tool: job.tool, state: job.state } };
}

function toolError(text: string): JsonObject {
  return { content: [{ type: 'text', text }], isError: true };
}

function firstText(result: unknown): string | undefined {
  if (!isObject(result) || !Array.isArray(result.content)) return undefined;
  const first = result.content.find((c: unknown) => isObject(c) && c.type === 'text' && typeof c.text === 'string') as JsonObject | undefined;
  return first?.text as string | undefined;
}

function errorText(msg: JsonObject): string {
  const e = msg.error;
  if (!isObject(e)) return 'no result';
  return typeof e.message === 'string' ? `${e.message} (code ${String(e.code)})` : `error code ${String(e.code)}`;
}

