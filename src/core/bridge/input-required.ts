/*
 * The server's requests to the client, as 2026-07-28 multi round-trip requests
 * (basic/patterns/mrtr.mdx): theory of operation.
 *
 * A legacy server asks the client for sampling, elicitation or roots with a request of its own,
 * from inside a tool call (or prompts/get, resources/read). A 2026 client takes no requests:
 * the call is answered with `resultType: "input_required"`, its `inputRequests` holding the
 * server's requests, and the client retries the call with `inputResponses` and the
 * `requestState` it was given. The server's call never stopped: it waits at the server for the
 * answer to its request, under its own limits, as a detached call (call-life.ts: the client's
 * first request is over, the call goes on). The retry is a waiter for that same call:
 *
 *   server asks    running call ──detach (input_required, state A)──▶ wait (no retry yet)
 *   client retries wait ◀── retry with state A: each inputResponse answers the server's request
 *                  then: the call's answer is kept → the retry gets it at once
 *                        the server asked more   → the retry gets input_required (state B)
 *                        otherwise               → the retry waits; the call's end goes to it
 *
 * `requestState` is a random token from the shell, looked up here and used once: it names one
 * wait, cannot be derived from another, and is refused on a request with another method, tool,
 * prompt or resource. A stdio legacy server does not say which call a request belongs to; it
 * goes to a call that can carry it: one whose request declared the capability first, then a
 * retry waiting, else the newest running call, else a wait whose client has not retried yet.
 * Any of them works: the answer reaches the server's request whichever call carried it. A
 * request outside any such call (roots/list at start-up) is refused to the server, since a
 * 2026 client can only be asked inside a call.
 *
 * A client that never retries: after INPUT_WAIT_MS the call is cancelled at the server. An
 * answer no retry came for is forgotten after the same time.
 */

import type { Admission, Answer, Ending } from '../admission.js';
import type { ClientCall } from '../call-life.js';
import type { Cancellation } from '../cancellation.js';
import type { ClientCalls } from '../client-calls.js';
import type { CallId } from '../events.js';
import { ERR } from '../errors.js';
import { wholeMessage, type MessageFrame } from '../frame.js';
import { errorResponse, isObject, notification, paramsOf, progressTokenOf, type JsonObject, type ProgressToken, type RequestId } from '../message.js';
import type { Outbox } from '../outbox.js';
import type { ServerRequests } from '../server-requests.js';
import type { ServerCall } from '../server-calls.js';
import { MISSING_REQUIRED_CLIENT_CAPABILITY } from './envelope.js';

/** How long a wait keeps its call at the server without a retry, and a kept answer without one. */
export const INPUT_WAIT_MS = 10 * 60_000;

/** Client requests that may be answered input_required (mrtr.mdx, Supported Requests). */
const CARRIERS: ReadonlySet<string> = new Set(['tools/call', 'prompts/get', 'resources/read']);

/** The server requests a 2026 client answers through MRTR, and the capability each needs. */
export const INPUT_CAPABILITY: Readonly<Record<string, string>> = { 'sampling/createMessage': 'sampling', 'elicitation/create': 'elicitation', 'roots/list': 'roots' };

interface Wait {
  readonly call: ClientCall;
  /** The server's requests the client was asked to answer, by input key. */
  readonly inputs: Map<string, ServerCall>;
  /** The requestState the client holds (undefined while a retry waits). */
  token: string | undefined;
  /** The retry waiting for the call's end, its id in events, and its progress token. */
  waiter: { id: RequestId; call: CallId; receivedAt: number; token: ProgressToken | undefined } | undefined;
  /** The call's end, completed, kept for a retry. */
  answer: JsonObject | undefined;
  expiresAt: number;
}

export interface InputDeps {
  out: Outbox;
  calls: ClientCalls;
  admission: Admission;
  cancel: Cancellation;
  server: ServerRequests;
  /** Progress not yet passed on goes out before the input_required answer. */
  flushProgress(call: ClientCall, now: number): void;
  /** A fresh requestState: random, from the shell. */
  stateToken(): string;
  /** A number for a call mcp-leash answers itself (events: `l<n>`). */
  ownCall(): CallId;
  /** The server's answer completed for a 2026 client (complete.ts). */
  complete(method: string, msg: JsonObject): JsonObject;
}

export class InputRequired {
  #d: InputDeps;
  #byToken = new Map<string, Wait>();
  #byCall = new Map<number, Wait>();
  #byWaiter = new Map<RequestId, Wait>();

  constructor(deps: InputDeps) {
    this.#d = deps;
  }

  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const w of this.#byCall.values()) if (w.waiter === undefined && (next === undefined || w.expiresAt < next)) next = w.expiresAt;
    return next;
  }

  /** The server asked the client something (a request with a method in INPUT_CAPABILITY). */
  fromChild(frame: MessageFrame & { kind: 'request' }, now: number): void {
    const { out, server } = this.#d;
    const capability = INPUT_CAPABILITY[frame.method]!;
    const target = this.#carrier(capability);
    if (!target) {
      out.log('warn', 'the server asked the client something outside any call; a 2026-07-28 client can only be asked during tools/call, prompts/get or resources/read', { method: frame.method });
      return server.refuse(frame, ERR.methodNotFound, `Method not found: the client speaks MCP 2026-07-28 and can be asked ${frame.method} only during a tool call, prompts/get or resources/read (mcp-leash bridge)`, now);
    }
    const call = 'call' in target ? target.call : target;
    if (!isObject(call.meta?.capabilities[capability])) return this.#missing(call, frame, capability, now);
    const sc = server.hold(frame, now);
    const wait = 'call' in target ? target : this.#open(call, now);
    wait.inputs.set(inputKey(sc), sc);
    if (wait === target && wait.waiter !== undefined) {
      // A retry waits: it gets the new question now.
      const waiter = wait.waiter;
      this.#byWaiter.delete(waiter.id);
      wait.waiter = undefined;
      this.#ask(wait, waiter.id, waiter, now);
    } else if (wait !== target) {
      this.#d.flushProgress(call, now);
      this.#ask(wait, call.clientId, undefined, now);
    }
    // (A wait whose client has not retried yet: its retry will be asked this too.)
  }

  /** The server withdrew one of its requests (notifications/cancelled): no client is asked it any more. */
  childCancelled(childId: RequestId, now: number): boolean {
    const sc = this.#d.server.withdrawHeld(childId, now);
    if (!sc) return false;
    for (const w of this.#byCall.values()) w.inputs.delete(inputKey(sc));
    return true;
  }

  /**
   * A request with requestState or inputResponses: a retry. It is answered at once (the call's
   * kept end, more questions, or a refusal), or waits for its call.
   */
  retry(frame: MessageFrame & { kind: 'request' }, now: number): void {
    const { out } = this.#d;
    const params = paramsOf(frame.msg) ?? {};
    const state = params.requestState;
    const own = this.#d.ownCall();
    if (out.events) out.event({ type: 'call-opened', call: own, from: 'client', method: frame.method, id: frame.id, at: now });
    const refuse = (message: string) => this.#answer(frame.id, own, now, now, errorResponse(frame.id, ERR.invalidParams, `Invalid params: ${message} (mcp-leash bridge)`), 'error');
    if (typeof state !== 'string') return refuse('inputResponses without the requestState of the input_required result they answer');
    const wait = this.#byToken.get(state);
    if (!wait) return refuse('requestState is unknown, expired or already used; send the request again without requestState and inputResponses');
    if (frame.method !== wait.call.method || subjectOf(params) !== wait.call.meta?.subject) {
      return refuse(`requestState belongs to another request (${wait.call.method} ${wait.call.tool ?? ''}); retry that request with it`.replace(' )', ')'));
    }
    this.#byToken.delete(state);
    wait.token = undefined;
    const responses = isObject(params.inputResponses) ? params.inputResponses : {};
    for (const [key, response] of Object.entries(responses)) {
      const sc = wait.inputs.get(key);
      if (!sc || !isObject(response)) continue; // unknown keys are ignored (mrtr.mdx, Error Handling)
      wait.inputs.delete(key);
      this.#d.server.answerHeld(sc, response, now);
    }
    if (wait.answer !== undefined) {
      this.#forget(wait, now);
      return this.#answer(frame.id, own, now, now, wait.answer, isObject(wait.answer.error) ? 'error' : 'ok');
    }
    if (wait.inputs.size > 0) return this.#ask(wait, frame.id, { call: own, receivedAt: now }, now);
    wait.waiter = { id: frame.id, call: own, receivedAt: now, token: progressTokenOf(params) };
    this.#byWaiter.set(frame.id, wait);
  }

  /** A call ended while it waited for input (Admission's job hook): its end goes to the retry. */
  ended(call: ClientCall, ending: Ending, answer: Answer, now: number): boolean {
    const wait = this.#byCall.get(call.key);
    if (!wait) return false;
    if (answer === undefined) {
      // Cancelled: by the retry's client (already told nothing more comes), or for want of a retry.
      this.#forget(wait, now);
      return true;
    }
    const whole = 'frame' in answer ? wholeMessage(answer.frame) : (answer.spill?.unwritten ?? answer.msg);
    const msg = whole instanceof Error ? errorResponse(call.clientId, ERR.internal, `Internal error: the MCP server sent an answer that does not parse (${whole.message})`) : this.#d.complete(call.method, whole);
    if (wait.waiter) {
      const { id, call: own, receivedAt } = wait.waiter;
      this.#forget(wait, now);
      this.#answer(id, own, receivedAt, now, msg, ending.outcome);
      return true;
    }
    wait.answer = msg;
    wait.expiresAt = now + INPUT_WAIT_MS;
    return true;
  }

  /**
   * The server's progress for a call that waits for input: the retry waiting gets it under its
   * own token (the SDK v2 client carries its onprogress over to the retry); before a retry, nobody
   * listens. Not throttled: a call here has spoken to a person and is rarely chatty.
   */
  progressed(call: ClientCall, params: JsonObject): void {
    const token = this.#byCall.get(call.key)?.waiter?.token;
    if (token !== undefined) this.#d.out.send('client', notification('notifications/progress', { ...params, progressToken: token }));
  }

  /** notifications/cancelled for a retry that waits: the call is cancelled at the server. */
  cancelled(requestId: RequestId, now: number): boolean {
    const wait = this.#byWaiter.get(requestId);
    if (!wait) return false;
    const { call: own, receivedAt } = wait.waiter!;
    this.#forget(wait, now);
    this.#d.out.log('info', 'request cancelled by client while its call waited for the server', { method: wait.call.method, tool: wait.call.tool });
    if (this.#d.out.events) this.#d.out.event({ type: 'call-ended', call: own, outcome: 'cancelled', by: 'requester', cancelledBy: 'client', ms: now - receivedAt, at: now, phase: 'running' });
    this.#d.cancel.job(wait.call, now, 'request cancelled by the client');
    return true;
  }

  tick(now: number): void {
    for (const wait of [...this.#byCall.values()]) {
      if (wait.waiter !== undefined || now < wait.expiresAt) continue;
      this.#forget(wait, now, ERR.timedOut, `no retry came within ${INPUT_WAIT_MS / 1000}s`);
      if (wait.answer !== undefined) {
        this.#d.out.log('info', 'an answer kept for a retry that never came was dropped', { method: wait.call.method, tool: wait.call.tool, afterMs: INPUT_WAIT_MS });
        continue;
      }
      this.#d.out.log('warn', 'the client never retried a call that asked it for input; cancelling it at the server', { method: wait.call.method, tool: wait.call.tool, afterMs: INPUT_WAIT_MS });
      this.#d.cancel.job(wait.call, now, `the client did not answer the server's questions within ${INPUT_WAIT_MS / 1000}s`);
    }
  }

  /**
   * The call to carry a new input request, newest first: a retry waiting, a running call, a wait
   * not yet retried; among them, first one whose request declared the capability the request
   * needs (another call may have sent it: an unrelated call that cannot carry it must not be
   * ended with -32021 for it). None declared it: the first of them, which gets -32021.
   */
  #carrier(capability: string): Wait | ClientCall | undefined {
    const can = (c: ClientCall) => isObject(c.meta?.capabilities[capability]);
    let waiting: Wait | undefined;
    let quiet: Wait | undefined;
    let waitingCan: Wait | undefined;
    let quietCan: Wait | undefined;
    for (const w of this.#byCall.values()) {
      if (w.answer !== undefined) continue;
      if (w.waiter) {
        waiting = w;
        if (can(w.call)) waitingCan = w;
      } else {
        quiet = w;
        if (can(w.call)) quietCan = w;
      }
    }
    let running: ClientCall | undefined;
    let runningCan: ClientCall | undefined;
    for (const c of this.#d.calls.all()) {
      if (c.phase !== 'running' || c.meta === undefined || !CARRIERS.has(c.method)) continue;
      if (running === undefined || c.startedAt >= (running.startedAt ?? 0)) running = c;
      if (can(c) && (runningCan === undefined || c.startedAt >= (runningCan.startedAt ?? 0))) runningCan = c;
    }
    return waitingCan ?? runningCan ?? quietCan ?? waiting ?? running ?? quiet;
  }

  #open(call: ClientCall, now: number): Wait {
    const wait: Wait = { call, inputs: new Map(), token: undefined, waiter: undefined, answer: undefined, expiresAt: now + INPUT_WAIT_MS };
    this.#byCall.set(call.key, wait);
    return wait;
  }

  /** Answers `id` (the call's first request, or a retry) input_required with every open question. */
  #ask(wait: Wait, id: RequestId, own: { call: CallId; receivedAt: number } | undefined, now: number): void {
    const token = this.#d.stateToken();
    wait.token = token;
    wait.expiresAt = now + INPUT_WAIT_MS;
    this.#byToken.set(token, wait);
    const inputRequests: JsonObject = {};
    for (const [key, sc] of wait.inputs) inputRequests[key] = { method: sc.method, params: sc.params ?? {} };
    const msg = { jsonrpc: '2.0', id, result: { resultType: 'input_required', inputRequests, requestState: token } };
    this.#d.out.log('info', 'the server asked the client for input; answered input_required', { method: wait.call.method, tool: wait.call.tool, asks: [...wait.inputs.values()].map((sc) => sc.method).join(', ') });
    if (own === undefined) {
      this.#d.admission.detach(wait.call, msg, now);
      return;
    }
    this.#answer(id, own.call, own.receivedAt, now, msg, 'ok');
  }

  /** A capability the call's request did not declare is needed: -32021 to the client, the call cancelled. */
  #missing(call: ClientCall, frame: MessageFrame & { kind: 'request' }, capability: string, now: number): void {
    const { out, server } = this.#d;
    server.refuse(frame, ERR.methodNotFound, `Method not found: the client did not declare the ${capability} capability for this request (mcp-leash bridge)`, now);
    const wait = this.#byCall.get(call.key);
    const id = wait ? wait.waiter?.id : call.clientId;
    const msg = errorResponse(id ?? null, MISSING_REQUIRED_CLIENT_CAPABILITY, `Missing required client capability: the server needs ${capability} to complete this request`, {
      requiredCapabilities: { [capability]: {} },
    });
    out.log('warn', 'the server needs a client capability the request did not declare; the call is ended', { method: call.method, tool: call.tool, capability });
    if (wait) {
      const waiter = wait.waiter;
      if (waiter) this.#answer(waiter.id, waiter.call, waiter.receivedAt, now, msg, 'error');
      this.#forget(wait, now);
      this.#d.cancel.job(call, now, `the client lacks the ${capability} capability`);
      if (waiter || wait.token === undefined) return;
      // The client has not retried yet: its retry gets the -32021, not an unknown requestState.
      wait.answer = msg;
      wait.expiresAt = now + INPUT_WAIT_MS;
      this.#byCall.set(call.key, wait);
      this.#byToken.set(wait.token, wait);
      return;
    }
    this.#d.cancel.atChild(call, `the client lacks the ${capability} capability`);
    this.#d.admission.close(call, 'cancel', { outcome: 'error', by: 'leash' }, { msg }, now);
  }

  #answer(id: RequestId, own: CallId, receivedAt: number, now: number, msg: JsonObject, outcome: Ending['outcome']): void {
    this.#d.out.send('client', { ...msg, id }, own);
    if (this.#d.out.events) this.#d.out.event({ type: 'call-ended', call: own, outcome, by: 'leash', ms: now - receivedAt, at: now, phase: 'running' });
  }

  /**
   * The wait is over: no retry will answer the server's questions still open in it, so the
   * server gets an error for each (else they stay in flight at mcp-leash, and at the server,
   * for good). -32001 when the client never came back in time.
   */
  #forget(wait: Wait, now: number, code: number = ERR.internal, why = 'the request it was asked in is over'): void {
    for (const sc of wait.inputs.values()) this.#d.server.refuseHeld(sc, code, `The client will not answer: ${why} (mcp-leash bridge)`, now);
    wait.inputs.clear();
    this.#byCall.delete(wait.call.key);
    if (wait.token !== undefined) this.#byToken.delete(wait.token);
    if (wait.waiter) this.#byWaiter.delete(wait.waiter.id);
  }
}

function inputKey(sc: ServerCall): string {
  return `input-${sc.key}`;
}

/** What a request is about: the tool, the prompt or the resource (a retry must name its first request's). */
export function subjectOf(params: JsonObject | undefined): string | undefined {
  const s = params?.name ?? params?.uri;
  return typeof s === 'string' ? s : undefined;
}
