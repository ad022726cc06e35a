// --trace FILE: the proxy's Tap, writing every frame in both directions as JSONL (format.ts).
//
// Cost on the hot path: one small object and one JSON.stringify per frame (payloads only with
// --trace-payloads), a few Map operations to follow each request, and an array push. Lines are
// written in batches, asynchronously, at most once per event-loop turn; a disk that cannot keep up
// makes the trace drop lines (and say so), never the proxy wait or its memory grow without bound.
//
// Following a request: the Tap sees messages, not the core's tables, so the writer keeps a small
// model of its own. A client request opens a call; the request mcp-leash forwards carries the
// client's id as `origId` and gives the call its child-side `key`; the answer mcp-leash sends back
// carries that key as `origId`. Whether the answer came from the server or from mcp-leash (a
// timeout, a dead server) is known from whether the server's response passed through first. The
// same holds mirrored for server-to-client requests.

import { closeSync, createWriteStream, fchmodSync, openSync, writeSync, type WriteStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { isObject, paramsOf, progressTokenOf, type JsonObject, type ProgressToken, type RequestId } from '../core/message.js';
import type { Output, Side } from '../core/outputs.js';
import type { Frame } from '../core/session.js';
import { OWN_ID_PREFIX } from '../core/health.js';
import type { Tap } from '../shell/proxy.js';
import { TRACE_FORMAT_VERSION, type Direction, type EventRecord, type FrameRecord, type Outcome, type TraceRecord } from './format.js';

export interface TraceOptions {
  /** Include params, result and error bodies (they may hold secrets). */
  payloads?: boolean;
  /** The server command (without its arguments, which may hold secrets), for the start line. */
  command?: string;
  /** Milliseconds, monotonic; default performance.now. */
  clock?: () => number;
  /** Lines waiting for the disk beyond this many bytes are dropped (and counted). */
  maxPendingBytes?: number;
}

type Send = Extract<Output, { type: 'send' }>;

interface Call {
  n: number;
  /** Who asked: the client (a client request) or the child (a server-to-client request). */
  side: Side;
  method: string;
  tool?: string;
  t0: number;
  /** The requester's id. */
  id: RequestId;
  /** The id mcp-leash gave the request on the other link, once forwarded. */
  key?: RequestId;
  /** The requester's progress token. */
  token?: ProgressToken;
  /** The answerer's response passed through mcp-leash. */
  answered: boolean;
  /** Why mcp-leash cancelled it at the answerer, when it did (a timeout). */
  leashReason?: string;
  endedAt?: number;
}

const HEARTBEAT_PREFIX = 'mcp-leash:';
const REMEMBER_ENDED = 4096;
const DEFAULT_MAX_PENDING = 64 * 1024 * 1024;

const round = (ms: number): number => Math.round(ms * 1000) / 1000;
const isId = (v: unknown): v is RequestId => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function other(side: Side): Side {
  return side === 'client' ? 'child' : 'client';
}

/** Size of an id as JSON, to adjust a forwarded message's size for its rewritten id. */
function idLength(id: unknown): number {
  return typeof id === 'number' ? String(id).length : typeof id === 'string' ? JSON.stringify(id).length : 4;
}

export class TraceWriter implements Tap {
  readonly path: string;
  #fd: number;
  #stream: WriteStream;
  #payloads: boolean;
  #clock: () => number;
  #t0: number;
  #maxPending: number;
  #lines: string[] = [];
  #scheduled = false;
  #dropped = 0;
  #closed = false;
  #onExit = (): void => this.#flushSync();

  // The model of requests in flight (see the file comment).
  #seq = 0;
  #open = new Map<number, Call>();
  /** Open calls by requester side and requester id, oldest first (ids may be reused). */
  #byRequesterId: Record<Side, Map<RequestId, Call[]>> = { client: new Map(), child: new Map() };
  /** Calls by requester side and the id mcp-leash gave them on the other link; ended ones too, for a while. */
  #byKey: Record<Side, Map<RequestId, Call>> = { client: new Map(), child: new Map() };
  #ended: { side: Side; key: RequestId; call: Call }[] = [];
  #byToken = new Map<ProgressToken, Call>();
  /**
   * Sizes of messages received since the last flush, and of their payload objects, to size the
   * copies mcp-leash forwards without serialising them again. The core forwards a message in the
   * same turn it arrives, so a Map emptied at every flush (once per event-loop turn) is enough.
   */
  #sizes = new Map<object, { bytes: number; id: unknown }>();

  /** Opens (creating, mode 0600) or appends to `path`. Throws if it cannot be opened. */
  constructor(path: string, opts: TraceOptions = {}) {
    this.path = path;
    this.#payloads = opts.payloads ?? false;
    this.#clock = opts.clock ?? (() => performance.now());
    this.#maxPending = opts.maxPendingBytes ?? DEFAULT_MAX_PENDING;
    this.#fd = openSync(path, 'a', 0o600);
    try {
      // An existing file keeps its mode on open: tighten it, the trace may hold payloads.
      fchmodSync(this.#fd, 0o600);
    } catch (e) {
      closeSync(this.#fd);
      throw e;
    }
    this.#stream = createWriteStream('', { fd: this.#fd, autoClose: true });
    this.#stream.on('error', () => {
      // A full disk or a vanished file must not take the proxy down: stop tracing.
      this.#closed = true;
      this.#lines.length = 0;
    });
    this.#t0 = this.#clock();
    process.once('exit', this.#onExit);
    const start: EventRecord = {
      t: 0,
      dir: 'leash',
      kind: 'event',
      event: 'start',
      version: TRACE_FORMAT_VERSION,
      startedAt: new Date().toISOString(),
      pid: process.pid,
      payloads: this.#payloads,
    };
    if (opts.command !== undefined) start.command = opts.command;
    this.#write(start);
  }

  // ── the Tap ────────────────────────────────────────────────────────────────────────────────

  received(from: Side, frame: Frame, bytes: number): void {
    if (this.#closed) return;
    const t = this.#now();
    const dir: Direction = from === 'client' ? 'client->leash' : 'child->leash';
    if (frame.kind === 'unparsable') {
      const r: FrameRecord = { t, dir, kind: 'unparsable', bytes, problem: frame.problem };
      if (this.#payloads && frame.preview !== undefined) r.line = frame.preview;
      return this.#write(r);
    }
    if (frame.kind === 'invalid') {
      return this.#write({ t, dir, kind: 'invalid', bytes, id: frame.id });
    }
    const msg = frame.msg;
    this.#remember(msg, bytes);
    const r = this.#record(t, dir, frame.kind, msg, bytes);
    const events: EventRecord[] = [];
    switch (frame.kind) {
      case 'request': {
        const params = paramsOf(msg);
        const call: Call = { n: ++this.#seq, side: from, method: frame.method, t0: t, id: frame.id, answered: false };
        if (from === 'client' && frame.method === 'tools/call' && typeof params?.name === 'string') call.tool = params.name;
        const token = progressTokenOf(params);
        if (token !== undefined) {
          call.token = token;
          r.token = token;
          if (from === 'client') this.#byToken.set(token, call);
        }
        this.#openCall(call);
        r.call = call.n;
        if (call.tool !== undefined) r.tool = call.tool;
        break;
      }
      case 'notification': {
        const params = paramsOf(msg);
        if (frame.method === 'notifications/cancelled') {
          const requestId = params?.requestId;
          if (!isId(requestId)) break;
          r.requestId = requestId;
          // As the core does: the oldest request with that id, and never initialize.
          const call = this.#firstOpen(from, requestId, () => true);
          if (!call || (from === 'client' && call.method === 'initialize')) break;
          r.call = call.n;
          events.push(this.#event(t, 'cancelled', call, { by: from }));
          this.#end(call, t);
        } else if (frame.method === 'notifications/progress' && params) {
          this.#progressFields(r, params);
          // The child's progress uses the key mcp-leash gave the request; the client's answers a child request.
          const token = params.progressToken;
          const call = from === 'child' && isId(token) ? this.#byKey.client.get(token) : undefined;
          if (call && call.endedAt === undefined) r.call = call.n;
        }
        break;
      }
      case 'response': {
        if (typeof frame.id === 'string' && frame.id.startsWith(OWN_ID_PREFIX)) {
          r.own = true;
          break;
        }
        // An answer from the side that was asked: the other side opened the call.
        const call = this.#byKey[other(from)].get(frame.id);
        if (!call) break;
        r.call = call.n;
        if (call.endedAt === undefined) call.answered = true;
        else events.push(this.#event(t, 'late-response', call, { afterMs: round(t - call.endedAt) }));
        break;
      }
    }
    this.#write(r);
    for (const e of events) this.#write(e);
  }

  sent(to: Side, out: Send): void {
    if (this.#closed) return;
    const t = this.#now();
    const dir: Direction = to === 'client' ? 'leash->client' : 'leash->child';
    const msg = out.msg;
    const method = typeof msg.method === 'string' ? msg.method : undefined;
    const kind = method === undefined ? 'response' : 'id' in msg ? 'request' : 'notification';
    const r = this.#record(t, dir, kind, msg, this.#sizeOf(msg, out.origId));
    if (out.origId !== undefined) r.origId = out.origId;
    const events: EventRecord[] = [];
    const from = other(to); // the side this message came from, or on whose behalf it goes

    if (kind === 'request') {
      const id = msg.id;
      if (out.origId === undefined) {
        r.own = true; // health ping, replayed initialize, tools check
      } else if (isId(id)) {
        const call = this.#firstOpen(from, out.origId, (c) => c.key === undefined);
        if (call) {
          call.key = id;
          this.#byKey[from].set(id, call);
          r.call = call.n;
          if (call.tool !== undefined) r.tool = call.tool;
        }
      }
    } else if (kind === 'notification') {
      const params = paramsOf(msg);
      if (method === 'notifications/progress' && params) {
        this.#progressFields(r, params);
        const token = params.progressToken;
        const call = to === 'client' && isId(token) ? this.#byToken.get(token) : undefined;
        if (call) r.call = call.n;
        const message = params.message;
        if (to === 'client' && typeof message === 'string' && message.startsWith(HEARTBEAT_PREFIX)) {
          r.heartbeat = true;
          r.message = message;
        }
      } else if (method === 'notifications/cancelled' && params) {
        const requestId = params.requestId;
        if (isId(requestId)) {
          r.requestId = requestId;
          // Cancelling at `to` a request that the other side asked.
          const call = this.#byKey[from].get(requestId);
          if (call) r.call = call.n;
          if (out.origId === undefined && typeof params.reason === 'string') {
            // mcp-leash's own cancellation: a time limit expired.
            r.reason = params.reason;
            if (call) {
              call.leashReason = params.reason;
              if (to === 'client') events.push(this.#timeoutEvent(t, call, undefined));
            }
          }
        }
      }
    } else {
      // A response to a request that `to` asked.
      const requester = to;
      let call: Call | undefined;
      if (out.origId !== undefined) {
        call = this.#byKey[requester].get(out.origId);
        // Never forwarded (it was queued when it ended): the first open one with its id.
        if (!call || call.endedAt !== undefined) {
          call = isId(msg.id) ? this.#firstOpen(requester, msg.id, (c) => c.key === undefined) : undefined;
        }
      } else if (isId(msg.id) && (r.errorCode === -32000 || (requester === 'child' && r.errorCode === -32001))) {
        // Refused at once (no server running), or a server-to-client request mcp-leash timed out.
        call = this.#firstOpen(requester, msg.id, () => true);
      }
      if (call && call.endedAt === undefined) {
        r.call = call.n;
        if (call.tool !== undefined) r.tool = call.tool;
        const outcome = this.#outcome(call, r, msg);
        r.outcome = outcome;
        r.ms = round(t - call.t0);
        if (outcome === 'timeout' && requester === 'client') events.push(this.#timeoutEvent(t, call, msg));
        this.#end(call, t);
      }
    }
    this.#write(r);
    for (const e of events) this.#write(e);
  }

  /** Writes what is buffered and closes the file. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#write({ t: this.#now(), dir: 'leash', kind: 'event', event: 'end' });
    this.#flush();
    this.#closed = true;
    process.off('exit', this.#onExit);
    await new Promise<void>((resolve) => {
      this.#stream.end(() => resolve());
      this.#stream.once('error', () => resolve());
    });
  }

  // ── the model ──────────────────────────────────────────────────────────────────────────────

  #openCall(call: Call): void {
    this.#open.set(call.n, call);
    const ids = this.#byRequesterId[call.side];
    const list = ids.get(call.id);
    if (list) list.push(call);
    else ids.set(call.id, [call]);
  }

  #firstOpen(side: Side, id: RequestId, accept: (c: Call) => boolean): Call | undefined {
    return this.#byRequesterId[side].get(id)?.find(accept);
  }

  #end(call: Call, t: number): void {
    call.endedAt = t;
    this.#open.delete(call.n);
    const ids = this.#byRequesterId[call.side];
    const list = ids.get(call.id);
    if (list) {
      const i = list.indexOf(call);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) ids.delete(call.id);
    }
    if (call.token !== undefined && this.#byToken.get(call.token) === call) this.#byToken.delete(call.token);
    // Keep the key a while, to recognise a late answer.
    if (call.key !== undefined) {
      this.#ended.push({ side: call.side, key: call.key, call });
      if (this.#ended.length > REMEMBER_ENDED) {
        for (const old of this.#ended.splice(0, REMEMBER_ENDED / 4)) {
          if (this.#byKey[old.side].get(old.key) === old.call) this.#byKey[old.side].delete(old.key);
        }
      }
    }
  }

  #outcome(call: Call, r: FrameRecord, msg: JsonObject): Outcome {
    if (call.answered) return r.errorCode !== undefined ? 'error' : r.isError ? 'tool-error' : 'ok';
    // mcp-leash answered in the server's place.
    if (r.errorCode === -32000) return 'server-exited';
    if (r.errorCode === -32001 || 'result' in msg) return 'timeout';
    return 'error';
  }

  #timeoutEvent(t: number, call: Call, msg: JsonObject | undefined): EventRecord {
    const fields: Partial<EventRecord> = { by: 'leash' };
    const data = msg && isObject(msg.error) && isObject(msg.error.data) ? msg.error.data : undefined;
    const limit = num(data?.timeoutMs);
    if (limit !== undefined) fields.limitMs = limit;
    const reason = call.leashReason;
    if (reason !== undefined) fields.reason = reason;
    const kind = data?.kind ?? (reason === undefined ? undefined : reason.includes('no progress') ? 'idle' : 'total');
    if (kind === 'idle' || kind === 'total') fields.timeoutKind = kind;
    return this.#event(t, 'timeout', call, fields);
  }

  #event(t: number, event: EventRecord['event'], call: Call, fields: Partial<EventRecord> = {}): EventRecord {
    const e: EventRecord = { t, dir: 'leash', kind: 'event', event, call: call.n, method: call.method, ...fields };
    if (call.tool !== undefined) e.tool = call.tool;
    return e;
  }

  // ── records ────────────────────────────────────────────────────────────────────────────────

  #record(t: number, dir: Direction, kind: 'request' | 'notification' | 'response', msg: JsonObject, bytes: number): FrameRecord {
    const r: FrameRecord = { t, dir, kind, bytes };
    if (typeof msg.method === 'string') r.method = msg.method;
    if (kind !== 'notification' && (isId(msg.id) || msg.id === null)) r.id = msg.id;
    if (kind === 'response') {
      const error = msg.error;
      if (error !== undefined) r.errorCode = isObject(error) && typeof error.code === 'number' ? error.code : NaN;
      // A long answer may come without its result (a partial frame, core/frame.ts): isError is
      // then left out.
      else if (!('result' in msg)) return r;
      else r.isError = isObject(msg.result) && msg.result.isError === true;
    }
    if (this.#payloads) {
      if ('params' in msg) r.params = msg.params;
      if ('result' in msg) r.result = msg.result;
      if ('error' in msg) r.error = msg.error;
    }
    return r;
  }

  #progressFields(r: FrameRecord, params: JsonObject): void {
    const token = params.progressToken;
    if (isId(token)) r.token = token;
    const progress = num(params.progress);
    if (progress !== undefined) r.progress = progress;
    const total = num(params.total);
    if (total !== undefined) r.total = total;
    if (this.#payloads && typeof params.message === 'string') r.message = params.message;
  }

  #remember(msg: JsonObject, bytes: number): void {
    const entry = { bytes, id: msg.id };
    this.#sizes.set(msg, entry);
    const part = msg.result ?? msg.params ?? msg.error;
    if (typeof part === 'object' && part !== null) this.#sizes.set(part, entry);
  }

  /**
   * The size of a message mcp-leash sends. Forwarded messages are shallow copies of received
   * ones with another id, so their size is the received size adjusted for the id, without
   * serialising them a second time; anything else (mcp-leash's own, small) is serialised.
   */
  #sizeOf(msg: JsonObject, origId: RequestId | undefined): number {
    const same = this.#sizes.get(msg);
    if (same) return same.bytes;
    const part = msg.result ?? msg.params ?? msg.error;
    const seen = typeof part === 'object' && part !== null ? this.#sizes.get(part) : undefined;
    if (seen && (origId === undefined || seen.id === origId)) return seen.bytes + idLength(msg.id) - idLength(seen.id);
    return Buffer.byteLength(JSON.stringify(msg));
  }

  // ── writing ────────────────────────────────────────────────────────────────────────────────

  #now(): number {
    return round(this.#clock() - this.#t0);
  }

  #write(r: TraceRecord): void {
    if (this.#closed) return;
    if (this.#stream.writableLength > this.#maxPending) {
      this.#dropped++;
      return;
    }
    this.#lines.push(JSON.stringify(r));
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#scheduled = false;
    this.#sizes.clear();
    if (this.#closed || this.#lines.length === 0) return;
    if (this.#dropped > 0 && this.#stream.writableLength <= this.#maxPending / 2) {
      const note: EventRecord = { t: this.#now(), dir: 'leash', kind: 'event', event: 'dropped', lines: this.#dropped };
      this.#lines.push(JSON.stringify(note));
      this.#dropped = 0;
    }
    const text = this.#lines.join('\n') + '\n';
    this.#lines.length = 0;
    this.#stream.write(text);
  }

  /** process.exit() without close(): what has not reached the stream yet goes out synchronously. */
  #flushSync(): void {
    if (this.#closed || this.#lines.length === 0) return;
    try {
      writeSync(this.#fd, this.#lines.join('\n') + '\n');
    } catch {
      // nothing left to do at exit
    }
    this.#lines.length = 0;
  }
}
