// Tasks on behalf of a legacy child (MCP 2025-11-25, basic/utilities/tasks). With tasks "auto"
// and a child whose initialize answer declares no tasks, mcp-leash becomes the task receiver:
// it offers the capability, answers task-augmented tools/call at once, runs the plain call
// downstream under the usual policy, and keeps the outcome for tasks/result. When the child
// declares tasks itself, nothing here is switched on and every tasks/* message passes through.

import type { ClientCall } from './client-calls.js';
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
      idPrefix: this.#opts.idPrefix ?? `leash-${Math.random().toString(36).slice(2, 10)}-`,
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
    if (!task) this.#out.send('client', errorResponse(id, ERR.serverExited, 'mcp-leash keeps too many working tasks; wait for some to finish or cancel them'));
    return task;
  }

  /** Links the task to the call that runs it and answers the client's request with the handle. */
  start(task: TaskRecord, call: ClientCall, id: RequestId): void {
    task.callKey = call.key;
    call.taskId = task.taskId;
    this.#out.send('client', { jsonrpc: '2.0', id, result: { task: this.#store!.view(task) } });
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

  /** tasks/get, tasks/result, tasks/list, tasks/cancel. */
  handle(id: RequestId, method: string, params: JsonObject | undefined, now: number): void {
    const store = this.#store!;
    const bad = (message: string): void => this.#out.send('client', errorResponse(id, ERR.invalidParams, message));
    if (method === 'tasks/list') {
      const page = store.list(params?.cursor);
      if (!page) bad('Invalid cursor for tasks/list');
      else this.#out.send('client', { jsonrpc: '2.0', id, result: page });
      return;
    }
    const task = store.get(params?.taskId);
    if (!task) return bad(`Failed to retrieve task: Task not found (${JSON.stringify(params?.taskId ?? null)})`);
    if (method === 'tasks/get') {
      this.#out.send('client', { jsonrpc: '2.0', id, result: store.view(task) });
    } else if (method === 'tasks/result') {
      if (isTerminal(task.status)) this.#sendResult(id, task);
      else task.waiters.push(id);
    } else if (isTerminal(task.status)) {
      bad(`Cannot cancel task ${task.taskId}: it is already ${task.status}`);
    } else {
      if (task.callKey !== undefined) this.#opts.cancelCall(task.callKey, now);
      // Spec: the task is cancelled before the answer goes out.
      this.#end(task, 'cancelled', { error: { code: ERR.serverExited, message: 'Task was cancelled' } }, 'The task was cancelled by request.', now);
      this.#out.send('client', { jsonrpc: '2.0', id, result: store.view(task) });
    }
  }

  /** The client cancelled a tasks/result it was waiting on; true when that id was one. */
  dropWaiter(requestId: RequestId): boolean {
    if (!this.#store) return false;
    for (const t of this.#store.waiting()) {
      const i = t.waiters.indexOf(requestId);
      if (i >= 0) {
        t.waiters.splice(i, 1);
        this.#out.log('debug', 'client cancelled its tasks/result wait', { taskId: t.taskId });
        return true;
      }
    }
    return false;
  }

  #end(task: TaskRecord, status: TaskStatus, outcome: TaskRecord['outcome'], message: string | undefined, now: number): void {
    const store = this.#store!;
    if (!store.finish(task, status, outcome, message, now)) return;
    this.#out.log('info', 'task ended', { taskId: task.taskId, status });
    this.#out.send('client', notification('notifications/tasks/status', store.view(task)));
    for (const waiter of task.waiters.splice(0)) this.#sendResult(waiter, task);
  }

  /** Exactly what the plain call returned, with the related-task _meta the spec requires. */
  #sendResult(id: RequestId, task: TaskRecord): void {
    const o = task.outcome;
    if (o && 'result' in o) {
      const meta = isObject(o.result._meta) ? o.result._meta : {};
      this.#out.send('client', { jsonrpc: '2.0', id, result: { ...o.result, _meta: { ...meta, [RELATED_TASK]: { taskId: task.taskId } } } });
    } else {
      this.#out.send('client', { jsonrpc: '2.0', id, error: o?.error ?? { code: ERR.serverExited, message: 'Task ended without a result' } });
    }
  }
}

function firstText(result: JsonObject): string | undefined {
  const content = result.content;
  if (!Array.isArray(content)) return undefined;
  const first = content.find((c: unknown) => isObject(c) && c.type === 'text' && typeof c.text === 'string') as JsonObject | undefined;
  return first?.text as string | undefined;
}
