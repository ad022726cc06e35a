// What the core asks the shell to do. The shell performs these in order and owns all I/O.

import type { CallId, CoreEvent } from './events.js';
import type { MessageFrame } from './frame.js';
import type { JsonObject, ProgressToken, RequestId } from './message.js';

export type Side = 'client' | 'child';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type ChildSignal = 'SIGTERM' | 'SIGKILL';

export type Output =
  /**
   * Send a message that arrived as `frame`, unchanged but for its top-level `id` (when `id` is
   * given) and its `params._meta.progressToken` (when `token` is given). The codec may re-send it
   * from `frame.raw`. `call` names the call the message belongs to, for traces.
   */
  | { type: 'forward'; to: Side; frame: MessageFrame; id?: RequestId; token?: ProgressToken; call?: CallId }
  /** Send a message of mcp-leash's own making (an answer, a heartbeat, a rewritten cancel). */
  | { type: 'send'; to: Side; msg: JsonObject; call?: CallId }
  /**
   * An answer over its result budget, spilled (onLargeResult "spill"): the shell writes the
   * result of `frame` to `path` (a new file, mode 0600, in the spill folder, mode 0700), then
   * sends `written` to the client, or `unwritten` when the file could not be written. The core
   * stays free of I/O and has already ended the call; only the choice of the two is the shell's.
   */
  | { type: 'spill'; to: 'client'; call: CallId; path: string; frame: MessageFrame; written: JsonObject; unwritten: JsonObject }
  /**
   * Write what is queued for the client now, and what follows for the client no sooner than `ms`
   * later, in a write of its own. The core asks for it between a progress notification and the
   * answer right behind it (progress-relay.ts, ANSWER_GAP_MS): an SDK client that reads both in
   * one chunk drops the progress. Messages to the child are not held.
   */
  | { type: 'client-gap'; ms: number }
  /** Structured log line; `fields` never hold payloads at info and above. */
  | { type: 'log'; level: LogLevel; msg: string; fields?: JsonObject }
  /** Something the core decided, for traces and tests (only when SessionOptions.events is on). */
  | { type: 'event'; event: CoreEvent }
  /** Start a new child; answer with Session.handleChildStarted once it runs (or handleChildExit). */
  | { type: 'spawn' }
  /** First rung of the shutdown ladder: close the child's stdin. */
  | { type: 'close-child-stdin' }
  /** Signal the child's whole process group. */
  | { type: 'signal-child'; signal: ChildSignal }
  /**
   * Exit mcp-leash with `code` (the core's last output). Stragglers of the child's group get
   * SIGTERM, `graceMs`, then SIGKILL before the process exits.
   */
  | { type: 'exit'; code: number; reason: string; graceMs: number };
