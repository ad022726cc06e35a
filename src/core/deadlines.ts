// A min-heap of wake-up times, one live entry per key. Owners recompute their real deadlines when
// woken, so a wake-up that comes too early is harmless: re-arming later than the scheduled time
// does nothing, and only an earlier time pushes a new node. That keeps the heap small even when a
// flood of progress moves a request's deadlines thousands of times a second.
//
// A disarmed key leaves its node behind, dropped when it reaches the top. Behind a live node at
// the top (one long call, woken every heartbeat) the nodes of every call finished since would
// pile up, one per call: 150,000 of them after 150,000 quick calls. So when stale nodes
// outnumber live ones by more than COMPACT_SLACK the heap is rebuilt from the live ones: at most
// twice the keys armed plus the slack, for an amortised O(log n) per arm. (The slack keeps the
// ordinary ebb and flow of a burst, which the top drops as it goes, from rebuilding at all.)

/** Stale nodes tolerated beyond the live ones before the heap is rebuilt (default). */
const COMPACT_SLACK = 1024;

interface Node<K> {
  at: number;
  key: K;
}

export class DeadlineQueue<K> {
  #heap: Node<K>[] = [];
  #scheduled = new Map<K, number>();
  readonly #slack: number;

  /** `compactSlack`: see above; tests set it low to rebuild often. */
  constructor(compactSlack = COMPACT_SLACK) {
    this.#slack = compactSlack;
  }

  /** Wake `key` no later than `at`. */
  arm(key: K, at: number): void {
    const cur = this.#scheduled.get(key);
    if (cur !== undefined && cur <= at) return;
    this.#scheduled.set(key, at);
    this.#push({ at, key });
  }

  disarm(key: K): void {
    if (this.#scheduled.delete(key) && this.#heap.length > 2 * this.#scheduled.size + this.#slack) this.#compact();
  }

  /** Nodes held, stale ones included (for tests). */
  get nodes(): number {
    return this.#heap.length;
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

  /** Keeps the live nodes only; a sorted array is a valid heap. */
  #compact(): void {
    const live = this.#heap.filter((n) => this.#scheduled.get(n.key) === n.at);
    this.#heap = live.sort((a, b) => a.at - b.at);
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
