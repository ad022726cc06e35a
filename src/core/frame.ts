// What the wire layer hands the core: one message, or a line that could not become one.
//
// A message frame carries the parsed object (`msg`) and, when the codec kept them, the bytes it
// came in (`raw`). The core reads `raw.bytes` (a size on the wire) and nothing else of it; it
// hands `raw` back unchanged in a 'forward' output (outputs.ts) so that the codec can re-send
// the message from its own bytes. No field of a message is hidden: what the core sees in `msg`
// is all there is, except that a long answer's `result` may be left out (`partial`), to be
// parsed only when the core asks for it with `raw.parse()`.

import type { JsonObject, RequestId } from './message.js';

/** The codec's record of one line's bytes. Opaque to the core but for these two members. */
export interface RawLine {
  /** Size of the line on the wire, without its newline. */
  readonly bytes: number;
  /** The whole message, parsed now. Throws (a SyntaxError) when the bytes do not parse. */
  parse(): JsonObject;
}

interface Message {
  msg: JsonObject;
  raw?: RawLine;
}

export type MessageFrame =
  | (Message & { kind: 'request'; id: RequestId; method: string })
  | (Message & { kind: 'notification'; method: string })
  /** `partial`: `msg` lacks the `result` member, which only `raw.parse()` gives. */
  | (Message & { kind: 'response'; id: RequestId; partial?: true });

export type Frame =
  | MessageFrame
  | { kind: 'invalid'; reason: string; id: RequestId | null; raw?: RawLine }
  /** `detail` says what is wrong; `preview` holds the line's first 200 characters, when there is one. */
  | { kind: 'unparsable'; problem: 'json' | 'batch' | 'oversize'; detail: string; preview?: string; bytes?: number };

/**
 * The whole message of a frame: `msg` itself, or for a partial frame what `raw.parse()` gives.
 * Returns the parse error instead of throwing, so callers must say what a failure means.
 */
export function wholeMessage(frame: MessageFrame): JsonObject | Error {
  if (frame.kind !== 'response' || frame.partial !== true || frame.raw === undefined) return frame.msg;
  try {
    return frame.raw.parse();
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}
