// Re-encoding a short message whose only change is its id, by editing the text it came in.
//
// Most of what mcp-leash sends to the client is an answer it received, with the client's id put
// back. JSON.stringify of the whole answer is then the largest cost of sending it. So decodeLine()
// keeps each message's text (TEXT, an enumerable symbol property: the core's `{ ...msg, id }`
// copies keep it, JSON.stringify and Object.keys ignore it), and spliceText() checks that an
// output is that message with at most its top-level id changed, and writes the new id into the
// old text. Any other output, or a text where the id is not where JSON-RPC libraries put it,
// returns undefined and the caller stringifies as before. (Requests whose progress token is
// rewritten are left to JSON.stringify: editing two places measured slower than re-serialising.)
//
// A text is re-used only if its top-level keys are unique. JSON.parse keeps the last of duplicate
// keys, other parsers the first (or refuse the text): re-sending `{"id":0,...,"id":"x"}` with one
// id rewritten, or `{"method":"a",...,"method":"b"}` as it came, would let the peer read another
// message than the one mcp-leash read. The check counts the text's top-level members (one pass
// over the structure, strings skipped with indexOf; cheaper than JSON.stringify) and compares
// them with the parsed object's keys. Duplicates inside nested objects are not looked for.
//
// This relies on the core never mutating a message it received (it copies with spread).

import type { JsonObject } from '../core/message.js';

export const TEXT = Symbol('mcp-leash.text');

interface Kept {
  msg: JsonObject;
  text: string;
  /** The text's top-level keys are all different (worked out when first needed). */
  unique?: boolean;
}

/** Remembers the text a decoded message came in. */
export function keepText(msg: JsonObject, text: string): void {
  (msg as Record<symbol, Kept>)[TEXT] = { msg, text };
}

/** The output's line (with '\n') made from the text it was decoded from, or undefined. */
export function spliceText(out: JsonObject): string | undefined {
  const kept = (out as Record<symbol, Kept | undefined>)[TEXT];
  if (kept === undefined) return undefined;
  const orig = kept.msg;
  const text = kept.text;
  if (out === orig) return uniqueKeys(kept) ? `${text}\n` : undefined;
  let n = 0;
  for (const k in out) {
    n++;
    if (out[k] !== orig[k] && k !== 'id') return undefined;
  }
  let m = 0;
  for (const _ in orig) m++;
  const id = out.id;
  const was = orig.id;
  if (m !== n || !isPlainId(id) || !isPlainId(was)) return undefined;
  const end = topLevelIdEnd(text, was);
  if (end === undefined || !uniqueKeys(kept)) return undefined;
  const start = end - idLength(text, end);
  return `${text.slice(0, start)}${JSON.stringify(id)}${text.slice(end)}\n`;
}

/** The kept text has as many top-level members as the parsed message has keys: none twice. */
function uniqueKeys(kept: Kept): boolean {
  if (kept.unique === undefined) {
    let keys = 0;
    for (const _ in kept.msg) keys++;
    kept.unique = memberCount(kept.text) === keys;
  }
  return kept.unique;
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

function isPlainId(v: unknown): v is string | number {
  return typeof v === 'number' || typeof v === 'string';
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
