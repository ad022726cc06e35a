// The core's events (src/core/events.ts): what traces and reports format. Each call opens once
// and ends once with the outcome its requester saw; these pin the cases the old trace writer got
// wrong by guessing from messages (issue 18).

import { describe, expect, it } from 'vitest';
import type { CoreEvent } from '../../src/core/events.js';
import { Link, call, ok, policy, req } from './link.js';

const ended = (l: Link) => l.events.filter((e): e is Extract<CoreEvent, { type: 'call-ended' }> => e.type === 'call-ended');
const opened = (l: Link) => l.events.filter((e): e is Extract<CoreEvent, { type: 'call-opened' }> => e.type === 'call-opened');

describe('core events', () => {
  it('a call that times out while queued ends "timeout" with its kind, limit and phase, and nothing was sent to the server', () => {
    const l = new Link(policy({ maxConcurrency: 1, rules: [{ tool: 'b', totalTimeoutMs: 1000 }] }));
    l.client(call(1, 'a')).client(call(2, 'b')).advance(1000);
    const e = ended(l).find((x) => x.call === 'c2')!;
    expect(e).toMatchObject({ outcome: 'timeout', by: 'leash', phase: 'queued', timeout: { kind: 'total', limitMs: 1000, cancelSentToServer: false } });
    expect(l.events.find((x) => x.type === 'call-queued')).toMatchObject({ call: 'c2', position: 1 });
    // The model reads that the server never saw it.
    const text = JSON.stringify(l.toClient.find((m) => m.id === 2));
    expect(text).toContain('server never saw it');
    expect(text).not.toContain('cancelled the call on the server');
  });

  it('a running call that times out says the cancel went to the server', () => {
    const l = new Link(policy({ rules: [{ tool: 'a', idleTimeoutMs: 500 }] }));
    l.client(call(1, 'a')).advance(500);
    expect(ended(l)).toMatchObject([{ call: 'c1', outcome: 'timeout', phase: 'running', timeout: { kind: 'idle', limitMs: 500, cancelSentToServer: true } }]);
  });

  it('tasks "auto": the tools/call, tasks/get and tasks/result each end exactly once', () => {
    const l = new Link(policy({ tasks: 'auto' }));
    l.client(req(0, 'initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } }));
    l.child(ok(1, { protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 's', version: '1' } }));
    const m = call(5, 'echo');
    (m.params as Record<string, unknown>).task = { ttl: 60_000 };
    l.client(m);
    const taskId = ((l.toClient.find((x) => x.id === 5)!.result as { task: { taskId: string } }).task.taskId);
    l.client(req(6, 'tasks/get', { taskId })).client(req(7, 'tasks/result', { taskId }));
    l.child(ok(2, { content: [{ type: 'text', text: 'done' }] }));
    const calls = opened(l).map((e) => `${e.call}:${e.method}`);
    expect(calls).toStrictEqual(['c1:initialize', 'c2:tools/call', 'l1:tasks/get', 'l2:tasks/result']);
    const ends = ended(l).map((e) => `${e.call}:${e.outcome}`);
    expect(ends.sort()).toStrictEqual(['c1:ok', 'c2:ok', 'l1:ok', 'l2:ok']);
    expect(l.events.filter((e) => e.type === 'task').map((e) => (e as { status: string }).status)).toStrictEqual(['completed']);
  });

  it('a late answer and a cancel are events, with the call they belong to', () => {
    const l = new Link();
    l.client(call(1, 'a')).client({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } });
    l.child(ok(1, {}));
    expect(ended(l)).toMatchObject([{ call: 'c1', outcome: 'cancelled', cancelledBy: 'client', by: 'requester' }]);
    expect(l.events.at(-1)).toMatchObject({ type: 'late-answer', call: 'c1', from: 'child' });
  });

  it('events cost nothing when off: a session without them emits none', () => {
    const l = new Link();
    const off = new (l.session.constructor as typeof import('../../src/core/session.js').Session)(policy());
    off.handleClient({ kind: 'request', id: 1, method: 'ping', msg: { jsonrpc: '2.0', id: 1, method: 'ping' } }, 0);
    expect(off.poll().filter((o) => o.type === 'event')).toStrictEqual([]);
  });
});
