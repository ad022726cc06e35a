// The --trace file format: one JSON object per line, shared by the writer and `mcp-leash report`.
//
// Two kinds of lines, both with `t` (milliseconds since this session's trace started, from a
// monotonic clock) and `s` (the session, below):
//   frames  `dir` and `kind` (request, notification, response, invalid, unparsable): a message
//           that crossed one of the four links, summarised;
//   events  `kind: "event"` and `event`: something the core decided or saw (a call opened,
//           queued, ended; a heartbeat; a late answer; the child's life). The names and fields
//           are the core's own (src/core/events.ts), with `at` turned into `t`.
//
// `call` is the core's CallId: `c<n>` for a client request, `s<n>` for a server-to-client
// request, `l<n>` for one mcp-leash answered itself (tasks/get, tasks/result, ...), `g<n>` for one
// the guard rails refused (a hidden tool, prompt or resource). Every call has
// exactly one `call-opened` and one `call-ended` line; the report counts calls from those alone.
// Frames mcp-leash sent carry the `call` they belong to; a frame it received does not know its
// call yet, and the `call-opened` line that follows it (same `id`, same `from`) names it.
//
// Sessions: the `start` line carries `session`, a random UUID; every line carries `s`, its first
// 8 characters, so that two mcp-leash processes appending to one file stay apart. A `call` is
// unique within its session only.
//
// Payloads (params, result, error bodies, unparsable lines) appear only with --trace-payloads:
// tool arguments and results may hold secrets (and then redacted: redact.ts). Without it a line says what happened, never what
// was said: method, tool name, ids, progress numbers, error codes, sizes.

import type { CallId, CallPhase, ChildPhase, Outcome, TimeoutKind } from '../core/events.js';
import type { ProgressToken, RequestId } from '../core/message.js';

export type { CallId, Outcome, TimeoutKind };

/** 2: events are the core's (call-opened ... call-ended); `call` is a CallId; sessions (`s`). */
export const TRACE_FORMAT_VERSION = 2;

export type Direction = 'client->leash' | 'leash->child' | 'child->leash' | 'leash->client';

export interface FrameRecord {
  t: number;
  /** The session (see the file comment). */
  s: string;
  dir: Direction;
  kind: 'request' | 'notification' | 'response' | 'invalid' | 'unparsable';
  /** Size on the wire in bytes, without the newline. */
  bytes: number;
  method?: string;
  /** The tool of a tools/call request. */
  tool?: string;
  /** The id on this link (null for a response to an unreadable line). */
  id?: RequestId | null;
  /** For frames mcp-leash forwarded with another id: the id the message came with. */
  origId?: RequestId;
  /** On frames mcp-leash sent: the call they belong to. */
  call?: CallId;
  /** A message of mcp-leash's own making (an answer in the server's place, a heartbeat, a ping). */
  own?: true;
  /** For progress notifications, and for requests that carry one in params._meta. */
  token?: ProgressToken;
  progress?: number;
  total?: number;
  /** With --trace-payloads only: a progress notification's message. */
  message?: string;
  /** For notifications/cancelled: the request it cancels, on this link. */
  requestId?: RequestId;
  /** With --trace-payloads only: a notifications/cancelled's reason. */
  reason?: string;
  /** For responses: the JSON-RPC error code, when it is an error. */
  errorCode?: number;
  /** For responses: result.isError === true (left out for a long answer not parsed, without payloads). */
  isError?: boolean;
  /** For invalid and unparsable lines. */
  problem?: string;
  /** With --trace-payloads only. */
  params?: unknown;
  result?: unknown;
  error?: unknown;
  line?: string;
}

export type EventName =
  /** First line of every session. */
  | 'start'
  /** The core's events (src/core/events.ts). */
  | 'call-opened'
  | 'call-queued'
  | 'call-dispatched'
  | 'call-ended'
  | 'progress'
  | 'heartbeat'
  | 'late-answer'
  | 'stray'
  | 'child'
  | 'restart'
  | 'task'
  | 'guard'
  /** Jobs (issue 19): a tools/call answered early that goes on as job `job`. */
  | 'job-detached'
  | 'job-awaited'
  | 'job-ended'
  | 'job-dropped'
  | 'exit'
  /** The disk could not keep up: `lines` lines were left out since the previous such note. */
  | 'dropped'
  /** Last line, written when the trace is closed. */
  | 'end';

/** An event line. Which fields are there depends on `event` (README, "Logs, traces and reports"). */
export interface EventRecord {
  t: number;
  s: string;
  kind: 'event';
  event: EventName;
  call?: CallId;
  /** call-opened: who asked, its id on the requester's link, its progress token. late-answer, stray: who sent it. */
  from?: 'client' | 'child';
  id?: RequestId | null;
  token?: ProgressToken;
  /** call-opened, and repeated on call-ended. */
  method?: string;
  tool?: string;
  /** call-queued. */
  position?: number;
  /** call-dispatched. */
  queuedMs?: number;
  /** call-ended: how it ended, who answered, after how long, and where it was. */
  outcome?: Outcome;
  by?: 'server' | 'leash' | 'requester';
  ms?: number;
  phase?: CallPhase | ChildPhase;
  errorCode?: number;
  /** call-ended with outcome timeout. */
  timeoutKind?: TimeoutKind;
  limitMs?: number;
  cancelSentToServer?: boolean;
  /** call-ended with outcome cancelled. */
  cancelledBy?: 'client' | 'child' | 'task' | 'job';
  /** progress, heartbeat. */
  progress?: number;
  total?: number;
  fate?: 'forwarded' | 'held' | 'dropped';
  queued?: boolean;
  /** late-answer: how long after the call ended. */
  afterMs?: number;
  /** stray: what arrived; guard: what kind of thing was hidden or refused. */
  what?: 'answer' | 'progress' | 'cancel' | 'tool' | 'prompt' | 'resource';
  /** guard: what the guard rails did (refused, hidden, truncated, spilled, too-large). */
  action?: 'refused' | 'hidden' | 'truncated' | 'spilled' | 'too-large';
  /** guard: the hidden tool, prompt or resource; `names` for a list answer that lost several. */
  name?: string;
  names?: string[];
  /** guard: the policy entry that hid it (`tools.deny["x"]`). */
  rule?: string;
  /** guard: the answer's size from the server, the budget (maxResultBytes), what the client got, the spill file. */
  bytes?: number;
  limit?: number;
  keptBytes?: number;
  path?: string;
  /** child, exit. */
  reason?: string;
  exitCode?: number | null;
  signal?: string | null;
  /** restart. */
  attempt?: number;
  delayMs?: number;
  /** job-*: the job's id and, on job-awaited and job-ended, its state. */
  job?: string;
  state?: string;
  /** job-awaited: how long the leash_await waited. job-detached: after how long (afterMs). */
  waitedMs?: number;
  /** task. */
  taskId?: string;
  status?: string;
  /** exit. */
  code?: number;
  /** dropped. */
  lines?: number;
  /** start. */
  session?: string;
  version?: number;
  startedAt?: string;
  pid?: number;
  command?: string;
  payloads?: boolean;
}

export type TraceRecord = FrameRecord | EventRecord;

export function isEvent(r: TraceRecord): r is EventRecord {
  return r.kind === 'event';
}
