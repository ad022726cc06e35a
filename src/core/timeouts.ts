// Time limits of client calls: which limit a woken call has hit, and the one answer a call that
// ran out of time gets. The limits come from the call's resolved rule (policy/resolve.ts).

import type { Admission } from './admission.js';
import { atChild, idleSince, type ClientCall } from './call-life.js';
import type { Cancellation } from './cancellation.js';
import { resultResponse } from './era.js';
import { ERR } from './errors.js';
import type { TimeoutKind } from './events.js';
import { errorResponse, type JsonObject } from './message.js';
import type { Outbox } from './outbox.js';
import { cancelReason, formatMs, queuedTimeoutText, toolTimeoutText } from './texts.js';

/** Which limit, if any, the call has hit at `now`. Total wins over idle when both are due. */
export function expired(call: ClientCall, now: number): { kind: TimeoutKind; limitMs: number } | undefined {
  const { rule } = call;
  if (rule.totalTimeoutMs > 0 && now >= call.receivedAt + rule.totalTimeoutMs) return { kind: 'total', limitMs: rule.totalTimeoutMs };
  if (atChild(call) && rule.idleTimeoutMs > 0 && now >= idleSince(call) + rule.idleTimeoutMs) {
    return { kind: 'idle', limitMs: rule.idleTimeoutMs };
  }
  return undefined;
}

/**
 * The one answer a timed-out call gets: a tool result the model can read (isError) for
 * tools/call by default, or -32001 with the details a program needs.
 */
export function timeoutResponse(call: ClientCall, kind: TimeoutKind, limitMs: number, elapsedMs: number): JsonObject {
  const queued = call.phase === 'queued' || call.phase === 'parked';
  if (call.method === 'tools/call' && call.tool !== undefined && call.rule.onTimeout === 'result') {
    const text = queued ? queuedTimeoutText(call.tool, limitMs) : toolTimeoutText(call.tool, kind, limitMs, elapsedMs);
    return resultResponse(call.clientId, { content: [{ type: 'text', text }], isError: true }, call.modern);
  }
  const data: JsonObject = { method: call.method, timeoutMs: limitMs, elapsedMs, kind };
  if (call.tool !== undefined) data.tool = call.tool;
  if (queued) data.queued = true;
  return errorResponse(call.clientId, ERR.timedOut, `Request timed out (${kind} limit ${formatMs(limitMs)})`, data);
}

/** Ends a call that ran out of time: cancel at the child (if it had it), answer, and log. */
export function timeOut(call: ClientCall, kind: TimeoutKind, limitMs: number, now: number, deps: { out: Outbox; admission: Admission; cancellation: Cancellation }): void {
  const elapsedMs = Math.round(now - call.receivedAt);
  const running = atChild(call);
  deps.out.log('info', 'request timed out', { method: call.method, tool: call.tool, kind, timeoutMs: limitMs, elapsedMs, state: call.phase });
  const response = timeoutResponse(call, kind, limitMs, elapsedMs);
  if (running) deps.cancellation.atChild(call, cancelReason(kind, limitMs));
  deps.admission.close(call, 'timeout', { outcome: 'timeout', by: 'leash', timeout: { kind, limitMs, cancelSentToServer: running } }, { msg: response }, now);
}
