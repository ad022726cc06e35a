// One line of bytes to one core Frame. JSON.parse is the only full parse; classification is a peek.

import { isObject, peek } from '../core/message.js';
import type { Frame } from '../core/session.js';
import { keepText } from './splice.js';

const PREVIEW = 200;

function isBlank(text: string): boolean {
  return text.trim().length === 0;
}

/**
 * Decodes bytes [start, end) of `bytes` (all of it by default). Returns undefined for blank
 * lines, which are tolerated and ignored. `fromChild` repairs a missing "jsonrpc" member (some
 * hand-written servers omit it) rather than drop the message.
 */
export function decodeLine(bytes: Buffer, fromChild = false, start = 0, end = bytes.length): Frame | undefined {
  if (end > start && bytes[end - 1] === 13) end--; // \r\n
  const text = bytes.toString('utf8', start, end);
  if (isBlank(text)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { kind: 'unparsable', problem: 'json', detail: e instanceof Error ? e.message : String(e), preview: head(text) };
  }
  if (Array.isArray(value)) return { kind: 'unparsable', problem: 'batch', detail: `a JSON array of ${value.length} items` };
  // A message repaired by peek() no longer matches its text; every other one may be re-sent
  // from it (splice.ts).
  const asSent = isObject(value) && value.jsonrpc === '2.0';
  const frame = peek(value, fromChild);
  if (asSent && frame.kind !== 'invalid') keepText(frame.msg, text);
  return frame;
}

function head(text: string): string {
  return text.length > PREVIEW ? `${text.slice(0, PREVIEW)}…` : text;
}

export function oversizeFrame(bytes: number, maxBytes: number): Frame {
  return {
    kind: 'unparsable',
    problem: 'oversize',
    detail: `message of ${bytes} bytes exceeds maxMessageBytes (${maxBytes}); it was discarded`,
  };
}

/** One message, one line. JSON.stringify escapes newlines and lone surrogates, so this is safe. */
export function encode(msg: unknown): string {
  return JSON.stringify(msg) + '\n';
}
