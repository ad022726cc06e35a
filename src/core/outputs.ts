// What the core asks the shell to do. The shell performs these in order and owns all I/O.

import type { JsonObject, RequestId } from './message.js';

export type Side = 'client' | 'child';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type Output =
  /** Write one JSON-RPC message to a side. `origId` is the id before rewriting, for traces. */
  | { type: 'send'; to: Side; msg: JsonObject; origId?: RequestId }
  /** Structured log line; `fields` never hold payloads at info and above. */
  | { type: 'log'; level: LogLevel; msg: string; fields?: JsonObject }
  /** Stop the child (whole process group, shutdown ladder) and exit with `code` once it is gone. */
  | { type: 'stop'; code: number; reason: string }
  /** Start a new child (restart policy); answer with Session.handleChildStarted once it runs. */
  | { type: 'spawn' }
  /** The child is hung or unusable: kill its whole group; its exit comes back as handleChildExit. */
  | { type: 'kill'; reason: string };
