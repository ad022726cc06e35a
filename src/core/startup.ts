// The startup limit and the probe wait: what a call bounded by them gets when time runs out.
//
// initialize and server/discover carry the startup limit (policy/resolve.ts); a probe whose
// child's era is unknown also carries the shorter probe wait (era.ts). A probe past its wait is
// answered as a legacy server would answer it; an initialize, or a discover the child never
// answered anything before, past the startup limit means the child failed to start: it is
// stopped and mcp-leash exits 1. A 2026 child that answers nothing at all in time (child-life.ts,
// first answer) fails every call it has the same way.

import { formatDuration } from '../policy/format-duration.js';
import type { Admission, Ending } from './admission.js';
import type { ClientCall } from './call-life.js';
import type { Cancellation } from './cancellation.js';
import type { ChildLife } from './child-life.js';
import type { ClientCalls } from './client-calls.js';
import { DISCOVER, PROBE_WAIT_RULE, probeUnanswered, type Eras } from './era.js';
import { ERR } from './errors.js';
import type { TimeoutKind } from './events.js';
import { errorResponse } from './message.js';
import type { Outbox } from './outbox.js';
import { timeOut } from './timeouts.js';

export interface StartupDeps {
  out: Outbox;
  calls: ClientCalls;
  admission: Admission;
  cancellation: Cancellation;
  life: ChildLife;
  eras: Eras;
}

/** Ends a call that hit a time limit, with what its method calls for (plain calls: timeouts.ts). */
export function limitReached(call: ClientCall, kind: TimeoutKind, limitMs: number, now: number, d: StartupDeps): void {
  if (call.method === DISCOVER && call.rule.from[0] === PROBE_WAIT_RULE) return answerProbe(call, limitMs, now, d);
  timeOut(call, kind, limitMs, now, { out: d.out, admission: d.admission, cancellation: d.cancellation });
  // The child's first answer is its startup: without it, the child failed to start.
  if (call.method === 'initialize' || (call.method === DISCOVER && !d.life.answered)) {
    d.out.log('error', `the server did not answer ${call.method} in time; stopping it`, { timeoutMs: limitMs });
    d.life.decideExit(1, 'startup timeout', now);
  }
}

/** The child left a probe unanswered past the probe wait: answer it as a legacy server would. */
function answerProbe(call: ClientCall, waitedMs: number, now: number, d: StartupDeps): void {
  d.out.log('warn', 'the server did not answer the server/discover probe in time; answered it as a pre-2026 server would, so the client falls back to initialize (set "serverEra": "legacy" to skip the wait, or "2026" if the server is a slow-starting 2026 one)', { waitedMs });
  d.eras.probeAnswered(call.key);
  d.admission.close(call, 'timeout', leashTimeout(waitedMs), { msg: probeUnanswered(call.clientId, waitedMs) }, now);
}

/** The child answered nothing within the startup limit: every call gets -32001, then it is stopped. */
export function startupFailed(limitMs: number, now: number, d: StartupDeps): void {
  const text = `Request timed out: the MCP server answered nothing within the startup limit of ${formatDuration(limitMs)}; mcp-leash stops it (raise "startupTimeout" if it starts slowly)`;
  for (const call of d.calls.all()) {
    const data = { method: call.method, timeoutMs: limitMs, elapsedMs: Math.round(now - call.receivedAt), kind: 'total', startup: true };
    d.admission.close(call, 'timeout', leashTimeout(limitMs), { msg: errorResponse(call.clientId, ERR.timedOut, text, data) }, now);
  }
  d.life.decideExit(1, 'startup timeout', now);
}

/** mcp-leash answered in the child's place when a limit ran out; the child was not told. */
function leashTimeout(limitMs: number): Ending {
  return { outcome: 'timeout', by: 'leash', timeout: { kind: 'total', limitMs, cancelSentToServer: false } };
}
