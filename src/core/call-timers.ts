// When a client call must be woken, and what it gets when it runs out of time. Pure functions
// over one call: the session decides when to call them and does the sending.

import type { ClientCall } from './client-calls.js';
import { ERR } from './errors.js';
import { errorResponse, type JsonObject } from './message.js';
import { formatDuration } from '../policy/format-duration.js';
import { toolTimeoutText, type TimeoutKind } from './texts.js';

/** The earliest moment anything about this call may be due: timeouts, heartbeat, throttle flush. */
export function wakeAt(call: ClientCall, progressIntervalMs: number): number {
  const { rule } = call;
  let at = Infinity;
  if (rule.totalTimeoutMs > 0) at = call.receivedAt + rule.totalTimeoutMs;
  if (call.state === 'running' && rule.idleTimeoutMs > 0) at = Math.min(at, call.idleSince() + rule.idleTimeoutMs);
  const p = call.progress;
  if (p) {
    if (rule.heartbeatMs > 0) at = Math.min(at, p.lastSentAt + rule.heartbeatMs);
    if (p.pending) at = Math.min(at, p.lastSentAt + progressIntervalMs);
  }
  return at;
}

/** Which limit, if any, the call has hit at `now`. Total wins over idle when both are due. */
export function expired(call: ClientCall, now: number): { kind: TimeoutKind; limitMs: number } | undefined {
  const { rule } = call;
  if (rule.totalTimeoutMs > 0 && now >= call.receivedAt + rule.totalTimeoutMs) return { kind: 'total', limitMs: rule.totalTimeoutMs };
  if (call.state === 'running' && rule.idleTimeoutMs > 0 && now >= call.idleSince() + rule.idleTimeoutMs) {
    return { kind: 'idle', limitMs: rule.idleTimeoutMs };
  }
  return undefined;
}

/**
 * The one answer a timed-out call gets: a tool result the model can read (isError) for
 * tools/call by default, or -32001 with the details a program needs.
 */
export function timeoutResponse(call: ClientCall, kind: TimeoutKind, limitMs: number, elapsedMs: number): JsonObject {
  if (call.method === 'tools/call' && call.tool !== undefined && call.rule.onTimeout === 'result') {
    const text = toolTimeoutText(call.tool, kind, limitMs, elapsedMs);
    return { jsonrpc: '2.0', id: call.clientId, result: { content: [{ type: 'text', text }], isError: true } };
  }
  const data: JsonObject = { method: call.method, timeoutMs: limitMs, elapsedMs, kind };
  if (call.tool !== undefined) data.tool = call.tool;
  return errorResponse(call.clientId, ERR.timedOut, `Request timed out (${kind} limit ${formatDuration(limitMs)})`, data);
}
