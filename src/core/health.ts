// Health pings: every interval mcp-leash sends a ping of its own; a ping still unanswered when the
// next one is due is a miss, and `misses` misses in a row mean the child is hung.

import type { HealthCheckOptions } from '../policy/types.js';

export const OWN_ID_PREFIX = 'mcp-leash:';

export type HealthTick = { action: 'ping'; id: string } | { action: 'hung'; misses: number } | undefined;

export class HealthCheck {
  #opts: HealthCheckOptions;
  #dueAt: number | undefined;
  #outstanding: string | undefined;
  #misses = 0;
  #seq = 0;

  constructor(opts: HealthCheckOptions) {
    this.#opts = opts;
  }

  /** Starts (or restarts, for a new child) the ping cycle. */
  start(now: number): void {
    if (this.#opts.intervalMs <= 0) return;
    this.#dueAt = now + this.#opts.intervalMs;
    this.#outstanding = undefined;
    this.#misses = 0;
  }

  stop(): void {
    this.#dueAt = undefined;
    this.#outstanding = undefined;
  }

  get nextDeadline(): number | undefined {
    return this.#dueAt;
  }

  tick(now: number): HealthTick {
    if (this.#dueAt === undefined || now < this.#dueAt) return undefined;
    this.#dueAt = now + this.#opts.intervalMs;
    if (this.#outstanding !== undefined) {
      this.#misses++;
      if (this.#misses >= this.#opts.misses) {
        this.stop();
        return { action: 'hung', misses: this.#misses };
      }
    }
    this.#outstanding = `${OWN_ID_PREFIX}ping:${++this.#seq}`;
    return { action: 'ping', id: this.#outstanding };
  }

  /** True when `id` was one of our pings (answered now or late); such answers never go upstream. */
  answered(id: string): boolean {
    if (!id.startsWith(`${OWN_ID_PREFIX}ping:`)) return false;
    if (id === this.#outstanding) {
      this.#outstanding = undefined;
      this.#misses = 0;
    }
    return true;
  }
}
