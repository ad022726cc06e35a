// Backpressure, one direction: while the destination's buffer is full, stop reading the source.
// One 'drain' listener at a time (a write that returns false again while we wait adds none), and
// open() lets the owner release the source when the destination goes away (a dead child never
// drains, and its stdin must not keep the client's side paused for ever).

import type { Readable, Writable } from 'node:stream';

export class Valve {
  #source: Readable | undefined;
  #dest: Writable | undefined;
  #onDrain = (): void => this.open();

  /** True while the source is paused for this valve. */
  get held(): boolean {
    return this.#dest !== undefined;
  }

  /** Call when write() to `dest` returned false: pauses `source` until `dest` drains. */
  hold(source: Readable, dest: Writable): void {
    if (this.#dest === dest && this.#source === source) return;
    this.open();
    this.#source = source;
    this.#dest = dest;
    source.pause();
    dest.once('drain', this.#onDrain);
  }

  open(): void {
    // Cleared before resuming, so that a hold() made while the source resumes is not undone.
    const source = this.#source;
    const dest = this.#dest;
    this.#source = undefined;
    this.#dest = undefined;
    dest?.off('drain', this.#onDrain);
    source?.resume();
  }
}
