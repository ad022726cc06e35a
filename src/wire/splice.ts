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
// This relies on the core never mutating a message it received (it copies with spread).

import type { JsonObject } from '../core/message.js';

export const TEXT = Symbol('mcp-leash.text');

interface Kept {
  msg: JsonObject;
  text: string;
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
  if (out === orig) return `${text}\n`;
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
  if (end === undefined) return undefined;
  const start = end - idLength(text, end);
  return `${text.slice(0, start)}${JSON.stringify(id)}${text.slice(end)}\n`;
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
