// A fake link around one Session, in the spirit of h11's ConnectionPair: a virtual clock, a way to
// feed frames from either peer, and collectors for everything the core asks the shell to do.
// Nothing here sleeps or touches a process; time only moves when a test says so.

import type { CoreEvent } from '../../src/core/events.js';
import { peek, type JsonObject, type RequestId } from '../../src/core/message.js';
import { messageOf } from '../../src/wire/codec.js';
import type { Output } from '../../src/core/outputs.js';
import { Session, type ChildExit, type Frame, type SessionOptions } from '../../src/core/session.js';
import { DEFAULT_POLICY, type Policy } from '../../src/policy/types.js';

/**
 * A message the core sent, as the peer reads it: a 'forward' output with its id and token
 * applied, or a 'send'. `origId` is the key of the client call it belongs to (from the output's
 * `call`, `c<key>`), for messages to the client.
 */
export type Sent = { type: 'send'; to: 'client' | 'child'; msg: JsonObject; origId?: RequestId };
export type Logged = Extract<Output, { type: 'log' }>;
export type Stopped = Extract<Output, { type: 'exit' }>;
/** Outputs as tests see them: events go to Link.events, messages are materialised (Sent). */
export type TestOutput = Exclude<Output, { type: 'forward' | 'send' | 'event' }> | Sent;

/** One output, stamped with the virtual time at which the core produced it. */
export interface Stamped {
  t: number;
  out: TestOutput;
}

/** Policy from DEFAULT_POLICY with some fields overridden (defaults merged field by field). */
export function policy(over: Partial<Omit<Policy, 'defaults'>> & { defaults?: Partial<Policy['defaults']> } = {}): Policy {
  const { defaults, ...rest } = over;
  return { ...DEFAULT_POLICY, ...rest, defaults: { ...DEFAULT_POLICY.defaults, ...defaults } };
}

/** What the wire layer would make of one line: a peeked message, or an unparsable frame. */
export function lineFrame(text: string): Frame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { kind: 'unparsable', problem: 'json', detail: (e as Error).message, preview: text.slice(0, 200) };
  }
  if (Array.isArray(value)) return { kind: 'unparsable', problem: 'batch', detail: `a JSON array of ${value.length} items` };
  return peek(value);
}

/** Frame for a message object, after a JSON round trip (as if it had crossed a pipe). */
export function frameOf(msg: unknown): Frame {
  return peek(JSON.parse(JSON.stringify(msg)));
}

/** Throws unless `v` survives JSON.stringify unchanged (no undefined, NaN, Infinity, functions). */
export function assertJsonSafe(v: unknown, path = '$'): void {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`${path}: ${v} is not valid JSON`);
    return;
  }
  if (Array.isArray(v)) return v.forEach((x, i) => assertJsonSafe(x, `${path}[${i}]`));
  if (typeof v === 'object') {
    for (const [k, x] of Object.entries(v as object)) assertJsonSafe(x, `${path}.${k}`);
    return;
  }
  throw new Error(`${path}: ${typeof v} is not valid JSON`);
}

export class Link {
  readonly session: Session;
  t: number;
  /** Every output, in order, with its time. */
  readonly outputs: Stamped[] = [];
  /** Every event the core emitted, in order. */
  readonly events: CoreEvent[] = [];
  /** Outputs since the last take(). */
  #fresh: Stamped[] = [];
  /** Safety net for a core that keeps a deadline in the past (would spin a real shell). */
  static readonly MAX_TIMEOUTS_PER_INSTANT = 100;

  constructor(p: Policy = policy(), start = 0, opts: SessionOptions = {}) {
    // strict: a bug in the core (an illegal transition) fails the test that found it.
    this.session = new Session(p, { strict: true, events: true, ...opts });
    this.t = start;
  }

  get toClient(): JsonObject[] {
    return this.#sends('client').map((s) => s.msg);
  }
  get toChild(): JsonObject[] {
    return this.#sends('child').map((s) => s.msg);
  }
  get logs(): Logged[] {
    return this.outputs.map((s) => s.out).filter((o): o is Logged => o.type === 'log');
  }
  get stops(): Stopped[] {
    return this.outputs.map((s) => s.out).filter((o): o is Stopped => o.type === 'exit');
  }
  /** Sends to one side, with times. */
  sent(to: 'client' | 'child'): Array<Sent & { t: number }> {
    return this.outputs.filter((s) => s.out.type === 'send' && s.out.to === to).map((s) => ({ ...(s.out as Sent), t: s.t }));
  }
  #sends(to: 'client' | 'child'): Sent[] {
    return this.outputs.map((s) => s.out).filter((o): o is Sent => o.type === 'send' && o.to === to);
  }

  /** Outputs produced since the previous call (handy for "this step said nothing"). */
  take(): Stamped[] {
    const f = this.#fresh;
    this.#fresh = [];
    return f;
  }

  /** Messages to one side since the previous take(). */
  takeTo(to: 'client' | 'child'): JsonObject[] {
    return this.take()
      .map((s) => s.out)
      .filter((o): o is Sent => o.type === 'send' && o.to === to)
      .map((o) => o.msg);
  }

  // ── input ──────────────────────────────────────────────────────────────────────────────

  /** A message (object, sent through JSON) or a ready-made Frame from the client. */
  client(msg: JsonObject | Frame): this {
    this.session.handleClient(isFrame(msg) ? msg : frameOf(msg), this.t);
    return this.#drain();
  }

  /** A message or a ready-made Frame from the child. */
  child(msg: JsonObject | Frame): this {
    this.session.handleChild(isFrame(msg) ? msg : frameOf(msg), this.t);
    return this.#drain();
  }

  clientLine(text: string): this {
    return this.client(lineFrame(text));
  }
  childLine(text: string): this {
    return this.child(lineFrame(text));
  }

  childExit(exit: Partial<ChildExit> = {}): this {
    this.session.handleChildExit({ code: 1, signal: null, stderrTail: [], ...exit }, this.t);
    return this.#drain();
  }

  /** The client closed stdin. */
  eof(): this {
    this.session.handleClientEof(this.t);
    return this.#drain();
  }

  /** mcp-leash got a stop signal. */
  signal(name: string, n: number): this {
    this.session.handleSignal(name, n, this.t);
    return this.#drain();
  }

  /** The shell started the child the core asked for (a 'spawn' output). */
  childStarted(): this {
    this.session.handleChildStarted(this.t);
    return this.#drain();
  }

  // ── time ───────────────────────────────────────────────────────────────────────────────

  /**
   * Moves the clock forward by `ms`, stopping at every deadline the core asks for on the way, so
   * that intermediate timers (heartbeats, throttled progress) fire at their own times.
   */
  advance(ms: number): this {
    const end = this.t + ms;
    let sameInstant = 0;
    for (;;) {
      const d = this.session.nextDeadline();
      if (d === undefined || d > end) break;
      const at = Math.max(d, this.t);
      if (at === this.t) {
        if (++sameInstant > Link.MAX_TIMEOUTS_PER_INSTANT) throw new Error(`core keeps a deadline at or before t=${this.t} (spins)`);
      } else sameInstant = 0;
      this.t = at;
      this.session.handleTimeout(this.t);
      this.#drain();
    }
    this.t = end;
    return this;
  }

  /**
   * Sets the clock without firing anything: models input that the shell read at `t` before its
   * timer callback for `t` ran (both are due at the same tick; the pipe won the race).
   */
  at(t: number): this {
    if (t < this.t) throw new Error(`time runs forward: ${t} < ${this.t}`);
    this.t = t;
    return this;
  }

  /** Advances to an absolute time. */
  advanceTo(t: number): this {
    return this.advance(Math.max(0, t - this.t));
  }

  #drain(): this {
    for (const raw of this.session.poll()) {
      if (raw.type === 'event') {
        this.events.push(raw.event);
        continue;
      }
      const out = asSeen(raw);
      if (out.type === 'send') assertJsonSafe(out.msg, `send to ${out.to}`);
      const s = { t: this.t, out };
      this.outputs.push(s);
      this.#fresh.push(s);
    }
    return this;
  }
}

/** What the peer reads for a message output; other outputs as they are. */
function asSeen(o: Exclude<Output, { type: 'event' }>): TestOutput {
  if (o.type !== 'forward' && o.type !== 'send') return o;
  // The message the codec puts on the wire for it (ids and tokens applied, as the shell's).
  const msg = messageOf(o);
  const key = o.to === 'client' && o.call !== undefined && /^c\d+$/.test(o.call) ? Number(o.call.slice(1)) : undefined;
  return key === undefined ? { type: 'send', to: o.to, msg } : { type: 'send', to: o.to, msg, origId: key };
}

function isFrame(v: JsonObject | Frame): v is Frame {
  return typeof (v as { kind?: unknown }).kind === 'string' && !('jsonrpc' in v);
}

// ── message builders ─────────────────────────────────────────────────────────────────────

export function req(id: RequestId, method: string, params?: JsonObject): JsonObject {
  return params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params };
}

/** A tools/call, with a progress token when `token` is given. */
export function call(id: RequestId, tool: string, token?: string | number, args: JsonObject = {}): JsonObject {
  const params: JsonObject = { name: tool, arguments: args };
  if (token !== undefined) params._meta = { progressToken: token };
  return req(id, 'tools/call', params);
}

export function ok(id: RequestId, result: JsonObject = {}): JsonObject {
  return { jsonrpc: '2.0', id, result };
}

export function note(method: string, params?: JsonObject): JsonObject {
  return params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params };
}

export function cancel(requestId: RequestId, reason?: string, extra: JsonObject = {}): JsonObject {
  const params: JsonObject = { requestId, ...extra };
  if (reason !== undefined) params.reason = reason;
  return note('notifications/cancelled', params);
}

export function progress(token: string | number, value: number, total?: number, message?: string): JsonObject {
  const params: JsonObject = { progressToken: token, progress: value };
  if (total !== undefined) params.total = total;
  if (message !== undefined) params.message = message;
  return note('notifications/progress', params);
}

/** Progress notifications in a list of messages. */
export function progressOf(msgs: JsonObject[]): JsonObject[] {
  return msgs.filter((m) => m.method === 'notifications/progress').map((m) => m.params as JsonObject);
}

/** Responses (result or error) in a list of messages. */
export function responsesOf(msgs: JsonObject[]): JsonObject[] {
  return msgs.filter((m) => 'id' in m && !('method' in m));
}

export function requestsOf(msgs: JsonObject[]): JsonObject[] {
  return msgs.filter((m) => 'id' in m && 'method' in m);
}
