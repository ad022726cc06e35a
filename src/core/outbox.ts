// The core's outgoing queue: every part of the session appends here in order, the shell drains
// it with Session.poll(). Keeping it one object lets the session's parts share it without I/O.

import type { CallId, CoreEvent } from './events.js';
import type { MessageFrame } from './frame.js';
import type { JsonObject, ProgressToken, RequestId } from './message.js';
import type { LogLevel, Output, Side } from './outputs.js';

/** Shared and frozen: a caller may iterate it, never change it. */
const NOTHING: Output[] = Object.freeze([]) as unknown as Output[];

export class Outbox {
  #out: Output[] = [];
  /** Whether anyone listens to events: they cost an object each, so they are built only then. */
  readonly events: boolean;

  constructor(events = false) {
    this.events = events;
  }

  /** A message mcp-leash received, sent on with (at most) a new id and progress token. */
  forward(to: Side, frame: MessageFrame, id: RequestId | undefined, token: ProgressToken | undefined, call: CallId | undefined): void {
    this.#out.push({ type: 'forward', to, frame, id, token, call });
  }

  /** A message of mcp-leash's own making. */
  send(to: Side, msg: JsonObject, call?: CallId): void {
    this.#out.push(call === undefined ? { type: 'send', to, msg } : { type: 'send', to, msg, call });
  }

  log(level: LogLevel, msg: string, fields?: JsonObject): void {
    this.#out.push(fields ? { type: 'log', level, msg, fields } : { type: 'log', level, msg });
  }

  /** Callers check `events` first when building the event costs anything. */
  event(event: CoreEvent): void {
    if (this.events) this.#out.push({ type: 'event', event });
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
