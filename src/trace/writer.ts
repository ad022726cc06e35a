// --trace FILE: the proxy's Tap (tap.ts), writing frames both ways and the core's events as JSONL
// (format.ts).
//
// The writer formats; it decides nothing. What a call is, how it ended, whether a progress
// notification was a heartbeat: the core says so in its events, and the writer writes them down.
// The only state it keeps about calls is each open call's method and tool, to repeat them on its
// 'call-ended' line for people reading the file (dropped at that line).
//
// Cost on the hot path: one small object and one JSON.stringify per frame and per event (payloads
// only with --trace-payloads), and an array push. Lines are written in batches, asynchronously,
// at most once per event-loop turn; a disk that cannot keep up makes the trace drop lines (and
// say so), never the proxy wait or its memory grow without bound.
// (About 360 lines: one formatter per kind of frame and event, and the batched, bounded file
// writer they share.)

import { randomUUID } from 'node:crypto';
import { closeSync, createWriteStream, fchmodSync, openSync, writeSync, type WriteStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { CallId, CoreEvent } from '../core/events.js';
import type { Frame, MessageFrame } from '../core/frame.js';
import { isObject, paramsOf, progressTokenOf, type JsonObject, type ProgressToken, type RequestId } from '../core/message.js';
import type { Side } from '../core/outputs.js';
import { TRACE_FORMAT_VERSION, type Direction, type EventRecord, type FrameRecord, type TraceRecord } from './format.js';
import { createRedactor, redactText, type Redactor } from './redact.js';
import type { SentOutput, Tap } from './tap.js';

export interface TraceOptions {
  /** Include params, result and error bodies (they may hold secrets). */
  payloads?: boolean;
  /** The server command (without its arguments, which may hold secrets), for the start line. */
  command?: string;
  /** Milliseconds, monotonic, on the same clock as the Tap's `at`; default performance.now. */
  clock?: () => number;
  /** Lines waiting for the disk beyond this many bytes are dropped (and counted). */
  maxPendingBytes?: number;
  /** Applied to every payload written (redact.ts); default: the built-in secret keys and credential shapes. */
  redact?: Redactor;
}

const DEFAULT_MAX_PENDING = 64 * 1024 * 1024;

const round = (ms: number): number => Math.round(ms * 1000) / 1000;
const isId = (v: unknown): v is RequestId => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

const RECEIVED: Record<Side, Direction> = { client: 'client->leash', child: 'child->leash' };
const SENT: Record<Side, Direction> = { client: 'leash->client', child: 'leash->child' };

type MessageKind = 'request' | 'notification' | 'response';

function kindOf(msg: JsonObject): MessageKind {
  return typeof msg.method !== 'string' ? 'response' : 'id' in msg ? 'request' : 'notification';
}

export class TraceWriter implements Tap {
  readonly path: string;
  /** This process's session: a random UUID on the start line, its first 8 characters (`s`) on every line. */
  readonly session: string;
  #s: string;
  #fd: number;
  #stream: WriteStream;
  #payloads: boolean;
  /** Payloads pass through this before they are written: secrets never reach the file. */
  #redact: Redactor;
  #clock: () => number;
  #t0: number;
  #maxPending: number;
  #lines: string[] = [];
  #scheduled = false;
  #dropped = 0;
  #closed = false;
  #onExit = (): void => this.#flushSync();
  /** Method and tool of each open call, repeated on its 'call-ended' line. */
  #labels = new Map<CallId, { method: string; tool?: string }>();

  /** Opens (creating, mode 0600) or appends to `path`. Throws if it cannot be opened. */
  constructor(path: string, opts: TraceOptions = {}) {
    this.path = path;
    this.session = randomUUID();
    this.#s = this.session.slice(0, 8);
    this.#payloads = opts.payloads ?? false;
    this.#redact = opts.redact ?? createRedactor();
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
      s: this.#s,
      kind: 'event',
      event: 'start',
      session: this.session,
      version: TRACE_FORMAT_VERSION,
      startedAt: new Date().toISOString(),
      pid: process.pid,
      payloads: this.#payloads,
    };
    if (opts.command !== undefined) start.command = opts.command;
    this.#write(start);
  }

  // ── the Tap ────────────────────────────────────────────────────────────────────────────────

  received(from: Side, frame: Frame, bytes: number, at: number): void {
    if (this.#closed) return;
    const t = this.#t(at);
    const dir = RECEIVED[from];
    if (frame.kind === 'unparsable') {
      const r: FrameRecord = { t, s: this.#s, dir, kind: 'unparsable', bytes, problem: frame.problem };
      if (this.#payloads && frame.preview !== undefined) r.line = redactText(frame.preview);
      return this.#write(r);
    }
    if (frame.kind === 'invalid') return this.#write({ t, s: this.#s, dir, kind: 'invalid', bytes, id: frame.id });
    this.#write(this.#frame(t, dir, bytes, frame));
  }

  sent(out: SentOutput, bytes: number, at: number): void {
    if (this.#closed) return;
    const t = this.#t(at);
    const dir = SENT[out.to];
    const r = out.type === 'forward' ? this.#frame(t, dir, bytes, out.frame, out.id, out.token) : this.#own(t, dir, bytes, out.msg);
    if (out.call !== undefined) r.call = out.call;
    this.#write(r);
  }

  event(e: CoreEvent): void {
    if (this.#closed) return;
    const r: EventRecord = { t: this.#t(e.at), s: this.#s, kind: 'event', event: e.type };
    switch (e.type) {
      case 'call-opened': {
        r.call = e.call;
        r.from = e.from;
        r.method = e.method;
        if (e.tool !== undefined) r.tool = e.tool;
        r.id = e.id;
        if (e.token !== undefined) r.token = e.token;
        this.#labels.set(e.call, e.tool !== undefined ? { method: e.method, tool: e.tool } : { method: e.method });
        break;
      }
      case 'call-queued':
        r.call = e.call;
        r.position = e.position;
        break;
      case 'call-dispatched':
        r.call = e.call;
        r.queuedMs = round(e.queuedMs);
        break;
      case 'call-ended': {
        r.call = e.call;
        const label = this.#labels.get(e.call);
        if (label) {
          this.#labels.delete(e.call);
          r.method = label.method;
          if (label.tool !== undefined) r.tool = label.tool;
        }
        r.outcome = e.outcome;
        r.by = e.by;
        r.ms = round(e.ms);
        r.phase = e.phase;
        if (e.errorCode !== undefined) r.errorCode = e.errorCode;
        if (e.timeout) {
          r.timeoutKind = e.timeout.kind;
          r.limitMs = e.timeout.limitMs;
          r.cancelSentToServer = e.timeout.cancelSentToServer;
        }
        if (e.cancelledBy !== undefined) r.cancelledBy = e.cancelledBy;
        break;
      }
      case 'progress':
        r.call = e.call;
        r.progress = e.progress;
        if (e.total !== undefined) r.total = e.total;
        r.fate = e.fate;
        break;
      case 'heartbeat':
        r.call = e.call;
        r.progress = e.progress;
        if (e.total !== undefined) r.total = e.total;
        r.queued = e.queued;
        break;
      case 'late-answer':
        r.call = e.call;
        r.from = e.from;
        if (e.afterMs !== undefined) r.afterMs = round(e.afterMs);
        break;
      case 'stray':
        r.from = e.from;
        r.what = e.what;
        r.id = e.id;
        break;
      case 'child':
        r.phase = e.phase;
        if (e.reason !== undefined) r.reason = e.reason;
        if (e.exitCode !== undefined) r.exitCode = e.exitCode;
        if (e.signal !== undefined) r.signal = e.signal;
        break;
      case 'restart':
        r.attempt = e.attempt;
        r.delayMs = e.delayMs;
        break;
      case 'task':
        if (e.call !== undefined) r.call = e.call;
        r.taskId = e.taskId;
        r.status = e.status;
        break;
      case 'job-detached':
        r.call = e.call;
        r.job = e.job;
        r.tool = e.tool;
        r.afterMs = e.afterMs;
        r.queued = e.queued;
        break;
      case 'job-awaited':
        r.call = e.call;
        r.job = e.job;
        r.state = e.state;
        r.waitedMs = e.waitedMs;
        break;
      case 'job-ended':
        r.call = e.call;
        r.job = e.job;
        r.state = e.state;
        r.outcome = e.outcome;
        r.by = e.by;
        r.ms = e.ms;
        r.bytes = e.bytes;
        if (e.timeout) {
          r.timeoutKind = e.timeout.kind;
          r.limitMs = e.timeout.limitMs;
        }
        break;
      case 'job-dropped':
        r.job = e.job;
        r.reason = e.reason;
        break;
      case 'guard':
        r.call = e.call;
        r.action = e.action;
        if (e.what !== undefined) r.what = e.what;
        if (e.name !== undefined) r.name = e.name;
        if (e.names !== undefined) r.names = e.names;
        if (e.rule !== undefined) r.rule = e.rule;
        if (e.bytes !== undefined) r.bytes = e.bytes;
        if (e.limit !== undefined) r.limit = e.limit;
        if (e.keptBytes !== undefined) r.keptBytes = e.keptBytes;
        if (e.path !== undefined) r.path = e.path;
        break;
      case 'exit':
        r.code = e.code;
        r.reason = e.reason;
        break;
    }
    this.#write(r);
  }

  /** Writes what is buffered and closes the file. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    // The last lines go out however full the stream is: the note of what was dropped, and the end.
    this.#noteDropped();
    this.#lines.push(JSON.stringify({ t: this.#t(this.#clock()), s: this.#s, kind: 'event', event: 'end' } satisfies EventRecord));
    this.#flush();
    this.#closed = true;
    process.off('exit', this.#onExit);
    await new Promise<void>((resolve) => {
      this.#stream.end(() => resolve());
      this.#stream.once('error', () => resolve());
    });
  }

  // ── records ────────────────────────────────────────────────────────────────────────────────

  /** A message as it came (received), or as forwarded with `id` and `token` in place of its own. */
  #frame(t: number, dir: Direction, bytes: number, frame: MessageFrame, id?: RequestId, token?: ProgressToken): FrameRecord {
    const msg = frame.msg;
    const r: FrameRecord = { t, s: this.#s, dir, kind: frame.kind, bytes };
    if (frame.kind !== 'response') r.method = frame.method;
    if (frame.kind !== 'notification') {
      r.id = id ?? frame.id;
      if (id !== undefined) r.origId = frame.id;
    }
    if (frame.kind === 'response') {
      // A long answer's result is parsed only when something looks inside it (core/frame.ts):
      // without payloads the trace does not, so isError is left out for such answers.
      const result = frame.partial ? (this.#payloads ? this.#parseResult(frame) : undefined) : msg.result;
      this.#response(r, msg, result, frame.partial === true && !this.#payloads);
      return r;
    }
    const params = paramsOf(msg);
    this.#params(r, frame.method, params, token);
    if (this.#payloads && 'params' in msg) {
      r.params = this.#redact(token !== undefined && params ? { ...params, _meta: { ...(isObject(params._meta) ? params._meta : {}), progressToken: token } } : msg.params);
    }
    return r;
  }

  /** A message of mcp-leash's own making. */
  #own(t: number, dir: Direction, bytes: number, msg: JsonObject): FrameRecord {
    const kind = kindOf(msg);
    const r: FrameRecord = { t, s: this.#s, dir, kind, bytes, own: true };
    if (kind === 'response') {
      if (isId(msg.id) || msg.id === null) r.id = msg.id;
      this.#response(r, msg, msg.result, false);
      return r;
    }
    r.method = msg.method as string;
    if (kind === 'request' && isId(msg.id)) r.id = msg.id;
    this.#params(r, r.method, paramsOf(msg), undefined);
    if (this.#payloads && 'params' in msg) r.params = this.#redact(msg.params);
    return r;
  }

  #response(r: FrameRecord, msg: JsonObject, result: unknown, unknownResult: boolean): void {
    const error = msg.error;
    if (error !== undefined) r.errorCode = isObject(error) && typeof error.code === 'number' ? error.code : NaN;
    else if (!unknownResult) r.isError = isObject(result) && result.isError === true;
    if (this.#payloads) {
      if (result !== undefined) r.result = this.#redact(result);
      if (error !== undefined) r.error = this.#redact(error);
    }
  }

  /** What a request or notification's params say that a person reading the trace needs. */
  #params(r: FrameRecord, method: string, params: JsonObject | undefined, token: ProgressToken | undefined): void {
    if (!params) return;
    if (r.kind === 'request') {
      if (method === 'tools/call' && typeof params.name === 'string') r.tool = params.name;
      const tok = token ?? progressTokenOf(params);
      if (tok !== undefined) r.token = tok;
      return;
    }
    if (method === 'notifications/progress') {
      const tok = token ?? params.progressToken;
      if (isId(tok)) r.token = tok;
      const progress = num(params.progress);
      if (progress !== undefined) r.progress = progress;
      const total = num(params.total);
      if (total !== undefined) r.total = total;
      // Words are payload, even in a message mcp-leash sends: a progress it held back and a
      // cancel it rewrote carry the server's or the client's.
      if (this.#payloads && typeof params.message === 'string') r.message = redactText(params.message);
    } else if (method === 'notifications/cancelled') {
      if (isId(params.requestId)) r.requestId = params.requestId;
      if (this.#payloads && typeof params.reason === 'string') r.reason = redactText(params.reason);
    }
  }

  #parseResult(frame: MessageFrame): unknown {
    try {
      return frame.raw?.parse().result;
    } catch {
      return undefined;
    }
  }

  // ── writing ────────────────────────────────────────────────────────────────────────────────

  #t(at: number): number {
    return round(at - this.#t0);
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
    if (this.#closed || this.#lines.length === 0) return;
    if (this.#stream.writableLength <= this.#maxPending / 2) this.#noteDropped();
    const text = this.#lines.join('\n') + '\n';
    this.#lines.length = 0;
    this.#stream.write(text);
  }

  #noteDropped(): void {
    if (this.#dropped === 0) return;
    const note: EventRecord = { t: this.#t(this.#clock()), s: this.#s, kind: 'event', event: 'dropped', lines: this.#dropped };
    this.#lines.push(JSON.stringify(note));
    this.#dropped = 0;
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
