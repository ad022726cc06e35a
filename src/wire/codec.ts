// The codec: bytes to frames on the way in, outputs to bytes on the way out. The shell and the
// tests use this and nothing else of src/wire/.
//
// In: a Decoder per side frames the stream (line-splitter.ts), decodes each line (decode.ts; a
// long plain response without parsing its bulk, long-line.ts) and reports lines past
// maxMessageBytes as 'oversize'. A message frame's `raw` records the line's bytes (a TextLine or
// a LongLine), so that the message can later be re-sent from them.
//
// Out: encode() turns a 'send' or 'forward' output into what to write, cheapest first:
//   - 'forward' with no token: the bytes as they came (a short line's text, or a long line's
//     pieces as Buffer views), with the id the output names spliced in. Only where the bytes
//     may be re-sent (no repair on the way in, no duplicate top-level key, the id where JSON-RPC
//     libraries write it: splice.ts, long-line.ts);
//   - 'forward' otherwise (a token to rewrite, or bytes that may not be re-sent): JSON.stringify
//     of a copy of the message with the id and token the output names;
//   - 'send': JSON.stringify.
// The encoder reads only the output: its explicit id and token, the frame's raw bytes and, to
// stringify, the frame's message. It does not compare objects or look for marks on them.
// JSON.stringify can fail (a value nested past its recursion limit): that comes back as an
// Unencodable value, for the shell to hand to the core once the batch is done.

import { wholeMessage, type Frame, type MessageFrame } from '../core/frame.js';
import { isObject, type JsonObject, type ProgressToken, type RequestId } from '../core/message.js';
import type { Output, Side } from '../core/outputs.js';
import { decodeLine, oversizeFrame } from './decode.js';
import { LineSplitter, LONG_LINE } from './line-splitter.js';
import { decodeLongLine, LongLine } from './long-line.js';
import { TextLine } from './splice.js';

export { LONG_LINE };

// ── in ───────────────────────────────────────────────────────────────────────────────────────

export interface DecoderOptions {
  /** Which peer the bytes come from: a child's message missing "jsonrpc" is repaired, a client's refused. */
  from: Side;
  /** Lines longer than this are dropped as they stream in, and reported as an 'oversize' frame. */
  maxMessageBytes: number;
  /** Lines of at least this many bytes take the long-line path (default LONG_LINE, 1 MiB). */
  longLineBytes?: number;
  /**
   * Leave a long plain response's large `result` out of `msg` (the frame is then `partial`;
   * `raw.parse()` has it). Default true; false parses it, for a core that reads `msg` only.
   */
  partial?: boolean;
}

/** Called once per frame, in order; `bytes` is the line's size on the wire (without its newline). */
export type OnFrame = (frame: Frame, bytes: number) => void;

/** One side's stream of bytes to frames. Blank lines make no frame. */
export class Decoder {
  readonly #splitter: LineSplitter;
  #onFrame: OnFrame | undefined;

  constructor(opts: DecoderOptions) {
    const fromChild = opts.from === 'child';
    const partial = opts.partial ?? true;
    const max = opts.maxMessageBytes;
    const emit = (frame: Frame | undefined, bytes: number): void => {
      if (frame) this.#onFrame!(frame, bytes);
    };
    this.#splitter = new LineSplitter(
      max,
      {
        lineAt: (buf, start, end) => emit(decodeLine(buf, fromChild, start, end), end - start),
        oversize: (bytes) => emit(oversizeFrame(bytes, max), bytes),
        longLine: (pieces, bytes, skim) => emit(decodeLongLine(pieces, bytes, skim, fromChild, partial), bytes),
      },
      opts.longLineBytes ?? LONG_LINE,
    );
  }

  /**
   * Frames what `chunk` completes, calling `onFrame` for each before returning. Returns false
   * when the chunk ended no line (the middle of a long one): nothing new for the core.
   */
  push(chunk: Buffer, onFrame: OnFrame): boolean {
    this.#onFrame = onFrame;
    try {
      return this.#splitter.push(chunk);
    } finally {
      this.#onFrame = undefined;
    }
  }

  /** End of stream: a last line without a newline still counts. */
  end(onFrame: OnFrame): void {
    this.#onFrame = onFrame;
    try {
      this.#splitter.end();
    } finally {
      this.#onFrame = undefined;
    }
  }

  /** Bytes held for a line not yet complete. */
  get buffered(): number {
    return this.#splitter.buffered;
  }
}

// ── out ──────────────────────────────────────────────────────────────────────────────────────

/** An output that puts a message on the wire. */
export type MessageOutput = Extract<Output, { type: 'send' | 'forward' }>;

/** A message that could not be encoded, and why (JSON.stringify's error message). */
export interface Unencodable {
  ok: false;
  why: string;
}

/** What to write for one message: one line as a string, or as Buffer views; or why there is none. */
export type Encoded = string | Buffer[] | Unencodable;

export function isUnencodable(e: Encoded): e is Unencodable {
  return typeof e === 'object' && !Array.isArray(e);
}

/** The line (newline included) to write for `out`. Never throws. */
export function encode(out: MessageOutput): Encoded {
  try {
    return out.type === 'send' ? `${JSON.stringify(out.msg)}\n` : encodeForward(out.frame, out.id, out.token);
  } catch (err) {
    return { ok: false, why: err instanceof Error ? err.message : String(err) };
  }
}

function encodeForward(frame: MessageFrame, id: RequestId | undefined, token: ProgressToken | undefined): string | Buffer[] {
  const raw = frame.raw;
  if (token === undefined) {
    if (raw instanceof TextLine) {
      const line = id === undefined ? raw.asSent() : raw.withId(id);
      if (line !== undefined) return line;
    } else if (raw instanceof LongLine) {
      return raw.withId(id);
    }
  }
  return `${JSON.stringify(rebuilt(parsedWhole(frame), id, token))}\n`;
}

/** The frame's whole message (core/frame.ts), thrown rather than returned when it does not parse. */
function parsedWhole(frame: MessageFrame): JsonObject {
  if (frame.kind === 'response' && frame.partial && !frame.raw) throw new Error('a partial frame without its raw bytes');
  const whole = wholeMessage(frame);
  if (whole instanceof Error) throw whole;
  return whole;
}

/** A copy of `msg` with the top-level id and the progress token given; other members kept. */
function rebuilt(msg: JsonObject, id: RequestId | undefined, token: ProgressToken | undefined): JsonObject {
  if (id === undefined && token === undefined) return msg;
  const out: JsonObject = { ...msg };
  if (id !== undefined) out.id = id;
  if (token !== undefined) {
    const params = isObject(msg.params) ? msg.params : {};
    const meta = isObject(params._meta) ? params._meta : {};
    out.params = { ...params, _meta: { ...meta, progressToken: token } };
  }
  return out;
}

/**
 * The message `out` puts on the wire, for traces, logs and the core's handleUnencodable: a
 * 'send''s own, a 'forward''s with its id and token. Parses nothing: a partial frame's message
 * is given without its result.
 */
export function messageOf(out: MessageOutput): JsonObject {
  return out.type === 'send' ? out.msg : rebuilt(out.frame.msg, out.id, out.token);
}
