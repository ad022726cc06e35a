// Tasks for legacy servers (MCP 2025-11-25, basic/utilities/tasks): mcp-leash is the task
// receiver, the child just runs a plain call. This file is the task table: ids, states, stored
// results, ttl expiry and the bound on how many are kept. The session wires it to calls.
//
// Lifetime: a task is kept while it works (its result is still to come), and once terminal until
// createdAt + ttl, but never less than TERMINAL_GRACE_MS after it ended, so a client polling at
// the suggested interval always gets to see the final state.

import { DeadlineQueue } from './deadlines.js';
import type { JsonObject, RequestId } from './message.js';

export const RELATED_TASK = 'io.modelcontextprotocol/related-task';

export type TaskStatus = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';

export interface TaskRecord {
  taskId: string;
  status: TaskStatus;
  statusMessage?: string;
  createdAt: number;
  lastUpdatedAt: number;
  ttl: number;
  /** The call running it (child-side key) while it works. */
  callKey: number | undefined;
  /** What the plain call would have returned: a response without its id. */
  outcome: { result: JsonObject } | { error: JsonObject } | undefined;
  /** Client requests (tasks/result) waiting for a terminal state. */
  /** tasks/result requests waiting for the end: the client's id, the call's id for events, when it came. */
  /** tasks/result requests waiting; `modern`: the request was 2026-era (its result needs resultType). */
  waiters: { id: RequestId; call: string; at: number; modern?: boolean }[];
}

export interface TaskOptions {
  defaultTtlMs: number;
  maxTtlMs: number;
  pollIntervalMs: number;
  maxTasks: number;
  /** Epoch milliseconds at monotonic time `now`, for the ISO timestamps the spec requires. */
  epochAt: (now: number) => number;
  idPrefix: string;
}

export const TERMINAL_GRACE_MS = 60_000;
const PAGE_SIZE = 50;

export function isTerminal(s: TaskStatus): boolean {
  return s === 'completed' || s === 'failed' || s === 'cancelled';
}

export class TaskStore {
  #opts: TaskOptions;
  /** Insertion order = creation order; tasks/list pages through it newest first. */
  #tasks = new Map<string, TaskRecord>();
  #expiry = new DeadlineQueue<string>();
  #seq = 0;

  constructor(opts: TaskOptions) {
    this.#opts = opts;
  }

  get size(): number {
    return this.#tasks.size;
  }

  /** A new working task, or undefined when maxTasks tasks are still working. */
  create(now: number, requestedTtl: unknown): TaskRecord | undefined {
    if (this.#tasks.size >= this.#opts.maxTasks && !this.#evictOldestTerminal()) return undefined;
    const ttl =
      typeof requestedTtl === 'number' && Number.isFinite(requestedTtl) && requestedTtl > 0
        ? Math.min(Math.round(requestedTtl), this.#opts.maxTtlMs)
        : this.#opts.defaultTtlMs;
    const task: TaskRecord = {
      taskId: `${this.#opts.idPrefix}${++this.#seq}`,
      status: 'working',
      createdAt: now,
      lastUpdatedAt: now,
      ttl,
      callKey: undefined,
      outcome: undefined,
      waiters: [],
    };
    this.#tasks.set(task.taskId, task);
    return task;
  }

  get(taskId: unknown): TaskRecord | undefined {
    return typeof taskId === 'string' ? this.#tasks.get(taskId) : undefined;
  }

  /** Moves a task to a terminal state once; later attempts are ignored (cancelled is sticky). */
  finish(task: TaskRecord, status: TaskStatus, outcome: TaskRecord['outcome'], statusMessage: string | undefined, now: number): boolean {
    if (isTerminal(task.status)) return false;
    task.status = status;
    task.outcome = outcome;
    task.lastUpdatedAt = now;
    task.callKey = undefined;
    if (statusMessage !== undefined) task.statusMessage = statusMessage;
    this.#expiry.arm(task.taskId, Math.max(task.createdAt + task.ttl, now + TERMINAL_GRACE_MS));
    return true;
  }

  /** The Task object as the wire carries it. */
  view(task: TaskRecord): JsonObject {
    const out: JsonObject = {
      taskId: task.taskId,
      status: task.status,
      createdAt: new Date(this.#opts.epochAt(task.createdAt)).toISOString(),
      lastUpdatedAt: new Date(this.#opts.epochAt(task.lastUpdatedAt)).toISOString(),
      ttl: task.ttl,
      pollInterval: this.#opts.pollIntervalMs,
    };
    if (task.statusMessage !== undefined) out.statusMessage = task.statusMessage;
    return out;
  }

  /** One page, newest first; the cursor is the last task id of the previous page. */
  list(cursor: unknown): { tasks: JsonObject[]; nextCursor?: string } | undefined {
    const all = [...this.#tasks.values()].reverse();
    let start = 0;
    if (cursor !== undefined) {
      if (typeof cursor !== 'string') return undefined;
      const i = all.findIndex((t) => t.taskId === cursor);
      if (i < 0) return undefined;
      start = i + 1;
    }
    const page = all.slice(start, start + PAGE_SIZE);
    const out: { tasks: JsonObject[]; nextCursor?: string } = { tasks: page.map((t) => this.view(t)) };
    if (start + PAGE_SIZE < all.length) out.nextCursor = page[page.length - 1]!.taskId;
    return out;
  }

  /** Tasks that still have tasks/result requests waiting on them. */
  *waiting(): Iterable<TaskRecord> {
    for (const t of this.#tasks.values()) if (t.waiters.length) yield t;
  }

  nextDeadline(): number | undefined {
    return this.#expiry.next();
  }

  /** Deletes terminal tasks whose time is up; returns how many went. */
  expire(now: number): number {
    let n = 0;
    for (const id of this.#expiry.popDue(now)) {
      const t = this.#tasks.get(id);
      if (t && isTerminal(t.status) && t.waiters.length === 0) {
        this.#tasks.delete(id);
        n++;
      }
    }
    return n;
  }

  #evictOldestTerminal(): boolean {
    for (const t of this.#tasks.values()) {
      if (isTerminal(t.status) && t.waiters.length === 0) {
        this.#tasks.delete(t.taskId);
        this.#expiry.disarm(t.taskId);
        return true;
      }
    }
    return false;
  }
}
