// Issue 19 (CONTRACT §11): jobs, in the core on virtual time. Every transition of a job: detach
// (running and queued), answer, await (finished, waiting, awaitMax, unknown, expired), cancel,
// timeout, server exit, client cancels before and after detach, bounds, tools/list, tasks.

// Results are deep JSON read back from the core; `any` keeps these reads short and is confined
// to this test file.
import { describe, expect, it } from 'vitest';
import type { CoreEvent } from '../../src/core/events.js';
import { JOB_META } from '../../src/core/jobs.js';
import type { JsonObject } from '../../src/core/message.js';
import type { Policy } from '../../src/policy/types.js';
import { call, cancel, Link, ok, policy, progress, progressOf, req } from './link.js';

const INIT = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } };

type Over = Parameters<typeof policy>[0];

/** A session past initialize; `slow` detaches after 10 s; `quick` never does. */
function started(over: Over = {}): Link {
  const l = new Link(
    policy({
      rules: [{ tool: 'slow', detachAfterMs: 10_000 }, { tool: 'limited', detachAfterMs: 10_000, totalTimeoutMs: 60_000, idleTimeoutMs: 0 }],
      ...over,
    }),
  );
  l.client(req('init', 'initialize', INIT)).child(ok(1, { protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 's', version: '1' } }));
  l.take();
  return l;
}

const lastTo = (l: Link, id: unknown) => l.toClient.filter((m) => m.id === id).at(-1);
const textOf = (m: JsonObject | undefined): string => ((m?.result as any)?.content?.[0]?.text as string) ?? '';
const childCall = (l: Link, tool: string) => l.toChild.filter((m) => m.method === 'tools/call' && (m.params as any).name === tool).at(-1)!;
const events = (l: Link, type: CoreEvent['type']) => l.events.filter((e) => e.type === type);
const awaitJob = (id: string | number, job: unknown) => req(id, 'tools/call', { name: 'leash_await', arguments: { job } });
const cancelJob = (id: string | number, job: unknown) => req(id, 'tools/call', { name: 'leash_cancel', arguments: { job } });

describe('issue 19: detaching', () => {
  it('a call unanswered at detachAfter gets a job handle at once; its heartbeats stop; the server is not told', () => {
    const l = started({ defaults: { heartbeatMs: 3_000 } });
    l.client(call(7, 'slow', 'tok'));
    const key = childCall(l, 'slow').id as number;
    l.advance(4_000).child(progress(key, 40, 100, 'indexing src/'));
    l.advance(6_000);
    const handle = lastTo(l, 7)!;
    expect(handle.result).toMatchObject({ _meta: { [JOB_META]: { id: 'j1', tool: 'slow', state: 'running' } } });
    expect((handle.result as any).isError).toBeUndefined();
    expect(textOf(handle)).toBe(
      'The tool "slow" is still running after 10s (progress 40/100: "indexing src/"). mcp-leash keeps it running as job "j1". ' +
        'Call leash_await with {"job": "j1"} to wait for its result, or leash_cancel with {"job": "j1"} to stop it.',
    );
    const before = l.toClient.length;
    l.advance(30_000).child(progress(key, 60, 100, 'later'));
    expect(l.toClient.length).toBe(before); // no heartbeat, no progress after the handle
    expect(l.toChild.filter((m) => m.method === 'notifications/cancelled')).toHaveLength(0);
    expect(events(l, 'call-ended').find((e) => (e as any).call === `c${key}`)).toMatchObject({ outcome: 'ok', by: 'leash', ms: 10_000 });
    expect(events(l, 'job-detached')).toStrictEqual([{ type: 'job-detached', job: 'j1', call: `c${key}`, tool: 'slow', afterMs: 10_000, queued: false, at: 10_000 }]);
    expect(l.session.inFlight).toBe(1); // the job's call is still at the server
  });

  it('a call answered before detachAfter is a plain call; other tools never detach', () => {
    const l = started();
    l.client(call(1, 'slow')).client(call(2, 'quick'));
    l.advance(9_999).child(ok(childCall(l, 'slow').id as number, { content: [{ type: 'text', text: 'done' }] }));
    expect(textOf(lastTo(l, 1))).toBe('done');
    l.advance(100_000);
    expect(lastTo(l, 2)).toBeUndefined();
    expect(events(l, 'job-detached')).toHaveLength(0);
  });

  it('the child gets a progress token for a call that may detach, so that its progress reaches the job', () => {
    const l = started();
    l.client(call(1, 'slow'));
    expect((childCall(l, 'slow').params as any)._meta.progressToken).toBe(childCall(l, 'slow').id);
  });

  it('queue time counts: a call still queued at detachAfter becomes a job that waits for its slot, then runs', () => {
    const l = started({ maxConcurrency: 1 });
    l.client(call(1, 'quick')).client(call(2, 'slow', undefined, { n: 2 }));
    expect(l.toChild.filter((m) => m.method === 'tools/call')).toHaveLength(1);
    l.advance(10_000);
    expect(textOf(lastTo(l, 2))).toContain('job "j1"');
    expect(events(l, 'job-detached')[0]).toMatchObject({ queued: true });
    // The slot frees: the parked job goes to the server.
    l.child(ok(childCall(l, 'quick').id as number, { content: [] }));
    const sent = childCall(l, 'slow');
    expect((sent.params as any).arguments).toStrictEqual({ n: 2 });
    l.child(ok(sent.id as number, { content: [{ type: 'text', text: 'late but whole' }] }));
    l.client(awaitJob(3, 'j1'));
    expect(lastTo(l, 3)!.result).toStrictEqual({ content: [{ type: 'text', text: 'late but whole' }] });
  });

  it('a job keeps its slot until it ends', () => {
    const l = started({ maxConcurrency: 1 });
    l.client(call(1, 'slow')).advance(10_000);
    l.client(call(2, 'quick'));
    expect(childCall(l, 'quick')).toBeUndefined();
    l.child(ok(childCall(l, 'slow').id as number, { content: [] }));
    expect(childCall(l, 'quick')).toBeDefined();
  });

  it('a tool with an outputSchema gets its handle as isError (SDK clients reject it otherwise)', () => {
    const l = started();
    l.client(req(1, 'tools/list', {})).child(ok(l.toChild.at(-1)!.id as number, { tools: [{ name: 'slow', inputSchema: { type: 'object' }, outputSchema: { type: 'object' } }] }));
    l.client(call(2, 'slow')).advance(10_000);
    expect(lastTo(l, 2)!.result).toMatchObject({ isError: true, _meta: { [JOB_META]: { id: 'j1' } } });
  });

  it('a task-augmented call gets a task, not a job', () => {
    const l = new Link(policy({ tasks: 'auto', defaults: { detachAfterMs: 1_000 } }));
    l.client(req(0, 'initialize', INIT)).child(ok(1, { protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 's', version: '1' } }));
    const m = call(5, 'x');
    (m.params as any).task = { ttl: 60_000 };
    l.client(m).advance(5_000);
    expect(events(l, 'job-detached')).toHaveLength(0);
    expect((lastTo(l, 5)!.result as any).task.status).toBe('working');
  });
});

describe('issue 19: leash_await', () => {
  function detached(over: Over = {}): { l: Link; key: number } {
    const l = started(over);
    l.client(call(7, 'slow')).advance(10_000);
    return { l, key: childCall(l, 'slow').id as number };
  }

  it('a finished job returns the tool\'s own result unchanged, as often as asked, and never reaches the server', () => {
    const { l, key } = detached();
    const result = { content: [{ type: 'text', text: 'r' }], structuredContent: { a: [1, { b: null }] }, isError: false, _meta: { x: 1 } };
    l.child(ok(key, result));
    const toChild = l.toChild.length;
    l.client(awaitJob(8, 'j1')).client(awaitJob('again', 'j1'));
    expect(lastTo(l, 8)!.result).toStrictEqual(result);
    expect(lastTo(l, 'again')!.result).toStrictEqual(result);
    expect(l.toChild.length).toBe(toChild);
    expect(events(l, 'job-ended')).toMatchObject([{ job: 'j1', state: 'completed', outcome: 'ok', by: 'server' }]);
    expect(events(l, 'job-awaited')).toMatchObject([{ job: 'j1', state: 'completed' }, { job: 'j1', state: 'completed' }]);
  });

  it('a tool error result is the tool\'s own result too', () => {
    const { l, key } = detached();
    l.child(ok(key, { content: [{ type: 'text', text: 'bad input' }], isError: true }));
    l.client(awaitJob(8, 'j1'));
    expect(lastTo(l, 8)!.result).toStrictEqual({ content: [{ type: 'text', text: 'bad input' }], isError: true });
  });

  it('waits while the job runs and answers when it ends', () => {
    const { l, key } = detached();
    l.client(awaitJob(8, 'j1')).advance(5_000);
    expect(lastTo(l, 8)).toBeUndefined();
    l.child(ok(key, { content: [{ type: 'text', text: 'done' }] }));
    expect(textOf(lastTo(l, 8))).toBe('done');
    expect(events(l, 'job-awaited')).toMatchObject([{ job: 'j1', state: 'completed', waitedMs: 5_000 }]);
  });

  it('after awaitMax (default: the job\'s detachAfter) answers "still running" with fresh progress', () => {
    const { l, key } = detached();
    l.client(awaitJob(8, 'j1')).advance(3_000).child(progress(key, 70, 100, 'almost'));
    l.advance(6_999);
    expect(lastTo(l, 8)).toBeUndefined();
    l.advance(1);
    const m = lastTo(l, 8)!;
    expect(textOf(m)).toBe(
      'The job "j1" (tool "slow") is still running after 20s (progress 70/100: "almost"). ' +
        'Call leash_await with {"job": "j1"} again to keep waiting, or leash_cancel with {"job": "j1"} to stop it.',
    );
    expect((m.result as any)._meta[JOB_META]).toStrictEqual({ id: 'j1', tool: 'slow', state: 'running' });
    expect(events(l, 'job-awaited')).toMatchObject([{ job: 'j1', state: 'running', waitedMs: 10_000 }]);
  });

  it('jobs.awaitMax overrides the default', () => {
    const { l } = detached({ jobs: { awaitMaxMs: 2_000, ttlMs: 600_000, max: 100, maxBytes: 1 << 20 } });
    l.client(awaitJob(8, 'j1')).advance(2_000);
    expect(textOf(lastTo(l, 8))).toContain('still running after 12s');
  });

  it('an unknown job, or a missing argument, gets isError naming the jobs that exist', () => {
    const { l } = detached();
    l.client(awaitJob(8, 'j9')).client(req(9, 'tools/call', { name: 'leash_await', arguments: {} }));
    expect(lastTo(l, 8)!.result).toMatchObject({ isError: true });
    expect(textOf(lastTo(l, 8))).toBe('There is no job "j9". Jobs mcp-leash keeps now: "j1" (running, tool "slow").');
    expect(textOf(lastTo(l, 9))).toContain('Expected {"job": "<id>"}');
  });

  it('a finished job expires jobs.ttl after it ended, and then says so', () => {
    const { l, key } = detached();
    l.child(ok(key, { content: [] }));
    l.advance(600_000 - 1).client(awaitJob(8, 'j1'));
    expect(lastTo(l, 8)!.result).toStrictEqual({ content: [] });
    l.advance(1).client(awaitJob(9, 'j1'));
    expect(textOf(lastTo(l, 9))).toBe('The job "j1" has expired: its result was kept for 10m after it finished, and is gone now. mcp-leash keeps no jobs now.');
    expect(events(l, 'job-dropped')).toStrictEqual([{ type: 'job-dropped', job: 'j1', reason: 'expired', at: 610_000 }]);
  });

  it('a client cancel of a waiting leash_await ends that l-call; nothing is answered', () => {
    const { l, key } = detached();
    l.client(awaitJob(8, 'j1')).client(cancel(8));
    l.child(ok(key, { content: [] })).advance(20_000);
    expect(lastTo(l, 8)).toBeUndefined();
    const ended = events(l, 'call-ended').filter((e) => (e as any).call.startsWith('l'));
    expect(ended).toMatchObject([{ outcome: 'cancelled', by: 'requester' }]);
  });
});

describe('issue 19: how a job ends', () => {
  function detached(over: Over = {}): { l: Link; key: number } {
    const l = started(over);
    l.client(call(7, 'slow')).advance(10_000);
    return { l, key: childCall(l, 'slow').id as number };
  }

  it('leash_cancel cancels at the server with its id, answers at once, is harmless when repeated; a late answer is dropped', () => {
    const { l, key } = detached();
    l.client(awaitJob(8, 'j1')).client(cancelJob(9, 'j1'));
    expect(l.toChild.at(-1)).toStrictEqual({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: key, reason: 'job cancelled by the client (leash_cancel)' } });
    expect(textOf(lastTo(l, 9))).toContain('was cancelled');
    expect(lastTo(l, 8)!.result).toMatchObject({ isError: true, _meta: { [JOB_META]: { state: 'cancelled' } } });
    l.client(cancelJob(10, 'j1'));
    expect(textOf(lastTo(l, 10))).toBe('The job "j1" (tool "slow") had already ended (cancelled); there was nothing to cancel.');
    expect((lastTo(l, 10)!.result as any).isError).toBeUndefined();
    expect(l.toChild.filter((m) => m.method === 'notifications/cancelled')).toHaveLength(1);
    const before = l.toClient.length;
    l.child(ok(key, { content: [] }));
    expect(l.toClient.length).toBe(before);
    expect(events(l, 'job-ended')).toMatchObject([{ state: 'cancelled', outcome: 'cancelled', by: 'requester' }]);
    expect(l.session.inFlight).toBe(0);
  });

  it('leash_cancel of a parked job removes it from the queue; the server never sees it', () => {
    const l = started({ maxConcurrency: 1 });
    l.client(call(1, 'quick')).client(call(2, 'slow')).advance(10_000);
    l.client(cancelJob(3, 'j1'));
    l.child(ok(childCall(l, 'quick').id as number, { content: [] }));
    expect(childCall(l, 'slow')).toBeUndefined();
    expect(l.toChild.filter((m) => m.method === 'notifications/cancelled')).toHaveLength(0);
  });

  it('a job that times out fails with the limit in its text', () => {
    const { l, key } = detached({ rules: [{ tool: 'slow', detachAfterMs: 10_000, totalTimeoutMs: 30_000 }] });
    l.advance(15_000).client(awaitJob(8, 'j1')).advance(5_000);
    expect(l.toChild.at(-1)).toMatchObject({ method: 'notifications/cancelled', params: { requestId: key, reason: 'timed out after 30s' } });
    const m = lastTo(l, 8)!;
    expect(m.result).toMatchObject({ isError: true });
    expect(textOf(m)).toMatch(/^The job "j1" \(tool "slow"\) failed: The tool "slow" did not finish within its time limit of 30s/);
    expect(events(l, 'job-ended')).toMatchObject([{ state: 'failed', outcome: 'timeout', by: 'leash', timeout: { kind: 'total', limitMs: 30_000 } }]);
  });

  it('an error answer from the server fails the job and says so', () => {
    const { l, key } = detached();
    l.child({ jsonrpc: '2.0', id: key, error: { code: -32602, message: 'no such repo' } });
    l.client(awaitJob(8, 'j1'));
    expect(textOf(lastTo(l, 8))).toBe('The job "j1" (tool "slow") failed: the server answered with an error: no such repo (code -32602)');
  });

  it('a server exit fails running jobs with the exit reason; a restart does not bring them back', () => {
    const { l } = detached({ restart: { policy: 'on-failure', initialBackoffMs: 100, maxBackoffMs: 100, maxRestarts: 3, windowMs: 60_000, onGiveUp: 'error' } });
    l.childExit({ code: 3, stderrTail: ['boom'] });
    l.client(awaitJob(8, 'j1'));
    expect(textOf(lastTo(l, 8))).toBe(
      'The job "j1" (tool "slow") failed: MCP server exited with code 3 before answering; last stderr: boom. ' +
        "Jobs do not survive the server's exit (nor a restart); call the tool again if its result is still needed.",
    );
    expect(events(l, 'job-ended')).toMatchObject([{ state: 'failed', outcome: 'server-exited' }]);
  });

  it('a client cancel before detachAfter is a plain cancel; after it, the cancel is a stray and the job goes on', () => {
    const l = started();
    l.client(call(1, 'slow')).advance(5_000).client(cancel(1, 'changed my mind'));
    expect(l.toChild.at(-1)).toMatchObject({ method: 'notifications/cancelled', params: { reason: 'changed my mind' } });
    l.advance(10_000);
    expect(events(l, 'job-detached')).toHaveLength(0);
    l.client(call(2, 'slow')).advance(10_000).client(cancel(2));
    expect(l.toChild.filter((m) => m.method === 'notifications/cancelled')).toHaveLength(1);
    expect(events(l, 'stray').at(-1)).toMatchObject({ what: 'cancel', id: 2 });
    // The client may reuse the id at once: it is a new call.
    l.client(call(2, 'quick'));
    expect(childCall(l, 'quick')).toBeDefined();
  });
});

describe('issue 19: bounds', () => {
  const jobs = (over: Partial<Policy['jobs']>): Over => ({ jobs: { awaitMaxMs: 0, ttlMs: 600_000, max: 100, maxBytes: 64 << 20, ...over } });

  it('jobs.max: the oldest finished job makes room; with all of them running, a call stays a plain call', () => {
    const l = started(jobs({ max: 2 }));
    l.client(call(1, 'slow')).client(call(2, 'slow')).advance(10_000);
    const [k1] = l.toChild.filter((m) => m.method === 'tools/call').map((m) => m.id as number);
    l.client(call(3, 'slow')).advance(10_000);
    expect(textOf(lastTo(l, 3))).toBe('');
    expect(l.logs.some((g) => g.msg.includes('jobs.max jobs are running'))).toBe(true);
    l.child(ok(k1!, { content: [] }));
    l.client(call(4, 'slow')).advance(10_000);
    expect(textOf(lastTo(l, 4))).toContain('job "j3"');
    l.client(awaitJob(5, 'j1'));
    expect(textOf(lastTo(l, 5))).toContain('was dropped to make room');
    expect(events(l, 'job-dropped')).toMatchObject([{ job: 'j1', reason: 'evicted' }]);
  });

  it('jobs.maxBytes: older results go first; a result larger than maxBytes by itself fails its job', () => {
    const l = started(jobs({ maxBytes: 1_000 }));
    const big = (n: number) => ({ content: [{ type: 'text', text: 'x'.repeat(n) }] });
    for (let i = 1; i <= 3; i++) l.client(call(i, 'slow', undefined, { i }));
    l.advance(10_000);
    const keys = l.toChild.filter((m) => m.method === 'tools/call').map((m) => m.id as number);
    l.child(ok(keys[0]!, big(400))).child(ok(keys[1]!, big(400)));
    expect(events(l, 'job-dropped')).toHaveLength(0);
    l.child(ok(keys[2]!, big(400)));
    expect(events(l, 'job-dropped')).toMatchObject([{ job: 'j1', reason: 'evicted' }]);
    l.client(call(9, 'slow', undefined, { i: 9 })).advance(10_000);
    l.child(ok(childCall(l, 'slow').id as number, big(2_000)));
    l.client(awaitJob(10, 'j4'));
    expect(textOf(lastTo(l, 10))).toMatch(/^The job "j4" \(tool "slow"\) failed: the tool "slow" finished, but its result \(\d+ bytes\) is larger than mcp-leash keeps for jobs \(jobs.maxBytes = 1000\)/);
    l.client(awaitJob(11, 'j3'));
    expect(textOf(lastTo(l, 11))).toBe('x'.repeat(400));
  });
});

describe('issue 19: the job tools in tools/list', () => {
  const list = (l: Link, tools: JsonObject[], cursor?: string): JsonObject[] => {
    l.client(req('L', 'tools/list', cursor === undefined ? {} : { cursor }));
    l.child(ok(l.toChild.at(-1)!.id as number, { tools }));
    return (lastTo(l, 'L')!.result as any).tools;
  };

  it('adds leash_await and leash_cancel to a first page while a rule detaches, with input schemas', () => {
    const tools = list(started(), [{ name: 'slow', inputSchema: { type: 'object' } }]);
    expect(tools.map((t) => t.name)).toStrictEqual(['slow', 'leash_await', 'leash_cancel']);
    for (const t of tools.slice(1)) {
      expect(t.inputSchema).toStrictEqual({ type: 'object', properties: { job: { type: 'string', description: expect.any(String) } }, required: ['job'] });
      expect(typeof t.description).toBe('string');
    }
    expect(list(started(), [], 'next')).toStrictEqual([]);
  });

  it('adds nothing, and passes leash_* calls to the server, when no rule detaches', () => {
    const l = new Link(policy());
    l.client(req('init', 'initialize', INIT)).child(ok(1, { protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 's', version: '1' } }));
    expect(list(l, [{ name: 'a', inputSchema: {} }])).toStrictEqual([{ name: 'a', inputSchema: {} }]);
    l.client(awaitJob(3, 'j1'));
    expect(l.toChild.at(-1)).toMatchObject({ method: 'tools/call', params: { name: 'leash_await' } });
  });

  it('a server tool of the same name: mcp-leash uses leash_await_2, warns, and answers that name itself', () => {
    const l = started();
    const tools = list(l, [{ name: 'leash_await', inputSchema: {} }, { name: 'leash_await_2', inputSchema: {} }, { name: 'slow', inputSchema: {} }]);
    expect(tools.map((t) => t.name)).toStrictEqual(['leash_await', 'leash_await_2', 'slow', 'leash_await_3', 'leash_cancel']);
    expect(l.logs.some((g) => g.level === 'warn' && g.msg.includes('"leash_await_3"'))).toBe(true);
    l.client(call(1, 'slow')).advance(10_000);
    expect(textOf(lastTo(l, 1))).toContain('Call leash_await_3 with {"job": "j1"}');
    const toChild = l.toChild.length;
    l.client(awaitJob(2, 'j1')); // the server's own leash_await
    expect(l.toChild.length).toBe(toChild + 1);
    l.client(req(3, 'tools/call', { name: 'leash_await_3', arguments: { job: 'j1' } }));
    expect(l.toChild.length).toBe(toChild + 1);
  });
});

describe('issue 20: jobs for a 2026-07-28 client', () => {
  const ENVELOPE = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
  const modernCall = (id: number, tool: string) => req(id, 'tools/call', { name: tool, arguments: {}, _meta: ENVELOPE });

  it('the job handle, leash_await and leash_cancel results carry resultType "complete" (a 2026 client rejects results without it)', () => {
    const l = new Link(policy({ serverEra: '2026', rules: [{ tool: 'slow', detachAfterMs: 10_000 }] }));
    l.client(modernCall(7, 'slow'));
    l.advance(10_000);
    const handle = lastTo(l, 7)!;
    expect(handle.result).toMatchObject({ resultType: 'complete', _meta: { [JOB_META]: { id: 'j1' } } });
    l.client(req(8, 'tools/call', { name: 'leash_await', arguments: { job: 'j1' }, _meta: ENVELOPE }));
    l.advance(60_000);
    expect(lastTo(l, 8)?.result).toMatchObject({ resultType: 'complete' });
    l.client(req(9, 'tools/call', { name: 'leash_cancel', arguments: { job: 'j1' }, _meta: ENVELOPE }));
    expect(lastTo(l, 9)?.result).toMatchObject({ resultType: 'complete' });
  });

  it('a legacy client gets the same results without resultType', () => {
    const l = started();
    l.client(call(7, 'slow'));
    l.advance(10_000);
    expect(lastTo(l, 7)!.result).not.toHaveProperty('resultType');
  });
});
