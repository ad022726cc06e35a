// Carries out the core's 'client-gap' outputs: what is queued for the client before a gap is
// written at once, and what comes after it waits at least the gap's length, in a write of its own.
// Gaps that follow each other make segments written in order, each the given time after the one
// before, so a second call's progress and answer are kept apart as well as the first's.
//
// Only the spacing in real time lives here; when a gap is needed, and how long, is the core's
// decision (progress-relay.ts). Without any gap this holds nothing and costs one boolean check.

type Item = string | Buffer;

export class ClientGaps {
  /** Held segments, oldest first: each waits `ms` after the one before it was written. */
  #segments: Array<{ ms: number; items: Item[] }> = [];
  #timer: NodeJS.Timeout | undefined;
  #write: (items: Item[]) => void;

  /** `write` sends a run of encoded messages to the client (in one write where it can). */
  constructor(write: (items: Item[]) => void) {
    this.#write = write;
  }

  /** Whether what is queued for the client now must wait behind a gap. */
  get holding(): boolean {
    return this.#segments.length > 0;
  }

  /** Starts a gap: the caller wrote what came before; what follows waits `ms`. */
  gap(ms: number): void {
    this.#segments.push({ ms, items: [] });
    if (this.#segments.length === 1) this.#arm();
  }

  /** Messages for the client while a gap holds: they join the newest segment, in order. */
  hold(items: Item[]): void {
    const held = this.#segments.at(-1)!.items;
    for (const item of items) held.push(item);
  }

  /** Writes everything held at once, in order (mcp-leash is exiting: nothing may be lost). */
  release(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const all = this.#segments.flatMap((s) => s.items);
    this.#segments = [];
    if (all.length) this.#write(all);
  }

  #arm(): void {
    const head = this.#segments[0]!;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#segments.shift();
      if (head.items.length) this.#write(head.items);
      if (this.#segments.length) this.#arm();
    }, Math.max(1, Math.ceil(head.ms)));
  }
}
