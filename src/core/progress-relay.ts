// Progress on its way to the client: the child's own (throttled, kept monotonic, newest kept
// when held back) and mcp-leash's heartbeats for silent calls. The value arithmetic is in
// progress.ts; this module decides when something is sent.

import type { Policy } from '../policy/types.js';
import { childProgressed, type ClientCall, type IllegalHook } from './call-life.js';
import type { ClientCalls } from './client-calls.js';
import { notification, type JsonObject } from './message.js';
import type { Outbox } from './outbox.js';
import { ANSWER_GAP_MS, heartbeatParams, markSent, shapeChildProgress, takeToken, throttleOpensAt } from './progress.js';
import { heartbeatText } from './texts.js';

export interface ProgressDeps {
  policy: Policy;
  out: Outbox;
  calls: ClientCalls;
  illegal: IllegalHook;
  /** Adds the related-task _meta for a task's call. */
  withTaskMeta(call: ClientCall, params: JsonObject): JsonObject;
}

export class ProgressRelay {
  #d: ProgressDeps;

  constructor(deps: ProgressDeps) {
    this.#d = deps;
  }

  /** Progress from the child for a running call (the caller checked the token is ours). */
  fromChild(call: ClientCall, params: JsonObject, now: number): void {
    childProgressed(call, now, this.#d.illegal);
    const p = call.progress;
    if (!p) return;
    // The bucket, not the time since the last notification: a burst goes through, a flood is held.
    if (now >= throttleOpensAt(p, this.#d.policy.progressIntervalMs)) this.#forward(call, params, now);
    else {
      p.pending = params; // the throttle keeps only the newest
      this.#event(call, params, 'held', now);
    }
  }

  /**
   * The child answered: the newest progress held back by the throttle goes out before the answer,
   * never after; and when the client heard progress for this call less than ANSWER_GAP_MS ago,
   * the answer is kept that far behind it (a 'client-gap' output), so that an SDK client reads the
   * progress before the answer retires its handler (progress.ts, ANSWER_GAP_MS).
   */
  beforeAnswer(call: ClientCall, now: number): void {
    const p = call.progress;
    if (!p) return;
    if (p.pending) this.#forward(call, p.pending, now);
    // A task's answer is kept for tasks/result, not sent: nothing to keep apart.
    if (p.notifiedAt === undefined || call.taskId !== undefined) return;
    const ms = p.notifiedAt + ANSWER_GAP_MS - now;
    if (ms > 0) this.#d.out.push({ type: 'client-gap', ms });
  }

  /** A call's timer fired without a timeout: a held-back update or a heartbeat may be due. */
  wake(call: ClientCall, now: number): void {
    const p = call.progress;
    if (!p) return;
    const heartbeatDue = call.rule.heartbeatMs > 0 && now >= p.lastSentAt + call.rule.heartbeatMs;
    // Held-back child progress is fresher news than a heartbeat, so it goes first whichever is due.
    if (p.pending && (heartbeatDue || now >= throttleOpensAt(p, this.#d.policy.progressIntervalMs))) return this.#forward(call, p.pending, now);
    if (!heartbeatDue) return;
    const queued = call.phase === 'queued';
    const queue = queued ? { position: this.#d.calls.queuePosition(call) } : undefined;
    const lastAgo = call.lastChildProgressAt === undefined ? undefined : now - call.lastChildProgressAt;
    const params = heartbeatParams(p, heartbeatText(call.method, call.tool, now - call.receivedAt, queue, lastAgo));
    if (!params) {
      p.lastSentAt = now; // no room under the total: stay quiet rather than wake again at once
      return;
    }
    markSent(p, params, now);
    this.#d.out.send('client', notification('notifications/progress', this.#d.withTaskMeta(call, params)), call.id);
    if (this.#d.out.events) {
      this.#d.out.event({ type: 'heartbeat', call: call.id, progress: params.progress as number, ...totalOf(params), queued, at: now });
    }
  }

  #forward(call: ClientCall, childParams: JsonObject, now: number): void {
    const p = call.progress!;
    p.pending = undefined;
    const out = shapeChildProgress(p, childParams);
    if (!out) return this.#event(call, childParams, 'dropped', now);
    // Every child update that goes out takes a token, flushes and heartbeat stand-ins included.
    takeToken(p, this.#d.policy.progressIntervalMs, now);
    markSent(p, out, now);
    this.#d.out.send('client', notification('notifications/progress', this.#d.withTaskMeta(call, out)), call.id);
    this.#event(call, out, 'forwarded', now);
  }

  #event(call: ClientCall, params: JsonObject, fate: 'forwarded' | 'held' | 'dropped', now: number): void {
    if (!this.#d.out.events) return;
    const progress = typeof params.progress === 'number' ? params.progress : NaN;
    this.#d.out.event({ type: 'progress', call: call.id, progress, ...totalOf(params), fate, at: now });
  }
}

function totalOf(params: JsonObject): { total?: number } {
  return typeof params.total === 'number' ? { total: params.total } : {};
}
