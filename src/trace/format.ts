// The --trace file format: one JSON object per line, shared by the writer and `mcp-leash report`.
//
// Every line has `t` (milliseconds since the trace started, from a monotonic clock), `dir` and
// `kind`. Frames are the messages that crossed one of the four links; events are things mcp-leash
// itself decided (a timeout, a cancellation, a dropped late answer) that no single frame says.
//
// `call` numbers the requests in the order mcp-leash received them, in both directions, and ties
// together everything about one request: its frames on both links, its progress, its end. Ids
// alone cannot do that, because clients may reuse them and mcp-leash rewrites them.
//
// Payloads (params, result, error bodies, unparsable lines) appear only with --trace-payloads:
// tool arguments and results may hold secrets. Without it a line says what happened, never what
// was said: method, tool name, ids, progress numbers, error codes, sizes.

import type { ProgressToken, RequestId } from '../core/message.js';

export const TRACE_FORMAT_VERSION = 1;

export type Direction = 'client->leash' | 'leash->child' | 'child->leash' | 'leash->client';

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
  /** The requester cancelled it; by protocol no answer follows. */
  | 'cancelled'
  /** The server exited (or was not running) before answering. */
  | 'server-exited';

export interface FrameRecord {
  t: number;
  dir: Direction;
  kind: 'request' | 'notification' | 'response' | 'invalid' | 'unparsable';
  /** Size on the wire in bytes (for sent frames, of the line mcp-leash wrote, without its newline). */
  bytes: number;
  method?: string;
  /** The tool of a tools/call request (on the request's frames and on its end). */
  tool?: string;
  /** The id on this link (null for a response to an unreadable line). */
  id?: RequestId | null;
  /** For frames mcp-leash sent: the id the message had before mcp-leash rewrote it. */
  origId?: RequestId;
  /** Which request this frame belongs to (see the file comment). */
  call?: number;
  /** A request mcp-leash made of its own accord (health ping, replayed initialize). */
  own?: true;
  /** For progress notifications, and for requests that carry one in params._meta. */
  token?: ProgressToken;
  progress?: number;
  total?: number;
  /** A progress notification mcp-leash synthesized because the server was silent. */
  heartbeat?: true;
  /** A heartbeat's message (mcp-leash's own words; other messages only with payloads). */
  message?: string;
  /** For notifications/cancelled: the request it cancels, on this link. */
  requestId?: RequestId;
  /** For notifications/cancelled that mcp-leash originated (a timeout): why. */
  reason?: string;
  /** For responses: the JSON-RPC error code, when it is an error. */
  errorCode?: number;
  /** For responses: result.isError === true. */
  isError?: boolean;
  /** On the frame that ends a request: how it ended and how long it took (ms). */
  outcome?: Outcome;
  ms?: number;
  /** For unparsable lines. */
  problem?: string;
  /** With --trace-payloads only. */
  params?: unknown;
  result?: unknown;
  error?: unknown;
  line?: string;
}

export type EventName =
  /** First line of every trace. */
  | 'start'
  /** A time limit expired; mcp-leash answered (or will answer) in the server's place. */
  | 'timeout'
  /** A request was cancelled by its requester (`by`: client or child). */
  | 'cancelled'
  /** An answer arrived for a request that had already ended; it was dropped. */
  | 'late-response'
  /** The disk could not keep up: `lines` lines were left out since the previous such note. */
  | 'dropped'
  /** Last line, written when the trace is closed. */
  | 'end';

export interface EventRecord {
  t: number;
  dir: 'leash';
  kind: 'event';
  event: EventName;
  call?: number;
  method?: string;
  tool?: string;
  by?: 'client' | 'child' | 'leash';
  /** For timeouts: idle or total, the limit and the reason sent to the server. */
  timeoutKind?: 'idle' | 'total';
  limitMs?: number;
  reason?: string;
  /** For late responses: how long after the request ended the answer came. */
  afterMs?: number;
  /** For dropped. */
  lines?: number;
  /** For start. */
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
