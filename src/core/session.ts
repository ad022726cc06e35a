/*
 * The session: theory of operation.
 *
 * mcp-leash sits between one client and one child. Everything it promises (shared/CONTRACT.md)
 * is a rule about two tables kept here:
 *
 *   calls        client requests in flight, keyed by the id mcp-leash gave the child;
 *   serverCalls  child-to-client requests in flight, keyed by the id mcp-leash gave the client.
 *
 * Rules of this file:
 *   1. Everything that affects those tables lives here; nothing here does I/O or reads a clock.
 *      Input arrives through handle*(…, now); output is drained with poll(); the shell asks
 *      nextDeadline() when to call handleTimeout(now) again. Extra handleTimeout calls are harmless.
 *   2. A client request is 'queued' (waiting for a concurrency slot inside mcp-leash) or 'running'
 *      (sent to the child). It leaves the table exactly once, through finish(): answered, cancelled,
 *      timed out, or failed by a child exit. finish() is the only place that frees a slot.
 *   3. After a request left the table nothing more is said about it: late answers, progress and
 *      timers for it are dropped. Its child-side id is remembered briefly only to log such late
 *      arrivals at debug rather than warn.
 *
 * Transitions (request):   new ──dispatch──▶ running ──response──▶ (gone)
 *                           └──queued──▶ dispatch      ├─cancel / timeout / child exit──▶ (gone)
 */

import type { Policy } from '../policy/types.js';
import { createResolver, type Resolver } from '../policy/resolve.js';
import { ClientCalls, type ClientCall } from './client-calls.js';
import { DeadlineQueue } from './deadlines.js';
import {
  errorResponse,
  isObject,
  notification,
  paramsOf,
  progressTokenOf,
  withId,
  withIdAndToken,
  type JsonObject,
  type Peeked,
  type RequestId,
} from './message.js';
import type { LogLevel, Output, Side } from './outputs.js';
import { heartbeatParams, markSent, newProgress, shapeChildProgress } from './progress.js';
import { ServerCalls } from './server-calls.js';
import { HealthCheck, OWN_ID_PREFIX } from './health.js';
import { RestartTracker } from './restart.js';
import { isTerminal, RELATED_TASK, TaskStore, type TaskRecord, type TaskStatus } from './tasks.js';
import { cancelReason, childExitText, formatMs, giveUpText, heartbeatText, toolTimeoutText, type TimeoutKind } from './texts.js';

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

/**
 * The child's life as the session sees it:
 *   up         a child is running and initialized (or the client has not initialized yet);
 *   down       it died; a restart is due at #restartAt, requests wait in the queue;
 *   spawning   the shell was asked for a new child;
 *   replaying  the new child got the client's initialize again; its answer is ours;
 *   gone       no child and none coming: requests are answered with an error at once.
 */
export type ChildState = 'up' | 'down' | 'spawning' | 'replaying' | 'gone';

export const ERR = {
  parse: -32700,
  invalidRequest: -32600,
  serverExited: -32000,
  timedOut: -32001,
  invalidParams: -32602,
} as const;

function withoutKey(obj: JsonObject, key: string): JsonObject {
  const { [key]: _dropped, ...rest } = obj;
  return rest;
}

/** Progress for a task's call carries the related-task _meta (spec: tasks, associating messages). */
function withTaskMeta(call: ClientCall, params: JsonObject): JsonObject {
  if (call.taskId === undefined) return params;
  const meta = isObject(params._meta) ? params._meta : {};
  return { ...params, _meta: { ...meta, [RELATED_TASK]: { taskId: call.taskId } } };
}

/** tools/list answers with every tool that says nothing about tasks marked "optional". */
function markToolsTaskOptional(msg: JsonObject): JsonObject {
  const result = msg.result;
  if (!isObject(result) || !Array.isArray(result.tools)) return msg;
  const tools = result.tools.map((t: unknown) => {
    if (!isObject(t)) return t;
    const execution = isObject(t.execution) ? t.execution : {};
    return execution.taskSupport !== undefined ? t : { ...t, execution: { ...execution, taskSupport: 'optional' } };
  });
  return { ...msg, result: { ...result, tools } };
}

function firstText(result: JsonObject): string | undefined {
  const content = result.content;
  if (!Array.isArray(content)) return undefined;
  const first = content.find((c: unknown) => isObject(c) && c.type === 'text' && typeof c.text === 'string') as JsonObject | undefined;
  return first?.text as string | undefined;
}

export interface SessionOptions {
  resolve?: Resolver;
  /** Epoch ms at monotonic time 0, for the wall-clock timestamps tasks carry. */
  epochOffsetMs?: number;
  /** Prefix of task ids; random in the shell, fixed in tests. */
  taskIdPrefix?: string;
}

/** What mcp-leash adds to a task-less child's capabilities when tasks are "auto". */
const TASK_CAPABILITY = { list: {}, cancel: {}, requests: { tools: { call: {} } } };

export class Session {
  readonly policy: Policy;
  #resolve: Resolver;
  #out: Output[] = [];
  #calls: ClientCalls;
  #server = new ServerCalls();
  #timers = new DeadlineQueue<number>();
  #serverTimers = new DeadlineQueue<number>();
  #child: ChildState = 'up';
  #goneText = 'MCP server is not running';
  #restarts: RestartTracker;
  #restartAt = 0;
  #health: HealthCheck;
  #replay: { id: string; deadline: number } | undefined;
  #ownSeq = 0;
  /** Tools the client last listed, to tell it when a restarted child offers different ones. */
  #lastTools: string | undefined;
  #toolsCheckId: string | undefined;
  /** Set once the child's initialize answer shows mcp-leash should run tasks for it. */
  #tasks: TaskStore | undefined;
  #opts: SessionOptions;
  /** The client's initialize request and initialized notification, kept for restarts. */
  initializeRequest: JsonObject | undefined;
  initializedNotification: JsonObject | undefined;
  initializeResult: JsonObject | undefined;

  constructor(policy: Policy, opts: SessionOptions = {}) {
    this.policy = policy;
    this.#opts = opts;
    this.#resolve = opts.resolve ?? createResolver(policy);
    this.#calls = new ClientCalls(policy.maxConcurrency);
    this.#restarts = new RestartTracker(policy.restart);
    this.#health = new HealthCheck(policy.healthCheck);
  }

  get childState(): ChildState {
    return this.#child;
  }

  // ── outputs ──────────────────────────────────────────────────────────────────────────────

  /** Drains everything the core wants done, in order. */
  poll(): Output[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }

  nextDeadline(): number | undefined {
    let at = Math.min(
      this.#timers.next() ?? Infinity,
      this.#serverTimers.next() ?? Infinity,
      this.#health.nextDeadline ?? Infinity,
      this.#tasks?.nextDeadline() ?? Infinity,
    );
    if (this.#child === 'down') at = Math.min(at, this.#restartAt);
    if (this.#replay) at = Math.min(at, this.#replay.deadline);
    return at === Infinity ? undefined : at;
  }

  /** Requests in flight in both directions, queued ones included (for tests and the soak run). */
  get inFlight(): number {
    return this.#calls.size + this.#server.size;
  }

  #send(to: Side, msg: JsonObject, origId?: RequestId): void {
    this.#out.push(origId === undefined ? { type: 'send', to, msg } : { type: 'send', to, msg, origId });
  }

  #log(level: LogLevel, msg: string, fields?: JsonObject): void {
    this.#out.push(fields ? { type: 'log', level, msg, fields } : { type: 'log', level, msg });
  }

  // ── from the client ──────────────────────────────────────────────────────────────────────

  handleClient(frame: Frame, now: number): void {
    switch (frame.kind) {
      case 'unparsable':
        return this.#refuseClientLine(frame.problem, frame.detail, frame.preview);
      case 'invalid':
        this.#log('warn', 'invalid message from client', { reason: frame.reason });
        return this.#send('client', errorResponse(frame.id, ERR.invalidRequest, `Invalid Request: ${frame.reason}`));
      case 'request':
        return this.#clientRequest(frame.id, frame.method, frame.msg, now);
      case 'notification':
        return this.#clientNotification(frame.method, frame.msg, now);
      case 'response':
        return this.#clientResponse(frame.id, frame.msg);
    }
  }

  #refuseClientLine(problem: 'json' | 'batch' | 'oversize', detail: string, preview?: string): void {
    this.#log('warn', 'unusable line from client', { problem, detail, line: preview });
    if (problem === 'json') {
      this.#send('client', errorResponse(null, ERR.parse, `Parse error: ${detail}`));
    } else if (problem === 'batch') {
      this.#send(
        'client',
        errorResponse(null, ERR.invalidRequest, 'Invalid Request: JSON-RPC batches are not supported (removed from MCP in 2025-06-18); send one message per line'),
      );
    } else {
      this.#send('client', errorResponse(null, ERR.invalidRequest, `Invalid Request: ${detail}`));
    }
  }

  #clientRequest(id: RequestId, method: string, msg: JsonObject, now: number): void {
    if (this.#tasks && method.startsWith('tasks/') && this.#taskRequest(id, method, paramsOf(msg), now)) return;
    if (this.#child === 'gone') {
      this.#send('client', errorResponse(id, ERR.serverExited, this.#goneText));
      return;
    }
    const params = paramsOf(msg);
    const tool = method === 'tools/call' && typeof params?.name === 'string' ? params.name : undefined;
    if (method === 'initialize') this.initializeRequest = msg;
    const rule = this.#resolve(method, tool, 'client');
    const clientToken = progressTokenOf(params);
    const asTask = this.#tasks !== undefined && tool !== undefined && isObject(params?.task);
    const task = asTask ? this.#tasks!.create(now, (params!.task as JsonObject).ttl) : undefined;
    if (asTask && !task) {
      this.#send('client', errorResponse(id, ERR.serverExited, 'mcp-leash keeps too many working tasks; wait for some to finish or cancel them'));
      return;
    }
    // The child knows nothing of tasks: it gets the plain call, without params.task.
    const sent = task ? { ...msg, params: withoutKey(params!, 'task') } : msg;
    const call = this.#calls.add({ clientId: id, method, tool, msg: sent, rule, receivedAt: now });
    if (clientToken !== undefined) {
      call.clientToken = clientToken;
      call.progress = newProgress(clientToken, now);
    }
    if (task) {
      task.callKey = call.key;
      call.taskId = task.taskId;
      // The client's request is answered now; a later request may reuse its id.
      this.#calls.forgetClientId(call);
      this.#send('client', { jsonrpc: '2.0', id, result: { task: this.#tasks!.view(task) } });
      this.#log('info', 'task created', { taskId: task.taskId, tool, ttl: task.ttl });
    }
    // initialize and ping must never wait behind tool calls (CONTRACT §7).
    const bypass = method === 'initialize' || method === 'ping';
    if (bypass) call.unslotted = true;
    if (this.#child === 'up' && (bypass || this.#calls.hasSlotFor(call))) this.#dispatch(call, now);
    else this.#calls.enqueue(call);
    this.#arm(call);
  }

  #clientNotification(method: string, msg: JsonObject, now: number): void {
    if (method === 'notifications/cancelled') return this.#clientCancel(msg, now);
    if (method === 'notifications/initialized') this.initializedNotification = msg;
    if (this.#child !== 'up') {
      this.#log('debug', 'client notification dropped: the server is not running', { method });
      return;
    }
    // Client progress answers a child's request: its token is the child's own, so it passes as is.
    this.#send('child', msg);
  }

  #clientCancel(msg: JsonObject, now: number): void {
    const params = paramsOf(msg);
    const requestId = params?.requestId;
    const call = typeof requestId === 'string' || typeof requestId === 'number' ? this.#calls.findByClientId(requestId) : undefined;
    if (!call && (typeof requestId === 'string' || typeof requestId === 'number') && this.#dropTaskWaiter(requestId)) return;
    if (!call) {
      this.#log('debug', 'cancellation for an unknown or finished request ignored', { requestId: requestId as RequestId });
      return;
    }
    if (call.method === 'initialize') {
      this.#log('warn', 'client tried to cancel initialize; dropped (initialize must not be cancelled)', { requestId: call.clientId });
      return;
    }
    this.#log('info', 'request cancelled by client', { method: call.method, tool: call.tool, state: call.state, elapsedMs: Math.round(now - call.receivedAt) });
    if (call.state === 'running') {
      this.#send('child', { ...msg, params: { ...params, requestId: call.key } }, call.clientId);
    }
    this.#finish(call, now);
  }

  #clientResponse(id: RequestId, msg: JsonObject): void {
    const sc = typeof id === 'number' ? this.#server.take(id) : undefined;
    if (!sc) {
      const level = typeof id === 'number' && this.#server.wasRecent(id) ? 'debug' : 'warn';
      this.#log(level, 'client answered a request that is not in flight; dropped', { id });
      return;
    }
    this.#serverTimers.disarm(sc.key);
    if (this.#child !== 'up') return;
    this.#send('child', withId(msg, sc.childId), id);
  }

  // ── from the child ───────────────────────────────────────────────────────────────────────

  handleChild(frame: Frame, now: number): void {
    switch (frame.kind) {
      case 'unparsable':
        this.#log('warn', 'child wrote a line that is not a JSON-RPC message to stdout; not forwarded', {
          problem: frame.problem,
          detail: frame.detail,
          line: frame.preview,
        });
        return;
      case 'invalid':
        this.#log('warn', 'child wrote an invalid JSON-RPC message; not forwarded', { reason: frame.reason });
        return;
      case 'request':
        return this.#childRequest(frame.id, frame.method, frame.msg, now);
      case 'notification':
        return this.#childNotification(frame.method, frame.msg, now);
      case 'response':
        return this.#childResponse(frame.id, frame.msg, now);
    }
  }

  #childRequest(id: RequestId, method: string, msg: JsonObject, now: number): void {
    const rule = this.#resolve(method, undefined, 'child');
    const sc = this.#server.add(id, method, rule, now);
    if (rule.totalTimeoutMs > 0) this.#serverTimers.arm(sc.key, now + rule.totalTimeoutMs);
    this.#send('client', withId(msg, sc.key), id);
  }

  #childNotification(method: string, msg: JsonObject, now: number): void {
    if (method === 'notifications/progress') return this.#childProgress(msg, now);
    if (method === 'notifications/cancelled') {
      const params = paramsOf(msg);
      const childId = params?.requestId;
      const sc = typeof childId === 'string' || typeof childId === 'number' ? this.#server.takeByChildId(childId) : undefined;
      if (!sc) {
        this.#log('debug', 'child cancelled a request that is not in flight; ignored', { requestId: childId as RequestId });
        return;
      }
      this.#serverTimers.disarm(sc.key);
      this.#log('info', 'server-to-client request cancelled by child', { method: sc.method });
      this.#send('client', { ...msg, params: { ...params, requestId: sc.key } }, sc.childId);
      return;
    }
    this.#send('client', msg);
  }

  #childProgress(msg: JsonObject, now: number): void {
    const params = paramsOf(msg);
    const token = params?.progressToken;
    const call = typeof token === 'number' ? this.#calls.get(token) : undefined;
    if (!call || call.state !== 'running' || call.childToken !== token || !params) {
      this.#log('debug', 'progress for an unknown or finished request dropped', { progressToken: token as RequestId });
      return;
    }
    call.lastChildProgressAt = now;
    const p = call.progress;
    if (p) {
      const due = p.lastSentAt + this.policy.progressIntervalMs;
      if (p.sent === undefined || now >= due) this.#forwardProgress(call, params, now);
      else p.pending = params;
    }
    this.#arm(call);
  }

  #forwardProgress(call: ClientCall, childParams: JsonObject, now: number): void {
    const p = call.progress!;
    p.pending = undefined;
    const out = shapeChildProgress(p, childParams);
    if (!out) return;
    markSent(p, out, now);
    this.#send('client', notification('notifications/progress', withTaskMeta(call, out)));
  }

  #childResponse(id: RequestId, msg: JsonObject, now: number): void {
    if (typeof id === 'string' && id.startsWith(OWN_ID_PREFIX)) return this.#ownResponse(id, msg, now);
    const call = typeof id === 'number' ? this.#calls.get(id) : undefined;
    if (!call || call.state !== 'running') {
      const level = typeof id === 'number' && this.#calls.wasRecent(id) ? 'debug' : 'warn';
      this.#log(level, 'child answered a request that is not in flight; dropped', { id });
      return;
    }
    // The newest progress held back by the throttle goes out before the answer, never after.
    if (call.progress?.pending) this.#forwardProgress(call, call.progress.pending, now);
    let answer = msg;
    if (call.method === 'initialize' && isObject(msg.result)) {
      this.initializeResult = msg.result;
      this.#health.start(now);
      answer = this.#maybeOfferTasks(msg, msg.result);
    }
    if (call.method === 'tools/list') {
      this.#rememberTools(call, msg);
      if (this.#tasks) answer = markToolsTaskOptional(msg);
    }
    this.#answer(call, answer, now);
    this.#finish(call, now);
  }

  /** The one way a client request gets its answer: to the client, or into its task. */
  #answer(call: ClientCall, response: JsonObject, now: number): void {
    if (call.taskId === undefined) {
      this.#send('client', withId(response, call.clientId), call.key);
      return;
    }
    const task = this.#tasks?.get(call.taskId);
    if (!task) return;
    const result = response.result;
    const error = response.error;
    let status: TaskStatus = 'completed';
    let message: string | undefined;
    if (isObject(error)) {
      status = 'failed';
      message = typeof error.message === 'string' ? error.message : 'the call failed';
    } else if (isObject(result) && result.isError === true) {
      status = 'failed';
      message = firstText(result) ?? 'the tool reported an error';
    }
    const outcome = isObject(error) ? { error } : { result: isObject(result) ? result : {} };
    this.#endTask(task, status, outcome, message, now);
  }

  #endTask(task: TaskRecord, status: TaskStatus, outcome: TaskRecord['outcome'], message: string | undefined, now: number): void {
    if (!this.#tasks?.finish(task, status, outcome, message, now)) return;
    this.#log('info', 'task ended', { taskId: task.taskId, status });
    this.#send('client', notification('notifications/tasks/status', this.#tasks.view(task)));
    for (const waiter of task.waiters.splice(0)) this.#sendTaskResult(waiter, task);
  }

  #sendTaskResult(id: RequestId, task: TaskRecord): void {
    const o = task.outcome;
    if (o && 'result' in o) {
      const meta = isObject(o.result._meta) ? o.result._meta : {};
      this.#send('client', { jsonrpc: '2.0', id, result: { ...o.result, _meta: { ...meta, [RELATED_TASK]: { taskId: task.taskId } } } });
    } else {
      this.#send('client', { jsonrpc: '2.0', id, error: o?.error ?? { code: ERR.serverExited, message: 'Task ended without a result' } });
    }
  }

  /** tasks/get, tasks/result, tasks/list, tasks/cancel, answered by mcp-leash. False = not ours. */
  #taskRequest(id: RequestId, method: string, params: JsonObject | undefined, now: number): boolean {
    const store = this.#tasks!;
    const bad = (message: string): void => this.#send('client', errorResponse(id, ERR.invalidParams, message));
    if (method === 'tasks/list') {
      const page = store.list(params?.cursor);
      if (!page) bad('Invalid cursor for tasks/list');
      else this.#send('client', { jsonrpc: '2.0', id, result: page });
      return true;
    }
    if (method !== 'tasks/get' && method !== 'tasks/result' && method !== 'tasks/cancel') return false;
    const task = store.get(params?.taskId);
    if (!task) {
      bad(`Failed to retrieve task: Task not found (${JSON.stringify(params?.taskId ?? null)})`);
      return true;
    }
    if (method === 'tasks/get') {
      this.#send('client', { jsonrpc: '2.0', id, result: store.view(task) });
    } else if (method === 'tasks/result') {
      if (isTerminal(task.status)) this.#sendTaskResult(id, task);
      else task.waiters.push(id);
    } else if (isTerminal(task.status)) {
      bad(`Cannot cancel task ${task.taskId}: it is already ${task.status}`);
    } else {
      const call = task.callKey === undefined ? undefined : this.#calls.get(task.callKey);
      if (call) {
        if (call.state === 'running') {
          this.#send('child', notification('notifications/cancelled', { requestId: call.key, reason: 'task cancelled by the client' }));
        }
        this.#finish(call, now);
      }
      this.#endTask(task, 'cancelled', { error: { code: ERR.serverExited, message: 'Task was cancelled' } }, 'The task was cancelled by request.', now);
      this.#send('client', { jsonrpc: '2.0', id, result: store.view(task) });
    }
    return true;
  }

  #dropTaskWaiter(requestId: RequestId): boolean {
    if (!this.#tasks) return false;
    for (const t of this.#tasks.waiting()) {
      const i = t.waiters.indexOf(requestId);
      if (i >= 0) {
        t.waiters.splice(i, 1);
        this.#log('debug', 'client cancelled its tasks/result wait', { taskId: t.taskId });
        return true;
      }
    }
    return false;
  }

  /** With tasks "auto" and a child that has none, mcp-leash offers them itself. */
  #maybeOfferTasks(msg: JsonObject, result: JsonObject): JsonObject {
    if (this.policy.tasks !== 'auto' || this.#tasks) return msg;
    const caps = isObject(result.capabilities) ? result.capabilities : {};
    if (caps.tasks !== undefined) return msg; // the child does tasks itself: pass everything through
    const offset = this.#opts.epochOffsetMs ?? 0;
    this.#tasks = new TaskStore({
      defaultTtlMs: 300_000,
      maxTtlMs: 3_600_000,
      pollIntervalMs: 1000,
      maxTasks: 1000,
      epochAt: (t) => offset + t,
      idPrefix: this.#opts.taskIdPrefix ?? `leash-${Math.random().toString(36).slice(2, 10)}-`,
    });
    this.#log('info', 'offering tasks to the client on behalf of the server');
    return { ...msg, result: { ...result, capabilities: { ...caps, tasks: TASK_CAPABILITY } } };
  }

  // ── the child's life ─────────────────────────────────────────────────────────────────────

  /** The shell started a child the session asked for (after a 'spawn' output). */
  handleChildStarted(now: number): void {
    if (this.#child !== 'spawning') return;
    if (!this.initializeRequest) return this.#becomeUp(now);
    // Replay the client's own initialize, under an id of ours so the answer stays here.
    const id = this.#ownId('init');
    this.#replay = { id, deadline: now + this.policy.startupTimeoutMs };
    this.#child = 'replaying';
    this.#log('info', 'replaying the client\'s initialize to the restarted server');
    this.#send('child', withId(this.initializeRequest, id));
  }

  handleChildExit(exit: ChildExit, now: number): void {
    if (this.#child === 'gone' || this.#child === 'down') return;
    this.#health.stop();
    this.#replay = undefined;
    const text = childExitText(exit.code, exit.signal, exit.stderrTail);
    const data = { exitCode: exit.code, signal: exit.signal, stderr: exit.stderrTail };
    const decision = this.#restarts.enabled ? this.#restarts.onFailure(now) : undefined;
    const restarting = decision?.action === 'restart';
    this.#child = restarting ? 'down' : 'gone';
    // Requests the child had are lost with it; queued ones may wait for the next child.
    const failed = this.#calls.all().filter((c) => c.state === 'running' || !restarting);
    for (const call of failed) {
      this.#answer(call, errorResponse(call.clientId, ERR.serverExited, text, data), now);
      this.#finish(call, now);
    }
    // The child's own open requests (sampling, elicitation) die with it: tell the client to stop.
    for (const sc of this.#server.clear()) {
      this.#serverTimers.disarm(sc.key);
      this.#send('client', notification('notifications/cancelled', { requestId: sc.key, reason: 'the MCP server exited' }), sc.childId);
    }
    this.#log(exit.code === 0 && !restarting ? 'info' : 'warn', 'child exited', { ...data, failedRequests: failed.length });
    if (decision?.action === 'restart') {
      this.#restartAt = now + decision.delayMs;
      this.#log('warn', 'restarting the server', { inMs: decision.delayMs, attempt: decision.attempt, maxRestarts: this.policy.restart.maxRestarts });
      return;
    }
    const code = exit.code ?? 128 + (exit.signalNumber ?? 0);
    if (decision?.action === 'give-up') {
      this.#goneText = giveUpText(decision.restarts, this.policy.restart.windowMs, text);
      this.#log('warn', 'giving up on the server: too many restarts', { restarts: decision.restarts, windowMs: this.policy.restart.windowMs });
      if (this.policy.restart.onGiveUp === 'error') return;
    }
    this.#out.push({ type: 'stop', code, reason: 'child exited' });
  }

  #becomeUp(now: number): void {
    this.#child = 'up';
    this.#replay = undefined;
    if (this.initializeResult) this.#health.start(now);
    for (const next of this.#calls.takeRunnable()) {
      this.#dispatch(next, now);
      this.#arm(next);
    }
  }

  #ownId(kind: string): string {
    return `${OWN_ID_PREFIX}${kind}:${++this.#ownSeq}`;
  }

  /** Answers to mcp-leash's own requests (health pings, replayed initialize, tool check). */
  #ownResponse(id: string, msg: JsonObject, now: number): void {
    if (this.#health.answered(id)) return;
    if (this.#replay && id === this.#replay.id) {
      if (!isObject(msg.result)) {
        this.#log('warn', 'the restarted server refused the replayed initialize; stopping it', { error: msg.error as JsonObject });
        this.#out.push({ type: 'kill', reason: 'replayed initialize failed' });
        return;
      }
      this.#compareCapabilities(msg.result);
      if (this.initializedNotification) this.#send('child', this.initializedNotification);
      this.#becomeUp(now);
      this.#log('warn', 'server restarted; the client\'s session goes on');
      if (this.#lastTools !== undefined) {
        this.#toolsCheckId = this.#ownId('tools');
        this.#send('child', { jsonrpc: '2.0', id: this.#toolsCheckId, method: 'tools/list', params: {} });
      }
      return;
    }
    if (id === this.#toolsCheckId) {
      this.#toolsCheckId = undefined;
      const result = msg.result;
      const tools = isObject(result) ? JSON.stringify(result.tools) : undefined;
      if (tools !== undefined && tools !== this.#lastTools) this.#listChanged('tools');
      return;
    }
    this.#log('debug', 'late answer to one of mcp-leash\'s own requests dropped', { id });
  }

  #rememberTools(call: ClientCall, msg: JsonObject): void {
    // Only a first page is comparable; paginated lists are not tracked.
    if (call.hadCursor || !isObject(msg.result)) return;
    this.#lastTools = JSON.stringify(msg.result.tools);
  }

  #compareCapabilities(result: JsonObject): void {
    const before = this.initializeResult?.capabilities;
    const after = result.capabilities;
    if (JSON.stringify(before) === JSON.stringify(after)) return;
    this.#log('warn', 'the restarted server declares other capabilities than the client was told; the client keeps the old ones', {
      before: before as JsonObject,
      after: after as JsonObject,
    });
    for (const kind of ['prompts', 'resources'] as const) {
      if (isObject(before) && isObject(after) && JSON.stringify(before[kind]) !== JSON.stringify(after[kind])) this.#listChanged(kind);
    }
  }

  /** Tells the client a list changed, when the capabilities it was given say it listens. */
  #listChanged(kind: 'tools' | 'prompts' | 'resources'): void {
    const caps = this.initializeResult?.capabilities;
    const cap = isObject(caps) ? caps[kind] : undefined;
    if (isObject(cap) && cap.listChanged === true) {
      this.#log('info', `the restarted server's ${kind} differ; telling the client`);
      this.#send('client', notification(`notifications/${kind}/list_changed`, {}));
    } else {
      this.#log('warn', `the restarted server's ${kind} differ, but the client was not told it may change (no listChanged capability)`);
    }
  }

  // ── time ─────────────────────────────────────────────────────────────────────────────────

  handleTimeout(now: number): void {
    if (this.#child === 'down' && now >= this.#restartAt) {
      this.#child = 'spawning';
      this.#out.push({ type: 'spawn' });
    }
    if (this.#replay && now >= this.#replay.deadline) {
      this.#log('warn', 'the restarted server did not answer the replayed initialize in time; stopping it', { timeoutMs: this.policy.startupTimeoutMs });
      this.#replay = undefined;
      this.#out.push({ type: 'kill', reason: 'replayed initialize timed out' });
    }
    const tick = this.#child === 'up' ? this.#health.tick(now) : undefined;
    if (tick?.action === 'ping') this.#send('child', { jsonrpc: '2.0', id: tick.id, method: 'ping' });
    else if (tick?.action === 'hung') {
      this.#log('warn', 'the server missed its health pings; treating it as hung and killing it', { misses: tick.misses });
      this.#out.push({ type: 'kill', reason: 'health check failed' });
    }
    for (const key of this.#timers.popDue(now)) {
      const call = this.#calls.get(key);
      if (call) this.#wake(call, now);
    }
    this.#tasks?.expire(now);
    for (const key of this.#serverTimers.popDue(now)) {
      const sc = this.#server.get(key);
      if (!sc || now < sc.receivedAt + sc.rule.totalTimeoutMs) continue;
      this.#server.take(key);
      const limit = sc.rule.totalTimeoutMs;
      this.#log('info', 'server-to-client request timed out', { method: sc.method, timeoutMs: limit });
      this.#send('client', notification('notifications/cancelled', { requestId: key, reason: cancelReason('total', limit) }));
      this.#send(
        'child',
        errorResponse(sc.childId, ERR.timedOut, 'Request timed out', { method: sc.method, timeoutMs: limit, elapsedMs: Math.round(now - sc.receivedAt) }),
      );
    }
  }

  #wake(call: ClientCall, now: number): void {
    const { rule } = call;
    if (rule.totalTimeoutMs > 0 && now >= call.receivedAt + rule.totalTimeoutMs) {
      return this.#timeout(call, 'total', rule.totalTimeoutMs, now);
    }
    if (call.state === 'running' && rule.idleTimeoutMs > 0 && now >= call.idleSince() + rule.idleTimeoutMs) {
      return this.#timeout(call, 'idle', rule.idleTimeoutMs, now);
    }
    const p = call.progress;
    const heartbeatDue = p !== undefined && rule.heartbeatMs > 0 && now >= p.lastSentAt + rule.heartbeatMs;
    // Held-back child progress is fresher news than a heartbeat, so it goes first whichever is due.
    if (p?.pending && (heartbeatDue || now >= p.lastSentAt + this.policy.progressIntervalMs)) this.#forwardProgress(call, p.pending, now);
    else if (p && heartbeatDue) {
      const queue = call.state === 'queued' ? { position: this.#calls.queuePosition(call) } : undefined;
      const lastAgo = call.lastChildProgressAt === undefined ? undefined : now - call.lastChildProgressAt;
      const params = heartbeatParams(p, heartbeatText(call.method, call.tool, now - call.receivedAt, queue, lastAgo));
      if (params) {
        markSent(p, params, now);
        this.#send('client', notification('notifications/progress', withTaskMeta(call, params)));
      } else {
        p.lastSentAt = now; // no room under the total: stay quiet rather than wake again at once
      }
    }
    this.#arm(call);
  }

  #timeout(call: ClientCall, kind: TimeoutKind, limitMs: number, now: number): void {
    const elapsedMs = Math.round(now - call.receivedAt);
    this.#log('info', 'request timed out', { method: call.method, tool: call.tool, kind, timeoutMs: limitMs, elapsedMs, state: call.state });
    if (call.state === 'running') {
      this.#send('child', notification('notifications/cancelled', { requestId: call.key, reason: cancelReason(kind, limitMs) }));
    }
    if (call.method === 'tools/call' && call.tool !== undefined && call.rule.onTimeout === 'result') {
      const text = toolTimeoutText(call.tool, kind, limitMs, elapsedMs);
      this.#answer(call, { jsonrpc: '2.0', id: call.clientId, result: { content: [{ type: 'text', text }], isError: true } }, now);
    } else {
      const data: JsonObject = { method: call.method, timeoutMs: limitMs, elapsedMs, kind };
      if (call.tool !== undefined) data.tool = call.tool;
      this.#answer(call, errorResponse(call.clientId, ERR.timedOut, `Request timed out (${kind} limit ${formatMs(limitMs)})`, data), now);
    }
    const wasInitialize = call.method === 'initialize';
    this.#finish(call, now);
    if (wasInitialize) {
      this.#log('error', 'the server did not answer initialize in time; stopping it', { timeoutMs: limitMs });
      this.#out.push({ type: 'stop', code: 1, reason: 'startup timeout' });
    }
  }

  // ── bookkeeping ──────────────────────────────────────────────────────────────────────────

  #dispatch(call: ClientCall, now: number): void {
    this.#calls.start(call, now);
    // The child gets a token of ours when the client asked for progress, or when an idle timeout
    // needs the child's progress to know it is alive.
    const wantsToken = call.clientToken !== undefined || (call.rule.idleTimeoutMs > 0 && call.method !== 'initialize');
    if (wantsToken) call.childToken = call.key;
    const msg = call.msg;
    if (msg === undefined) return; // dispatched once already; cannot happen, but never send twice
    this.#send('child', withIdAndToken(msg, call.key, call.childToken), call.clientId);
    call.msg = undefined; // not needed once sent; keeps memory per request small
  }

  #finish(call: ClientCall, now: number): void {
    this.#timers.disarm(call.key);
    const freed = this.#calls.remove(call);
    if (!freed || this.#child !== 'up') return;
    for (const next of this.#calls.takeRunnable()) {
      this.#dispatch(next, now);
      this.#arm(next);
    }
  }

  /** Arms the call's wake-up at its earliest deadline. */
  #arm(call: ClientCall): void {
    const { rule } = call;
    let at = Infinity;
    if (rule.totalTimeoutMs > 0) at = call.receivedAt + rule.totalTimeoutMs;
    if (call.state === 'running' && rule.idleTimeoutMs > 0) at = Math.min(at, call.idleSince() + rule.idleTimeoutMs);
    const p = call.progress;
    if (p) {
      if (rule.heartbeatMs > 0) at = Math.min(at, p.lastSentAt + rule.heartbeatMs);
      if (p.pending) at = Math.min(at, p.lastSentAt + this.policy.progressIntervalMs);
    }
    if (at !== Infinity) this.#timers.arm(call.key, at);
  }
}
