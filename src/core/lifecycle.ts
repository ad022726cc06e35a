/*
 * The child's life as the session sees it, and what mcp-leash does on its own behalf:
 * restarts with backoff, the replayed initialize, health pings, telling the client that a
 * restarted child's lists changed.
 *
 *   up         a child runs (initialized, or the client has not initialized yet);
 *   down       it died; a restart is due at restartAt, requests wait in the queue;
 *   spawning   the shell was asked for a new child;
 *   replaying  the new child got the client's initialize again; its answer is ours;
 *   gone       no child and none coming: requests are answered with an error at once.
 *
 * mcp-leash's own requests use string ids starting "mcp-leash:", which forwarded requests (the
 * integers of ClientCalls) can never take, so their answers can never leak to the client.
 */

import type { Policy } from '../policy/types.js';
import type { ClientCall } from './client-calls.js';
import { HealthCheck, OWN_ID_PREFIX } from './health.js';
import { isObject, notification, withId, type JsonObject } from './message.js';
import type { Outbox } from './outbox.js';
import { RestartTracker } from './restart.js';
import { giveUpText } from './texts.js';

export type ChildState = 'up' | 'down' | 'spawning' | 'replaying' | 'gone';

export { OWN_ID_PREFIX };

export class Lifecycle {
  state: ChildState = 'up';
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

  /** `becameUp` runs whatever waited for a child (the queue). */
  constructor(out: Outbox, policy: Policy, becameUp: (now: number) => void) {
    this.#out = out;
    this.#policy = policy;
    this.#becameUp = becameUp;
    this.#restarts = new RestartTracker(policy.restart);
    this.#health = new HealthCheck(policy.healthCheck);
  }

  get up(): boolean {
    return this.state === 'up';
  }

  nextDeadline(): number | undefined {
    let at = this.#health.nextDeadline ?? Infinity;
    if (this.state === 'down') at = Math.min(at, this.#restartAt);
    if (this.#replay) at = Math.min(at, this.#replay.deadline);
    return at === Infinity ? undefined : at;
  }

  /** The client sent initialize; it becomes the one to replay only once a child accepts it. */
  initializeSent(msg: JsonObject): void {
    this.#pendingInitialize = msg;
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

  /** First half of a child's exit: decides restart or not. Returns true when a restart follows. */
  exited(now: number): boolean {
    this.#health.stop();
    this.#replay = undefined;
    const decision = this.#restarts.enabled ? this.#restarts.onFailure(now) : undefined;
    if (decision?.action === 'restart') {
      this.state = 'down';
      this.#restartAt = now + decision.delayMs;
      this.#out.log('warn', 'restarting the server', { inMs: decision.delayMs, attempt: decision.attempt, maxRestarts: this.#policy.restart.maxRestarts });
      return true;
    }
    this.state = 'gone';
    if (decision?.action === 'give-up') {
      this.#out.log('warn', 'giving up on the server: too many restarts', { restarts: decision.restarts, windowMs: this.#policy.restart.windowMs });
      this.#gaveUp = decision.restarts;
    }
    return false;
  }

  /** Second half, once the calls it had are answered: stop mcp-leash, unless it keeps answering. */
  concludeExit(code: number, exitText: string): void {
    if (this.state !== 'gone') return;
    if (this.#gaveUp !== undefined) {
      this.goneText = giveUpText(this.#gaveUp, this.#policy.restart.windowMs, exitText);
      if (this.#policy.restart.onGiveUp === 'error') return;
    }
    this.#out.push({ type: 'stop', code, reason: 'child exited' });
  }

  /** The shell started the child asked for with a 'spawn' output. */
  childStarted(now: number): void {
    if (this.state !== 'spawning') return;
    if (!this.initializeRequest) return this.#becomeUp(now);
    const id = this.#ownId('init');
    this.#replay = { id, deadline: now + this.#policy.startupTimeoutMs };
    this.state = 'replaying';
    this.#out.log('info', "replaying the client's initialize to the restarted server");
    this.#out.send('child', withId(this.initializeRequest, id));
  }

  tick(now: number): void {
    if (this.state === 'down' && now >= this.#restartAt) {
      this.state = 'spawning';
      this.#out.push({ type: 'spawn' });
    }
    if (this.#replay && now >= this.#replay.deadline) {
      this.#out.log('warn', 'the restarted server did not answer the replayed initialize in time; stopping it', { timeoutMs: this.#policy.startupTimeoutMs });
      this.#replay = undefined;
      this.#out.push({ type: 'kill', reason: 'replayed initialize timed out' });
    }
    const t = this.state === 'up' ? this.#health.tick(now) : undefined;
    if (t?.action === 'ping') this.#out.send('child', { jsonrpc: '2.0', id: t.id, method: 'ping' });
    else if (t?.action === 'hung') {
      this.#out.log('warn', 'the server missed its health pings; treating it as hung and killing it', { misses: t.misses });
      this.#out.push({ type: 'kill', reason: 'health check failed' });
    }
  }

  /** Answers to mcp-leash's own requests (health pings, replayed initialize, tool check). */
  ownResponse(id: string, msg: JsonObject, now: number): void {
    if (this.#health.answered(id)) return;
    if (this.#replay && id === this.#replay.id) return this.#replayAnswered(msg, now);
    if (id === this.#toolsCheckId) {
      this.#toolsCheckId = undefined;
      const tools = isObject(msg.result) ? JSON.stringify(msg.result.tools) : undefined;
      if (tools !== undefined && tools !== this.#lastTools) this.#listChanged('tools');
      return;
    }
    this.#out.log('debug', "late answer to one of mcp-leash's own requests dropped", { id });
  }

  #replayAnswered(msg: JsonObject, now: number): void {
    if (!isObject(msg.result)) {
      this.#out.log('warn', 'the restarted server refused the replayed initialize; stopping it', { error: msg.error as JsonObject });
      this.#out.push({ type: 'kill', reason: 'replayed initialize failed' });
      return;
    }
    this.#compareCapabilities(msg.result);
    if (this.initializedNotification) this.#out.send('child', this.initializedNotification);
    this.#becomeUp(now);
    this.#out.log('warn', "server restarted; the client's session goes on");
    if (this.#lastTools !== undefined) {
      this.#toolsCheckId = this.#ownId('tools');
      this.#out.send('child', { jsonrpc: '2.0', id: this.#toolsCheckId, method: 'tools/list', params: {} });
    }
  }

  #becomeUp(now: number): void {
    this.state = 'up';
    this.#replay = undefined;
    if (this.initializeResult) this.#health.start(now);
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
