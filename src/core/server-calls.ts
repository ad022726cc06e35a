// The table of child-to-client requests in flight (sampling, elicitation, roots, ping), keyed by
// the id mcp-leash gave the client. The child's own ids are kept to answer it exactly. The table
// owns their timeouts too, so that whatever removes a call also disarms its timer.

import type { ResolvedRule } from '../policy/types.js';
import { DeadlineQueue } from './deadlines.js';
import { isFinishedKey } from './keys.js';
import type { JsonObject, RequestId } from './message.js';

export interface ServerCall {
  key: number;
  childId: RequestId;
  method: string;
  rule: ResolvedRule;
  receivedAt: number;
  /** The request's params, kept only for a request the bridge holds (bridge/input-required.ts). */
  params?: JsonObject | undefined;
}

export class ServerCalls {
  #byKey = new Map<number, ServerCall>();
  #byChildId = new Map<RequestId, number>();
  #nextKey = 1;
  #deadlines = new DeadlineQueue<number>();

  get size(): number {
    return this.#byKey.size;
  }

  add(childId: RequestId, method: string, rule: ResolvedRule, now: number): ServerCall {
    const sc: ServerCall = { key: this.#nextKey++, childId, method, rule, receivedAt: now };
    this.#byKey.set(sc.key, sc);
    this.#byChildId.set(childId, sc.key);
    // Only a rule that names the method times a server-to-client request (a person may be typing).
    if (rule.totalTimeoutMs > 0) this.#deadlines.arm(sc.key, now + rule.totalTimeoutMs);
    return sc;
  }

  get(key: number): ServerCall | undefined {
    return this.#byKey.get(key);
  }

  take(key: number): ServerCall | undefined {
    const sc = this.#byKey.get(key);
    if (!sc) return undefined;
    this.#byKey.delete(key);
    this.#deadlines.disarm(key);
    if (this.#byChildId.get(sc.childId) === key) this.#byChildId.delete(sc.childId);
    return sc;
  }

  takeByChildId(childId: RequestId): ServerCall | undefined {
    const key = this.#byChildId.get(childId);
    return key === undefined ? undefined : this.take(key);
  }

  /** Earliest timeout of a call in flight. */
  nextDeadline(): number | undefined {
    return this.#deadlines.next();
  }

  /** Takes out the calls whose total timeout has passed at `now`. */
  takeExpired(now: number): ServerCall[] {
    const out: ServerCall[] = [];
    for (const key of this.#deadlines.popDue(now)) {
      const sc = this.#byKey.get(key);
      if (sc && now >= sc.receivedAt + sc.rule.totalTimeoutMs) out.push(this.take(key)!);
    }
    return out;
  }

  /** A key this table gave out and has finished with (keys.ts). */
  wasFinished(key: number): boolean {
    return isFinishedKey(key, this.#nextKey, this.#byKey);
  }

  clear(): ServerCall[] {
    const all = [...this.#byKey.values()];
    for (const sc of all) this.take(sc.key);
    return all;
  }
}
