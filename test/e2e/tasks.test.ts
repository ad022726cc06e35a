// Issue 9: tasks for legacy servers. With `tasks: "auto"`, a server that knows nothing of tasks
// gets them from mcp-leash: the SDK 1.x client's task API (client.experimental.tasks) creates a
// task around a plain legacy tool call, polls it, fetches its result and cancels it. With
// `tasks: "off"`, or a server that does tasks itself, `initialize` and `tools/list` reach the
// client exactly as the server sent them.

import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { McpError, CallToolResultSchema, TaskStatusNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { NODE, ROOT, cleanupProcesses, startRawFixture, startRawProxy, startSdkProxy, spawnLineClient, type Json, type LineClient, type SdkProxy, configFile, finish } from '../helpers/proxy.js';
import { fixtureEvents, receivedMessages, tmpFile, waitFor, within } from '../helpers/procs.js';

afterEach(() => cleanupProcesses());

const TASK_SERVER = join(ROOT, 'test/fixtures/task-server.mjs');
const TERMINAL = ['completed', 'failed', 'cancelled'];

/** A task-augmented tools/call through the SDK's stream API; returns the CreateTaskResult's task. */
async function createTask(p: SdkProxy, name: string, args: Record<string, unknown>, ttl = 60_000) {
  const stream = p.client.experimental.tasks.callToolStream({ name, arguments: args }, CallToolResultSchema, { task: { ttl } });
  const first = await stream.next();
  await stream.return(undefined); // we poll by hand from here
  const msg = first.value as Json;
  if (msg?.type !== 'taskCreated') throw new Error(`expected taskCreated first, got ${JSON.stringify(msg)}`);
  return msg.task as { taskId: string; status: string; ttl: number; pollInterval?: number; createdAt: string; lastUpdatedAt: string };
}

/** Polls tasks/get until the task is terminal; returns every status seen, in order, and the last task. */
async function pollUntilTerminal(p: SdkProxy, taskId: string, timeoutMs = 15_000) {
  const seen: string[] = [];
  const last = await waitFor(
    async () => {
      const t = await p.client.experimental.tasks.getTask(taskId);
      seen.push(t.status);
      return TERMINAL.includes(t.status) ? t : undefined;
    },
    timeoutMs,
    `task ${taskId} to reach a terminal state`,
    150,
  );
  return { seen, last };
}

async function startTasksProxy(config: Json, log: string): Promise<SdkProxy> {
  const p = await startSdkProxy({ leashArgs: ['--config', configFile(config)], fixtureArgs: ['--log', log] });
  // The client learns each tool's taskSupport from tools/list.
  const { tools } = await p.client.listTools();
  expect(tools.find((t) => t.name === 'sleep')?.execution).toEqual({ taskSupport: 'optional' });
  return p;
}

describe('issue 9 tasks for legacy servers', () => {
  it('issue 9 tasks: a silent 5 s legacy tool called as a task returns a handle at once; tasks/get shows working then completed; tasks/result returns the tool\'s result', async () => {
    const log = tmpFile('fixture.jsonl');
    const p = await startTasksProxy({ tasks: 'auto' }, log);
    try {
      expect(p.client.getServerCapabilities()?.tasks).toEqual({ list: {}, cancel: {}, requests: { tools: { call: {} } } });
      const statuses: Json[] = [];
      p.client.setNotificationHandler(TaskStatusNotificationSchema, (n) => {
        statuses.push(n.params);
      });
      const t0 = Date.now();
      const task = await createTask(p, 'sleep', { ms: 5_000 });
      const createdAfter = Date.now() - t0;
      expect(createdAfter).toBeLessThan(2_000); // the tool takes 5 s: the handle came long before
      expect(task.status).toBe('working');
      expect(typeof task.taskId).toBe('string');
      expect(task.ttl).toBe(60_000);
      expect(typeof task.pollInterval).toBe('number');
      expect(Number.isNaN(Date.parse(task.createdAt))).toBe(false);
      expect(Number.isNaN(Date.parse(task.lastUpdatedAt))).toBe(false);
      // The child got a plain call, without params.task.
      const [downstream] = await waitFor(() => {
        const calls = receivedMessages(log, 'tools/call');
        return calls.length ? calls : undefined;
      }, 10_000, 'the child to receive the call');
      expect(downstream!.params.name).toBe('sleep');
      expect(downstream!.params.task).toBeUndefined();
      // tasks/result asked early waits for the end.
      const resultP = p.client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema, { timeout: 30_000 });
      const { seen, last } = await pollUntilTerminal(p, task.taskId);
      expect(last.status).toBe('completed');
      expect(seen[0]).toBe('working');
      expect(seen.filter((s) => s !== 'working')).toEqual(['completed']); // working..., then completed
      const result = await within(resultP, 10_000, 'tasks/result');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(4_900);
      expect(result.content).toEqual([{ type: 'text', text: 'slept 5000ms' }]);
      expect(result.isError).toBeFalsy();
      // Asked again after the end, the same result.
      const again = await p.client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
      expect(again.content).toEqual(result.content);
      // notifications/tasks/status told the client of the transition; tasks/list has the task.
      await waitFor(() => statuses.find((s) => s.taskId === task.taskId && s.status === 'completed'), 5_000, 'a completed status notification');
      const listed = await p.client.experimental.tasks.listTasks();
      expect(listed.tasks.map((t) => [t.taskId, t.status])).toContainEqual([task.taskId, 'completed']);
      expect(receivedMessages(log, 'tools/call')).toHaveLength(1);
    } finally {
      await p.close();
    }
  });

  it('issue 9 tasks: a task cancelled half way (tasks/cancel) ends cancelled, and the child received notifications/cancelled for the call', async () => {
    const log = tmpFile('fixture.jsonl');
    const p = await startTasksProxy({ tasks: 'auto' }, log);
    try {
      const task = await createTask(p, 'sleep', { ms: 60_000 });
      const [downstream] = await waitFor(() => {
        const calls = receivedMessages(log, 'tools/call');
        return calls.length ? calls : undefined;
      }, 10_000, 'the child to receive the call');
      expect((await p.client.experimental.tasks.getTask(task.taskId)).status).toBe('working');
      const cancelled = await p.client.experimental.tasks.cancelTask(task.taskId);
      expect(cancelled.status).toBe('cancelled');
      expect(cancelled.taskId).toBe(task.taskId);
      expect((await p.client.experimental.tasks.getTask(task.taskId)).status).toBe('cancelled');
      // The child heard of it, under its own id for the call.
      const ev = await waitFor(() => fixtureEvents(log, 'cancelled')[0], 10_000, 'the child to receive notifications/cancelled');
      expect(ev.requestId).toBe(downstream!.id);
      expect(ev.known).toBe(true);
      // Its result is an error now, and a second cancel is refused with -32602.
      const resErr = await p.client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(resErr).toBeInstanceOf(McpError);
      expect((resErr as McpError).message).toMatch(/cancelled/i);
      const again = await p.client.experimental.tasks.cancelTask(task.taskId).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(again).toBeInstanceOf(McpError);
      expect((again as McpError).code).toBe(-32602);
      // The session goes on.
      const r = await p.client.callTool({ name: 'echo', arguments: { text: 'still here' } });
      expect((r.content as Json)[0].text).toBe('still here');
    } finally {
      await p.close();
    }
  });

  it('issue 9 tasks: a task whose call runs past its totalTimeout (1s) ends failed with a status message naming the limit', async () => {
    const log = tmpFile('fixture.jsonl');
    const p = await startTasksProxy({ tasks: 'auto', rules: [{ tool: 'sleep', totalTimeout: '1s' }] }, log);
    try {
      const t0 = Date.now();
      const task = await createTask(p, 'sleep', { ms: 60_000 });
      const { last } = await pollUntilTerminal(p, task.taskId);
      const elapsed = Date.now() - t0;
      expect(last.status).toBe('failed');
      expect(last.statusMessage).toMatch(/\b1s\b/);
      expect(elapsed).toBeGreaterThanOrEqual(900);
      expect(elapsed).toBeLessThan(8_000);
      expect(last.statusMessage).toMatch(/time limit of 1s/);
      // tasks/result: what the plain call would have returned, the timeout's isError tool result.
      const result = await p.client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
      expect(result.isError).toBe(true);
      expect((result.content as Json)[0].text).toMatch(/^The tool "sleep" did not finish within its time limit of 1s/);
      const ev = await waitFor(() => fixtureEvents(log, 'cancelled')[0], 10_000, 'the child to be told the call is cancelled');
      expect(ev.reason).toBe('timed out after 1s');
    } finally {
      await p.close();
    }
  });

  it('issue 9 tasks: progress for a task\'s call keeps the client\'s own token and carries the related-task _meta; unknown task ids get -32602', async () => {
    const c = startRawProxy({ leashArgs: ['--config', configFile({ tasks: 'auto', defaults: { heartbeat: '200ms' } })] });
    await c.initialize('2025-11-25');
    const created = await c.request('tools/call', { name: 'progress', arguments: { steps: 2, intervalMs: 300 }, task: { ttl: 30_000 }, _meta: { progressToken: 'my-token' } }, 'tc');
    const taskId = created.result.task.taskId;
    expect(created.result.task.status).toBe('working');
    const status = await c.next((m) => m?.method === 'notifications/tasks/status' && m.params?.taskId === taskId, 10_000, 'the completed status notification');
    expect(status.params.status).toBe('completed');
    const progress = c.messages().filter((m) => m?.method === 'notifications/progress');
    // The server's two steps and at least one heartbeat, all under the client's token, tied to the task.
    expect(progress.map((m) => m.params.message)).toEqual(expect.arrayContaining(['step 1', 'step 2']));
    expect(progress.some((m) => /^mcp-leash: waiting for tool "progress"/.test(m.params.message))).toBe(true);
    for (const m of progress) {
      expect(m.params.progressToken).toBe('my-token');
      expect(m.params._meta?.['io.modelcontextprotocol/related-task']).toEqual({ taskId });
    }
    const res = await c.request('tasks/result', { taskId }, 'tr');
    expect(res.result.content).toEqual([{ type: 'text', text: 'progress done after 2 steps' }]);
    expect(res.result._meta?.['io.modelcontextprotocol/related-task']).toEqual({ taskId });
    for (const method of ['tasks/get', 'tasks/result', 'tasks/cancel']) {
      const r = await c.request(method, { taskId: 'no-such-task' }, `unknown-${method}`);
      expect(r.error?.code, method).toBe(-32602);
    }
    await finish(c);
  });
});

// ---------------------------------------------------------------- pass-through

const INIT_PARAMS = {
  protocolVersion: '2025-11-25',
  capabilities: { roots: { listChanged: true }, tasks: { list: {}, cancel: {} } },
  clientInfo: { name: 'tasks-e2e', version: '1.2.3' },
};

/** initialize, notifications/initialized, tools/list; the two responses, whole. */
async function handshake(c: LineClient): Promise<{ init: Json; list: Json }> {
  const init = await c.request('initialize', INIT_PARAMS, 'init');
  c.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  const list = await c.request('tools/list', {}, 'list');
  return { init, list };
}

async function done(c: LineClient) {
  c.close();
  await within(c.exited, 15_000, 'the process to exit');
  c.assertCleanStdout();
}

describe('issue 9 tasks pass-through', () => {
  it('issue 9 tasks: with tasks "off" (and by default) initialize and tools/list reach the client exactly as the server sent them; "auto" adds only capabilities.tasks and taskSupport', async () => {
    const direct = startRawFixture();
    const off = startRawProxy({ leashArgs: ['--config', configFile({ tasks: 'off' })] });
    const byDefault = startRawProxy();
    const auto = startRawProxy({ leashArgs: ['--config', configFile({ tasks: 'auto' })] });
    const [d, o, b, a] = await Promise.all([direct, off, byDefault, auto].map(handshake));
    expect(d!.init.result.capabilities.tasks).toBeUndefined(); // a legacy server: no tasks of its own
    expect(o).toEqual(d);
    expect(b).toEqual(d);
    // Control: with "auto" the same server's answers do change, and only where issue 9 says.
    expect(a!.init).toEqual({ ...d!.init, result: { ...d!.init.result, capabilities: { ...d!.init.result.capabilities, tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } } } });
    expect(a!.list).toEqual({
      ...d!.list,
      result: { ...d!.list.result, tools: d!.list.result.tools.map((t: Json) => ({ ...t, execution: { taskSupport: 'optional' } })) },
    });
    // With tasks off, tasks/* are the server's business: forwarded, and this one does not know them.
    const r = await off.request('tasks/get', { taskId: 'whatever' }, 'tg');
    expect(r.error.code).toBe(-32601);
    await Promise.all([direct, off, byDefault, auto].map(done));
  });

  it('issue 9 tasks: with tasks "auto", a server that declares tasks itself passes through untouched: initialize, tools/list, tasks/* and task-augmented calls', async () => {
    const log = tmpFile('task-server.jsonl');
    const direct = spawnLineClient(NODE, [TASK_SERVER]);
    const proxied = startRawProxy({ leashArgs: ['--config', configFile({ tasks: 'auto' })], child: [NODE, TASK_SERVER, '--log', log] });
    const [d, p] = await Promise.all([direct, proxied].map(handshake));
    expect(d!.init.result.capabilities.tasks).toBeDefined();
    expect(p).toEqual(d);
    // tasks/* go to the server and come back with the server's own answers.
    const got = await proxied.request('tasks/get', { taskId: 'server-own-task-7' }, 'tg');
    expect(got.result).toEqual(expect.objectContaining({ taskId: 'server-own-task-7', statusMessage: 'answered by task-server itself' }));
    const listed = await proxied.request('tasks/list', {}, 'tl');
    expect(listed.result.tasks.map((t: Json) => t.taskId)).toEqual(['server-own-task-listed']);
    const created = await proxied.request('tools/call', { name: 'long_job', arguments: {}, task: { ttl: 5000 } }, 'tc');
    expect(created.result.task.taskId).toBe('server-own-task-1');
    expect(created.result.task.statusMessage).toBe('answered by task-server itself');
    const res = await proxied.request('tasks/result', { taskId: 'server-own-task-1' }, 'tr');
    expect(res.result.content[0].text).toBe('result of server-own-task-1 from task-server itself');
    // The server received the call with its task parameters intact.
    const calls = receivedMessages(log, 'tools/call');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.params.task).toEqual({ ttl: 5000 });
    expect(receivedMessages(log, 'tasks/get').map((m) => m.params)).toEqual([{ taskId: 'server-own-task-7' }]);
    await Promise.all([direct, proxied].map(done));
  });
});
