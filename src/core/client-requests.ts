// What a client request becomes: a task request mcp-leash answers itself, a refusal when no
// server will answer any more, or a new call (with its task, when it asked for one) admitted to
// the queue.

import type { Resolver } from '../policy/resolve.js';
import type { CallMeta } from './bridge/envelope.js';
import type { Admission } from './admission.js';
import { newCall } from './call-life.js';
import type { ChildLife } from './child-life.js';
import type { ClientCalls } from './client-calls.js';
import { DISCOVER, probeRefused, type Eras } from './era.js';
import type { Outcome } from './events.js';
import { ERR } from './errors.js';
import type { MessageFrame } from './frame.js';
import type { GuardRails } from './guard-rails.js';
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
  eras: Eras;
  startupTimeoutMs: number;
  /** Hidden tools, prompts and resources are refused before they become calls. */
  guard: GuardRails;
  /** Requests refused at once so far, to number them for events (`r<n>`). */
  refused: number;
}

/** `meta`: what a bridged call keeps of its envelope (bridge/bridge.ts). */
export function clientRequest(frame: MessageFrame & { kind: 'request' }, now: number, d: ClientRequestDeps, meta?: CallMeta): void {
  const { id, method } = frame;
  const params = paramsOf(frame.msg);
  const modern = d.eras.fromClient(method, params);
  if (d.tasks.owns(method)) return d.tasks.handle(id, method, params, now, modern);
  // leash_await and leash_cancel: answered by mcp-leash, even with no server running.
  if (d.jobs.owns(method, params?.name)) return d.jobs.handle(id, params!.name as string, params, now);
  if (d.life.refusing) return answerAtOnce(id, method, errorResponse(id, ERR.serverExited, d.life.goneText), 'server-exited', now, d);
  // The user said the child is legacy: a probe never reaches it (some legacy servers exit on it).
  if (method === DISCOVER && d.eras.refusesProbe) return answerAtOnce(id, method, probeRefused(id), 'error', now, d);
  const tool = method === 'tools/call' && typeof params?.name === 'string' ? params.name : undefined;
  if (d.guard.refuses(frame, tool, params, now, modern)) return;
  if (method === 'initialize') d.life.initializeSent(frame.msg);
  const task = tool !== undefined && d.tasks.wants(params) ? d.tasks.create(id, params!, now) : null;
  if (task === undefined) return; // too many tasks: already answered
  // The child knows nothing of tasks: it gets the plain call, without params.task.
  const sent: MessageFrame = task ? { kind: 'request', id, method, msg: { ...frame.msg, params: withoutKey(params!, 'task') } } : frame;
  const clientToken = progressTokenOf(params);
  const resolved = d.resolve(method, tool, 'client');
  const call = newCall(
    {
      key: d.calls.nextKey(),
      clientId: id,
      method,
      tool,
      rule: method === DISCOVER ? d.eras.probeRule(resolved, d.startupTimeoutMs) : resolved,
      receivedAt: now,
      clientToken,
      progress: clientToken === undefined ? undefined : newProgress(clientToken, now),
      taskId: task ? task.taskId : undefined,
      // initialize, server/discover (its 2026 counterpart) and ping never wait behind tool calls,
      // nor count against the limit (CONTRACT §7).
      unslotted: method === 'initialize' || method === DISCOVER || method === 'ping',
      hadCursor: params !== undefined && 'cursor' in params,
      modern,
      meta,
    },
    sent,
  );
  d.admission.admit(call, now);
  // After the request went out: a first 2026 request starts the first-answer watch (child-life.ts).
  d.life.requestArrived(method, modern, now);
  if (task) {
    // The client's request is answered now with the handle; a later request may reuse its id.
    d.calls.forgetClientId(call);
    d.tasks.start(task, call, id);
  }
}

/**
 * A request answered at once, without the child: no child will answer any more, or the policy
 * says the child cannot (a probe to a legacy child). A call opened and ended (`r<n>`).
 */
function answerAtOnce(id: RequestId, method: string, msg: JsonObject, outcome: Outcome, now: number, d: ClientRequestDeps): void {
  const call = `r${++d.refused}`;
  d.out.send('client', msg, call);
  if (!d.out.events) return;
  const error = msg.error as { code: number };
  d.out.event({ type: 'call-opened', call, from: 'client', method, id, at: now });
  d.out.event({ type: 'call-ended', call, outcome, by: 'leash', errorCode: error.code, ms: 0, at: now, phase: 'queued' });
}

function withoutKey(obj: JsonObject, key: string): JsonObject {
  const { [key]: _dropped, ...rest } = obj;
  return rest;
}
