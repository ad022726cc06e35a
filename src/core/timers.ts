// Every kind of timer the core keeps, one line of doc each (after quinn-proto's timer.rs). The
// core owns no clock: each owner below reports its earliest deadline, Session.nextDeadline()
// takes the minimum, and the shell calls handleTimeout(now) then. An early wake-up is harmless:
// every owner re-checks its own deadlines against `now`.
//
// | timer         | owner          | due at                                                          |
// | ------------- | -------------- | --------------------------------------------------------------- |
// | total         | a client call  | receivedAt + totalTimeout (queued time counts)                  |
// | idle          | a running call | last dispatch or child progress + idleTimeout                  |
// | heartbeat     | a client call  | last progress the client heard + heartbeat (needs its token)   |
// | flush         | a client call  | the throttle's bucket has a token again, when one is held back |
// | server-call   | ServerCalls    | receivedAt + the matching rule's totalTimeout                  |
// | restart       | ChildLife      | the child died + backoff                                        |
// | replay        | ChildLife      | replayed initialize sent + startupTimeout                       |
// | health        | HealthCheck    | the next check, ping or 2026 discover (a miss counts when the next is due) |
// | first-answer  | ChildLife      | a 2026 client's first request + startupTimeout, until any answer (a discover of ours is sent with it) |
// | kill          | ChildLife      | SIGTERM sent to a hung child + termGrace, then SIGKILL          |
// | ladder        | ChildLife      | the next rung of the shutdown ladder (stdin closed, SIGTERM)   |
// | task-expiry   | TaskStore      | a finished task's ttl                                           |
// | detach        | a client call  | receivedAt + detachAfter (queued time counts), until it detaches |
// | job-await     | JobStore       | a leash_await's arrival + awaitMax, while its job runs          |
// | job-expiry    | JobStore       | a finished job's end + jobs.ttl                                 |
//
// total, idle, heartbeat, flush and detach share one entry per call in a DeadlineQueue keyed by the call's key:
// wakeAt() below is the earliest of them, and a woken call works out which one is due.

import { atChild, idleSince, isJob, type ClientCall } from './call-life.js';
import { throttleOpensAt } from './progress.js';

export type TimerKind = 'total' | 'idle' | 'heartbeat' | 'flush' | 'server-call' | 'restart' | 'replay' | 'health' | 'first-answer' | 'kill' | 'ladder' | 'task-expiry' | 'detach' | 'job-await' | 'job-expiry';

/** The earliest moment anything about this call may be due: timeouts, heartbeat, throttle flush, detach. */
export function wakeAt(call: ClientCall, progressIntervalMs: number): number {
  const { rule } = call;
  let at = call.detachAt; // Infinity unless the call may still become a job
  if (rule.totalTimeoutMs > 0) at = Math.min(at, call.receivedAt + rule.totalTimeoutMs);
  if (atChild(call) && rule.idleTimeoutMs > 0) at = Math.min(at, idleSince(call) + rule.idleTimeoutMs);
  // A job's client was answered: it hears no more progress about it.
  const p = isJob(call) ? undefined : call.progress;
  if (p) {
    if (rule.heartbeatMs > 0) at = Math.min(at, p.lastSentAt + rule.heartbeatMs);
    if (p.pending) at = Math.min(at, throttleOpensAt(p, progressIntervalMs));
  }
  return at;
}

/**
 * Minimum of deadlines that may be absent. Fixed parameters rather than a rest array: the shell
 * asks for the next deadline after every batch it handles, and a rest array is an allocation
 * per ask.
 */
export function earliest(a?: number, b?: number, c?: number, d?: number, e?: number, f?: number): number | undefined {
  const min = Math.min(a ?? Infinity, b ?? Infinity, c ?? Infinity, d ?? Infinity, e ?? Infinity, f ?? Infinity);
  return min === Infinity ? undefined : min;
}
