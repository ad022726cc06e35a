// The real clock for the core: monotonic milliseconds, and one OS timer re-armed whenever the
// core's next deadline moves earlier. A timer that fires early is harmless (the core re-checks).

import { performance } from 'node:perf_hooks';

export const now = (): number => performance.now();

export class Alarm {
  #timer: NodeJS.Timeout | undefined;
  #at = Infinity;
  #onFire: () => void;

  constructor(onFire: () => void) {
    this.#onFire = onFire;
  }

  /** Makes sure we wake at `at` (or earlier); undefined means nothing is due. */
  set(at: number | undefined): void {
    if (at === undefined || at >= this.#at) return;
    this.clear();
    this.#at = at;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#at = Infinity;
      this.#onFire();
    }, Math.max(0, Math.ceil(at - now())));
  }

  clear(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#at = Infinity;
  }
}
