// Long lines (LONG_LINE bytes and more): decoded without parsing their bulk, re-encoded without
// copying it.
//
// A response of tens of megabytes changes by one field on its way through mcp-leash: its id.
// Parsing it, re-serialising it and converting between bytes and strings would cost several times
// the relay's time and memory, so for a long line that is a plain response:
//   - the line stays in the pieces it arrived in (never joined); a Skim found its top-level
//     members and checked its structure as the pieces came in;
//   - the small members (jsonrpc, id, error, extras) are parsed from their own bytes; `result` is
//     a lazy view, parsed only if something looks inside it (the core does for initialize and
//     tools/list answers, a trace with payloads does too);
//   - the decoded message carries a RAW link (an enumerable symbol property, so the core's
//     `{ ...msg, id }` copies keep it and JSON.stringify ignores it). encodeRaw() turns an output
//     that differs from the decoded message only by its id back into bytes: the original pieces,
//     with the new id spliced in, as Buffer views.
// Anything else (requests, notifications, batches, a line the skim finds broken, a duplicate key)
// is joined and goes through decodeLine like any short line, with the same results and errors.
//
// Bytes re-sent as they came must be what every JSON parser reads the same way, as mcp-leash
// did. So the skim also refuses what only a full parse would see (a raw control character in a
// string, a bad escape, bytes that are not UTF-8), and a duplicate top-level key is refused
// here: such a line takes the ordinary path, where JSON.parse refuses it or it is re-serialised.
// (Duplicate keys inside nested objects are passed on, as on the short path: JSON.parse keeps
// the last, the bytes hold both.) Tab and CR between tokens are passed on as they came, as the
// short path does (splice.ts re-sends a message's text).

import { peek, type JsonObject } from '../core/message.js';
import type { Frame } from '../core/session.js';
import { decodeLine } from './decode.js';
import type { Member, SkimResult } from './skim.js';

/** Lines at least this long take the path of this file (the LineSplitter's default threshold). */
export { LONG_LINE } from './line-splitter.js';

/** A `result` shorter than this is parsed at once even on a long line. */
const LAZY_RESULT = 64 * 1024;

export const RAW = Symbol('mcp-leash.raw');

interface RawLine {
  /** The decoded message; an output equal to it but for `id` may reuse the bytes. */
  orig: JsonObject;
  /** Its number of own string keys, to see that an output has the same ones. */
  keys: number;
  pieces: Buffer[];
  /** The id's bytes, and the end of the object (trailing whitespace and \r left out). */
  idStart: number;
  idEnd: number;
  end: number;
}

const NEWLINE = Buffer.from('\n');

/** Decodes a long line held as `pieces` (`bytes` in all), given what the skim found. */
export function decodeLongLine(pieces: Buffer[], bytes: number, skim: SkimResult, fromChild = false): Frame | undefined {
  const fast = skim.ok ? plainResponse(pieces, skim.members, skim.end, fromChild) : undefined;
  return fast ?? decodeLine(pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, bytes), fromChild);
}

/** The frame of a response that needs no full parse, or undefined to take the ordinary path. */
function plainResponse(pieces: Buffer[], members: Member[], end: number, fromChild: boolean): Frame | undefined {
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
  try {
    for (const m of members) {
      msg[m.key] = m === result && m.end - m.start >= LAZY_RESULT && byteAt(pieces, m.start) === 123
        ? lazyObject(pieces, m.start, m.end)
        : JSON.parse(text(pieces, m.start, m.end));
    }
  } catch {
    return undefined; // a member the skim let through but JSON.parse refuses: the ordinary path says why
  }
  if (msg.jsonrpc !== '2.0') return undefined; // missing or wrong: decodeLine repairs or refuses it
  const frame = peek(msg, fromChild);
  if (frame.kind === 'response') {
    const raw: RawLine = { orig: msg, keys: members.length, pieces, idStart: id.start, idEnd: id.end, end };
    (msg as Record<symbol, RawLine>)[RAW] = raw;
  }
  return frame;
}

/**
 * The bytes of an output that is a decoded long line with at most its id changed, as Buffer
 * views ending in a newline; undefined for any other output (encode it as usual).
 */
export function encodeRaw(msg: JsonObject): Buffer[] | undefined {
  const raw = (msg as Record<symbol, RawLine | undefined>)[RAW];
  if (raw === undefined) return undefined;
  const id = msg.id;
  if (typeof id !== 'number' && typeof id !== 'string') return undefined;
  if (msg !== raw.orig) {
    const keys = Object.keys(msg);
    if (keys.length !== raw.keys) return undefined;
    for (const k of keys) if (k !== 'id' && msg[k] !== raw.orig[k]) return undefined;
  }
  return [...views(raw.pieces, 0, raw.idStart), Buffer.from(JSON.stringify(id)), ...views(raw.pieces, raw.idEnd, raw.end), NEWLINE];
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

function byteAt(pieces: Buffer[], offset: number): number | undefined {
  let at = 0;
  for (const p of pieces) {
    if (offset < at + p.length) return p[offset - at];
    at += p.length;
  }
  return undefined;
}

/**
 * An object that parses bytes [start, end) of the line the first time anything looks at it, and
 * then behaves as the parsed object. Copying the message that holds it (`{ ...msg }`) does not
 * look at it. Should the parse fail (the skim checks what JSON.parse would refuse, so this is
 * not expected), it is an empty object.
 */
function lazyObject(pieces: Buffer[], start: number, end: number): JsonObject {
  let value: JsonObject | undefined;
  const real = (): JsonObject => {
    if (value === undefined) {
      try {
        value = JSON.parse(text(pieces, start, end)) as JsonObject;
      } catch {
        value = {};
      }
    }
    return value;
  };
  return new Proxy({} as JsonObject, {
    get: (_t, k) => Reflect.get(real(), k),
    set: (_t, k, v) => Reflect.set(real(), k, v),
    has: (_t, k) => Reflect.has(real(), k),
    deleteProperty: (_t, k) => Reflect.deleteProperty(real(), k),
    ownKeys: () => Reflect.ownKeys(real()),
    getOwnPropertyDescriptor: (_t, k) => Reflect.getOwnPropertyDescriptor(real(), k),
    defineProperty: (_t, k, d) => Reflect.defineProperty(real(), k, d),
  });
}
