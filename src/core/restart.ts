// When the child dies unexpectedly: restart it with exponential backoff, at most maxRestarts
// times within a sliding window, then give up. Pure arithmetic on timestamps.

import type { RestartOptions } from '../policy/types.js';

export type RestartDecision = { action: 'restart'; delayMs: number; attempt: number } | { action: 'give-up'; restarts: number };

export class RestartTracker {
  #opts: RestartOptions;
  #restarts: number[] = [];

  constructor(opts: RestartOptions) {
    this.#opts = opts;
  }

  get enabled(): boolean {
    return this.#opts.policy === 'on-failure';
  }

  /** Decides what follows a failure at `now`, and records the restart if there is one. */
  onFailure(now: number): RestartDecision {
    const { windowMs, maxRestarts, initialBackoffMs, maxBackoffMs } = this.#opts;
    this.#restarts = this.#restarts.filter((t) => now - t < windowMs);
    if (this.#restarts.length >= maxRestarts) return { action: 'give-up', restarts: this.#restarts.length };
    const delayMs = Math.min(maxBackoffMs, initialBackoffMs * 2 ** this.#restarts.length);
    this.#restarts.push(now);
    return { action: 'restart', delayMs, attempt: this.#restarts.length };
  }
}
