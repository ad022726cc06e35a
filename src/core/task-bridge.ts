// Tasks on behalf of a legacy child (MCP 2025-11-25, basic/utilities/tasks). With tasks "auto"
// and a child whose initialize answer declares no tasks, mcp-leash becomes the task receiver:
// it offers the capability, answers task-augmented tools/call at once, runs the plain call
// downstream under the usual policy, and keeps the outcome for tasks/result. When the child
// declares tasks itself, nothing here is switched on and every tasks/* message passes through.

import type { ClientCall } from './call-life.js';
import { resultResponse } from './era.js';
import type { Outcome } from './events.js';
import { ERR } from './errors.js';
import { errorResponse, isObject, notification, type JsonObject, type RequestId } from './message.js';
import type { Outbox } from './outbox.js';
import { isTerminal, RELATED_TASK, TaskStore, type TaskRecord, type TaskStatus } from './tasks.js';

/** What mcp-leash adds to a task-less child's capabilities. */
const TASK_CAPABILITY = { list: {}, cancel: {}, requests: { tools: { call: {} } } };
const TASK_METHODS = new Set(['tasks/get', 'tasks/result', 'tasks/list', 'tasks/cancel']);

export interface TaskBridgeOptions {
  mode: 'off' | 'auto';
  /** Epoch ms at monotonic time 0, for the ISO timestamps tasks carry. */
  epochOffsetMs: number;
  /** Prefix of task ids; random in the shell, fixed in tests. */
  idPrefix: string | undefined;
  /** The next l<n> id for a call mcp-leash answers itself (shared with jobs). */
  ownCall(): string;
  /** Stops the call behind a cancelled task (notifies the child when it runs, frees its slot). */
  cancelCall(key: number, now: number): void;
}

export class TaskBridge {
  #out: Outbox;
  #opts: TaskBridgeOptions;
  #store: TaskStore | undefined;

  constructor(out: Outbox, opts: TaskBridgeOptions) {
    this.#out = out;
    this.#opts = opts;
  }

  /** True once mcp-leash runs tasks for this child. */
  get active(): boolean {
    return this.#store !== undefined;
  }

  nextDeadline(): number | undefined {
    return this.#store?.nextDeadline();
  }

  expire(now: number): void {
    this.#store?.expire(now);
  }

  /** The child's initialize answer, possibly with the tasks capability added for the client. */
  offer(msg: JsonObject, result: JsonObject): JsonObject {
    if (this.#opts.mode !== 'auto' || this.#store) return msg;
    const caps = isObject(result.capabilities) ? result.capabilities : {};
    if (caps.tasks !== undefined) return msg; // the child does tasks itself
    const offset = this.#opts.epochOffsetMs;
    this.#store = new TaskStore({
      defaultTtlMs: 300_000,
      maxTtlMs: 3_600_000,
      pollIntervalMs: 1000,
      maxTasks: 1000,
      epochAt: (t) => offset + t,
      // The shell passes a random prefix; the core has no randomness of its own.
      idPrefix: this.#opts.idPrefix ?? 'leash-',
    });
    this.#out.log('info', 'offering tasks to the client on behalf of the server');
    return { ...msg, result: { ...result, capabilities: { ...caps, tasks: TASK_CAPABILITY } } };
  }

  /** tools/list answers, with every tool that says nothing about tasks marked "optional". */
  markTools(msg: JsonObject): JsonObject {
    const result = msg.result;
    if (!this.#store || !isObject(result) || !Array.isArray(result.tools)) return msg;
    const tools = result.tools.map((t: unknown) => {
      if (!isObject(t)) return t;
      const execution = isObject(t.execution) ? t.execution : {};
      return execution.taskSupport !== undefined ? t : { ...t, execution: { ...execution, taskSupport: 'optional' } };
    });
    return { ...msg, result: { ...result, tools } };
  }

  /** Whether a client request is a tasks/* request mcp-leash answers itself. */
  owns(method: string): boolean {
    return this.#store !== undefined && TASK_METHODS.has(method);
  }

  /** Whether a tools/call asks to run as a task (and mcp-leash runs tasks). */
  wants(params: JsonObject | undefined): boolean {
    return this.#store !== undefined && isObject(params?.task);
  }

  /** A new working task for a call, or undefined (and the client answered) when too many work. */
  create(id: RequestId, params: JsonObject, now: number): TaskRecord | undefined {
    const task = this.#store!.create(now, (params.task as JsonObject).ttl);
    if (!task) {
      const call = this.#opts.ownCall();
      if (this.#out.events) this.#out.event({ type: 'call-opened', call, from: 'client', method: 'tools/call', tool: typeof params.name === 'string' ? params.name : undefined, id, at: now });
      this.#reply(call, errorResponse(id, ERR.serverExited, 'mcp-leash keeps too many working tasks; wait for some to finish or cancel them'), 'error', now, now);
    }
    return task;
  }

  /** Links the task to the call that runs it and answers the client's request with the handle. */
  start(task: TaskRecord, call: ClientCall, id: RequestId): void {
    task.callKey = call.key;
    this.#out.send('client', resultResponse(id, { task: this.#store!.view(task) }, call.modern), call.id);
    this.#out.log('info', 'task created', { taskId: task.taskId, tool: call.tool, ttl: task.ttl });
  }

  /** The call behind a task got its answer (from the child, a timeout or a child exit). */
  complete(call: ClientCall, response: JsonObject, now: number): void {
    const task = this.#store?.get(call.taskId);
    if (!task) return;
    const { result, error } = response;
    let status: TaskStatus = 'completed';
    let message: string | undefined;
    if (isObject(error)) {
      status = 'failed';
      message = typeof error.message === 'string' ? error.message : 'the call failed';
    } else if (isObject(result) && result.isError === true) {
      // Spec: for tool calls, failed includes a result with isError set.
      status = 'failed';
      message = firstText(result) ?? 'the tool reported an error';
    }
    this.#end(task, status, isObject(error) ? { error } : { result: isObject(result) ? result : {} }, message, now);
  }

  /** Progress for a task's call carries the related-task _meta. */
  withMeta(call: ClientCall, params: JsonObject): JsonObject {
    if (call.taskId === undefined) return params;
    const meta = isObject(params._meta) ? params._meta : {};
    return { ...params, _meta: { ...meta, [RELATED_TASK]: { taskId: call.taskId } } };
  }

  /**
   * tasks/get, tasks/result, tasks/list, tasks/cancel: each is a call mcp-leash answers itself
   * (`l<n>`). `modern`: the request was 2026-era, so the results written here carry resultType.
   */
  handle(id: RequestId, method: string, params: JsonObject | undefined, now: number, modern = false): void {
    const store = this.#store!;
    const call = this.#opts.ownCall();
    if (this.#out.events) this.#out.event({ type: 'call-opened', call, from: 'client', method, id, at: now });
    const reply = (msg: JsonObject, outcome: Outcome): void => this.#reply(call, msg, outcome, now, now);
    const bad = (message: string): void => reply(errorResponse(id, ERR.invalidParams, message), 'error');
    if (method === 'tasks/list') {
      const page = store.list(params?.cursor);
      if (!page) bad('Invalid cursor for tasks/list');
      else reply(resultResponse(id, page, modern), 'ok');
      return;
    }
    const task = store.get(params?.taskId);
    if (!task) return bad(`Failed to retrieve task: Task not found (${JSON.stringify(params?.taskId ?? null)})`);
    if (method === 'tasks/get') {
      reply(resultResponse(id, store.view(task), modern), 'ok');
    } else if (method === 'tasks/result') {
      if (isTerminal(task.status)) this.#sendResult({ id, call, at: now, modern }, task, now);
      else task.waiters.push({ id, call, at: now, modern });
    } else if (isTerminal(task.status)) {
      bad(`Cannot cancel task ${task.taskId}: it is already ${task.status}`);
    } else {
      if (task.callKey !== undefined) this.#opts.cancelCall(task.callKey, now);
      // Spec: the task is cancelled before the answer goes out.
      this.#end(task, 'cancelled', { error: { code: ERR.serverExited, message: 'Task was cancelled' } }, 'The task was cancelled by request.', now);
      reply(resultResponse(id, store.view(task), modern), 'ok');
    }
  }

  #reply(call: string, msg: JsonObject, outcome: Outcome, openedAt: number, now: number): void {
    this.#out.send('client', msg, call);
    if (!this.#out.events) return;
    const e = msg.error;
    const errorCode = isObject(e) && typeof e.code === 'number' ? { errorCode: e.code } : {};
    this.#out.event({ type: 'call-ended', call, outcome, by: 'leash', ms: now - openedAt, at: now, phase: 'running', ...errorCode });
  }

  /** The client cancelled a tasks/result it was waiting on; true when that id was one. */
  dropWaiter(requestId: RequestId, now: number): boolean {
    if (!this.#store) return false;
    for (const t of this.#store.waiting()) {
      const i = t.waiters.findIndex((w) => w.id === requestId);
      if (i >= 0) {
        const [w] = t.waiters.splice(i, 1);
        this.#out.log('debug', 'client cancelled its tasks/result wait', { taskId: t.taskId });
        if (this.#out.events) this.#out.event({ type: 'call-ended', call: w!.call, outcome: 'cancelled', by: 'requester', cancelledBy: 'client', ms: now - w!.at, at: now, phase: 'running' });
        return true;
      }
    }
    return false;
  }

  #end(task: TaskRecord, status: TaskStatus, outcome: TaskRecord['outcome'], message: string | undefined, now: number): void {
    const store = this.#store!;
    if (!store.finish(task, status, outcome, message, now)) return;
    this.#out.log('info', 'task ended', { taskId: task.taskId, status });
    if (this.#out.events) this.#out.event({ type: 'task', taskId: task.taskId, status, at: now });
    this.#out.send('client', notification('notifications/tasks/status', store.view(task)));
    for (const waiter of task.waiters.splice(0)) this.#sendResult(waiter, task, now);
  }

  /** Exactly what the plain call returned, with the related-task _meta the spec requires. */
  #sendResult(w: TaskRecord['waiters'][number], task: TaskRecord, now: number): void {
    const o = task.outcome;
    const id = w.id;
    if (o && 'result' in o) {
      const meta = isObject(o.result._meta) ? o.result._meta : {};
      const outcome = o.result.isError === true ? 'tool-error' : 'ok';
      this.#reply(w.call, resultResponse(id, { ...o.result, _meta: { ...meta, [RELATED_TASK]: { taskId: task.taskId } } }, w.modern === true), outcome, w.at, now);
    } else {
      this.#reply(w.call, { jsonrpc: '2.0', id, error: o?.error ?? { code: ERR.serverExited, message: 'Task ended without a result' } }, 'error', w.at, now);
    }
  }
}

function firstText(result: JsonObject): string | undefined {
  const content = result.content;
  if (!Array.isArray(content)) return undefined;
  const first = content.find((c: unknown) => isObject(c) && c.type === 'text' && typeof c.text === 'string') as JsonObject | undefined;
  return first?.text as string | undefined;
}
