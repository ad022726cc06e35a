/*
 * The session: theory of operation.
 *
 * mcp-leash sits between one client and one child. Everything it promises (shared/CONTRACT.md)
 * is a rule about two tables:
 *
 *   calls        client requests in flight, keyed by the id mcp-leash gave the child;
 *   serverCalls  child-to-client requests in flight, keyed by the id mcp-leash gave the client.
 *
 * Rules of this file:
 *   1. Everything that affects those tables is decided here or in the parts it owns
 *      (Lifecycle: restarts and health; TaskBridge: tasks); nothing here does I/O or reads a
 *      clock. Input arrives through handle*(…, now); output is drained with poll(); the shell asks
 *      nextDeadline() when to call handleTimeout(now) again. Extra handleTimeout calls are harmless.
 *   2. A client request is 'queued' (waiting for a concurrency slot inside mcp-leash) or 'running'
 *      (sent to the child). It gets its one answer through answer(), and leaves the table exactly
 *      once, through finish(): answered, cancelled, timed out, or failed by a child exit.
 *      finish() is the only place that frees a slot.
 *   3. After a request left the table nothing more is said about it: late answers, progress and
 *      timers for it are dropped. Its child-side id is remembered briefly only to log such late
 *      arrivals at debug rather than warn.
 *
 * Transitions (request):   new ──dispatch──▶ running ──response──▶ (gone)
 *                           └──queued──▶ dispatch      ├─cancel / timeout / child exit──▶ (gone)
 */

import type { Policy } from '../policy/types.js';
import { createResolver, type Resolver } from '../policy/resolve.js';
import { expired, timeoutResponse, wakeAt } from './call-timers.js';
import { ClientCalls, type ClientCall } from './client-calls.js';
import { DeadlineQueue } from './deadlines.js';
import { ERR } from './errors.js';
import { Lifecycle, OWN_ID_PREFIX, type ChildState } from './lifecycle.js';
import {
  errorResponse,
  notification,
  isObject,
  paramsOf,
  progressTokenOf,
  withId,
  withIdAndToken,
  type JsonObject,
  type Peeked,
  type RequestId,
} from './message.js';
import { Outbox } from './outbox.js';
import type { Output } from './outputs.js';
import { heartbeatParams, markSent, newProgress, shapeChildProgress } from './progress.js';
import { ServerCalls, type ServerCall } from './server-calls.js';
import { TaskBridge } from './task-bridge.js';
import { cancelReason, childExitText, heartbeatText, type TimeoutKind } from './texts.js';

export { ERR, type ChildState };

/** Input from the wire layer: a message, or a line that could not become one. */
export type Frame =
  | Peeked
  /** `detail` says what is wrong; `preview` holds the line's first 200 characters, when there is one. */
  | { kind: 'unparsable'; problem: 'json' | 'batch' | 'oversize'; detail: string; preview?: string };

export interface ChildExit {
  code: number | null;
  signal: string | null;
  /** The signal's number, for the 128+N exit code (the core does not know the platform's table). */
  signalNumber?: number;
  stderrTail: string[];
}

export interface SessionOptions {
  resolve?: Resolver;
  /** Epoch ms at monotonic time 0, for the wall-clock timestamps tasks carry. */
  epochOffsetMs?: number;
  /** Prefix of task ids; random in the shell, fixed in tests. */
  taskIdPrefix?: string;
}

const BATCH_REFUSED = 'Invalid Request: JSON-RPC batches are not supported (removed from MCP in 2025-06-18); send one message per line';

export class Session {
  readonly policy: Policy;
  #resolve: Resolver;
  #out = new Outbox();
  #calls: ClientCalls;
  #server = new ServerCalls();
  #timers = new DeadlineQueue<number>();
  #life: Lifecycle;
  #tasks: TaskBridge;

  constructor(policy: Policy, opts: SessionOptions = {}) {
    this.policy = policy;
    this.#resolve = opts.resolve ?? createResolver(policy);
    this.#calls = new ClientCalls(policy.maxConcurrency);
    this.#life = new Lifecycle(this.#out, policy, (now) => this.#runQueued(now));
    this.#tasks = new TaskBridge(this.#out, {
      mode: policy.tasks,
      epochOffsetMs: opts.epochOffsetMs ?? 0,
      idPrefix: opts.taskIdPrefix,
      cancelCall: (key, now) => this.#cancelTaskCall(key, now),
    });
  }

  get childState(): ChildState {
    return this.#life.state;
  }

  /** Requests in flight in both directions, queued ones included (for tests and the soak run). */
  get inFlight(): number {
    return this.#calls.size + this.#server.size;
  }

  /** Drains everything the core wants done, in order. */
  poll(): Output[] {
    return this.#out.drain();
  }

  nextDeadline(): number | undefined {
    const at = Math.min(
      this.#timers.next() ?? Infinity,
      this.#server.nextDeadline() ?? Infinity,
      this.#life.nextDeadline() ?? Infinity,
      this.#tasks.nextDeadline() ?? Infinity,
    );
    return at === Infinity ? undefined : at;
  }

  // ── from the client ──────────────────────────────────────────────────────────────────────

  handleClient(frame: Frame, now: number): void {
    switch (frame.kind) {
      case 'unparsable':
        this.#out.log('warn', 'unusable line from client', { problem: frame.problem, detail: frame.detail, line: frame.preview });
        if (frame.problem === 'json') this.#out.send('client', errorResponse(null, ERR.parse, `Parse error: ${frame.detail}`));
        else if (frame.problem === 'batch') this.#out.send('client', errorResponse(null, ERR.invalidRequest, BATCH_REFUSED));
        else this.#out.send('client', errorResponse(null, ERR.invalidRequest, `Invalid Request: ${frame.detail}`));
        return;
      case 'invalid':
        this.#out.log('warn', 'invalid message from client', { reason: frame.reason });
        return this.#out.send('client', errorResponse(frame.id, ERR.invalidRequest, `Invalid Request: ${frame.reason}`));
      case 'request':
        return this.#clientRequest(frame.id, frame.method, frame.msg, now);
      case 'notification':
        return this.#clientNotification(frame.method, frame.msg, now);
      case 'response':
        return this.#clientResponse(frame.id, frame.msg);
    }
  }

  #clientRequest(id: RequestId, method: string, msg: JsonObject, now: number): void {
    const params = paramsOf(msg);
    if (this.#tasks.owns(method)) return this.#tasks.handle(id, method, params, now);
    if (this.#life.state === 'gone') {
      this.#out.send('client', errorResponse(id, ERR.serverExited, this.#life.goneText));
      return;
    }
    const tool = method === 'tools/call' && typeof params?.name === 'string' ? params.name : undefined;
    if (method === 'initialize') this.#life.initializeSent(msg);
    const task = tool !== undefined && this.#tasks.wants(params) ? this.#tasks.create(id, params!, now) : null;
    if (task === undefined) return; // too many tasks: already answered
    // The child knows nothing of tasks: it gets the plain call, without params.task.
    const sent = task ? { ...msg, params: withoutKey(params!, 'task') } : msg;
    const call = this.#calls.add({ clientId: id, method, tool, msg: sent, rule: this.#resolve(method, tool, 'client'), receivedAt: now });
    const clientToken = progressTokenOf(params);
    if (clientToken !== undefined) {
      call.clientToken = clientToken;
      call.progress = newProgress(clientToken, now);
    }
    if (task) {
      // The client's request is answered now with the handle; a later request may reuse its id.
      this.#calls.forgetClientId(call);
      this.#tasks.start(task, call, id);
    }
    // initialize and ping never wait behind tool calls, nor count against the limit (CONTRACT §7).
    const bypass = method === 'initialize' || method === 'ping';
    if (bypass) call.unslotted = true;
    if (this.#life.up && (bypass || this.#calls.hasSlotFor(call))) this.#dispatch(call, now);
    else this.#calls.enqueue(call);
    this.#arm(call);
  }

  #clientNotification(method: string, msg: JsonObject, now: number): void {
    if (method === 'notifications/cancelled') return this.#clientCancel(msg, now);
    if (method === 'notifications/initialized') this.#life.initializedNotification = msg;
    if (!this.#life.up) {
      this.#out.log('debug', 'client notification dropped: the server is not running', { method });
      return;
    }
    // Client progress answers a child's request: its token is the child's own, so it passes as is.
    this.#out.send('child', msg);
  }

  #clientCancel(msg: JsonObject, now: number): void {
    const params = paramsOf(msg);
    const requestId = params?.requestId;
    if (typeof requestId !== 'string' && typeof requestId !== 'number') {
      this.#out.log('debug', 'cancellation without a request id ignored');
      return;
    }
    const call = this.#calls.findByClientId(requestId);
    if (!call) {
      if (!this.#tasks.dropWaiter(requestId)) this.#out.log('debug', 'cancellation for an unknown or finished request ignored', { requestId });
      return;
    }
    if (call.method === 'initialize') {
      this.#out.log('warn', 'client tried to cancel initialize; dropped (initialize must not be cancelled)', { requestId: call.clientId });
      return;
    }
    this.#out.log('info', 'request cancelled by client', { method: call.method, tool: call.tool, state: call.state, elapsedMs: Math.round(now - call.receivedAt) });
    if (call.state === 'running') this.#out.send('child', { ...msg, params: { ...params, requestId: call.key } }, call.clientId);
    this.#finish(call, now);
  }

  #clientResponse(id: RequestId, msg: JsonObject): void {
    const sc = typeof id === 'number' ? this.#server.take(id) : undefined;
    if (!sc) {
      const level = typeof id === 'number' && this.#server.wasFinished(id) ? 'debug' : 'warn';
      this.#out.log(level, 'client answered a request that is not in flight; dropped', { id });
      return;
    }
    if (this.#life.up) this.#out.send('child', withId(msg, sc.childId), id);
  }

  // ── from the child ───────────────────────────────────────────────────────────────────────

  handleChild(frame: Frame, now: number): void {
    switch (frame.kind) {
      case 'unparsable':
        this.#out.log('warn', 'child wrote a line that is not a JSON-RPC message to stdout; not forwarded', {
          problem: frame.problem,
          detail: frame.detail,
          line: frame.preview,
        });
        return;
      case 'invalid':
        this.#out.log('warn', 'child wrote an invalid JSON-RPC message; not forwarded', { reason: frame.reason, id: frame.id });
        return this.#childInvalid(frame.id, frame.reason, now);
      case 'request':
        return this.#childRequest(frame.id, frame.method, frame.msg, now);
      case 'notification':
        return this.#childNotification(frame.method, frame.msg, now);
      case 'response':
        return this.#childResponse(frame.id, frame.msg, now);
    }
  }

  /** An invalid answer for a call in flight still ends it: the client gets an error, not a hang. */
  #childInvalid(id: RequestId | null, reason: string, now: number): void {
    const call = typeof id === 'number' ? this.#calls.get(id) : undefined;
    if (!call || call.state !== 'running') return;
    this.#answer(call, errorResponse(call.clientId, ERR.internal, `Internal error: the MCP server sent an invalid response (${reason})`), now);
    this.#finish(call, now);
  }

  #childRequest(id: RequestId, method: string, msg: JsonObject, now: number): void {
    const rule = this.#resolve(method, undefined, 'child');
    const sc = this.#server.add(id, method, rule, now);
    this.#out.send('client', withId(msg, sc.key), id);
  }

  #childNotification(method: string, msg: JsonObject, now: number): void {
    if (method === 'notifications/progress') return this.#childProgress(msg, now);
    if (method !== 'notifications/cancelled') return this.#out.send('client', msg);
    const params = paramsOf(msg);
    const childId = params?.requestId;
    const sc = typeof childId === 'string' || typeof childId === 'number' ? this.#server.takeByChildId(childId) : undefined;
    if (!sc) {
      this.#out.log('debug', 'child cancelled a request that is not in flight; ignored', { requestId: childId as RequestId });
      return;
    }
    this.#out.log('info', 'server-to-client request cancelled by child', { method: sc.method });
    this.#out.send('client', { ...msg, params: { ...params, requestId: sc.key } }, sc.childId);
  }

  #childProgress(msg: JsonObject, now: number): void {
    const params = paramsOf(msg);
    const token = params?.progressToken;
    const call = typeof token === 'number' ? this.#calls.get(token) : undefined;
    if (!call || call.state !== 'running' || call.childToken !== token || !params) {
      this.#out.log('debug', 'progress for an unknown or finished request dropped', { progressToken: token as RequestId });
      return;
    }
    call.lastChildProgressAt = now;
    const p = call.progress;
    if (p) {
      if (p.sent === undefined || now >= p.lastSentAt + this.policy.progressIntervalMs) this.#forwardProgress(call, params, now);
      else p.pending = params; // the throttle keeps only the newest
    }
    this.#arm(call);
  }

  #forwardProgress(call: ClientCall, childParams: JsonObject, now: number): void {
    const p = call.progress!;
    p.pending = undefined;
    const out = shapeChildProgress(p, childParams);
    if (!out) return;
    markSent(p, out, now);
    this.#out.send('client', notification('notifications/progress', this.#tasks.withMeta(call, out)));
  }

  #childResponse(id: RequestId, msg: JsonObject, now: number): void {
    if (typeof id === 'string' && id.startsWith(OWN_ID_PREFIX)) return this.#life.ownResponse(id, msg, now);
    const call = typeof id === 'number' ? this.#calls.get(id) : undefined;
    if (!call || call.state !== 'running') {
      const level = typeof id === 'number' && this.#calls.wasFinished(id) ? 'debug' : 'warn';
      this.#out.log(level, 'child answered a request that is not in flight; dropped', { id });
      return;
    }
    // The newest progress held back by the throttle goes out before the answer, never after.
    if (call.progress?.pending) this.#forwardProgress(call, call.progress.pending, now);
    let answer = msg;
    if (call.method === 'initialize' && isObject(msg.result)) {
      this.#life.initialized(msg.result, now);
      answer = this.#tasks.offer(msg, msg.result);
    } else if (call.method === 'tools/list') {
      this.#life.rememberTools(call, msg);
      answer = this.#tasks.markTools(msg);
    }
    this.#answer(call, answer, now);
    this.#finish(call, now);
  }

  // ── the child's life ─────────────────────────────────────────────────────────────────────

  /** The shell started a child the session asked for (after a 'spawn' output). */
  handleChildStarted(now: number): void {
    this.#life.childStarted(now);
  }

  handleChildExit(exit: ChildExit, now: number): void {
    if (this.#life.state === 'gone' || this.#life.state === 'down') return;
    const restarting = this.#life.exited(now);
    const text = childExitText(exit.code, exit.signal, exit.stderrTail);
    const data = { exitCode: exit.code, signal: exit.signal, stderr: exit.stderrTail };
    // Requests the child had are lost with it; queued ones may wait for the next child.
    const failed = this.#calls.all().filter((c) => c.state === 'running' || !restarting);
    for (const call of failed) {
      this.#answer(call, errorResponse(call.clientId, ERR.serverExited, text, data), now);
      this.#finish(call, now);
    }
    // The child's own open requests (sampling, elicitation) die with it: tell the client to stop.
    for (const sc of this.#server.clear()) {
      this.#out.send('client', notification('notifications/cancelled', { requestId: sc.key, reason: 'the MCP server exited' }), sc.childId);
    }
    this.#out.log(exit.code === 0 && !restarting ? 'info' : 'warn', 'child exited', { ...data, failedRequests: failed.length });
    this.#life.concludeExit(exit.code ?? 128 + (exit.signalNumber ?? 0), text);
  }

  // ── what could not be sent ────────────────────────────────────────────────────────────────

  /**
   * The shell could not encode a message the core asked it to send (JSON.stringify gives up on
   * a value nested past its recursion limit). Whoever waits for an answer still gets one.
   */
  handleUnencodable(out: { to: 'client' | 'child'; msg: JsonObject }, why: string, now: number): void {
    const { to, msg } = out;
    const id = msg.id;
    this.#out.log('error', 'a message could not be encoded and was not sent', { to, method: msg.method as string | undefined, why });
    if (typeof msg.method === 'string') {
      if (typeof id !== 'number') return; // a notification: nobody waits for it
      if (to === 'child') {
        // A client request the child never got: answer it in the child's place.
        const call = this.#calls.get(id);
        if (!call) return;
        this.#answer(call, errorResponse(call.clientId, ERR.invalidRequest, `Invalid Request: the message could not be forwarded (${why})`), now);
        this.#finish(call, now);
      } else {
        const sc = this.#server.take(id);
        if (!sc) return;
        this.#out.send('child', errorResponse(sc.childId, ERR.internal, `Internal error: the request could not be forwarded to the client (${why})`));
      }
      return;
    }
    // An answer: its request is already finished here, so an error under the same id replaces it.
    if (typeof id === 'string' || typeof id === 'number') {
      this.#out.send(to, errorResponse(id, ERR.internal, `Internal error: the answer could not be forwarded (${why})`));
    }
  }

  // ── time ─────────────────────────────────────────────────────────────────────────────────

  handleTimeout(now: number): void {
    this.#life.tick(now);
    this.#tasks.expire(now);
    for (const sc of this.#server.takeExpired(now)) this.#serverTimeout(sc, now);
    for (const key of this.#timers.popDue(now)) {
      const call = this.#calls.get(key);
      if (call) this.#wake(call, now);
    }
  }

  #serverTimeout(sc: ServerCall, now: number): void {
    const limit = sc.rule.totalTimeoutMs;
    this.#out.log('info', 'server-to-client request timed out', { method: sc.method, timeoutMs: limit });
    this.#out.send('client', notification('notifications/cancelled', { requestId: sc.key, reason: cancelReason('total', limit) }));
    const data = { method: sc.method, timeoutMs: limit, elapsedMs: Math.round(now - sc.receivedAt) };
    this.#out.send('child', errorResponse(sc.childId, ERR.timedOut, 'Request timed out', data));
  }

  #wake(call: ClientCall, now: number): void {
    const hit = expired(call, now);
    if (hit) return this.#timeout(call, hit.kind, hit.limitMs, now);
    const p = call.progress;
    const heartbeatDue = p !== undefined && call.rule.heartbeatMs > 0 && now >= p.lastSentAt + call.rule.heartbeatMs;
    // Held-back child progress is fresher news than a heartbeat, so it goes first whichever is due.
    if (p?.pending && (heartbeatDue || now >= p.lastSentAt + this.policy.progressIntervalMs)) this.#forwardProgress(call, p.pending, now);
    else if (p && heartbeatDue) {
      const queue = call.state === 'queued' ? { position: this.#calls.queuePosition(call) } : undefined;
      const lastAgo = call.lastChildProgressAt === undefined ? undefined : now - call.lastChildProgressAt;
      const params = heartbeatParams(p, heartbeatText(call.method, call.tool, now - call.receivedAt, queue, lastAgo));
      if (params) {
        markSent(p, params, now);
        this.#out.send('client', notification('notifications/progress', this.#tasks.withMeta(call, params)));
      } else {
        p.lastSentAt = now; // no room under the total: stay quiet rather than wake again at once
      }
    }
    this.#arm(call);
  }

  #timeout(call: ClientCall, kind: TimeoutKind, limitMs: number, now: number): void {
    const elapsedMs = Math.round(now - call.receivedAt);
    this.#out.log('info', 'request timed out', { method: call.method, tool: call.tool, kind, timeoutMs: limitMs, elapsedMs, state: call.state });
    this.#cancelAtChild(call, cancelReason(kind, limitMs));
    this.#answer(call, timeoutResponse(call, kind, limitMs, elapsedMs), now);
    this.#finish(call, now);
    if (call.method === 'initialize') {
      this.#out.log('error', 'the server did not answer initialize in time; stopping it', { timeoutMs: limitMs });
      this.#out.push({ type: 'stop', code: 1, reason: 'startup timeout' });
    }
  }

  // ── bookkeeping ──────────────────────────────────────────────────────────────────────────

  /** The one way a client request gets its answer: to the client, or into its task. */
  #answer(call: ClientCall, response: JsonObject, now: number): void {
    if (call.taskId !== undefined) this.#tasks.complete(call, response, now);
    else this.#out.send('client', withId(response, call.clientId), call.key);
  }

  #dispatch(call: ClientCall, now: number): void {
    const msg = call.msg;
    if (msg === undefined) return; // sent once already; never send twice
    this.#calls.start(call, now);
    // The child gets a token of ours when the client asked for progress, or when an idle timeout
    // needs the child's progress to know it is alive.
    if (call.clientToken !== undefined || (call.rule.idleTimeoutMs > 0 && call.method !== 'initialize')) call.childToken = call.key;
    this.#out.send('child', withIdAndToken(msg, call.key, call.childToken), call.clientId);
    call.msg = undefined; // not needed once sent; keeps memory per request small
  }

  #finish(call: ClientCall, now: number): void {
    this.#timers.disarm(call.key);
    if (this.#calls.remove(call) && this.#life.up) this.#runQueued(now);
  }

  /** Dispatches queued calls that fit now (a slot was freed, or a child came up). */
  #runQueued(now: number): void {
    for (const next of this.#calls.takeRunnable()) {
      this.#dispatch(next, now);
      this.#arm(next);
    }
  }

  #cancelTaskCall(key: number, now: number): void {
    const call = this.#calls.get(key);
    if (!call) return;
    this.#cancelAtChild(call, 'task cancelled by the client');
    this.#finish(call, now);
  }

  /** Tells the child to stop a call mcp-leash ended on its own; a queued call it never saw. */
  #cancelAtChild(call: ClientCall, reason: string): void {
    if (call.state === 'running') this.#out.send('child', notification('notifications/cancelled', { requestId: call.key, reason }));
  }

  #arm(call: ClientCall): void {
    const at = wakeAt(call, this.policy.progressIntervalMs);
    if (at !== Infinity) this.#timers.arm(call.key, at);
  }
}

function withoutKey(obj: JsonObject, key: string): JsonObject {
  const { [key]: _dropped, ...rest } = obj;
  return rest;
}
