// The table of client requests in flight, with the FIFO queue and the concurrency slots.
// Slots are counted here and only here: takeSlot() takes one, remove() gives it back, once.
// The calls' own phases are call-life.ts's business; this file only indexes them.

import type { ClientCall } from './call-life.js';
import { isFinishedKey } from './keys.js';
import type { RequestId } from './message.js';

export class ClientCalls {
  #byKey = new Map<number, ClientCall>();
  /**
   * Client ids may repeat while in flight (some hosts send id 1 for everything): FIFO per id. A
   * lone key is stored as is, so the usual call costs no array.
   */
  #byClientId = new Map<RequestId, number | number[]>();
  #queue: ClientCall[] = [];
  #nextKey = 1;
  #running = 0;
  #runningByLimit = new Map<string, number>();
  readonly maxConcurrency: number;

  constructor(maxConcurrency: number) {
    this.maxConcurrency = maxConcurrency;
  }

  get size(): number {
    return this.#byKey.size;
  }

  get running(): number {
    return this.#running;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** The key the next call gets. */
  nextKey(): number {
    return this.#nextKey++;
  }

  add(call: ClientCall): void {
    this.#byKey.set(call.key, call);
    const same = this.#byClientId.get(call.clientId);
    if (same === undefined) this.#byClientId.set(call.clientId, call.key);
    else if (typeof same === 'number') this.#byClientId.set(call.clientId, [same, call.key]);
    else same.push(call.key);
  }

  get(key: number): ClientCall | undefined {
    return this.#byKey.get(key);
  }

  /** The oldest request in flight with this client id. */
  findByClientId(id: RequestId): ClientCall | undefined {
    const keys = this.#byClientId.get(id);
    if (keys === undefined) return undefined;
    return this.#byKey.get(typeof keys === 'number' ? keys : keys[0]!);
  }

  /** Unlinks the client's id from a call whose request was already answered (a task's call). */
  forgetClientId(call: ClientCall): void {
    const same = this.#byClientId.get(call.clientId);
    if (same === call.key) this.#byClientId.delete(call.clientId);
    if (typeof same !== 'object') return;
    const i = same.indexOf(call.key);
    if (i >= 0) same.splice(i, 1);
    if (same.length === 0) this.#byClientId.delete(call.clientId);
  }

  /** A key this table gave out and has finished with (keys.ts). */
  wasFinished(key: number): boolean {
    return isFinishedKey(key, this.#nextKey, this.#byKey);
  }

  all(): ClientCall[] {
    return [...this.#byKey.values()];
  }

  hasSlotFor(call: ClientCall): boolean {
    if (this.#running >= this.maxConcurrency) return false;
    const { limitKey, limit } = call.rule;
    return limitKey === undefined || limit === undefined || (this.#runningByLimit.get(limitKey) ?? 0) < limit;
  }

  enqueue(call: ClientCall): void {
    this.#queue.push(call);
  }

  queuePosition(call: ClientCall): number {
    return this.#queue.indexOf(call) + 1;
  }

  /** The call is being sent to the child: it holds a slot from now on (unless unslotted). */
  takeSlot(call: ClientCall): void {
    if (call.unslotted) return;
    this.#running++;
    const { limitKey } = call.rule;
    if (limitKey !== undefined) this.#runningByLimit.set(limitKey, (this.#runningByLimit.get(limitKey) ?? 0) + 1);
  }

  /** Removes the call; returns true when it held a slot (so queued calls may now run). */
  remove(call: ClientCall): boolean {
    if (this.#byKey.get(call.key) !== call) return false;
    this.#byKey.delete(call.key);
    this.forgetClientId(call);
    // Dispatched calls (and only they) have a start time; it stays when they end.
    if (call.startedAt === undefined) {
      const i = this.#queue.indexOf(call);
      if (i >= 0) this.#queue.splice(i, 1);
      return false;
    }
    if (call.unslotted) return false;
    this.#running--;
    const { limitKey } = call.rule;
    if (limitKey !== undefined) this.#runningByLimit.set(limitKey, (this.#runningByLimit.get(limitKey) ?? 1) - 1);
    return true;
  }

  /** Queued calls that fit now, in FIFO order; a call blocked by its tool's limit does not block others. */
  takeRunnable(): ClientCall[] {
    const out: ClientCall[] = [];
    for (let i = 0; i < this.#queue.length && this.#running + out.length < this.maxConcurrency; ) {
      const call = this.#queue[i]!;
      if (this.#fitsWith(call, out)) {
        this.#queue.splice(i, 1);
        out.push(call);
      } else i++;
    }
    return out;
  }

  #fitsWith(call: ClientCall, taken: ClientCall[]): boolean {
    const { limitKey, limit } = call.rule;
    if (limitKey === undefined || limit === undefined) return true;
    const pending = taken.filter((c) => c.rule.limitKey === limitKey).length;
    return (this.#runningByLimit.get(limitKey) ?? 0) + pending < limit;
  }
}
