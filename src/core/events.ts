// What the core tells observers (the --trace writer, the report, tests) about what it decided.
//
// Events are facts the core knows, never guesses: a trace or report formats them and does not
// re-derive them from messages. Each call-related event names the call with a `CallId` that is
// stable for the call's whole life and unique within one session:
//   c<key>  a client request (key = the id mcp-leash gave it on the child link);
//   s<key>  a server-to-client request (key = the id mcp-leash gave it on the client link);
//   l<n>    a client request mcp-leash answered itself, without the server (tasks/get, ...);
//   r<n>    a client request answered at once without the server: none will answer any more, or
//           the policy says it cannot (a server/discover probe with serverEra "legacy");
//   g<n>    a client request refused at once by the guard rails (a hidden tool, prompt or resource).
// Every call gets exactly one 'call-opened' and exactly one 'call-ended'.
//
// Jobs (jobs.ts): a tools/call c<key> that reaches detachAfter ends for its client then
// ('call-ended' ok, by 'leash': the request got its job handle), and its run at the server goes
// on as job j<n>: 'job-detached' opens it, 'job-ended' ends it exactly once (with the outcome of
// the server's run), and 'job-dropped' says when its kept result was let go. leash_await and
// leash_cancel are l<n> calls mcp-leash answers itself; 'job-awaited' ties an await to its job.
//
// Events cost an object each, so the core builds them only when asked to (SessionOptions.events).

import type { ProgressToken, RequestId } from './message.js';
import type { Side } from './outputs.js';

export type CallId = string;
/** A job's id, `j<n>`, as the model sees it. */
export type JobId = string;
/** Where a job stands: running at the server (or queued for it), or how its run ended. */
export type JobState = 'running' | 'completed' | 'failed' | 'cancelled';

/** How a request ended, as its requester saw it. */
export type Outcome =
  /** Answered with a result (for tools/call, one without isError). */
  | 'ok'
  /** Answered with a tool result with isError: true, from the server. */
  | 'tool-error'
  /** Answered with a JSON-RPC error, from the server or from mcp-leash. */
  | 'error'
  /** mcp-leash answered in the server's place because a time limit expired. */
  | 'timeout'
  /** The requester cancelled it (or its task); by protocol no answer follows. */
  | 'cancelled'
  /** The server exited (or was not running) before answering. */
  | 'server-exited';

export type TimeoutKind = 'total' | 'idle';

/** Where a call was when something ended it. */
export type CallPhase = 'queued' | 'running';

export type ChildPhase = 'starting' | 'ready' | 'restarting' | 'stopping' | 'gone';

export type CoreEvent =
  /** A request entered the table. `from` asked; `id` is its id on the requester's link. */
  | { type: 'call-opened'; call: CallId; from: Side; method: string; tool?: string; id: RequestId; token?: ProgressToken; at: number }
  /** It waits for a concurrency slot inside mcp-leash (`position` from 1). */
  | { type: 'call-queued'; call: CallId; position: number; at: number }
  /** It was sent on to the answerer after waiting `queuedMs` in the queue (0: never queued). */
  | { type: 'call-dispatched'; call: CallId; queuedMs: number; at: number }
  /**
   * Its one end. `by`: who produced the answer the requester got ('server': the peer that was
   * asked, which for a server-to-client request is the client; 'leash': an answer mcp-leash
   * wrote itself; 'requester': it cancelled, so no answer followed). With outcome 'timeout': the limit and where it was. With
   * 'cancelled': who cancelled. `isError` for tool results.
   */
  | {
      type: 'call-ended';
      call: CallId;
      outcome: Outcome;
      by: 'server' | 'leash' | 'requester';
      ms: number;
      at: number;
      phase: CallPhase;
      errorCode?: number;
      timeout?: { kind: TimeoutKind; limitMs: number; cancelSentToServer: boolean };
      cancelledBy?: 'client' | 'child' | 'task' | 'job';
    }
  /** Progress from the child for a call: forwarded now, held back by the throttle, or dropped (no room). */
  | { type: 'progress'; call: CallId; progress: number; total?: number; fate: 'forwarded' | 'held' | 'dropped'; at: number }
  /** mcp-leash sent a heartbeat for a silent call. */
  | { type: 'heartbeat'; call: CallId; progress: number; total?: number; queued: boolean; at: number }
  /** An answer came for a call that had already ended; it was dropped. */
  | { type: 'late-answer'; call: CallId; from: Side; afterMs: number | undefined; at: number }
  /** An answer, progress or cancel for nothing mcp-leash ever had in flight; dropped. */
  | { type: 'stray'; from: Side; what: 'answer' | 'progress' | 'cancel'; id: RequestId | null; at: number }
  /** The child's life moved on. */
  | { type: 'child'; phase: ChildPhase; at: number; reason?: string; exitCode?: number | null; signal?: string | null }
  /** A restart was scheduled (attempt counts from 1; 0: a free restart after a probe killed a legacy child). */
  | { type: 'restart'; attempt: number; delayMs: number; at: number }
  /** A task (tasks "auto") changed status. */
  | { type: 'task'; taskId: string; status: string; call?: CallId; at: number }
  /** A tools/call became a job: its client was answered with the handle; `queued`: the server has not seen it yet. */
  | { type: 'job-detached'; job: JobId; call: CallId; tool: string; afterMs: number; queued: boolean; at: number }
  /** A leash_await (`call`, an l-call) was answered: with the job's end, or still running after awaitMax. */
  | { type: 'job-awaited'; job: JobId; call: CallId; state: JobState; waitedMs: number; at: number }
  /**
   * The job's run ended, once. `outcome` as for calls; `by` 'requester' with cancelledBy 'job'
   * for leash_cancel; `bytes`: the size of the result kept for leash_await (0 when none).
   */
  | {
      type: 'job-ended';
      job: JobId;
      call: CallId;
      state: JobState;
      outcome: Outcome;
      by: 'server' | 'leash' | 'requester';
      ms: number;
      bytes: number;
      at: number;
      timeout?: { kind: TimeoutKind; limitMs: number; cancelSentToServer: boolean };
    }
  /** A finished job was let go: its ttl passed, or it made room for newer ones (jobs.max, jobs.maxBytes). */
  | { type: 'job-dropped'; job: JobId; reason: 'expired' | 'evicted'; at: number }
  /**
   * The guard rails acted (guard-rails.ts). 'refused': a call to a hidden tool, prompt or
   * resource was answered by mcp-leash (`rule` says which list hid it). 'hidden': a list answer
   * lost `names` (tools, prompts or resource URIs). 'truncated', 'spilled', 'too-large': a
   * tools/call answer of `bytes` was over its `limit` (maxResultBytes) and was cut to `keptBytes`,
   * written whole to `path`, or refused.
   */
  | {
      type: 'guard';
      action: 'refused' | 'hidden' | 'truncated' | 'spilled' | 'too-large';
      call: CallId;
      what?: 'tool' | 'prompt' | 'resource';
      name?: string;
      names?: string[];
      rule?: string;
      bytes?: number;
      limit?: number;
      keptBytes?: number;
      path?: string;
      at: number;
    }
  /** The run ends with this exit code (the last event). */
  | { type: 'exit'; code: number; reason: string; at: number };
