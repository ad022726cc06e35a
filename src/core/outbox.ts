// The core's outgoing queue: every part of the session appends here in order, the shell drains
// it with Session.poll(). Keeping it one object lets the session's parts share it without I/O.

import type { JsonObject, RequestId } from './message.js';
import type { LogLevel, Output, Side } from './outputs.js';

/** Shared and frozen: a caller may iterate it, never change it. */
const NOTHING: Output[] = Object.freeze([]) as unknown as Output[];

export class Outbox {
  #out: Output[] = [];

  send(to: Side, msg: JsonObject, origId?: RequestId): void {
    this.#out.push(origId === undefined ? { type: 'send', to, msg } : { type: 'send', to, msg, origId });
  }

  log(level: LogLevel, msg: string, fields?: JsonObject): void {
    this.#out.push(fields ? { type: 'log', level, msg, fields } : { type: 'log', level, msg });
  }

  push(o: Output): void {
    this.#out.push(o);
  }

  drain(): Output[] {
    const out = this.#out;
    // Polled after every chunk read: nothing to hand over must cost no new array.
    if (out.length === 0) return NOTHING;
    this.#out = [];
    return out;
  }
}
