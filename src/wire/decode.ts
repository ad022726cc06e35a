// One line of bytes to one core Frame. JSON.parse is the only full parse; classification is a peek.

import type { Frame } from '../core/frame.js';
import { isObject, peek } from '../core/message.js';
import { TextLine } from './splice.js';

const PREVIEW = 200;

function isBlank(text: string): boolean {
  return text.trim().length === 0;
}

/**
 * Decodes bytes [start, end) of `bytes` (all of it by default). Returns undefined for blank
 * lines, which are tolerated and ignored. `fromChild` repairs a missing "jsonrpc" member (some
 * hand-written servers omit it) rather than drop the message; the text is then no longer
 * re-sent as it came (splice.ts). A message frame's `raw` is the line's TextLine.
 */
export function decodeLine(bytes: Buffer, fromChild = false, start = 0, end = bytes.length): Frame | undefined {
  const size = end - start;
  if (end > start && bytes[end - 1] === 13) end--; // \r\n
  const text = bytes.toString('utf8', start, end);
  if (isBlank(text)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { kind: 'unparsable', problem: 'json', detail: e instanceof Error ? e.message : String(e), preview: head(text), bytes: size };
  }
  if (Array.isArray(value)) return { kind: 'unparsable', problem: 'batch', detail: `a JSON array of ${value.length} items`, bytes: size };
  if (!isObject(value)) return peek(value, fromChild);
  // Whether the text says what the core gets: peek() may add "jsonrpc" (a repair).
  const raw = new TextLine(text, size, value, value.jsonrpc !== '2.0');
  const frame = peek(value, fromChild, raw);
  // Invalid messages are rare: their raw is added afterwards (the core reads raw.bytes of any frame).
  if (frame.kind === 'invalid') (frame as Extract<Frame, { kind: 'invalid' }>).raw = raw;
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
    bytes,
  };
}
