// Cancellation in both directions (CONTRACT: notifications/cancelled with the right ids).
//
// A client's cancel names its own request id: a queued call is dropped before the child ever
// sees it; a running one is cancelled at the child under the child's id; either way no answer
// follows (the spec says the requester expects none), and a late answer is dropped. mcp-leash
// cancels at the child on its own when a call times out or its task is cancelled.

import type { Admission } from './admission.js';
import { atChild, type ClientCall } from './call-life.js';
import type { ClientCalls } from './client-calls.js';
import type { MessageFrame } from './frame.js';
import { notification, paramsOf } from './message.js';
import type { Outbox } from './outbox.js';

export interface CancellationDeps {
  out: Outbox;
  calls: ClientCalls;
  admission: Admission;
  /** A cancel for a tasks/result the client waits on; true when it was one. */
  dropTaskWaiter(requestId: string | number, now: number): boolean;
}

export class Cancellation {
  #d: CancellationDeps;

  constructor(deps: CancellationDeps) {
    this.#d = deps;
  }

  /** notifications/cancelled from the client. */
  fromClient(frame: MessageFrame, now: number): void {
    const { out, calls } = this.#d;
    const params = paramsOf(frame.msg);
    const requestId = params?.requestId;
    if (typeof requestId !== 'string' && typeof requestId !== 'number') {
      out.log('debug', 'cancellation without a request id ignored');
      return;
    }
    const call = calls.findByClientId(requestId);
    if (!call) {
      if (!this.#d.dropTaskWaiter(requestId, now)) {
        out.log('debug', 'cancellation for an unknown or finished request ignored', { requestId });
        if (out.events) out.event({ type: 'stray', from: 'client', what: 'cancel', id: requestId, at: now });
      }
      return;
    }
    if (call.method === 'initialize') {
      out.log('warn', 'client tried to cancel initialize; dropped (initialize must not be cancelled)', { requestId: call.clientId });
      return;
    }
    out.log('info', 'request cancelled by client', { method: call.method, tool: call.tool, state: call.phase, elapsedMs: Math.round(now - call.receivedAt) });
    if (call.phase === 'running') out.send('child', { ...frame.msg, params: { ...params, requestId: call.key } }, call.id);
    this.#d.admission.close(call, 'cancel', { outcome: 'cancelled', by: 'requester', cancelledBy: 'client' }, undefined, now);
  }

  /** The client cancelled the task a call runs for. */
  task(call: ClientCall, now: number): void {
    this.atChild(call, 'task cancelled by the client');
    this.#d.admission.close(call, 'task-cancel', { outcome: 'cancelled', by: 'requester', cancelledBy: 'task' }, undefined, now);
  }

  /**
   * leash_cancel stopped a job (or a call waiting for the client's input was given up, bridge/):
   * the child is told when it has the call, and the call ends cancelled.
   */
  job(call: ClientCall, now: number, reason = 'job cancelled by the client (leash_cancel)'): void {
    this.atChild(call, reason);
    this.#d.admission.close(call, 'job-cancel', { outcome: 'cancelled', by: 'requester', cancelledBy: 'job' }, undefined, now);
  }

  /** Tells the child to stop a call mcp-leash ended on its own; a queued call it never saw. */
  atChild(call: ClientCall, reason: string): void {
    if (atChild(call)) this.#d.out.send('child', notification('notifications/cancelled', { requestId: call.key, reason }), call.id);
  }
}
