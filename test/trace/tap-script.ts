// Drives a TraceWriter the way the shell will: frames read, outputs written and the core's events,
// each at a core time, with a fake clock. Tests write the stories the core would tell.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallId, CoreEvent } from '../../src/core/events.js';
import type { MessageFrame } from '../../src/core/frame.js';
import { peek, type JsonObject, type ProgressToken, type RequestId } from '../../src/core/message.js';
import type { Side } from '../../src/core/outputs.js';
import type { TraceRecord } from '../../src/trace/format.js';
import { TraceWriter } from '../../src/trace/writer.js';
import { tmpDir } from '../helpers/procs.js';

/** The core's clock when the trace starts. */
export const T0 = 1000;

type EventInput = CoreEvent extends infer E ? (E extends CoreEvent ? Omit<E, 'at'> : never) : never;

export function frameOf(msg: JsonObject): MessageFrame {
  const p = peek(msg);
  if (p.kind === 'invalid') throw new Error(`not a message: ${p.reason}`);
  return p;
}

export function tapScript(opts: { payloads?: boolean; path?: string; command?: string } = {}) {
  const path = opts.path ?? join(tmpDir('leash-trace-'), 'trace.jsonl');
  let now = T0;
  const w = new TraceWriter(path, { payloads: opts.payloads ?? false, command: opts.command ?? 'node', clock: () => now });
  return {
    path,
    w,
    /** Moves the core's clock to `ms` after the trace started. */
    at(ms: number) {
      now = T0 + ms;
    },
    /** A message read from `from`; returns its frame, for forwarding. */
    recv(from: Side, msg: JsonObject): MessageFrame {
      const frame = frameOf(msg);
      w.received(from, frame, Buffer.byteLength(JSON.stringify(msg)), now);
      return frame;
    },
    /** The core forwards `frame` to `to` with a new id and token. */
    forward(to: Side, frame: MessageFrame, o: { id?: RequestId; token?: ProgressToken; call?: CallId } = {}) {
      let msg = frame.msg;
      if (o.id !== undefined) msg = { ...msg, id: o.id };
      w.sent({ type: 'forward', to, frame, ...o }, Buffer.byteLength(JSON.stringify(msg)), now);
    },
    /** The core sends a message of its own making. */
    send(to: Side, msg: JsonObject, call?: CallId) {
      w.sent(call === undefined ? { type: 'send', to, msg } : { type: 'send', to, msg, call }, Buffer.byteLength(JSON.stringify(msg)), now);
    },
    ev(e: EventInput) {
      w.event({ ...e, at: now } as CoreEvent);
    },
    async text(): Promise<string> {
      await w.close();
      return readFileSync(path, 'utf8');
    },
    async records(): Promise<TraceRecord[]> {
      const text = await this.text();
      return text.trimEnd().split('\n').map((l) => JSON.parse(l) as TraceRecord);
    },
  };
}

export type TapScript = ReturnType<typeof tapScript>;

export const req = (id: RequestId, method: string, params?: JsonObject): JsonObject => ({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
export const res = (id: RequestId, result: JsonObject): JsonObject => ({ jsonrpc: '2.0', id, result });
export const note = (method: string, params: JsonObject): JsonObject => ({ jsonrpc: '2.0', method, params });

/** A task under tasks "auto", as the core will tell it: the tools/call answered by mcp-leash with the task, then tasks/get and tasks/result answered by mcp-leash. */
export function taskStory(s: TapScript): void {
  s.at(1);
  const call = s.recv('client', req(1, 'tools/call', { name: 'render', arguments: {} }));
  s.ev({ type: 'call-opened', call: 'c1', from: 'client', method: 'tools/call', tool: 'render', id: 1 });
  s.ev({ type: 'call-dispatched', call: 'c1', queuedMs: 0 });
  s.forward('child', call, { id: 1, call: 'c1' });
  s.at(3);
  s.ev({ type: 'task', taskId: 't-1', status: 'working', call: 'c1' });
  s.send('client', res(1, { task: { taskId: 't-1', status: 'working' } }), 'c1');
  s.ev({ type: 'call-ended', call: 'c1', outcome: 'ok', by: 'leash', ms: 2, phase: 'running' });
  s.at(50);
  s.recv('client', req(2, 'tasks/get', { taskId: 't-1' }));
  s.ev({ type: 'call-opened', call: 'l1', from: 'client', method: 'tasks/get', id: 2 });
  s.send('client', res(2, { taskId: 't-1', status: 'working' }), 'l1');
  s.ev({ type: 'call-ended', call: 'l1', outcome: 'ok', by: 'leash', ms: 0, phase: 'running' });
  s.at(400);
  s.recv('child', res(1, { content: [{ type: 'text', text: 'done' }] }));
  s.ev({ type: 'task', taskId: 't-1', status: 'completed', call: 'c1' });
  s.at(420);
  s.recv('client', req(3, 'tasks/result', { taskId: 't-1' }));
  s.ev({ type: 'call-opened', call: 'l2', from: 'client', method: 'tasks/result', id: 3 });
  s.send('client', res(3, { content: [{ type: 'text', text: 'done' }] }), 'l2');
  s.ev({ type: 'call-ended', call: 'l2', outcome: 'ok', by: 'leash', ms: 0, phase: 'running' });
}

/** With one slot: c1 runs, c2 waits in the queue and times out there (total limit 2s). */
export function queuedTimeoutStory(s: TapScript): void {
  const first = s.recv('client', req(1, 'tools/call', { name: 'busy' }));
  s.ev({ type: 'call-opened', call: 'c1', from: 'client', method: 'tools/call', tool: 'busy', id: 1 });
  s.ev({ type: 'call-dispatched', call: 'c1', queuedMs: 0 });
  s.forward('child', first, { id: 1, call: 'c1' });
  s.at(10);
  s.recv('client', req(2, 'tools/call', { name: 'queued' }));
  s.ev({ type: 'call-opened', call: 'c2', from: 'client', method: 'tools/call', tool: 'queued', id: 2 });
  s.ev({ type: 'call-queued', call: 'c2', position: 1 });
  s.at(2010);
  s.send('client', { jsonrpc: '2.0', id: 2, result: { content: [{ type: 'text', text: 'timed out while queued' }], isError: true } }, 'c2');
  s.ev({ type: 'call-ended', call: 'c2', outcome: 'timeout', by: 'leash', ms: 2000, phase: 'queued', timeout: { kind: 'total', limitMs: 2000, cancelSentToServer: false } });
  s.at(2500);
  const answer = s.recv('child', res(1, { content: [] }));
  s.forward('client', answer, { id: 1, call: 'c1' });
  s.ev({ type: 'call-ended', call: 'c1', outcome: 'ok', by: 'server', ms: 2500, phase: 'running' });
}
