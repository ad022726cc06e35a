// A min-heap of wake-up times, one live entry per key. Owners recompute their real deadlines when
// woken, so a wake-up that comes too early is harmless: re-arming later than the scheduled time
// does nothing, and only an earlier time pushes a new node. That keeps the heap at O(keys) nodes
// even when a flood of progress moves a request's deadlines thousands of times a second.

interface Node<K> {
  at: number;
  key: K;
}

export class DeadlineQueue<K> {
  #heap: Node<K>[] = [];
  #scheduled = new Map<K, number>();

  /** Wake `key` no later than `at`. */
  arm(key: K, at: number): void {
    const cur = this.#scheduled.get(key);
    if (cur !== undefined && cur <= at) return;
    this.#scheduled.set(key, at);
    this.#push({ at, key });
  }

  disarm(key: K): void {
    this.#scheduled.delete(key);
  }

  /** Earliest live wake-up time, or undefined when nothing is armed. */
  next(): number | undefined {
    this.#dropStale();
    return this.#heap[0]?.at;
  }

  /** Removes and returns every key due at `now`, earliest first. */
  popDue(now: number): K[] {
    const out: K[] = [];
    for (;;) {
      this.#dropStale();
      const top = this.#heap[0];
      if (!top || top.at > now) return out;
      this.#pop();
      this.#scheduled.delete(top.key);
      out.push(top.key);
    }
  }

  get size(): number {
    return this.#scheduled.size;
  }

  #dropStale(): void {
    for (;;) {
      const top = this.#heap[0];
      if (!top || this.#scheduled.get(top.key) === top.at) return;
      this.#pop();
    }
  }

  #push(node: Node<K>): void {
    const h = this.#heap;
    h.push(node);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.at <= node.at) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = node;
  }

  #pop(): void {
    const h = this.#heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r]!.at < h[l]!.at ? r : l;
      if (h[c]!.at >= last.at) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
}
