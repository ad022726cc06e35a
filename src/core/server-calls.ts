// The table of child-to-client requests in flight (sampling, elicitation, roots, ping), keyed by
// the id mcp-leash gave the client. The child's own ids are kept to answer it exactly.

import type { ResolvedRule } from '../policy/types.js';
import type { RequestId } from './message.js';
import { RecentKeys } from './recent-keys.js';

export interface ServerCall {
  key: number;
  childId: RequestId;
  method: string;
  rule: ResolvedRule;
  receivedAt: number;
}

const RECENT = 1024;

export class ServerCalls {
  #byKey = new Map<number, ServerCall>();
  #byChildId = new Map<RequestId, number>();
  #recent = new RecentKeys(RECENT);
  #nextKey = 1;

  get size(): number {
    return this.#byKey.size;
  }

  add(childId: RequestId, method: string, rule: ResolvedRule, now: number): ServerCall {
    const sc: ServerCall = { key: this.#nextKey++, childId, method, rule, receivedAt: now };
    this.#byKey.set(sc.key, sc);
    this.#byChildId.set(childId, sc.key);
    return sc;
  }

  get(key: number): ServerCall | undefined {
    return this.#byKey.get(key);
  }

  take(key: number): ServerCall | undefined {
    const sc = this.#byKey.get(key);
    if (!sc) return undefined;
    this.#byKey.delete(key);
    if (this.#byChildId.get(sc.childId) === key) this.#byChildId.delete(sc.childId);
    this.#recent.add(key);
    return sc;
  }

  takeByChildId(childId: RequestId): ServerCall | undefined {
    const key = this.#byChildId.get(childId);
    return key === undefined ? undefined : this.take(key);
  }

  wasRecent(key: number): boolean {
    return this.#recent.has(key);
  }

  clear(): ServerCall[] {
    const all = [...this.#byKey.values()];
    for (const sc of all) this.take(sc.key);
    return all;
  }
}
