/*
 * The bridge: a 2026-07-28 face for a legacy server (policy `protocol: "bridge"`). Theory of
 * operation.
 *
 * A client pinned to MCP 2026-07-28 sends no initialize: every request carries its version and
 * capabilities in `_meta`, results need `resultType`, and the server may not send requests. A
 * legacy server (2024-11-05 to 2025-11-25) needs initialize first and sends requests. The bridge
 * stands between the two for the whole session, on top of what mcp-leash does for every call
 * (queue, timeouts, progress, heartbeats, jobs), which runs unchanged:
 *
 *   idle     nothing decided. A client that opens with initialize is a legacy client: relayed
 *            as today, for good. A 2026 request decides: a server the user said is 2026 is
 *            relayed; one said to be legacy is bridged at once; otherwise the server is probed.
 *   probing  mcp-leash's own server/discover (with the client's envelope) is at the server; the
 *            client's messages wait here, in order. A discover result: a 2026 server (relay).
 *            An error, silence for the probe wait (era.ts), or an exit: a legacy server.
 *   engaged  mcp-leash performs the legacy handshake (child-life.ts, as a replayed initialize:
 *            again after every restart), answers server/discover from the server's initialize
 *            result (handshake.ts), checks every request's envelope (envelope.ts), completes
 *            every result (complete.ts), turns the server's requests into input_required results
 *            (input-required.ts), carries notifications on subscriptions/listen
 *            (subscriptions.ts) and log messages only while a request asked for a level.
 *   relay    the bridge stands aside.
 *
 * Health checks in a bridged session are pings: the server is legacy (era.ts).
 */

import type { Admission, Answer, Ending } from '../admission.js';
import type { ClientCall } from '../call-life.js';
import type { Cancellation } from '../cancellation.js';
import type { ChildLife } from '../child-life.js';
import type { ClientCalls } from '../client-calls.js';
import { DISCOVER, PROBE_WAIT_MS, protocolVersionOf, type Eras } from '../era.js';
import { ERR } from '../errors.js';
import type { CallId } from '../events.js';
import type { Frame, MessageFrame } from '../frame.js';
import { OWN_ID_PREFIX } from '../health.js';
import { errorResponse, isObject, paramsOf, type JsonObject, type RequestId } from '../message.js';
import type { Outbox } from '../outbox.js';
import type { ServerRequests } from '../server-requests.js';
import { earliest } from '../timers.js';
import { completeResponse } from './complete.js';
import { logRank, readEnvelope, type CallMeta, type Envelope } from './envelope.js';
import { discoverResult, INITIALIZED, initializeFor, probeFor, serverInfoOf } from './handshake.js';
import { INPUT_CAPABILITY, InputRequired, subjectOf } from './input-required.js';
import { Subscriptions } from './subscriptions.js';

/** mcp-leash's own requests from the bridge (probe, resources/subscribe): answered to the bridge. */
export const BRIDGE_ID_PREFIX = `${OWN_ID_PREFIX}bridge:`;

const LISTEN = 'subscriptions/listen';

export interface BridgeDeps {
  out: Outbox;
  calls: ClientCalls;
  admission: Admission;
  cancel: Cancellation;
  server: ServerRequests;
  life: ChildLife;
  eras: Eras;
  startupTimeoutMs: number;
  flushProgress(call: ClientCall, now: number): void;
  /** A fresh requestState: random, from the shell. */
  stateToken(): string;
  ownCall(): CallId;
  /** The client's messages held while probing go through the session again, in order. */
  refeed(frame: Frame, now: number): void;
}

type State = 'idle' | 'probing' | 'engaged' | 'relay';

export class Bridge {
  #d: BridgeDeps;
  #state: State = 'idle';
  #held: Frame[] = [];
  #probe: { id: string; deadline: number; waitMs: number; sent: boolean } | undefined;
  #env: Envelope | undefined;
  /** The probe that ran out of time: a discover result for it later means a slow 2026 server. */
  #lateProbe: string | undefined;
  /** server/discover requests waiting for the server's initialize result. */
  #discovers: { id: RequestId; call: CallId; at: number }[] = [];
  /** subscriptions/listen requests waiting for the server's capabilities (its initialize result). */
  #listens: { id: RequestId; params: JsonObject | undefined }[] = [];
  #seq = 0;
  readonly inputs: InputRequired;
  readonly subs: Subscriptions;

  constructor(deps: BridgeDeps) {
    this.#d = deps;
    this.inputs = new InputRequired({ ...deps, complete: (method, msg) => this.complete(method, msg) });
    this.subs = new Subscriptions(deps.out, () => this.#ownId('sub'));
  }

  /** The session is bridged: the client speaks 2026-07-28, the server an older version. */
  get engaged(): boolean {
    return this.#state === 'engaged';
  }

  /** The probe is at the server: a server that exits now exits on it. */
  get probing(): boolean {
    return this.#state === 'probing';
  }

  nextDeadline(): number | undefined {
    return earliest(this.#probe?.deadline, this.inputs.nextDeadline());
  }

  // ── from the client ──────────────────────────────────────────────────────────────────────

  /**
   * A client message. `true`: the bridge took it (held, answered, or handled); a CallMeta: it
   * goes on as a call, with what the call keeps of its envelope; undefined: it goes on as today.
   */
  fromClient(frame: Frame, now: number): true | CallMeta | undefined {
    switch (this.#state) {
      case 'relay':
        return undefined;
      case 'probing':
        this.#held.push(frame);
        return true;
      case 'engaged':
        return this.#engaged(frame, now);
      case 'idle':
        return this.#first(frame, now);
    }
  }

  #first(frame: Frame, now: number): true | CallMeta | undefined {
    if (frame.kind !== 'request') return undefined;
    if (frame.method === 'initialize') {
      this.#state = 'relay'; // a legacy client: relayed exactly as without the bridge
      return undefined;
    }
    const params = paramsOf(frame.msg);
    if (protocolVersionOf(params) === undefined) return undefined;
    if (this.#d.eras.child === 'modern') {
      this.#state = 'relay';
      return undefined;
    }
    const env = readEnvelope(frame.id, frame.method, params);
    if ('error' in env) return this.#refuse(frame, env.error, now);
    this.#env = env;
    if (this.#d.eras.child === 'legacy') {
      this.#engage(now);
      return this.#engaged(frame, now);
    }
    const wait = this.#d.startupTimeoutMs > 0 ? Math.min(PROBE_WAIT_MS, this.#d.startupTimeoutMs) : PROBE_WAIT_MS;
    this.#probe = { id: this.#ownId('probe'), deadline: now + wait, waitMs: wait, sent: false };
    this.#state = 'probing';
    this.#held.push(frame);
    this.#sendProbe();
    return true;
  }

  #engaged(frame: Frame, now: number): true | CallMeta | undefined {
    if (frame.kind === 'notification') {
      if (frame.method !== 'notifications/cancelled') return undefined;
      const id = paramsOf(frame.msg)?.requestId;
      if ((typeof id === 'string' || typeof id === 'number') && (this.subs.cancelled(id) || this.inputs.cancelled(id, now) || takeOut(this.#discovers, id) || takeOut(this.#listens, id))) return true;
      return undefined;
    }
    if (frame.kind !== 'request') return undefined;
    const { id, method } = frame;
    if (method === 'initialize') {
      return this.#refuse(frame, errorResponse(id, ERR.invalidRequest, 'Invalid request: this mcp-leash serves the session in MCP 2026-07-28 (protocol "bridge"), which has no initialize; restart the client to use MCP 2025-11-25'), now);
    }
    const params = paramsOf(frame.msg);
    const env = readEnvelope(id, method, params);
    if ('error' in env) return this.#refuse(frame, env.error, now);
    if (method === DISCOVER) return this.#discover(id, now);
    if (method === LISTEN) {
      // Acknowledged with what the server honours: known once the handshake is done.
      const { life } = this.#d;
      if (life.initializeResult || life.refusing) this.subs.listen(id, params, this.#serverCapabilities(), life.up);
      else this.#listens.push({ id, params });
      return true;
    }
    if (params !== undefined && ('requestState' in params || 'inputResponses' in params)) {
      this.inputs.retry(frame, now);
      return true;
    }
    return { capabilities: env.capabilities, logLevel: env.logLevel, subject: subjectOf(params) };
  }

  #discover(id: RequestId, now: number): true {
    const call = this.#d.ownCall();
    const { out, life } = this.#d;
    if (out.events) out.event({ type: 'call-opened', call, from: 'client', method: DISCOVER, id, at: now });
    // A server gone for good (or stopping) answers nothing any more: neither does its discover.
    if (life.refusing) this.#discoverGone({ id, call, at: now }, now);
    else if (life.initializeResult) this.#answerDiscover({ id, call, at: now }, now);
    else this.#discovers.push({ id, call, at: now }); // the handshake runs: answered when it is done
    return true;
  }

  #answerDiscover(d: { id: RequestId; call: CallId; at: number }, now: number): void {
    const { out, life } = this.#d;
    out.send('client', { jsonrpc: '2.0', id: d.id, result: discoverResult(life.initializeResult!) }, d.call);
    if (out.events) out.event({ type: 'call-ended', call: d.call, outcome: 'ok', by: 'leash', ms: now - d.at, at: now, phase: 'running' });
  }

  #discoverGone(d: { id: RequestId; call: CallId; at: number }, now: number): void {
    const { out, life } = this.#d;
    out.send('client', errorResponse(d.id, ERR.serverExited, life.goneText), d.call);
    if (out.events) out.event({ type: 'call-ended', call: d.call, outcome: 'server-exited', by: 'leash', errorCode: ERR.serverExited, ms: now - d.at, at: now, phase: 'running' });
  }

  /** A request answered by the bridge with an error, never reaching the server. */
  #refuse(frame: MessageFrame & { kind: 'request' }, msg: JsonObject, now: number): true {
    const { out } = this.#d;
    const call = this.#d.ownCall();
    out.send('client', msg, call);
    if (out.events) {
      const code = (msg.error as { code: number }).code;
      out.event({ type: 'call-opened', call, from: 'client', method: frame.method, id: frame.id, at: now });
      out.event({ type: 'call-ended', call, outcome: 'error', by: 'leash', errorCode: code, ms: 0, at: now, phase: 'queued' });
    }
    return true;
  }

  // ── the probe and the handshake ──────────────────────────────────────────────────────────

  #sendProbe(): void {
    const probe = this.#probe;
    if (!probe || probe.sent || !this.#d.life.up) return;
    probe.sent = true;
    this.#d.out.send('child', probeFor(probe.id, this.#env!));
  }

  #decide(era: 'modern' | 'legacy', why: string, now: number): void {
    this.#probe = undefined;
    this.#d.eras.learnChild(era);
    if (era === 'modern') {
      this.#state = 'relay';
      this.#d.out.log('info', 'the server speaks MCP 2026-07-28: the bridge stands aside', { why });
    } else {
      this.#d.out.log('info', 'the server is a pre-2026-07-28 server: bridging', { why });
      this.#engage(now);
    }
    const held = this.#held;
    this.#held = [];
    for (const frame of held) this.#d.refeed(frame, now);
  }

  #engage(now: number): void {
    const { life, eras } = this.#d;
    this.#state = 'engaged';
    eras.bridged = true;
    life.initializeRequest = initializeFor(this.#env!);
    life.initializedNotification = INITIALIZED;
    // A server that is up gets the handshake now; one starting gets it as a replayed initialize.
    if (life.up) life.handshake(now);
  }

  /** An answer to one of the bridge's own requests. */
  ownResponse(id: string, msg: JsonObject, now: number): void {
    if (this.#probe && id === this.#probe.id) {
      return this.#decide(isObject(msg.result) ? 'modern' : 'legacy', isObject(msg.result) ? 'it answered server/discover' : 'it answered server/discover with an error', now);
    }
    if (id === this.#lateProbe && isObject(msg.result)) {
      this.#d.out.log('warn', 'the server answered server/discover after the probe wait: it is a 2026-07-28 server that starts slowly, and the bridge took it for a legacy one; set "serverEra": "2026" in the mcp-leash config', { id });
    } else if (isObject(msg.error)) this.#d.out.log('warn', 'the server refused a request of the bridge', { id, error: msg.error });
  }

  // ── the server's life ────────────────────────────────────────────────────────────────────

  /** A server is up (after the handshake, or a restart): discover requests get their answer. */
  childUp(now: number): void {
    this.#sendProbe();
    if (this.#state !== 'engaged') return;
    const waiting = this.#discovers;
    this.#discovers = [];
    for (const d of waiting) this.#answerDiscover(d, now);
    this.subs.serverStarted();
    this.#flushListens();
  }

  #flushListens(): void {
    const listens = this.#listens;
    this.#listens = [];
    for (const l of listens) this.subs.listen(l.id, l.params, this.#serverCapabilities(), this.#d.life.up);
  }

  /** The server exited (after the session handled its calls): on the probe, it was a legacy one. */
  childExited(now: number): void {
    if (this.#state === 'probing') this.#decide('legacy', 'it exited on server/discover', now);
    if (!this.#d.life.refusing) return;
    const waiting = this.#discovers;
    this.#discovers = [];
    for (const d of waiting) this.#discoverGone(d, now);
    this.#flushListens();
  }

  /** A list changed at a restarted server (child-life.ts): to the listens that asked. */
  listChanged(kind: 'tools' | 'prompts' | 'resources'): void {
    this.subs.listChanged(kind);
  }

  tick(now: number): void {
    if (this.#probe && now >= this.#probe.deadline) {
      this.#lateProbe = this.#probe.id;
      this.#decide('legacy', `it did not answer server/discover within ${this.#probe.waitMs}ms`, now);
    }
    this.inputs.tick(now);
  }

  // ── from the server, while engaged ───────────────────────────────────────────────────────

  /** A request from the server: answered through the client's retries, or refused. */
  childRequest(frame: MessageFrame & { kind: 'request' }, now: number): void {
    if (frame.method === 'ping') {
      this.#d.out.send('child', { jsonrpc: '2.0', id: frame.id, result: {} });
      return;
    }
    if (INPUT_CAPABILITY[frame.method] !== undefined) return this.inputs.fromChild(frame, now);
    this.#d.server.refuse(frame, ERR.methodNotFound, `Method not found: ${frame.method} (the client speaks MCP 2026-07-28, where servers send no requests; mcp-leash bridge)`, now);
  }

  /** A notification from the server; true when the bridge took it (progress goes on as today). */
  childNotification(frame: MessageFrame & { kind: 'notification' }, now: number): boolean {
    const { out } = this.#d;
    switch (frame.method) {
      case 'notifications/progress':
        return false;
      case 'notifications/cancelled': {
        // The server withdrew one of its requests: the client was never sent it (2026 has none).
        const id = paramsOf(frame.msg)?.requestId;
        if (typeof id === 'string' || typeof id === 'number') this.inputs.childCancelled(id, now);
        return true;
      }
      case 'notifications/message':
        if (this.#wantsLog(paramsOf(frame.msg)?.level)) out.forward('client', frame, undefined, undefined, undefined);
        else out.log('debug', 'server log message dropped: no request in flight asked for its level', { level: paramsOf(frame.msg)?.level as string });
        return true;
    }
    if (!this.subs.fromServer(frame.method, frame.msg)) out.log('debug', 'server notification dropped: MCP 2026-07-28 has no place for it', { method: frame.method });
    return true;
  }

  /** notifications/message goes only while a request that asked for its level (or a lower one) is in flight. */
  #wantsLog(level: unknown): boolean {
    const rank = logRank(level);
    for (const c of this.#d.calls.all()) {
      const asked = c.meta?.logLevel;
      if (asked !== undefined && (c.phase === 'running' || c.phase === 'detached') && rank >= logRank(asked)) return true;
    }
    return false;
  }

  /** A server answer completed for a 2026 client (complete.ts). */
  complete(method: string, msg: JsonObject): JsonObject {
    return completeResponse(method, msg, serverInfoOf(this.#d.life.initializeResult));
  }

  /** A detached call ended: true when it waited for input (its end goes to the retry). */
  ended(call: ClientCall, ending: Ending, answer: Answer, now: number): boolean {
    return this.inputs.ended(call, ending, answer, now);
  }

  #serverCapabilities(): JsonObject | undefined {
    const caps = this.#d.life.initializeResult?.capabilities;
    return isObject(caps) ? caps : undefined;
  }

  #ownId(kind: string): string {
    return `${BRIDGE_ID_PREFIX}${kind}:${++this.#seq}`;
  }
}

/** Removes the entry for request `id` from a waiting list (a cancel for it came); true when there was one. */
function takeOut(list: { id: RequestId }[], id: RequestId): boolean {
  const i = list.findIndex((e) => e.id === id);
  if (i < 0) return false;
  list.splice(i, 1);
  return true;
}
