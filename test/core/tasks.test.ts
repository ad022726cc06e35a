// Issue 9: tasks for legacy servers (MCP 2025-11-25 basic/utilities/tasks), in the core with a
// fake clock: capability and tool marking, the task life cycle, every error code, ttl and bound.

// Results are deep JSON read back from the core; `any` (as any) keeps these reads short and is
// confined to this test file.
import { describe, expect, it } from 'vitest';
import { Session } from '../../src/core/session.js';
import { RELATED_TASK, TERMINAL_GRACE_MS } from '../../src/core/tasks.js';
import { call, Link, note, ok, policy, progressOf, req } from './link.js';

const INIT = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } };

function started(tasks: 'off' | 'auto', childCaps: object = { tools: {} }): Link {
  const l = new Link(policy({ tasks, rules: [{ tool: 'slow', totalTimeoutMs: 10_000 }] }));
  l.client(req(0, 'initialize', INIT)).child(ok(1, { protocolVersion: '2025-11-25', capabilities: childCaps, serverInfo: { name: 's', version: '1' } }));
  return l;
}

function taskCall(id: number, tool: string, extra: object = {}) {
  const m = call(id, tool, undefined, {});
  (m.params as Record<string, unknown>).task = { ttl: 60_000, ...extra };
  return m;
}

const lastTo = (l: Link, id: unknown) => l.toClient.filter((m) => m.id === id).at(-1)!;

describe('issue 9: capabilities', () => {
  it('"auto" adds the tasks capability when the child has none, and marks tools optional', () => {
    const l = started('auto');
    const init = lastTo(l, 0);
    expect((init.result as any).capabilities.tasks).toStrictEqual({ list: {}, cancel: {}, requests: { tools: { call: {} } } });
    l.client(req(2, 'tools/list', {})).child(ok(2, { tools: [{ name: 'a', inputSchema: {} }, { name: 'b', inputSchema: {}, execution: { taskSupport: 'forbidden' } }] }));
    const tools = (lastTo(l, 2).result as any).tools;
    expect(tools[0].execution).toStrictEqual({ taskSupport: 'optional' });
    expect(tools[1].execution).toStrictEqual({ taskSupport: 'forbidden' });
  });

  it('"off", or a child that declares tasks, passes initialize, tools/list and tasks/* through untouched', () => {
    for (const l of [started('off'), started('auto', { tools: {}, tasks: { list: {} } })]) {
      const init = lastTo(l, 0);
      const caps = (init.result as any).capabilities;
      expect(caps.tasks === undefined || caps.tasks.requests === undefined).toBe(true);
      const list = { tools: [{ name: 'a', inputSchema: {} }] };
      l.client(req(2, 'tools/list', {})).child(ok(2, list));
      expect(lastTo(l, 2).result).toStrictEqual(list);
      l.client(req(3, 'tasks/get', { taskId: 'x' }));
      expect(l.toChild.at(-1)).toMatchObject({ method: 'tasks/get', id: 3 });
    }
  });
});

describe('issue 9: task life cycle', () => {
  it('answers a task-augmented call at once, runs it as a plain call, then completes with the same result', () => {
    const l = started('auto');
    l.take();
    l.client(taskCall(5, 'echo'));
    const [created] = l.takeTo('client');
    const task = (created!.result as any).task;
    expect(task).toMatchObject({ status: 'working', ttl: 60_000, pollInterval: 1000 });
    expect(typeof task.taskId).toBe('string');
    expect(task.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    const sent = l.toChild.at(-1)!;
    expect(sent.method).toBe('tools/call');
    expect((sent.params as any).task).toBeUndefined();

    l.client(req(6, 'tasks/get', { taskId: task.taskId }));
    expect(lastTo(l, 6).result).toMatchObject({ taskId: task.taskId, status: 'working' });
    l.client(req(7, 'tasks/result', { taskId: task.taskId }));
    expect(l.toClient.filter((m) => m.id === 7)).toHaveLength(0); // waits for a terminal state

    l.advance(100).child(ok(sent.id as number, { content: [{ type: 'text', text: 'hi' }] }));
    const status = l.toClient.find((m) => m.method === 'notifications/tasks/status');
    expect(status!.params).toMatchObject({ taskId: task.taskId, status: 'completed' });
    expect(lastTo(l, 7).result).toStrictEqual({ content: [{ type: 'text', text: 'hi' }], _meta: { [RELATED_TASK]: { taskId: task.taskId } } });
    // The child's answer never reaches the client under the original request id.
    expect(l.toClient.filter((m) => m.id === 5)).toHaveLength(1);
  });

  it('tasks/cancel sends notifications/cancelled downstream and ends the task cancelled before answering', () => {
    const l = started('auto');
    l.client(taskCall(5, 'echo'));
    const taskId = (lastTo(l, 5).result as any).task.taskId;
    const childId = l.toChild.at(-1)!.id;
    l.take();
    l.client(req(8, 'tasks/cancel', { taskId }));
    const out = l.takeTo('client');
    expect(out.map((m) => m.method ?? `answer ${m.id}`)).toStrictEqual(['notifications/tasks/status', 'answer 8']);
    expect(out[1]!.result).toMatchObject({ taskId, status: 'cancelled' });
    expect(l.toChild.at(-1)).toMatchObject({ method: 'notifications/cancelled', params: { requestId: childId } });
    // The late answer changes nothing: cancelled is sticky.
    l.child(ok(childId as number, { content: [] }));
    l.client(req(9, 'tasks/get', { taskId }));
    expect(lastTo(l, 9).result).toMatchObject({ status: 'cancelled' });
    l.client(req(10, 'tasks/cancel', { taskId }));
    expect(lastTo(l, 10).error).toMatchObject({ code: -32602 });
  });

  it('a timeout ends the task failed with a status message naming the limit', () => {
    const l = started('auto');
    l.client(taskCall(5, 'slow'));
    const taskId = (lastTo(l, 5).result as any).task.taskId;
    l.advance(10_000);
    l.client(req(6, 'tasks/get', { taskId }));
    const t = lastTo(l, 6).result as any;
    expect(t.status).toBe('failed');
    expect(t.statusMessage).toMatch(/10s/);
    l.client(req(7, 'tasks/result', { taskId }));
    expect((lastTo(l, 7).result as any).isError).toBe(true);
  });

  it('progress keeps the client\'s token and carries the related-task _meta', () => {
    const l = started('auto');
    const m = taskCall(5, 'echo');
    (m.params as any)._meta = { progressToken: 'p' };
    l.client(m);
    const taskId = (lastTo(l, 5).result as any).task.taskId;
    const key = l.toChild.at(-1)!.id as number;
    l.child(note('notifications/progress', { progressToken: key, progress: 1, total: 2 }));
    const [p] = progressOf(l.toClient);
    expect(p).toMatchObject({ progressToken: 'p', progress: 1, _meta: { [RELATED_TASK]: { taskId } } });
  });

  it('unknown task ids and bad cursors get -32602', () => {
    const l = started('auto');
    for (const [i, method] of ['tasks/get', 'tasks/result', 'tasks/cancel'].entries()) {
      l.client(req(20 + i, method, { taskId: 'nope' }));
      expect(lastTo(l, 20 + i).error).toMatchObject({ code: -32602 });
    }
    l.client(req(30, 'tasks/list', { cursor: 'bogus' }));
    expect(lastTo(l, 30).error).toMatchObject({ code: -32602 });
  });

  it('tasks/list pages newest first with an opaque cursor', () => {
    const l = started('auto');
    for (let i = 0; i < 60; i++) l.client(taskCall(100 + i, 'echo'));
    l.client(req(1, 'tasks/list', {}));
    const first = lastTo(l, 1).result as any;
    expect(first.tasks).toHaveLength(50);
    expect(first.nextCursor).toBeTypeOf('string');
    l.client(req(2, 'tasks/list', { cursor: first.nextCursor }));
    const second = lastTo(l, 2).result as any;
    expect(second.tasks).toHaveLength(10);
    expect(second.nextCursor).toBeUndefined();
    const ids = [...first.tasks, ...second.tasks].map((t: any) => t.taskId);
    expect(new Set(ids).size).toBe(60);
  });

  it('a finished task is kept until its ttl (at least the grace period), then freed', () => {
    const l = started('auto');
    l.client(taskCall(5, 'echo', { ttl: 1000 }));
    const taskId = (lastTo(l, 5).result as any).task.taskId;
    l.child(ok(l.toChild.at(-1)!.id as number, { content: [] }));
    l.advance(TERMINAL_GRACE_MS - 1);
    l.client(req(6, 'tasks/get', { taskId }));
    expect(lastTo(l, 6).result).toMatchObject({ status: 'completed' });
    l.advance(1);
    l.client(req(7, 'tasks/get', { taskId }));
    expect(lastTo(l, 7).error).toMatchObject({ code: -32602 });
  });

  it('keeps at most 1000 tasks: the oldest finished ones make room, working ones are never dropped', () => {
    const l = started('auto');
    for (let i = 0; i < 1000; i++) l.client(taskCall(1000 + i, 'echo'));
    l.take();
    l.client(taskCall(5000, 'echo'));
    expect(lastTo(l, 5000).error).toMatchObject({ code: -32000 });
    // Finish one; now a new task fits.
    const firstChildId = l.toChild.find((m) => m.method === 'tools/call')!.id as number;
    l.child(ok(firstChildId, { content: [] }));
    l.client(taskCall(5001, 'echo'));
    expect((lastTo(l, 5001).result as any).task.status).toBe('working');
  });

  it('a plain call next to tasks is untouched; Session builds without options', () => {
    expect(() => new Session(policy())).not.toThrow();
    const l = started('auto');
    l.client(call(42, 'echo')).child(ok(l.toChild.at(-1)!.id as number, { content: [] }));
    expect(lastTo(l, 42)).toStrictEqual({ jsonrpc: '2.0', id: 42, result: { content: [] } });
  });
});
