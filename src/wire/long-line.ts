// Long lines (LONG_LINE bytes and more): decoded without parsing their bulk, re-encoded without
// copying it.
//
// A response of tens of megabytes changes by one field on its way through mcp-leash: its id.
// Parsing it, re-serialising it and converting between bytes and strings would cost several times
// the relay's time and memory, so for a long line that is a plain response:
//   - the line stays in the pieces it arrived in (never joined); a Skim found its top-level
//     members and checked its structure as the pieces came in;
//   - the small members (jsonrpc, id, error, extras) are parsed from their own bytes; a `result`
//     of LAZY_RESULT bytes or more is left out of the message (the frame is `partial`, and
//     `raw.parse()` gives the whole message, or throws: core/frame.ts). Nothing stands in for it:
//     whoever needs it (the core, for initialize and tools/list answers) asks for it;
//   - the frame's `raw` is a LongLine: the pieces and where the id and the object lie in them.
//     A 'forward' of it (the same message, at most its id changed) is written as the original
//     pieces, with the new id spliced in, as Buffer views (withId).
// Anything else (requests, notifications, batches, a line the skim finds broken, a duplicate key)
// is joined and goes through decodeLine like any short line, with the same results and errors.
//
// Bytes re-sent as they came must be what every JSON parser reads the same way, as mcp-leash
// did. So the skim also refuses what only a full parse would see (a raw control character in a
// string, a bad escape, bytes that are not UTF-8), and a duplicate top-level key is refused
// here: such a line takes the ordinary path, where JSON.parse refuses it or it is re-serialised.
// (Duplicate keys inside nested objects are passed on, as on the short path: JSON.parse keeps
// the last, the bytes hold both.) Tab and CR between tokens are passed on as they came, as the
// short path does (splice.ts re-sends a message's text). A message missing "jsonrpc" takes the
// ordinary path too (decodeLine repairs or refuses it), so a LongLine always says what the core
// was given.

import type { Frame, RawLine } from '../core/frame.js';
import { peek, type JsonObject, type RequestId } from '../core/message.js';
import { decodeLine } from './decode.js';
import type { Member, SkimResult } from './skim.js';

/** Lines at least this long take the path of this file (the LineSplitter's default threshold). */
export { LONG_LINE } from './line-splitter.js';

/** A `result` shorter than this is parsed at once even on a long line. */
export const LAZY_RESULT = 64 * 1024;

const NEWLINE = Buffer.from('\n');

/** A long line, held as the pieces it came in, as a frame's `raw`. */
export class LongLine implements RawLine {
  readonly bytes: number;
  readonly #pieces: Buffer[];
  /** The id's bytes, and the end of the object (trailing whitespace and \r left out). */
  readonly #idStart: number;
  readonly #idEnd: number;
  readonly #end: number;

  constructor(pieces: Buffer[], bytes: number, id: Member, end: number) {
    this.bytes = bytes;
    this.#pieces = pieces;
    this.#idStart = id.start;
    this.#idEnd = id.end;
    this.#end = end;
  }

  /** The whole message, parsed now (a SyntaxError if the bytes do not parse). */
  parse(): JsonObject {
    return JSON.parse(text(this.#pieces, 0, this.#end)) as JsonObject;
  }

  /** The line as Buffer views ending in a newline: the bytes as they came, with `id` spliced in when given. */
  withId(id?: RequestId): Buffer[] {
    if (id === undefined) return [...views(this.#pieces, 0, this.#end), NEWLINE];
    return [...views(this.#pieces, 0, this.#idStart), Buffer.from(JSON.stringify(id)), ...views(this.#pieces, this.#idEnd, this.#end), NEWLINE];
  }
}

/**
 * Decodes a long line held as `pieces` (`bytes` in all), given what the skim found. `partial`:
 * leave a large `result` out of a plain response (false: parse it, for a core that needs it whole).
 */
export function decodeLongLine(pieces: Buffer[], bytes: number, skim: SkimResult, fromChild = false, partial = true): Frame | undefined {
  const fast = skim.ok ? plainResponse(pieces, bytes, skim.members, skim.end, fromChild, partial) : undefined;
  return fast ?? decodeLine(pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, bytes), fromChild);
}

/** The frame of a response that needs no full parse, or undefined to take the ordinary path. */
function plainResponse(pieces: Buffer[], bytes: number, members: Member[], end: number, fromChild: boolean, partial: boolean): Frame | undefined {
  const byKey = new Map<string, Member>();
  for (const m of members) {
    // Duplicate keys (the skim decodes escaped keys, so "\u0069d" is "id"): the bytes would hold
    // both, and parsers differ on which wins; the ordinary path re-serialises what JSON.parse kept.
    // "__proto__" would not be set as a key here.
    if (byKey.has(m.key) || m.key === '__proto__') return undefined;
    byKey.set(m.key, m);
  }
  const id = byKey.get('id');
  const result = byKey.get('result');
  if (!id || byKey.has('method') || (!result && !byKey.has('error'))) return undefined;
  const msg: JsonObject = {};
  let leftOut = false;
  try {
    for (const m of members) {
      if (m === result && partial && m.end - m.start >= LAZY_RESULT) leftOut = true;
      else msg[m.key] = JSON.parse(text(pieces, m.start, m.end));
    }
  } catch {
    return undefined; // a member the skim let through but JSON.parse refuses: the ordinary path says why
  }
  if (msg.jsonrpc !== '2.0') return undefined; // missing or wrong: decodeLine repairs or refuses it
  // peek() classifies by what is there: a left-out result counts as present.
  const frame = peek(leftOut ? { ...msg, result: null } : msg, fromChild);
  const raw = new LongLine(pieces, bytes, id, end);
  if (frame.kind !== 'response') return frame.kind === 'invalid' ? { ...frame, raw } : undefined;
  return leftOut ? { kind: 'response', id: frame.id, msg, raw, partial: true } : { kind: 'response', id: frame.id, msg, raw };
}

/** Buffer views (no copies) of bytes [start, end) of a line held as pieces. */
function views(pieces: Buffer[], start: number, end: number): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (const p of pieces) {
    const next = at + p.length;
    if (next > start && at < end) out.push(p.subarray(Math.max(0, start - at), Math.min(p.length, end - at)));
    if (next >= end) break;
    at = next;
  }
  return out;
}

function text(pieces: Buffer[], start: number, end: number): string {
  const v = views(pieces, start, end);
  return (v.length === 1 ? v[0]! : Buffer.concat(v)).toString('utf8');
}
