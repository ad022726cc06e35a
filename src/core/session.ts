/*
 * The session: theory of operation.
 *
 * (About 450 lines: the wiring of the core's parts and the routing switches, the bridge's
 * included. It decides nothing itself; splitting it further would only scatter the routing.)
 *
 * mcp-leash sits between one client and one child. Everything it promises (shared/CONTRACT.md)
 * is a rule about two tables, client calls (call-life.ts, client-calls.ts) and the child's own
 * requests (server-requests.ts), and about the child's life (child-life.ts).
 *
 * This file only routes: each input goes to the module that owns it, and nothing here decides
 * policy or changes a call. The surface is sans-IO: input arrives through handle*(…, now);
 * output is drained with poll(); the shell asks nextDeadline() when to call handleTimeout(now)
 * again (extra calls are harmless). The exit code is an output too ('exit').
 *
 *   where                 what it owns
 *   call-life.ts          a client call's phases and the table of their transitions
 *   client-requests.ts    what a client request becomes (a call, a task, a refusal)
 *   admission.ts          the queue and slots, dispatch, and the one way a call ends
 *   cancellation.ts       cancels from the client, and mcp-leash's own at the child
 *   progress-relay.ts     the child's progress (throttled) and heartbeats
 *   timeouts.ts           which limit a call hit and the answer it gets
 *   server-requests.ts    the child's requests to the client
 *   child-life.ts         restarts, replayed initialize, health, the shutdown ladder, the exit code
 *   era.ts                the protocol era of each end (2026-07-28 or older), the discover probe
 *   bridge/               protocol "bridge": a 2026-07-28 face for a legacy server
 *   startup.ts            what a call gets when the startup limit or the probe wait runs out
 *   task-bridge.ts        tasks on behalf of a task-less child
 *   jobs.ts               slow tool calls answered early and kept as jobs (job-store.ts,
 *                         leash-tools.ts: leash_await and leash_cancel)
 *   unencodable.ts        answers for what the shell could not encode
 *   timers.ts             every kind of timer, in one table
 *   events.ts             what the core tells traces and reports
 */

import type { Policy } from '../policy/types.js';
import { createResolver, type Resolver } from '../policy/resolve.js';
import { Admission, outcomeOf, type Answer } from './admission.js';
import { atChild, childProgressed, IllegalTransition, isJob, type CallInput, type ClientCall } from './call-life.js';
import { Cancellation } from './cancellation.js';
import { ChildLife, OWN_ID_PREFIX, type ChildExit, type ChildState } from './child-life.js';
import { ClientCalls } from './client-calls.js';
import { DeadlineQueue } from './deadlines.js';
import { DISCOVER, Eras } from './era.js';
import { ERR } from './errors.js';
import { wholeMessage, type Frame, type MessageFrame } from './frame.js';
import { errorResponse, isObject, paramsOf, type JsonObject, type RequestId } from './message.js';
import { Outbox } from './outbox.js';
import type { Output } from './outputs.js';
import { ProgressRelay } from './progress-relay.js';
import { ServerRequests } from './server-requests.js';
import { limitReached, startupFailed, type StartupDeps } from './startup.js';
import { TaskBridge } from './task-bridge.js';
import { Jobs } from './jobs.js';
import { detaches } from '../policy/types.js';
import { childExitText } from './texts.js';
import { earliest } from './timers.js';
import { expired, timeOut } from './timeouts.js';
import { refusal } from './refusals.js';
import { unencodable } from './unencodable.js';
import { clientRequest, type ClientRequestDeps } from './client-requests.js';
import { GuardRails } from './guard-rails.js';
import { applyBudget, type SpillPlace } from './result-budget.js';
import { Bridge, BRIDGE_ID_PREFIX } from './bridge/bridge.js';

export { ERR, type ChildExit, type ChildState, type Frame };

export interface SessionOptions {
  resolve?: Resolver;
  /** Epoch ms at monotonic time 0, for the wall-clock timestamps tasks carry. */
  epochOffsetMs?: number;
  /** Prefix of task ids; random in the shell, fixed in tests. */
  taskIdPrefix?: string;
  /** Emit 'event' outputs (for --trace and tests); they cost an object each. */
  events?: boolean;
  /** A bug in mcp-leash (an illegal transition) throws instead of being logged and answered. */
  strict?: boolean;
  /** Where onLargeResult "spill" writes (the shell owns the folder); without it, spill cuts as "truncate" does. */
  spill?: SpillPlace;
  /** A fresh unguessable requestState for the bridge (random in the shell; a counter in tests). */
  stateToken?: () => string;
}

export class Session {
  readonly policy: Policy;
  #resolve: Resolver;
  #out: Outbox;
  #calls: ClientCalls;
  #timers = new DeadlineQueue<number>();
  #server: ServerRequests;
  #life: ChildLife;
  #eras: Eras;
  #tasks: TaskBridge;
  #admission: Admission;
  #cancel: Cancellation;
  #progress: ProgressRelay;
  #jobs: Jobs;
  /** Calls mcp-leash answered itself (tasks/*, leash_await, leash_cancel), numbered for events. */
  #ownCalls = 0;
  #strict: boolean;
  #requestDeps: ClientRequestDeps;
  #guard: GuardRails;
  #spill: SpillPlace | undefined;
  /** protocol "bridge" only (bridge/bridge.ts); a relay session has none and pays nothing for it. */
  #bridge: Bridge | undefined;
  /** Time of the input being handled, for the illegal-transition hook. */
  #now = 0;

  constructor(policy: Policy, opts: SessionOptions = {}) {
    this.policy = policy;
    this.#strict = opts.strict ?? false;
    this.#spill = opts.spill;
    this.#out = new Outbox(opts.events ?? false);
    this.#resolve = opts.resolve ?? createResolver(policy);
    this.#calls = new ClientCalls(policy.maxConcurrency);
    this.#server = new ServerRequests(this.#out, this.#resolve);
    this.#eras = new Eras(policy.serverEra);
    this.#life = new ChildLife(this.#out, policy, this.#eras, {
      becameUp: (now) => {
        this.#admission.runQueued(now);
        this.#bridge?.childUp(now);
      },
      startupFailed: (limitMs, now) => startupFailed(limitMs, now, this.#startupDeps()),
      listChanged: (kind) => (this.#bridge?.engaged ? (this.#bridge.listChanged(kind), true) : false),
    });
    const illegal = (call: ClientCall, input: CallInput): void => this.#illegal(call, input);
    const out = this.#out;
    const calls = this.#calls;
    this.#tasks = new TaskBridge(out, {
      mode: policy.tasks,
      epochOffsetMs: opts.epochOffsetMs ?? 0,
      idPrefix: opts.taskIdPrefix,
      ownCall: () => `l${++this.#ownCalls}`,
      cancelCall: (key, now) => {
        const call = calls.get(key);
        if (call) this.#cancel.task(call, now);
      },
    });
    this.#admission = new Admission({
      policy,
      out,
      calls,
      timers: this.#timers,
      illegal,
      childUp: () => this.#life.up,
      completeTask: (call, response, now) => this.#tasks.complete(call, response, now),
      jobEnded: (call, ending, answer, now) => {
        if (!this.#bridge?.ended(call, ending, answer, now)) this.#jobs.ended(call, ending, answer, now);
      },
    });
    this.#jobs = new Jobs(
      {
        policy,
        out,
        detachCall: (call, msg, now) => this.#admission.detach(call, msg, now),
        flushProgress: (call, now) => this.#progress.beforeAnswer(call, now),
        cancelCall: (key, now) => {
          const call = calls.get(key);
          if (call) this.#cancel.job(call, now);
        },
        ownCall: () => `l${++this.#ownCalls}`,
        modernClient: () => this.#eras.client === 'modern',
      },
      detaches(policy),
    );
    this.#cancel = new Cancellation({
      out,
      calls,
      admission: this.#admission,
      dropTaskWaiter: (id, now) => this.#tasks.dropWaiter(id, now) || this.#jobs.dropWaiter(id, now),
    });
    this.#progress = new ProgressRelay({ policy, out, calls, illegal, withTaskMeta: (call, params) => this.#tasks.withMeta(call, params) });
    this.#guard = new GuardRails(policy, out);
    if (policy.protocol === 'bridge') {
      let tokens = 0;
      this.#bridge = new Bridge({
        out,
        calls,
        admission: this.#admission,
        cancel: this.#cancel,
        server: this.#server,
        life: this.#life,
        eras: this.#eras,
        startupTimeoutMs: policy.startupTimeoutMs,
        flushProgress: (call, now) => this.#progress.beforeAnswer(call, now),
        stateToken: opts.stateToken ?? (() => `state-${++tokens}`),
        ownCall: () => `l${++this.#ownCalls}`,
        refeed: (frame, now) => this.handleClient(frame, now),
      });
    }
    this.#requestDeps = { out, calls, resolve: this.#resolve, life: this.#life, tasks: this.#tasks, jobs: this.#jobs, admission: this.#admission, eras: this.#eras, startupTimeoutMs: policy.startupTimeoutMs, guard: this.#guard, refused: 0 };
  }

  get childState(): ChildState {
    return this.#life.state;
  }

  /** Requests in flight in both directions, queued ones included (for tests and the soak run). */
  get inFlight(): number {
    return this.#calls.size + this.#server.table.size;
  }

  /** Drains everything the core wants done, in order. */
  poll(): Output[] {
    return this.#out.drain();
  }

  nextDeadline(): number | undefined {
    return earliest(this.#timers.next(), this.#server.table.nextDeadline(), this.#life.nextDeadline(), this.#tasks.nextDeadline(), this.#jobs.nextDeadline(), this.#bridge?.nextDeadline());
  }

  // ── from the client ──────────────────────────────────────────────────────────────────────

  handleClient(frame: Frame, now: number): void {
    this.#now = now;
    if (frame.kind === 'unparsable' || frame.kind === 'invalid') return refusal(this.#out, frame);
    // The bridge takes what a 2026 client sends a legacy server (bridge/bridge.ts).
    const bridged = this.#bridge?.fromClient(frame, now);
    if (bridged === true) return;
    switch (frame.kind) {
      case 'request':
        return clientRequest(frame, now, this.#requestDeps, bridged);
      case 'notification':
        if (frame.method === 'notifications/cancelled') return this.#cancel.fromClient(frame, now);
        if (frame.method === 'notifications/initialized') this.#life.initializedNotification = frame.msg;
        if (!this.#life.up) return this.#out.log('debug', 'client notification dropped: the server is not running', { method: frame.method });
        // Client progress answers a child's request: its token is the child's own, so it passes as is.
        return this.#out.forward('child', frame, undefined, undefined, undefined);
      case 'response':
        return this.#server.answered(frame, this.#life.up, now);
    }
  }

  // ── from the child ───────────────────────────────────────────────────────────────────────

  handleChild(frame: Frame, now: number): void {
    this.#now = now;
    switch (frame.kind) {
      case 'unparsable':
        return this.#out.log('warn', 'child wrote a line that is not a JSON-RPC message to stdout; not forwarded', {
          problem: frame.problem,
          detail: frame.detail,
          line: frame.preview,
        });
      case 'invalid':
        this.#out.log('warn', 'child wrote an invalid JSON-RPC message; not forwarded', { reason: frame.reason, id: frame.id });
        return this.#childInvalid(frame.id, frame.reason, now);
      case 'request':
        if (this.#bridge?.engaged) return this.#bridge.childRequest(frame, now);
        return this.#server.fromChild(frame, now);
      case 'notification':
        if (this.#bridge?.engaged && this.#bridge.childNotification(frame, now)) return;
        if (frame.method === 'notifications/progress') return this.#childProgress(frame.msg, now);
        if (frame.method === 'notifications/cancelled') return this.#server.cancelledByChild(frame, now);
        return this.#out.forward('client', frame, undefined, undefined, undefined);
      case 'response':
        return this.#childResponse(frame, now);
    }
  }

  /** An invalid answer for a call in flight still ends it: the client gets an error, not a hang. */
  #childInvalid(id: RequestId | null, reason: string, now: number): void {
    const call = typeof id === 'number' ? this.#calls.get(id) : undefined;
    if (!call || !atChild(call)) return;
    this.#invalidAnswer(call, reason, now);
  }

  #invalidAnswer(call: ClientCall, reason: string, now: number): void {
    const msg = errorResponse(call.clientId, ERR.internal, `Internal error: the MCP server sent an invalid response (${reason})`);
    this.#admission.close(call, 'invalid-answer', { outcome: 'error', by: 'leash' }, { msg }, now);
  }

  #childProgress(msg: JsonObject, now: number): void {
    const params = paramsOf(msg);
    const token = params?.progressToken;
    const call = typeof token === 'number' ? this.#calls.get(token) : undefined;
    if (!call || !atChild(call) || call.childToken !== token || !params) {
      this.#out.log('debug', 'progress for an unknown or finished request dropped', { progressToken: token as RequestId });
      if (this.#out.events) this.#out.event({ type: 'stray', from: 'child', what: 'progress', id: (token as RequestId) ?? null, at: now });
      return;
    }
    // A call that is or may become a job keeps its progress for the model's texts; a job's
    // client was answered, so only its idle clock hears of it.
    if (call.detachAt !== Infinity || isJob(call)) this.#jobs.progressed(call, params, now);
    // A call waiting for the client's input: its progress goes to the retry that waits, if any.
    if (isJob(call)) {
      childProgressed(call, now, (c, i) => this.#illegal(c, i));
      this.#bridge?.inputs.progressed(call, params);
    }
    else this.#progress.fromChild(call, params, now);
    this.#admission.arm(call);
  }

  #childResponse(frame: MessageFrame & { kind: 'response' }, now: number): void {
    const id = frame.id;
    const call = typeof id === 'number' ? this.#calls.get(id) : undefined;
    // Any answer, even a late one, shows the child has started (child-life.ts, first answer).
    const bridged = this.#bridge?.engaged === true;
    this.#life.childAnswered(!bridged && call !== undefined && call.phase === 'running' && call.modern && !('error' in frame.msg), now);
    if (typeof id === 'string' && id.startsWith(OWN_ID_PREFIX)) {
      if (this.#bridge && id.startsWith(BRIDGE_ID_PREFIX)) return this.#bridge.ownResponse(id, frame.msg, now);
      return this.#life.ownResponse(id, frame.msg, now);
    }
    if (!call || !atChild(call)) {
      const late = typeof id === 'number' && this.#calls.wasFinished(id);
      if (typeof id === 'number' && this.#eras.lateProbeAnswer(id) && isObject(frame.msg.result)) {
        this.#out.log('warn', 'the server answered server/discover after mcp-leash had answered the probe for it: it is a 2026-07-28 server that starts slowly; set "serverEra": "2026" in the mcp-leash config', { id });
      }
      this.#out.log(late ? 'debug' : 'warn', 'child answered a request that is not in flight; dropped', { id });
      if (this.#out.events) {
        this.#out.event(late ? { type: 'late-answer', call: `c${id}`, from: 'child', afterMs: undefined, at: now } : { type: 'stray', from: 'child', what: 'answer', id, at: now });
      }
      return;
    }
    this.#eras.childAnswered(call.method, frame.msg);
    if (!isJob(call)) this.#progress.beforeAnswer(call, now);
    // A bridged session offers no tasks (2025 tasks are not the 2026 extension: bridge/handshake.ts).
    const looked = lookInto(call, frame, now, this.#life, bridged ? undefined : this.#tasks, this.#guard, this.#jobs);
    if (looked instanceof Error) return this.#invalidAnswer(call, looked.message, now);
    const budgeted = call.rule.maxResultBytes > 0 && call.method === 'tools/call';
    const completes = bridged && call.modern && !isJob(call);
    // The common case, an answer passed on as it came, costs no object (admission.ts).
    if (looked === frame && !budgeted && !completes) return this.#admission.answeredByChild(call, frame, now);
    let answer: NonNullable<Answer> = looked === frame ? { frame } : { msg: looked as JsonObject };
    let cut = false;
    if (budgeted) {
      // The result budget (result-budget.ts): one comparison for an answer within it.
      const kept = applyBudget(call, answer, now, this.#out, this.#spill);
      if (kept instanceof Error) return this.#invalidAnswer(call, kept.message, now);
      cut = kept !== answer;
      answer = kept;
    }
    // A bridged answer is completed for the 2026 client (bridge/complete.ts). One the budget cut
    // or refused was written for it already (result-budget.ts), and a detached call's answer is
    // completed where it goes (its retry).
    if (completes && !cut) {
      const whole = 'frame' in answer ? wholeMessage(answer.frame) : answer.msg;
      if (whole instanceof Error) return this.#invalidAnswer(call, whole.message, now);
      answer = { msg: this.#bridge!.complete(call.method, whole) };
    }
    if ('frame' in answer) return this.#admission.answeredByChild(call, answer.frame, now);
    this.#admission.close(call, 'answer', { outcome: this.#out.events ? outcomeOf(answer.msg, call.method) : 'ok', by: 'server' }, answer, now);
  }

  // ── the child's life and the run's end ────────────────────────────────────────────────────

  /** The shell started a child the session asked for (after a 'spawn' output). */
  handleChildStarted(now: number): void {
    this.#now = now;
    this.#life.childStarted(now);
  }

  handleChildExit(exit: ChildExit, now: number): void {
    this.#now = now;
    // A legacy child may exit on the client's server/discover probe: child-life.ts restarts it at once.
    const onProbe = this.#bridge?.probing === true || this.#calls.all().some((c) => c.phase === 'running' && this.#eras.diedOnProbe(c.method));
    const what = this.#life.exited(exit, now, onProbe);
    if (what === 'ignore') return;
    const restarting = what === 'restart';
    const text = childExitText(exit.code, exit.signal, exit.stderrTail);
    const data = { exitCode: exit.code, signal: exit.signal, stderr: exit.stderrTail };
    // Requests the child had are lost with it; queued ones may wait for the next child.
    const failed = this.#admission.failAll((c) => errorResponse(c.clientId, ERR.serverExited, text, data), restarting, now);
    // The child's own open requests (sampling, elicitation) die with it: tell the client to stop.
    this.#server.childExited(now);
    this.#out.log(exit.code === 0 && !restarting ? 'info' : 'warn', 'child exited', { ...data, failedRequests: failed });
    this.#life.concludeExit(exit.code ?? 128 + (exit.signalNumber ?? 0), text, now);
    this.#bridge?.childExited(now);
  }

  /** The client closed its end (stdin EOF, or our stdout broke): stop the child, then exit. */
  handleClientEof(now: number): void {
    this.#now = now;
    this.#out.log('info', 'client closed stdin; stopping the server');
    this.#life.clientClosed(now);
  }

  /** mcp-leash was sent a stop signal (`signalNumber` for the 128+N exit code). */
  handleSignal(signal: string, signalNumber: number, now: number): void {
    this.#now = now;
    this.#out.log('info', 'signal received; stopping the server', { signal });
    this.#life.signalled(signalNumber, now);
  }

  // ── what could not be sent ────────────────────────────────────────────────────────────────

  /** The shell could not encode an output (unencodable.ts). Whoever waits for an answer still gets one. */
  handleUnencodable(out: Extract<Output, { type: 'forward' | 'send' }>, why: string, now: number): void {
    this.#now = now;
    unencodable(out, why, now, { out: this.#out, calls: this.#calls, admission: this.#admission, server: this.#server });
  }

  // ── time ─────────────────────────────────────────────────────────────────────────────────

  handleTimeout(now: number): void {
    this.#now = now;
    this.#life.tick(now);
    this.#tasks.expire(now);
    this.#jobs.tick(now);
    this.#server.timeOut(now);
    this.#bridge?.tick(now);
    for (const key of this.#timers.popDue(now)) {
      const call = this.#calls.get(key);
      if (call) this.#wake(call, now);
    }
  }

  #wake(call: ClientCall, now: number): void {
    const hit = expired(call, now);
    if (hit) {
      if (call.method === 'initialize' || call.method === DISCOVER) return limitReached(call, hit.kind, hit.limitMs, now, this.#startupDeps());
      return timeOut(call, hit.kind, hit.limitMs, now, { out: this.#out, admission: this.#admission, cancellation: this.#cancel });
    }
    // Before detaching, so that a heartbeat due at the same instant never follows the handle.
    if (!isJob(call) && now >= call.detachAt) this.#jobs.detach(call, now);
    if (!isJob(call)) this.#progress.wake(call, now);
    this.#admission.arm(call);
  }

  /** What startup.ts needs (built only when a startup limit ran out: rare). */
  #startupDeps(): StartupDeps {
    return { out: this.#out, calls: this.#calls, admission: this.#admission, cancellation: this.#cancel, life: this.#life, eras: this.#eras };
  }

  // ── mcp-leash's own bugs ─────────────────────────────────────────────────────────────────

  /** An input the call's table does not allow (call-life.ts, rule 2). */
  #illegal(call: ClientCall, input: CallInput): void {
    const error = new IllegalTransition(call, input);
    if (this.#strict) throw error;
    this.#out.log('error', error.message, { method: call.method, phase: call.phase, input });
    if (input === 'illegal' || call.phase === 'ended') return;
    const msg = errorResponse(call.clientId, ERR.internal, `Internal error in mcp-leash (${input} while ${call.phase}); the call was ended`);
    this.#admission.close(call, 'illegal', { outcome: 'error', by: 'leash' }, { msg }, this.#now);
  }
}

/**
 * Most answers pass as they came. The initialize and tools/list answers are looked into (restarts
 * replay and compare them, tasks "auto" adds to them, the guard rails hide tools), and those may
 * change on the way; so may prompts/list and resources/list answers when some are hidden.
 */
function lookInto(call: ClientCall, frame: MessageFrame & { kind: 'response' }, now: number, life: ChildLife, tasks: TaskBridge | undefined, guard: GuardRails, jobs: Jobs): MessageFrame | JsonObject | Error {
  if (call.method !== 'initialize' && call.method !== 'tools/list' && !guard.filters(call.method)) return frame;
  const msg = wholeMessage(frame);
  if (msg instanceof Error) return msg;
  let changed = msg;
  if (call.method === 'initialize' && isObject(msg.result)) {
    life.initialized(msg.result, now);
    changed = tasks ? tasks.offer(msg, msg.result) : msg;
  } else if (call.method === 'tools/list') {
    life.rememberTools(call, msg);
    const visible = guard.filterList(call.id, call.method, msg, now);
    changed = jobs.list(tasks ? tasks.markTools(visible) : visible, !call.hadCursor);
  } else changed = guard.filterList(call.id, call.method, msg, now);
  // A long answer's bytes lack nothing, but its `msg` lacked the result: send what was parsed.
  return changed !== msg || frame.partial ? changed : frame;
}

