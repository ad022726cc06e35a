// What a client request becomes: a task request mcp-leash answers itself, a refusal when no
// server will answer any more, or a new call (with its task, when it asked for one) admitted to
// the queue.

import type { Resolver } from '../policy/resolve.js';
import type { Admission } from './admission.js';
import { newCall } from './call-life.js';
import type { ChildLife } from './child-life.js';
import type { ClientCalls } from './client-calls.js';
import { ERR } from './errors.js';
import type { MessageFrame } from './frame.js';
import { errorResponse, paramsOf, progressTokenOf, type JsonObject, type RequestId } from './message.js';
import type { Outbox } from './outbox.js';
import { newProgress } from './progress.js';
import type { TaskBridge } from './task-bridge.js';
import type { Jobs } from './jobs.js';

export interface ClientRequestDeps {
  out: Outbox;
  calls: ClientCalls;
  resolve: Resolver;
  life: ChildLife;
  tasks: TaskBridge;
  jobs: Jobs;
  admission: Admission;
  /** Requests refused at once so far, to number them for events (`r<n>`). */
  refused: number;
}

export function clientRequest(frame: MessageFrame & { kind: 'request' }, now: number, d: ClientRequestDeps): void {
  const { id, method } = frame;
  const params = paramsOf(frame.msg);
  if (d.tasks.owns(method)) return d.tasks.handle(id, method, params, now);
  // leash_await and leash_cancel: answered by mcp-leash, even with no server running.
  if (d.jobs.owns(method, params?.name)) return d.jobs.handle(id, params!.name as string, params, now);
  if (d.life.refusing) return refuse(id, method, now, d);
  const tool = method === 'tools/call' && typeof params?.name === 'string' ? params.name : undefined;
  if (method === 'initialize') d.life.initializeSent(frame.msg);
  const task = tool !== undefined && d.tasks.wants(params) ? d.tasks.create(id, params!, now) : null;
  if (task === undefined) return; // too many tasks: already answered
  // The child knows nothing of tasks: it gets the plain call, without params.task.
  const sent: MessageFrame = task ? { kind: 'request', id, method, msg: { ...frame.msg, params: withoutKey(params!, 'task') } } : frame;
  const clientToken = progressTokenOf(params);
  const call = newCall(
    {
      key: d.calls.nextKey(),
      clientId: id,
      method,
      tool,
      rule: d.resolve(method, tool, 'client'),
      receivedAt: now,
      clientToken,
      progress: clientToken === undefined ? undefined : newProgress(clientToken, now),
      taskId: task ? task.taskId : undefined,
      // initialize and ping never wait behind tool calls, nor count against the limit (CONTRACT §7).
      unslotted: method === 'initialize' || method === 'ping',
      hadCursor: params !== undefined && 'cursor' in params,
    },
    sent,
  );
  d.admission.admit(call, now);
  if (task) {
    // The client's request is answered now with the handle; a later request may reuse its id.
    d.calls.forgetClientId(call);
    d.tasks.start(task, call, id);
  }
}

/** No child will answer: the request gets the reason at once (a call opened and ended). */
function refuse(id: RequestId, method: string, now: number, d: ClientRequestDeps): void {
  const call = `r${++d.refused}`;
  d.out.send('client', errorResponse(id, ERR.serverExited, d.life.goneText), call);
  if (!d.out.events) return;
  d.out.event({ type: 'call-opened', call, from: 'client', method, id, at: now });
  d.out.event({ type: 'call-ended', call, outcome: 'server-exited', by: 'leash', errorCode: ERR.serverExited, ms: 0, at: now, phase: 'queued' });
}

function withoutKey(obj: JsonObject, key: string): JsonObject {
  const { [key]: _dropped, ...rest } = obj;
  return rest;
}
