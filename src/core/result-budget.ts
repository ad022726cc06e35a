// The result budget (CONTRACT §12): a tools/call answer larger than its rule's maxResultBytes
// is cut to fit ("truncate") or refused ("error"), and never reaches the client over budget or
// as invalid JSON.
//
// Where it is checked: in the session, on the child's answer, before the call is closed. The
// size compared is the answer line's size on the wire as the codec counted it (`raw.bytes`),
// corrected for the client's id, which replaces ours: an answer under the limit costs one
// comparison and is never parsed or measured again (the fast path stays as it was). Only an
// answer over the limit is looked into, and parsed once (a long answer's `raw.parse()`).
//
// How a cut is made: the note for the model comes last, and room for its longest form is kept
// first. structuredContent is kept whole when it fits, or dropped whole (so it is always valid
// JSON); then content items are kept in order while they fit, and the first text that does not
// is cut at a character boundary, sized by its JSON-escaped UTF-8 bytes. Every message built is
// measured once more as it will be sent; one over the limit (a bug) is replaced by the error
// answer, and that by a minimal one, so nothing over budget is ever sent. The budget needs at
// least MIN_SIZE bytes (src/policy/size.ts) so that the note always fits.

import { formatSize } from '../policy/size.js';
import type { OnLargeResult } from '../policy/types.js';
import type { ClientCall } from './call-life.js';
import { wholeMessage, type MessageFrame } from './frame.js';
import type { Answer } from './admission.js';
import { isObject, type JsonObject, type RequestId } from './message.js';
import type { Outbox } from './outbox.js';
import { resultResponse } from './era.js';

/** Bytes of `id` as JSON in a message. */
function idBytes(id: RequestId): number {
  return typeof id === 'number' ? String(id).length : utf8Bytes(JSON.stringify(id));
}

/** UTF-8 length of a string (no TextEncoder copy of a large text). */
export function utf8Bytes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Bytes of `value` as JSON.stringify writes it. */
function jsonBytes(value: unknown): number {
  return utf8Bytes(JSON.stringify(value));
}

/**
 * The longest prefix of `text` whose JSON string contents (escapes included) take at most
 * `room` bytes, cut between characters, never inside a surrogate pair.
 */
export function fittingPrefix(text: string, room: number): { text: string; used: number } {
  let used = 0;
  let i = 0;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let cost: number;
    let width = 1;
    if (c === 0x22 || c === 0x5c) cost = 2;
    else if (c < 0x20) cost = c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d ? 2 : 6;
    else if (c < 0x80) cost = 1;
    else if (c < 0x800) cost = 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      cost = 4;
      width = 2;
    } else if (c >= 0xd800 && c < 0xe000) cost = 6; // a lone surrogate: JSON.stringify writes \udxxx
    else cost = 3;
    if (used + cost > room) break;
    used += cost;
    i += width - 1;
  }
  return { text: i === text.length ? text : text.slice(0, i), used };
}

/** The answer line's size as it will be sent: ours, with the client's id in place of the child's. */
export function sentBytes(call: ClientCall, frame: MessageFrame): number | undefined {
  const raw = frame.raw;
  return raw === undefined ? undefined : raw.bytes - idBytes(call.key) + idBytes(call.clientId);
}

export function tooLargeText(tool: string, bytes: number, limit: number): string {
  return (
    `The result of the tool "${tool}" was ${formatSize(bytes)}, over the limit of ${formatSize(limit)} that mcp-leash allows for it ` +
    '(maxResultBytes), so it was not passed on. Ask for a smaller part: a range, a page, a filter, or less at once.'
  );
}

type Note = (parts: string[]) => string;

function cutNote(tool: string, bytes: number, limit: number): Note {
  return (parts) => {
    const what = parts.length > 0 ? ` (${parts.join('; ')})` : '';
    return `mcp-leash cut this result from ${formatSize(bytes)} to ${formatSize(limit)} (the limit for "${tool}")${what}; ask for a smaller part.`;
  };
}

function spillNote(tool: string, bytes: number, limit: number, path: string): Note {
  return (parts) => {
    const what = parts.length > 0 ? ` Above is its beginning (${parts.join('; ')}).` : '';
    return (
      `mcp-leash saved this whole result (${formatSize(bytes)}, over the ${formatSize(limit)} limit for "${tool}") as JSON to the file ${path}.${what} ` +
      'Read that file for the rest, or ask for a smaller part.'
    );
  };
}

/** Where spilled results go (SessionOptions.spill): a folder the shell owns, its separator, a file name prefix. */
export interface SpillPlace {
  folder: string;
  sep: string;
  prefix: string;
}

/** The spill file of a call: the folder, then the prefix, the tool's name made safe for a file name, and the call's key. */
export function spillPath(place: SpillPlace, call: ClientCall): string {
  const tool = (call.tool ?? 'result').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
  return `${place.folder}${place.folder.endsWith(place.sep) ? '' : place.sep}${place.prefix}${tool}-${call.key}.json`;
}

/** What a cut says it dropped; the longest forms, to keep room for the note before the cut is known. */
function partsOf(o: { kept: number; of: number; cutText: boolean; droppedStructured: boolean; droppedMeta: boolean }): string[] {
  const parts: string[] = [];
  if (o.cutText) parts.push(o.kept === o.of ? 'the last text was cut short' : `kept ${o.kept} of ${o.of} content items, the last one cut short`);
  else if (o.kept < o.of) parts.push(`kept ${o.kept} of ${o.of} content items`);
  if (o.droppedStructured) parts.push('structuredContent was dropped, so the result is marked isError');
  if (o.droppedMeta) parts.push('_meta was dropped');
  return parts;
}

export interface Budgeted {
  /** The answer to send in place of the child's. */
  msg: JsonObject;
  action: 'truncated' | 'spilled' | 'too-large';
  /** Its size as sent. */
  bytes: number;
  /** 'spilled': the file, and the answer to send instead when it cannot be written. */
  path?: string;
  unwritten?: JsonObject;
}

/**
 * The answer a call gets for a tools/call answer of `bytes` over `limit`: cut (onLargeResult
 * "truncate") or refused ("error"). An Error when the answer does not parse.
 */
export function overBudget(call: ClientCall, frame: MessageFrame, bytes: number, limit: number, mode: OnLargeResult, place?: SpillPlace): Budgeted | Error {
  const tool = call.tool ?? '?';
  const id = call.clientId;
  const refused = (): Budgeted => {
    let msg = resultResponse(id, { content: [{ type: 'text', text: tooLargeText(tool, bytes, limit) }], isError: true }, call.modern);
    // Only an absurd client id makes even this too long: then the shortest words there are.
    if (jsonBytes(msg) > limit) msg = resultResponse(id, { content: [{ type: 'text', text: 'mcp-leash: result over the size limit' }], isError: true }, call.modern);
    return { msg, action: 'too-large', bytes: jsonBytes(msg) };
  };
  if (mode === 'error') return refused();
  const whole = wholeMessage(frame);
  if (whole instanceof Error) return whole;
  const result = whole.result;
  if (!isObject(result)) return refused(); // an error answer this large: nothing to keep
  if (mode === 'spill' && place !== undefined) {
    const path = spillPath(place, call);
    const preview = truncate(id, result, bytes, limit, spillNote(tool, bytes, limit, path), call.modern);
    const sent = preview === undefined ? Infinity : jsonBytes(preview);
    // A path so long that even the note does not fit: the file is still written, the answer only refuses.
    const unwritten = refused();
    return { msg: sent <= limit ? preview! : unwritten.msg, action: 'spilled', bytes: sent <= limit ? sent : unwritten.bytes, path, unwritten: unwritten.msg };
  }
  const cut = truncate(id, result, bytes, limit, cutNote(tool, bytes, limit), call.modern);
  if (cut === undefined) return refused();
  const sent = jsonBytes(cut);
  return sent <= limit ? { msg: cut, action: 'truncated', bytes: sent } : refused();
}

/** The cut answer, or undefined when not even the note fits. */
function truncate(id: RequestId, result: JsonObject, bytes: number, limit: number, note: Note, modern: boolean): JsonObject | undefined {
  // A 2026 result keeps its resultType (a legacy one gets it for a 2026 request): counted in the budget too.
  const kind: JsonObject = typeof result.resultType === 'string' ? { resultType: result.resultType } : modern ? { resultType: 'complete' } : {};
  const content = Array.isArray(result.content) ? (result.content as unknown[]) : [];
  const isError = result.isError === true;
  const meta = isObject(result._meta) ? result._meta : undefined;
  const structured = result.structuredContent;

  // Room for the note at its longest: every part said, the counts at their widest.
  const worstNote = note(partsOf({ kept: content.length, of: content.length + 1, cutText: true, droppedStructured: true, droppedMeta: true }));
  const noteItem = (text: string): JsonObject => ({ type: 'text', text });
  const shell = (extra: JsonObject): JsonObject => ({ jsonrpc: '2.0', id, result: { ...kind, content: [noteItem(worstNote)], ...extra, isError: true } });
  let base = jsonBytes(shell({}));
  if (base > limit) return undefined;

  // _meta and structuredContent are kept whole or not at all.
  const keepMeta = meta !== undefined && jsonBytes(shell({ _meta: meta })) <= limit;
  if (keepMeta) base = jsonBytes(shell({ _meta: meta }));
  const keepStructured = structured !== undefined && base + jsonBytes(structured) + ',"structuredContent":'.length <= limit;
  if (keepStructured) base += jsonBytes(structured) + ',"structuredContent":'.length;

  let room = limit - base;
  const kept: unknown[] = [];
  let cutText = false;
  for (const item of content) {
    if (isObject(item) && item.type === 'text' && typeof item.text === 'string') {
      // Measured as far as it can fit, never stringified whole (it may be megabytes).
      const overhead = jsonBytes({ ...item, text: '' }) + 1; // and its comma
      if (room <= overhead) break;
      const prefix = fittingPrefix(item.text, room - overhead);
      if (prefix.text === item.text) {
        kept.push(item);
        room -= overhead + prefix.used;
        continue;
      }
      if (prefix.text.length > 0) {
        kept.push({ ...item, text: prefix.text });
        cutText = true;
      }
      break;
    }
    const size = jsonBytes(item) + 1;
    if (size > room) break;
    kept.push(item);
    room -= size;
  }
  const droppedStructured = structured !== undefined && !keepStructured;
  const said = note(partsOf({ kept: kept.length, of: content.length, cutText, droppedStructured, droppedMeta: meta !== undefined && !keepMeta }));
  const out: JsonObject = { ...kind, content: [...kept, noteItem(said)] };
  if (keepStructured) out.structuredContent = structured;
  if (keepMeta) out._meta = meta;
  // A client that validates structuredContent against the tool's outputSchema refuses a
  // result without it, unless it is an error: then the model reads the note instead.
  if (isError || droppedStructured) out.isError = true;
  return { jsonrpc: '2.0', id, result: out };
}

const DONE = { truncated: 'cut to fit', spilled: 'written to a file', 'too-large': 'refused' } as const;

/** What a call's answer becomes under its budget: as it came when it fits, otherwise cut or refused. */
export function applyBudget(call: ClientCall, answer: NonNullable<Answer>, now: number, out: Outbox, place: SpillPlace | undefined): NonNullable<Answer> | Error {
  const limit = call.rule.maxResultBytes;
  if (!('frame' in answer)) return answer;
  const bytes = sentBytes(call, answer.frame);
  // The fast path: one subtraction and one comparison for an answer within its budget.
  if (bytes === undefined || bytes <= limit) return answer;
  const done = overBudget(call, answer.frame, bytes, limit, call.rule.onLargeResult, place);
  if (done instanceof Error) return done;
  out.log('info', `tool result over maxResultBytes; ${DONE[done.action]}`, { tool: call.tool ?? null, bytes, limit, ...(done.path !== undefined && { path: done.path }) });
  if (out.events) {
    out.event({ type: 'guard', action: done.action, call: call.id, bytes, limit, keptBytes: done.bytes, ...(done.path !== undefined && { path: done.path }), at: now });
  }
  if (done.path !== undefined && done.unwritten !== undefined) return { msg: done.msg, spill: { path: done.path, frame: answer.frame, unwritten: done.unwritten } };
  return { msg: done.msg };
}
