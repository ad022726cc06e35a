// Requests the child sends the client (sampling, elicitation, roots, ping), mirrored: each gets
// an id of mcp-leash's own on the client link (ServerCalls), its answer goes back under the
// child's id, a cancel from the child is passed on under the client-side id, and one that runs
// past a rule's totalTimeout is cancelled at the client and answered -32001 to the child.

import type { Resolver } from '../policy/resolve.js';
import { ERR } from './errors.js';
import type { Outcome } from './events.js';
import type { MessageFrame } from './frame.js';
import { errorResponse, isObject, notification, paramsOf, type JsonObject, type RequestId } from './message.js';
import type { Outbox } from './outbox.js';
import { ServerCalls, type ServerCall } from './server-calls.js';
import { cancelReason } from './texts.js';

export class ServerRequests {
  readonly table = new ServerCalls();
  #out: Outbox;
  #resolve: Resolver;

  constructor(out: Outbox, resolve: Resolver) {
    this.#out = out;
    this.#resolve = resolve;
  }

  /**
   * In the bridge (bridge/input-required.ts) a request is held instead: the client is asked it
   * inside an input_required result, and never sent it, nor told of its cancel or timeout.
   */
  #held = new Set<number>();

  #add(frame: MessageFrame & { kind: 'request' }, now: number): ServerCall {
    return this.table.add(frame.id, frame.method, this.#resolve(frame.method, undefined, 'child'), now);
  }

  fromChild(frame: MessageFrame & { kind: 'request' }, now: number): void {
    const sc = this.#add(frame, now);
    const call = `s${sc.key}`;
    if (this.#out.events) this.#out.event({ type: 'call-opened', call, from: 'child', method: frame.method, id: frame.id, at: now });
    this.#out.forward('client', frame, sc.key, undefined, call);
  }

  /** A request the bridge holds: in the table (its timeout, the child's cancel), never sent to the client. */
  hold(frame: MessageFrame & { kind: 'request' }, now: number): ServerCall {
    const sc = this.#add(frame, now);
    sc.params = paramsOf(frame.msg);
    this.#held.add(sc.key);
    if (this.#out.events) this.#out.event({ type: 'call-opened', call: `s${sc.key}`, from: 'child', method: frame.method, id: frame.id, at: now });
    return sc;
  }

  /** The client's answer to a held request, from its retry's inputResponses. */
  answerHeld(sc: ServerCall, result: JsonObject, now: number): void {
    if (!this.table.take(sc.key)) return; // timed out or withdrawn meanwhile
    this.#held.delete(sc.key);
    this.#ended(sc, 'ok', 'requester', now);
    this.#out.send('child', { jsonrpc: '2.0', id: sc.childId, result }, `s${sc.key}`);
  }

  /** The child withdrew a held request (its notifications/cancelled). */
  withdrawHeld(childId: RequestId, now: number): ServerCall | undefined {
    const sc = this.table.takeByChildId(childId);
    if (!sc) return undefined;
    this.#held.delete(sc.key);
    this.#ended(sc, 'cancelled', 'requester', now);
    return sc;
  }

  /** A held request no retry will answer any more (its call is over): the child gets `code`. */
  refuseHeld(sc: ServerCall, code: number, message: string, now: number): void {
    if (!this.table.take(sc.key)) return; // answered, timed out or withdrawn meanwhile
    this.#held.delete(sc.key);
    this.#ended(sc, 'error', 'leash', now);
    this.#out.send('child', errorResponse(sc.childId, code, message), `s${sc.key}`);
  }

  /** A request of the child's the client cannot be asked: the child gets `code` at once. */
  refuse(frame: MessageFrame & { kind: 'request' }, code: number, message: string, now: number): void {
    // A key of the table's own, taken back at once: the refusal is an `s<key>` call in events.
    const sc = this.#add(frame, now);
    this.table.take(sc.key);
    this.#out.send('child', errorResponse(frame.id, code, message), `s${sc.key}`);
    if (!this.#out.events) return;
    const call = `s${sc.key}`;
    this.#out.event({ type: 'call-opened', call, from: 'child', method: frame.method, id: frame.id, at: now });
    this.#out.event({ type: 'call-ended', call, outcome: 'error', by: 'leash', errorCode: code, ms: 0, at: now, phase: 'queued' });
  }

  /** The client answered; `childUp` says whether there is a child to give it to. */
  answered(frame: MessageFrame & { kind: 'response' }, childUp: boolean, now: number): void {
    const id = frame.id;
    const sc = typeof id === 'number' ? this.table.take(id) : undefined;
    if (!sc) {
      const late = typeof id === 'number' && this.table.wasFinished(id);
      this.#out.log(late ? 'debug' : 'warn', 'client answered a request that is not in flight; dropped', { id });
      if (this.#out.events) {
        this.#out.event(late ? { type: 'late-answer', call: `s${id}`, from: 'client', afterMs: undefined, at: now } : { type: 'stray', from: 'client', what: 'answer', id, at: now });
      }
      return;
    }
    const outcome: Outcome = isObject(frame.msg.error) ? 'error' : 'ok';
    this.#ended(sc, outcome, 'requester', now);
    if (childUp) this.#out.forward('child', frame, sc.childId, undefined, `s${sc.key}`);
  }

  /** notifications/cancelled from the child, for one of its own requests. */
  cancelledByChild(frame: MessageFrame, now: number): void {
    const params = paramsOf(frame.msg);
    const childId = params?.requestId;
    const sc = typeof childId === 'string' || typeof childId === 'number' ? this.table.takeByChildId(childId) : undefined;
    if (!sc) {
      this.#out.log('debug', 'child cancelled a request that is not in flight; ignored', { requestId: childId as RequestId });
      return;
    }
    this.#out.log('info', 'server-to-client request cancelled by child', { method: sc.method });
    this.#out.send('client', { ...frame.msg, params: { ...params, requestId: sc.key } }, `s${sc.key}`);
    this.#ended(sc, 'cancelled', 'requester', now);
  }

  timeOut(now: number): void {
    for (const sc of this.table.takeExpired(now)) {
      const limit = sc.rule.totalTimeoutMs;
      this.#out.log('info', 'server-to-client request timed out', { method: sc.method, timeoutMs: limit });
      if (!this.#held.delete(sc.key)) this.#out.send('client', notification('notifications/cancelled', { requestId: sc.key, reason: cancelReason('total', limit) }), `s${sc.key}`);
      const data = { method: sc.method, timeoutMs: limit, elapsedMs: Math.round(now - sc.receivedAt) };
      this.#out.send('child', errorResponse(sc.childId, ERR.timedOut, 'Request timed out', data), `s${sc.key}`);
      if (this.#out.events) {
        this.#out.event({ type: 'call-ended', call: `s${sc.key}`, outcome: 'timeout', by: 'leash', ms: now - sc.receivedAt, at: now, phase: 'running', timeout: { kind: 'total', limitMs: limit, cancelSentToServer: true } });
      }
    }
  }

  /** The child died: its open requests die with it; the client is told to stop them. */
  childExited(now: number): void {
    for (const sc of this.table.clear()) {
      if (!this.#held.delete(sc.key)) this.#out.send('client', notification('notifications/cancelled', { requestId: sc.key, reason: 'the MCP server exited' }), `s${sc.key}`);
      this.#ended(sc, 'server-exited', 'leash', now);
    }
  }

  /** A request could not be encoded for the client: the child gets an error in its place. */
  unencodable(key: number, why: string, now: number): void {
    const sc = this.table.take(key);
    if (!sc) return;
    this.#out.send('child', errorResponse(sc.childId, ERR.internal, `Internal error: the request could not be forwarded to the client (${why})`), `s${sc.key}`);
    this.#ended(sc, 'error', 'leash', now);
  }

  #ended(sc: ServerCall, outcome: Outcome, by: 'requester' | 'leash', now: number): void {
    if (!this.#out.events) return;
    // `by: 'server'` is the peer that was asked: here, the client (events.ts).
    const who = by === 'requester' && outcome !== 'cancelled' ? 'server' : by;
    this.#out.event({ type: 'call-ended', call: `s${sc.key}`, outcome, by: who, ms: now - sc.receivedAt, at: now, phase: 'running', ...(outcome === 'cancelled' ? { cancelledBy: 'child' as const } : {}) });
  }
}
