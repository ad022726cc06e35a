// What the shell tells an observer (the --trace writer) about a session: the frames it read, the
// outputs it wrote, and the core's events. The observer formats them; it never works out from
// messages what the core decided (src/core/events.ts says why).
//
// Times are the core's `at`: monotonic milliseconds (performance.now() in the shell).

import type { CoreEvent } from '../core/events.js';
import type { Frame } from '../core/frame.js';
import type { Output, Side } from '../core/outputs.js';

/** A message the shell wrote: forwarded as it came (but for id and token) or of mcp-leash's own making. */
export type SentOutput = Extract<Output, { type: 'forward' | 'send' }>;

export interface Tap {
  /** A frame read from `from`, at core time `at` (ms, monotonic), `bytes` long on the wire. */
  received(from: Side, frame: Frame, bytes: number, at: number): void;
  /**
   * An output written to `to`: `bytes` is the encoded line's length without its newline. The
   * output's `call` names its call (CallId) when it belongs to one. For 'forward', the message is
   * out.frame.msg with out.id/out.token applied.
   */
  sent(out: SentOutput, bytes: number, at: number): void;
  /** Every core event, in order. Events are only produced when a tap is present. */
  event(e: CoreEvent): void;
  /** Writes what is buffered and closes the file. Safe to call twice. */
  close(): Promise<void>;
}
