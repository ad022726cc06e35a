/*
 * The child's life: theory of operation.
 *
 * (About 480 lines: the phase table, restarts, the replayed initialize, health checks and the
 * probe and first-answer rules of 2026 are one state machine; the shutdown ladder is already
 * apart, in shutdown-ladder.ts, and the era itself in era.ts.)
 *
 * One child runs at a time. mcp-leash restarts it with backoff when the policy says so, replays
 * the client's initialize to a restarted child, pings it for health, kills it when it hangs, and
 * stops it with the MCP shutdown ladder (close its stdin, wait; SIGTERM its group, wait; SIGKILL)
 * when the client goes away, a signal comes, or the core decides to end. How the run ends, and
 * with which exit code, is decided here: the shell only carries out the outputs.
 *
 *   up         a child runs (initialized, or the client has not initialized yet, or speaks 2026);
 *   down       it died; a restart is due at restartAt; requests wait in the queue;
 *   spawning   the shell was asked for a new child;
 *   replaying  the new child got the client's initialize again; its answer is ours (in the
 *              bridge, the initialize is mcp-leash's own, sent to the first child too);
 *   gone       no child and none coming: requests are answered with an error at once;
 *   stopping   the shutdown ladder runs (shutdown-ladder.ts: stdin closed, SIGTERM, SIGKILL);
 *   exited     the exit output was given; nothing more happens.
 *
 * A legacy child that exits on the client's server/discover probe (some servers exit on any
 * request before initialize) is restarted at once ('probe-exit'), outside the restart policy:
 * the client takes the probe's error for "legacy" and sends initialize, which must find a child.
 * Once until a child answers something: a child that dies on every probe is then left to the
 * restart policy, so a client that keeps probing cannot make mcp-leash restart without end.
 *
 * The startup limit bounds the child's first answer: initialize and server/discover carry it as
 * their own time limit (policy/resolve.ts). A 2026 client that sends anything else first (the
 * SDK's sibling probe leaves no discover on the real connection) arms the first-answer watch
 * here, and mcp-leash sends its own server/discover after that request, so that a long first
 * tool call does not look like a dead server: any answer ends the watch, and a child that
 * answers nothing in time is a failed start. (The client spoke 2026 first, so this discover
 * cannot decide a dual-era child's era.)
 *
 * PHASES lists, for each phase and input, the phases it may lead to; the code picks one and
 * move() checks it against the table. A move the table does not list is a bug in mcp-leash.
 *
 * mcp-leash's own requests use string ids starting "mcp-leash:", which forwarded requests (the
 * integers of ClientCalls) can never take, so their answers can never leak to the client.
 */

import type { Policy } from '../policy/types.js';
import type { ClientCall } from './call-life.js';
import type { ChildPhase } from './events.js';
import type { Eras } from './era.js';
import { HealthCheck, OWN_ID_PREFIX } from './health.js';
import { isObject, notification, type JsonObject } from './message.js';
import type { Outbox } from './outbox.js';
import { RestartTracker } from './restart.js';
import { giveUpText } from './texts.js';
import { earliest } from './timers.js';
import { codeWithoutChild, exitOutput, ShutdownLadder, type StopCause } from './shutdown-ladder.js';

export type ChildState = 'up' | 'down' | 'spawning' | 'replaying' | 'gone' | 'stopping' | 'exited';

export type ChildInput =
  | 'exit' // the child exited (or could not be started)
  | 'probe-exit' // the child exited on the server/discover probe: a legacy child, restarted at once
  | 'restart-due' // the backoff ran out
  | 'started' // the shell started the child asked for
  | 'replayed' // the restarted child accepted the replayed initialize
  | 'handshake' // the bridge has mcp-leash initialize the running child itself (bridge/bridge.ts)
  | 'stop' // the client closed stdin, a signal came, or the core decided to end
  | 'rung-due'; // a rung of the ladder waited long enough

/** For each phase and input, the phases it may lead to. */
export const PHASES: { readonly [S in ChildState]: { readonly [I in ChildInput]?: readonly ChildState[] } } = {
  up: { exit: ['down', 'gone', 'exited'], 'probe-exit': ['down'], stop: ['stopping'], handshake: ['replaying'] },
  down: { 'restart-due': ['spawning'], stop: ['exited'] },
  spawning: { started: ['replaying', 'up'], exit: ['down', 'gone', 'exited'], stop: ['stopping'] },
  replaying: { replayed: ['up'], exit: ['down', 'gone', 'exited'], stop: ['stopping'] },
  gone: { stop: ['exited'] },
  stopping: { 'rung-due': ['stopping'], stop: ['stopping'], exit: ['exited'], started: ['stopping'] },
  exited: {},
};

export interface ChildExit {
  code: number | null;
  signal: string | null;
  /** The signal's number, for the 128+N exit code (the core does not know the platform's table). */
  signalNumber?: number;
  stderrTail: string[];
}


export class ChildLife {
  #state: ChildState = 'up';
  /** What a request gets once the child is gone for good. */
  goneText = 'MCP server is not running';
  /** The client's initialize request and initialized notification, replayed on restarts. */
  initializeRequest: JsonObject | undefined;
  initializedNotification: JsonObject | undefined;
  /** The child's first initialize result, as the client was told it (before any additions). */
  initializeResult: JsonObject | undefined;

  #out: Outbox;
  #policy: Policy;
  #becameUp: (now: number) => void;
  #startupFailed: (limitMs: number, now: number) => void;
  #eras: Eras;
  /** The current child answered something (its startup is over); a probe death is then not "legacy". */
  #answered = false;
  /** The first-answer watch: the child must answer something by then (see the file comment). */
  #firstAnswerDue: number | undefined;
  /** The id of the server/discover sent to end the first-answer watch. */
  #startCheckId: string | undefined;
  /** The free restart after a probe death is spent; given back once a child answers something. */
  #probeRestartUsed = false;
  /** Health checks run in the 2026 era (no initialize answer starts them there). */
  #modernHealth = false;
  #restarts: RestartTracker;
  #restartAt = 0;
  #health: HealthCheck;
  #replay: { id: string; deadline: number } | undefined;
  #ownSeq = 0;
  /** Tools the client last listed, to tell it when a restarted child offers different ones. */
  #lastTools: string | undefined;
  #toolsCheckId: string | undefined;
  /**
   * A client initialize not yet answered. Replaying it would be wrong if its child died first:
   * the client got -32000 for it and will send its own again.
   */
  #pendingInitialize: JsonObject | undefined;
  /** Restarts counted when mcp-leash gave up, for the error every later request gets. */
  #gaveUp: number | undefined;
  /** A hung child was sent SIGTERM; SIGKILL follows at this time unless it exits first. */
  #killAt: number | undefined;
  /** The shutdown ladder, while stopping. */
  #ladder: ShutdownLadder | undefined;
  /** A list changed at a restarted child: true when the bridge carried the news (its listens). */
  #listChangedHook: ((kind: 'tools' | 'prompts' | 'resources') => boolean) | undefined;

  /**
   * `becameUp` runs whatever waited for a child (the queue); `startupFailed` ends the calls of a
   * child that answered nothing within the startup limit (the session then has this stop it);
   * `listChanged` tells the bridge's listens when a restarted child's lists differ (true: told).
   */
  constructor(
    out: Outbox,
    policy: Policy,
    eras: Eras,
    hooks: { becameUp(now: number): void; startupFailed(limitMs: number, now: number): void; listChanged?(kind: 'tools' | 'prompts' | 'resources'): boolean },
  ) {
    this.#listChangedHook = hooks.listChanged;
    this.#out = out;
    this.#policy = policy;
    this.#eras = eras;
    this.#becameUp = hooks.becameUp;
    this.#startupFailed = hooks.startupFailed;
    this.#restarts = new RestartTracker(policy.restart);
    this.#health = new HealthCheck(policy.healthCheck);
  }

  get state(): ChildState {
    return this.#state;
  }

  get up(): boolean {
    return this.#state === 'up';
  }

  /** No child will answer requests any more: answer them with an error at once. */
  get refusing(): boolean {
    return this.#state === 'gone' || this.#state === 'stopping' || this.#state === 'exited';
  }

  nextDeadline(): number | undefined {
    return earliest(
      this.#health.nextDeadline,
      this.#state === 'down' ? this.#restartAt : undefined,
      this.#replay?.deadline,
      this.#killAt,
      this.#ladder?.deadline,
      this.#state === 'up' ? this.#firstAnswerDue : undefined,
    );
  }

  #move(input: ChildInput, to: ChildState, now: number, detail: { reason?: string; exit?: ChildExit } = {}): void {
    const allowed = PHASES[this.#state][input];
    if (!allowed?.includes(to)) throw new Error(`mcp-leash bug: the child's life has no move from ${this.#state} on "${input}" to ${to}`);
    const was = this.#state;
    this.#state = to;
    if (was === to || !this.#out.events) return;
    const phase = publicPhase(to);
    if (phase === publicPhase(was)) return;
    this.#out.event({
      type: 'child',
      phase,
      at: now,
      ...(detail.reason === undefined ? {} : { reason: detail.reason }),
      ...(detail.exit === undefined ? {} : { exitCode: detail.exit.code, signal: detail.exit.signal }),
    });
  }

  // ── the client's session with the child ─────────────────────────────────────────────────

  /** The client sent initialize; it becomes the one to replay only once a child accepts it. */
  initializeSent(msg: JsonObject): void {
    this.#pendingInitialize = msg;
  }

  /**
   * A client request arrived. A first 2026 request other than server/discover (which carries
   * the startup limit itself, as initialize does in the legacy era) arms the first-answer watchdog.
   */
  requestArrived(method: string, modern: boolean, now: number): void {
    // A bridged child was initialized by mcp-leash: the handshake carries the startup limit.
    if (!modern || this.#eras.bridged || this.#answered || this.#firstAnswerDue !== undefined || this.#policy.startupTimeoutMs <= 0) return;
    if (method === 'server/discover' || this.#state !== 'up') return;
    this.#firstAnswerDue = now + this.#policy.startupTimeoutMs;
    const id = this.#ownId('start');
    const request = this.#eras.healthRequest(id);
    if (!request) return;
    this.#startCheckId = id;
    this.#out.send('child', request);
  }

  /**
   * The child answered something: it has started. `modernResult`: it answered a 2026 request
   * with a result (an error, say a legacy server's answer to the probe, says nothing of its era).
   */
  childAnswered(modernResult: boolean, now: number): void {
    this.#answered = true;
    this.#firstAnswerDue = undefined;
    this.#probeRestartUsed = false;
    // The era is known (the client spoke 2026 and the child served it): health checks may start.
    if (modernResult && !this.#modernHealth && this.#eras.client === 'modern') {
      this.#modernHealth = true;
      if (this.#state === 'up') this.#health.start(now);
    }
  }

  /** Whether the current child has answered anything yet. */
  get answered(): boolean {
    return this.#answered;
  }

  /** The child answered the client's initialize: the session exists, health pings may start. */
  initialized(result: JsonObject, now: number): void {
    if (this.#pendingInitialize) this.initializeRequest = this.#pendingInitialize;
    this.#pendingInitialize = undefined;
    this.initializeResult = result;
    this.#health.start(now);
  }

  rememberTools(call: ClientCall, msg: JsonObject): void {
    // Only a first page is comparable; paginated lists are not tracked.
    if (call.hadCursor || !isObject(msg.result)) return;
    this.#lastTools = JSON.stringify(msg.result.tools);
  }

  // ── exits and restarts ───────────────────────────────────────────────────────────────────

  /**
   * The child exited (or a spawn failed). Returns what the session must do with the calls it
   * had: 'ignore' (an exit we caused while stopping, or a stale report), 'restart' (running calls
   * fail, queued ones wait) or 'fail-all'.
   */
  exited(exit: ChildExit, now: number, onProbe = false): 'ignore' | 'restart' | 'fail-all' {
    this.#killAt = undefined;
    if (this.#ladder) {
      this.#move('exit', 'exited', now, { exit });
      this.#ladder.exit(this.#ladder.codeOnExit(exit), now, 'child stopped');
      return 'ignore';
    }
    if (!PHASES[this.#state].exit) return 'ignore';
    this.#health.stop();
    this.#replay = undefined;
    this.#firstAnswerDue = undefined;
    const answered = this.#answered;
    this.#answered = false;
    if (onProbe && !answered && !this.#probeRestartUsed && this.#state === 'up') {
      this.#probeRestartUsed = true;
      this.#restartAt = now;
      this.#move('probe-exit', 'down', now, { exit });
      this.#out.log('warn', 'the server exited on the server/discover probe (a pre-2026 server); restarting it at once, outside the restart policy (set "serverEra": "legacy" so that probes never reach it)', {
        exitCode: exit.code,
        signal: exit.signal,
      });
      if (this.#out.events) this.#out.event({ type: 'restart', attempt: 0, delayMs: 0, at: now });
      return 'restart';
    }
    const decision = this.#restarts.enabled ? this.#restarts.onFailure(now) : undefined;
    if (decision?.action === 'restart') {
      this.#restartAt = now + decision.delayMs;
      this.#move('exit', 'down', now, { exit });
      this.#out.log('warn', 'restarting the server', { inMs: decision.delayMs, attempt: decision.attempt, maxRestarts: this.#policy.restart.maxRestarts });
      if (this.#out.events) this.#out.event({ type: 'restart', attempt: decision.attempt, delayMs: decision.delayMs, at: now });
      return 'restart';
    }
    if (decision?.action === 'give-up') {
      this.#out.log('warn', 'giving up on the server: too many restarts', { restarts: decision.restarts, windowMs: this.#policy.restart.windowMs });
      this.#gaveUp = decision.restarts;
    }
    this.#move('exit', 'gone', now, { exit, reason: decision?.action === 'give-up' ? 'too many restarts' : 'child exited' });
    return 'fail-all';
  }

  /** After the calls a dead child had are answered: exit, unless mcp-leash keeps answering. */
  concludeExit(code: number, exitText: string, now: number): void {
    if (this.#state !== 'gone') return;
    if (this.#gaveUp !== undefined) {
      this.goneText = giveUpText(this.#gaveUp, this.#policy.restart.windowMs, exitText);
      if (this.#policy.restart.onGiveUp === 'error') return;
    }
    this.#state = 'exited'; // gone -> exited: nothing runs, so no ladder
    exitOutput(this.#out, this.#policy.shutdown, { kind: 'decided', code, reason: 'child exited' }, code, false, now);
  }

  /** The shell started the child asked for with a 'spawn' output. */
  childStarted(now: number): void {
    if (this.#ladder) return this.#ladder.childStarted(now);
    if (this.#state !== 'spawning') return;
    if (!this.initializeRequest) return this.#becomeUp('started', now);
    this.#sendInitialize('started', now);
  }

  /** The bridge has mcp-leash initialize the running child (its initializeRequest is set). */
  handshake(now: number): void {
    if (this.#state !== 'up' || !this.initializeRequest) return;
    this.#health.stop();
    this.#sendInitialize('handshake', now);
  }

  #sendInitialize(input: 'started' | 'handshake', now: number): void {
    const id = this.#ownId('init');
    const limit = this.#policy.startupTimeoutMs;
    this.#replay = { id, deadline: limit > 0 ? now + limit : Infinity };
    this.#move(input, 'replaying', now);
    if (input === 'handshake') this.#out.log('info', 'initializing the server for the 2026-07-28 client (protocol "bridge")');
    else this.#out.log('info', "replaying the client's initialize to the restarted server");
    this.#out.send('child', { ...this.initializeRequest!, id });
  }

  tick(now: number): void {
    if (this.#state === 'down' && now >= this.#restartAt) {
      this.#move('restart-due', 'spawning', now);
      this.#out.push({ type: 'spawn' });
    }
    if (this.#replay && now >= this.#replay.deadline) {
      this.#out.log('warn', `${this.#initializeWhat()} was not answered in time; stopping the server`, { timeoutMs: this.#policy.startupTimeoutMs });
      this.#replay = undefined;
      this.kill('replayed initialize timed out', now);
    }
    if (this.#state === 'up' && this.#firstAnswerDue !== undefined && now >= this.#firstAnswerDue) {
      this.#firstAnswerDue = undefined;
      this.#out.log('error', 'the server answered nothing within the startup limit; stopping it', { timeoutMs: this.#policy.startupTimeoutMs });
      this.#startupFailed(this.#policy.startupTimeoutMs, now);
      return;
    }
    if (this.#killAt !== undefined && now >= this.#killAt) {
      this.#killAt = undefined;
      this.#out.push({ type: 'signal-child', signal: 'SIGKILL' });
    }
    if (this.#ladder?.tick(now)) this.#move('rung-due', 'stopping', now);
    const t = this.#state === 'up' ? this.#health.tick(now) : undefined;
    if (t?.action === 'ping') {
      // ping in the legacy era, server/discover with the envelope in 2026 (era.ts).
      const request = this.#eras.healthRequest(t.id);
      if (request) this.#out.send('child', request);
    } else if (t?.action === 'hung') {
      this.#out.log('warn', 'the server missed its health pings; treating it as hung and killing it', { misses: t.misses });
      this.kill('health check failed', now);
    }
  }

  /** The child is hung or unusable: SIGTERM its group, SIGKILL after termGrace; its exit comes back. */
  kill(reason: string, now: number): void {
    if (this.#killAt !== undefined || this.#state === 'stopping') return;
    this.#out.log('warn', 'killing the server', { reason });
    this.#out.push({ type: 'signal-child', signal: 'SIGTERM' });
    this.#killAt = now + this.#policy.shutdown.termGraceMs;
  }

  // ── the end ──────────────────────────────────────────────────────────────────────────────

  /** The client closed its end of stdin (or stdout broke). */
  clientClosed(now: number): void {
    this.#stop({ kind: 'eof' }, now);
  }

  /** mcp-leash got a stop signal. A second one hurries a ladder already running. */
  signalled(signalNumber: number, now: number): void {
    this.#stop({ kind: 'signal', signalNumber }, now);
  }

  /** The core decided to end (startup timeout): stop the child, then exit with `code`. */
  decideExit(code: number, reason: string, now: number): void {
    this.#stop({ kind: 'decided', code, reason }, now);
  }

  #stop(cause: StopCause, now: number): void {
    if (this.#state === 'exited') return;
    if (this.#ladder) {
      if (cause.kind === 'signal' && this.#ladder.hurry(now)) this.#move('stop', 'stopping', now);
      return;
    }
    if (this.#state === 'down' || this.#state === 'gone') {
      this.#move('stop', 'exited', now);
      return exitOutput(this.#out, this.#policy.shutdown, cause, codeWithoutChild(cause), cause.kind === 'signal', now);
    }
    const spawning = this.#state === 'spawning';
    this.#health.stop();
    this.#replay = undefined;
    this.#killAt = undefined;
    this.#move('stop', 'stopping', now, { reason: cause.kind === 'decided' ? cause.reason : cause.kind === 'eof' ? 'client closed stdin' : 'signal' });
    if (cause.kind === 'decided') this.#out.log('warn', 'stopping the server', { reason: cause.reason });
    // A child being spawned gets the ladder once it runs (or its failure ends the run).
    this.#ladder = new ShutdownLadder(this.#out, this.#policy.shutdown, cause, !spawning, now);
  }

  // ── mcp-leash's own requests ─────────────────────────────────────────────────────────────

  /** Answers to mcp-leash's own requests (health pings, replayed initialize, tool check). */
  ownResponse(id: string, msg: JsonObject, now: number): void {
    if (this.#health.answered(id)) return;
    if (id === this.#startCheckId) {
      this.#startCheckId = undefined; // its work (ending the first-answer watch) is done by any answer
      return;
    }
    if (this.#replay && id === this.#replay.id) return this.#replayAnswered(msg, now);
    if (id === this.#toolsCheckId) {
      this.#toolsCheckId = undefined;
      const tools = isObject(msg.result) ? JSON.stringify(msg.result.tools) : undefined;
      if (tools !== undefined && tools !== this.#lastTools) this.#listChanged('tools');
      return;
    }
    this.#out.log('debug', "late answer to one of mcp-leash's own requests dropped", { id });
  }

  /** Which initialize of mcp-leash's own is at the server: the bridge's first handshake has not replayed anything. */
  #initializeWhat(): string {
    return this.initializeResult === undefined ? 'the initialize mcp-leash sends for the 2026-07-28 client (protocol "bridge")' : "the restarted server's replayed initialize";
  }

  #replayAnswered(msg: JsonObject, now: number): void {
    if (!isObject(msg.result)) {
      this.#out.log('warn', `${this.#initializeWhat()} was refused; stopping the server`, { error: msg.error as JsonObject });
      this.#replay = undefined;
      this.kill('replayed initialize failed', now);
      return;
    }
    const first = this.initializeResult === undefined; // the bridge's first handshake
    if (first) this.initializeResult = msg.result;
    else this.#compareCapabilities(msg.result);
    if (this.initializedNotification) this.#out.send('child', this.initializedNotification);
    this.#becomeUp('replayed', now);
    if (first) return;
    this.#out.log('warn', "server restarted; the client's session goes on");
    if (this.#lastTools !== undefined) {
      this.#toolsCheckId = this.#ownId('tools');
      this.#out.send('child', { jsonrpc: '2.0', id: this.#toolsCheckId, method: 'tools/list', params: {} });
    }
  }

  #becomeUp(input: 'started' | 'replayed', now: number): void {
    this.#move(input, 'up', now);
    this.#replay = undefined;
    // A replayed initialize was answered: this child has started. A 2026 child has not yet.
    this.#answered = input === 'replayed';
    if (this.initializeResult || this.#modernHealth) this.#health.start(now);
    this.#becameUp(now);
  }

  #ownId(kind: string): string {
    return `${OWN_ID_PREFIX}${kind}:${++this.#ownSeq}`;
  }

  #compareCapabilities(result: JsonObject): void {
    const before = this.initializeResult?.capabilities;
    const after = result.capabilities;
    if (JSON.stringify(before) === JSON.stringify(after)) return;
    this.#out.log('warn', 'the restarted server declares other capabilities than the client was told; the client keeps the old ones', {
      before: before as JsonObject,
      after: after as JsonObject,
    });
    for (const kind of ['prompts', 'resources'] as const) {
      if (isObject(before) && isObject(after) && JSON.stringify(before[kind]) !== JSON.stringify(after[kind])) this.#listChanged(kind);
    }
  }

  /** Tells the client a list changed, when the capabilities it was given say it listens. */
  #listChanged(kind: 'tools' | 'prompts' | 'resources'): void {
    if (this.#listChangedHook?.(kind)) return;
    const caps = this.initializeResult?.capabilities;
    const cap = isObject(caps) ? caps[kind] : undefined;
    if (isObject(cap) && cap.listChanged === true) {
      this.#out.log('info', `the restarted server's ${kind} differ; telling the client`);
      this.#out.send('client', notification(`notifications/${kind}/list_changed`, {}));
    } else {
      this.#out.log('warn', `the restarted server's ${kind} differ, but the client was not told it may change (no listChanged capability)`);
    }
  }
}

/** The phases observers see. */
function publicPhase(s: ChildState): ChildPhase {
  switch (s) {
    case 'up':
      return 'ready';
    case 'down':
      return 'restarting';
    case 'spawning':
    case 'replaying':
      return 'starting';
    case 'stopping':
      return 'stopping';
    default:
      return 'gone';
  }
}

export { OWN_ID_PREFIX };
