// The wire path of the shell without the processes: bytes -> sideDecoder (the codec's Decoder) ->
// Session -> drainOutputs (the codec's encode) on a virtual clock: the same decoders and the same
// drain as src/shell/proxy.ts's reader() and drain() (src/shell/wiring.ts). Every line the core asks to write is checked on the
// spot.

import { isUtf8 } from 'node:buffer';
import { messageOf, type Decoder, type MessageOutput, type OnFrame } from '../../src/wire/codec.js';
import { drainOutputs, sideDecoder } from '../../src/shell/wiring.js';
import { Session } from '../../src/core/session.js';
import type { JsonObject } from '../../src/core/message.js';
import type { Output } from '../../src/core/outputs.js';
import type { Policy } from '../../src/policy/types.js';
import { rpcProblem, type Side } from './wire-arbitraries.js';

export interface Written {
  to: Side;
  text: string;
  msg: JsonObject;
  t: number;
}

/**
 * The first object key that appears twice in one object of a JSON text, or undefined. JSON.parse
 * keeps the last of duplicates silently; other parsers keep the first or refuse the text (serde).
 */
export function duplicateKey(text: string): string | undefined {
  const stack: Array<Set<string> | null> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 34) j += text.charCodeAt(j) === 92 ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.has(key)) return key;
        top.add(key);
      }
      expectKey = false;
      i = j;
    } else if (c === 123) {
      stack.push(new Set());
      expectKey = true;
    } else if (c === 91) {
      stack.push(null);
      expectKey = false;
    } else if (c === 125 || c === 93) {
      stack.pop();
    } else if (c === 44) {
      expectKey = stack[stack.length - 1] instanceof Set;
    }
  }
  return undefined;
}

/**
 * Throws unless `bytes` is one line (valid UTF-8, one \n, at the end) holding one JSON-RPC message,
 * without duplicate keys, that means what the core asked to send (`meant`: equal once both are
 * put through JSON.stringify). Returns the parsed message.
 */
export function checkLine(bytes: Buffer | string, to: Side, meant?: JsonObject): JsonObject {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  const show = () => buf.toString('latin1', 0, 300);
  if (!isUtf8(buf)) throw new Error(`line to ${to} is not valid UTF-8: ${show()}`);
  const text = buf.toString('utf8');
  if (!text.endsWith('\n')) throw new Error(`line to ${to} does not end in \\n: ${show()}`);
  if (text.indexOf('\n') !== text.length - 1) throw new Error(`line to ${to} holds a raw newline: ${show()}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`line to ${to} is not JSON (${(e as Error).message}): ${show()}`);
  }
  const dup = duplicateKey(text);
  if (dup !== undefined) throw new Error(`line to ${to} has the key ${JSON.stringify(dup)} twice in one object: ${show()}`);
  const problem = rpcProblem(parsed);
  if (problem) throw new Error(`line to ${to} is not JSON-RPC (${problem}): ${show()}`);
  if (meant !== undefined && !sameJson(parsed, meant)) {
    throw new Error(`line to ${to} does not say what the core sent:\n  wrote ${show()}\n  meant ${safeEncode(meant).slice(0, 300)}`);
  }
  return parsed as JsonObject;
}

function safeEncode(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch (e) {
    return `(cannot stringify: ${(e as Error).message})`;
  }
}

/** Equal as JSON (what JSON.stringify would write for each), without recursion: deep values are fine. */
export function sameJson(a: unknown, b: unknown): boolean {
  const stack: Array<[unknown, unknown]> = [[a, b]];
  while (stack.length) {
    const [x, y] = stack.pop()!;
    const norm = (v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v === undefined ? null : v);
    const u = norm(x);
    const w = norm(y);
    if (u === null || typeof u !== 'object' || w === null || typeof w !== 'object') {
      // -0 and 0 both stringify as 0.
      if (!(u === w || (typeof u === 'number' && typeof w === 'number' && u === w))) return false;
      continue;
    }
    if (Array.isArray(u) !== Array.isArray(w)) return false;
    if (Array.isArray(u)) {
      const v = w as unknown[];
      if (u.length !== v.length) return false;
      for (let i = 0; i < u.length; i++) stack.push([u[i], v[i]]);
      continue;
    }
    const ku = Object.keys(u).filter((k) => (u as Record<string, unknown>)[k] !== undefined);
    const kw = Object.keys(w).filter((k) => (w as Record<string, unknown>)[k] !== undefined);
    if (ku.length !== kw.length) return false;
    for (const k of ku) {
      if (!Object.prototype.hasOwnProperty.call(w, k)) return false;
      stack.push([(u as Record<string, unknown>)[k], (w as Record<string, unknown>)[k]]);
    }
  }
  return true;
}

/** What an output means to put on the wire, a partial answer's result included. */
function meant(o: MessageOutput): JsonObject {
  const f = o.type === 'forward' ? o.frame : undefined;
  if (o.type === 'forward' && f?.kind === 'response' && f.partial) {
    const whole = f.raw!.parse();
    return o.id === undefined ? whole : { ...whole, id: o.id };
  }
  return messageOf(o);
}

export class WireRig {
  readonly session: Session;
  readonly policy: Policy;
  t = 0;
  readonly written: Written[] = [];
  readonly others: Output[] = [];
  #decoders: Record<Side, Decoder>;
  #onFrame: Record<Side, OnFrame>;
  /** Child-side ids of requests the rig's fake child has answered. */
  readonly answered = new Set<unknown>();

  /** How each written line was made, for the record: Buffer views of a long line, or a string. */
  readonly how = { views: 0, text: 0 };

  /** `longLineBytes`: the decoders' long-line threshold (1 MB in the shell; lower it to fuzz that path with small lines). */
  constructor(p: Policy, longLineBytes?: number) {
    this.policy = p;
    this.session = new Session(p, { epochOffsetMs: 0, taskIdPrefix: 'fuzz-' });
    const decoder = (from: Side) => sideDecoder(from, p.maxMessageBytes, longLineBytes);
    this.#decoders = { client: decoder('client'), child: decoder('child') };
    this.#onFrame = {
      client: (frame) => this.session.handleClient(frame, this.t),
      child: (frame) => this.session.handleChild(frame, this.t),
    };
  }

  /** Raw bytes from one side, then everything the core wants written. */
  feed(from: Side, chunk: Buffer | string): this {
    this.#decoders[from].push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk, this.#onFrame[from]);
    return this.drain();
  }

  send(from: Side, msg: JsonObject): this {
    return this.feed(from, `${JSON.stringify(msg)}\n`);
  }

  /** As the shell's drain(): the same drainOutputs, writing into `written` instead of pipes. */
  drain(): this {
    drainOutputs(this.session, {
      write: (o, data) => {
        this.how[typeof data === 'string' ? 'text' : 'views']++;
        const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.concat(data);
        const msg = checkLine(bytes, o.to, meant(o));
        this.written.push({ to: o.to, text: bytes.toString('utf8'), msg, t: this.t });
      },
      other: (o) => this.others.push(o),
      now: () => this.t,
    });
    return this;
  }

  /** Moves the clock, stopping at every deadline on the way (like the shell's Alarm). */
  advance(ms: number): this {
    const end = this.t + ms;
    let spins = 0;
    for (;;) {
      const d = this.session.nextDeadline();
      if (d === undefined || d > end) break;
      if (d <= this.t && ++spins > 100) throw new Error(`core keeps a deadline at or before t=${this.t} (would spin)`);
      this.t = Math.max(d, this.t);
      this.session.handleTimeout(this.t);
      this.drain();
    }
    this.t = end;
    return this;
  }

  to(side: Side, from = 0): Written[] {
    return this.written.slice(from).filter((w) => w.to === side);
  }

  /** The fake child answers every request it was sent and has not answered yet; returns how many. */
  answerAll(result: (req: JsonObject) => JsonObject = () => ({})): number {
    let n = 0;
    for (const w of this.to('child')) {
      const m = w.msg;
      if (typeof m.method !== 'string' || !('id' in m) || this.answered.has(m.id)) continue;
      this.answered.add(m.id);
      this.send('child', { jsonrpc: '2.0', id: m.id as number, result: result(m) });
      n++;
    }
    return n;
  }
}
