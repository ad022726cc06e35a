// One outgoing message to what is written for it, cheapest first: the Buffer views of a long
// line it came in (only its id changed), the text it came in with the id spliced, or a fresh
// JSON.stringify. Throws only where JSON.stringify does (a value nested past its recursion limit).

import { encode } from './decode.js';
import { encodeRaw } from './long-line.js';
import { spliceText } from './splice.js';
import type { JsonObject } from '../core/message.js';

export function encodeOut(msg: JsonObject): string | Buffer[] {
  return encodeRaw(msg) ?? spliceText(msg) ?? encode(msg);
}
