// A short line's record of its bytes (a RawLine, core/frame.ts), and re-sending it: as it came,
// or with only its top-level id changed, by editing the text it came in.
//
// Most of what mcp-leash sends to the client is an answer it received, with the client's id put
// back. JSON.stringify of the whole answer is then the largest cost of sending it. So decodeLine()
// keeps each message's text in a TextLine, the frame's `raw`; when the core forwards the frame
// (a 'forward' output: the same message but for the id it names) the codec writes the new id into
// the old text. A text where the id is not where JSON-RPC libraries put it, or that may not be
// re-sent at all, gives undefined and the caller stringifies. (Requests whose progress token is
// rewritten are left to JSON.stringify: editing two places measured slower than re-serialising.)
//
// A text is re-sent only as JSON.parse read it:
//   - not when decoding repaired the message (a child's missing "jsonrpc", decode.ts): the text
//     no longer says what the core was given;
//   - only if its top-level keys are unique. JSON.parse keeps the last of duplicate keys, other
//     parsers the first (or refuse the text): re-sending `{"id":0,...,"id":"x"}` with one id
//     rewritten, or `{"method":"a",...,"method":"b"}` as it came, would let the peer read another
//     message than the one mcp-leash read. The check counts the text's top-level members (one
//     pass over the structure, strings skipped with indexOf; cheaper than JSON.stringify) and
//     compares them with the parsed object's keys. Duplicates inside nested objects are not
//     looked for.
// What is re-sent comes from the text and the id the output names, never from the parsed object:
// the core may copy, freeze or change that as it likes.

import type { RawLine } from '../core/frame.js';
import type { JsonObject, RequestId } from '../core/message.js';

/** The text of one short line, as a frame's `raw`. */
export class TextLine implements RawLine {
  readonly bytes: number;
  readonly #text: string;
  /** The parsed object's number of keys (its top-level keys are unique if the text has as many members). */
  readonly #keys: number;
  /** The top-level id as parsed, when it is a string or a number. */
  readonly #id: RequestId | undefined;
  /** Decoding added "jsonrpc": the text cannot be re-sent, and parse() repairs it again. */
  readonly #repaired: boolean;
  #unique: boolean | undefined;

  /** `text`: the line (without \r\n) that JSON.parse read as `parsed` (before any repair). */
  constructor(text: string, bytes: number, parsed: JsonObject, repaired: boolean) {
    this.bytes = bytes;
    this.#text = text;
    let keys = 0;
    for (const _ in parsed) keys++;
    this.#keys = keys;
    const id = parsed.id;
    this.#id = typeof id === 'string' || typeof id === 'number' ? id : undefined;
    this.#repaired = repaired;
  }

  parse(): JsonObject {
    const v = JSON.parse(this.#text) as JsonObject;
    if (this.#repaired) v.jsonrpc = '2.0';
    return v;
  }

  /** The line (with '\n') as it came, or undefined when it may not be re-sent. */
  asSent(): string | undefined {
    return this.#resendable() ? `${this.#text}\n` : undefined;
  }

  /** The line (with '\n') with its top-level id replaced by `id`, or undefined (stringify instead). */
  withId(id: RequestId): string | undefined {
    const was = this.#id;
    if (was === undefined || !this.#resendable()) return undefined;
    const text = this.#text;
    const end = topLevelIdEnd(text, was);
    if (end === undefined) return undefined;
    const start = end - idLength(text, end);
    return `${text.slice(0, start)}${JSON.stringify(id)}${text.slice(end)}\n`;
  }

  #resendable(): boolean {
    if (this.#repaired) return false;
    this.#unique ??= memberCount(this.#text) === this.#keys;
    return this.#unique;
  }
}

/**
 * Number of members of the top-level object in `text`, a JSON object JSON.parse accepted: the
 * commas at depth 1, plus one unless it is empty. Strings are skipped with indexOf.
 */
export function memberCount(text: string): number {
  let depth = 0;
  let commas = 0;
  let empty = true;
  for (let i = text.indexOf('{'); i >= 0 && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      if (depth === 1) empty = false;
      i = stringEnd(text, i);
    } else if (c === 123 || c === 91) {
      depth++;
    } else if (c === 125 || c === 93) {
      if (--depth === 0) break;
    } else if (c === 44 && depth === 1) {
      commas++;
    }
  }
  return empty ? 0 : commas + 1;
}

/** Index of the quote closing the string whose opening quote is at `open` (text is valid JSON). */
function stringEnd(text: string, open: number): number {
  let q = text.indexOf('"', open + 1);
  for (; q !== -1; q = text.indexOf('"', q + 1)) {
    let k = q - 1;
    while (text.charCodeAt(k) === 92) k--;
    if ((q - k) % 2 === 1) return q; // an even number of backslashes before it: not escaped
  }
  return text.length;
}

const PREFIX = '{"jsonrpc":"2.0","id":';

/**
 * Where the top-level id's value ends, in the two layouts JSON-RPC libraries write: first after
 * "jsonrpc" (`{"jsonrpc":"2.0","id":1,...`), or last (`...,"id":1}`, the TypeScript SDK). In valid
 * JSON (the text was parsed) a value just before the final `}` belongs to the top-level object.
 * The value found must read back as `id`.
 */
function topLevelIdEnd(text: string, id: string | number): number | undefined {
  if (text.startsWith(PREFIX)) {
    const end = valueEnd(text, PREFIX.length);
    if (end !== undefined && readsAs(text, PREFIX.length, end, id)) return end;
  }
  if (text.charCodeAt(text.length - 1) === 125) {
    const key = text.lastIndexOf('"id":');
    const before = key > 0 ? text.charCodeAt(key - 1) : 0;
    if (before === 44 || before === 123) {
      const start = key + 5;
      const end = valueEnd(text, start);
      if (end === text.length - 1 && readsAs(text, start, end, id)) return end;
    }
  }
  return undefined;
}

/** Length of the id value ending at `end` (a number or a string without escapes). */
function idLength(text: string, end: number): number {
  if (text.charCodeAt(end - 1) === 34) return end - text.lastIndexOf('"', end - 2);
  let i = end - 1;
  while (i >= 0 && text.charCodeAt(i) !== 58) i--;
  return end - i - 1;
}

/** End of a number or a string without escapes starting at `start`; undefined otherwise. */
function valueEnd(text: string, start: number): number | undefined {
  if (text.charCodeAt(start) === 34) {
    const q = text.indexOf('"', start + 1);
    if (q === -1 || text.lastIndexOf('\\', q) > start) return undefined;
    return q + 1;
  }
  let i = start;
  for (; i < text.length; i++) {
    const d = text.charCodeAt(i);
    if (!((d >= 48 && d <= 57) || d === 45 || d === 43 || d === 46 || d === 101 || d === 69)) break;
  }
  return i > start ? i : undefined;
}

/** The text between start and end is exactly how JSON.stringify writes `value`. */
function readsAs(text: string, start: number, end: number, value: string | number): boolean {
  const raw = text.slice(start, end);
  if (typeof value === 'string') return raw.length === value.length + 2 && raw.charCodeAt(0) === 34 && raw.slice(1, -1) === value;
  return raw === String(value);
}
