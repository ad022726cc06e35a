// The reference model of what the client must see, shared by the core's property tests:
// test/core/interleavings.property.test.ts (short runs, child exits included) and
// test/reliability/model-long.property.test.ts (long-lived sessions).
//
// Property test: random interleavings of client requests and cancels, child answers and progress
// (single or in bursts), server-to-client requests with their answers and cancels, clock jumps and
// (rarely) a child exit, driven through the core on virtual time. A reference
// model follows along and checks the contract's invariants after every output and every step:
//
//   §3  each client request gets at most one response, under its exact id; child ids never reused;
//   §4  nothing for a request after its cancellation; the cancel reaches the child only when the
//       child saw the request, with the child id and the client's reason;
//   §5  a timeout answers exactly at its deadline (total from receipt, idle from the last child
//       progress or the dispatch), never later and never earlier;
//   §6  per client token: progress strictly increasing, never above the total in the same
//       notification, never after the response / cancel / timeout; a forwarded child value is the
//       newest one; heartbeats keep the gap under heartbeatMs; the throttle (a token bucket of
//       PROGRESS_BURST refilled once per progressIntervalMs) lets no more child updates through;
//   §7  never more than maxConcurrency (or the per-tool limit) at the child; FIFO; no idle slot
//       while a request that fits is queued;
//   §8  a child exit fails everything in flight, then stops;
//   s2c server-to-client requests get fresh ids of mcp-leash's; answers and cancels map back exactly;
//       only an exact method rule times them, at exactly the limit;
//   end every request not cancelled got exactly one response; inFlight 0; no deadline left.
//   §11 jobs (tool "job", detachAfter 8 s): the handle comes exactly at receipt + 8 s, and after it
//       nothing more for that request (no progress, no answer); the job keeps its slot and limits;
//       every leash_await / leash_cancel gets exactly one answer: the child's result unchanged,
//       an isError for a failed/cancelled/unknown/expired job, or "still running" exactly at
//       awaitMax; leash_cancel reaches the child; every job ends exactly once (events).

import fc from 'fast-check';
import { expect } from 'vitest';
import type { JsonObject, ProgressToken, RequestId } from '../../src/core/message.js';
import { createResolver } from '../../src/policy/resolve.js';
import type { Policy, ResolvedRule } from '../../src/policy/types.js';
import { ANSWER_GAP_MS, PROGRESS_BURST } from '../../src/core/progress.js';
import { Link, policy, type Stamped } from './link.js';

// ── the world ──────────────────────────────────────────────────────────────────────────────

const ID_POOL: RequestId[] = [0, 1, '1', '', -5, 'a', 2, 'x'.repeat(300)];
const TOOLS = ['fast', 'slow', 'idle', 'both', 'err', 'heavy', '(tools/list)', 'job'] as const;
const JOB_META = 'mcp-leash/job';
const DETACH_MS = 8_000;
const JOB_TOTAL_MS = 30_000;
/** awaitMax defaults to the job's detachAfter. */
const AWAIT_MS = DETACH_MS;
const JOB_TTL_MS = 600_000;

export interface Config {
  maxConcurrency: number;
  heartbeatMs: number;
  progressIntervalMs: number;
  defaultTotalMs: number;
  heavyLimit: boolean;
}

function makePolicy(c: Config): Policy {
  return policy({
    maxConcurrency: c.maxConcurrency,
    progressIntervalMs: c.progressIntervalMs,
    defaults: { heartbeatMs: c.heartbeatMs, totalTimeoutMs: c.defaultTotalMs },
    rules: [
      { tool: 'slow', totalTimeoutMs: 30_000 },
      { tool: 'idle', idleTimeoutMs: 5_000 },
      { tool: 'both', idleTimeoutMs: 4_000, totalTimeoutMs: 15_000 },
      { tool: 'err', totalTimeoutMs: 20_000, onTimeout: 'error' },
      ...(c.heavyLimit ? [{ tool: 'heavy', maxConcurrency: 1 }] : []),
      { method: 'tools/list', totalTimeoutMs: 10_000 },
      { tool: 'job', detachAfterMs: DETACH_MS, totalTimeoutMs: JOB_TOTAL_MS },
      // Server-to-client: elicitation is timed by an exact rule; sampling is untimed (a glob does not count).
      { method: 'elicitation/create', totalTimeoutMs: 60_000 },
      { method: 'sampling/*', totalTimeoutMs: 1_000 },
    ],
  });
}

export type Cmd =
  | { k: 'req'; id: number; tool: number; token: boolean }
  | { k: 'cancel'; id: number; reason: string | undefined }
  /** `live`: aim at a request the child is working on (else at any id it was ever given). */
  | { k: 'answer'; pick: number; unknown: boolean; live: boolean; error: boolean }
  | { k: 'progress'; pick: number; unknown: boolean; live: boolean; value: unknown; total: number | undefined; token?: number }
  /** Several progress notifications for one running request, `gap` ms apart (exercises the throttle). */
  | { k: 'burst'; pick: number; steps: Array<{ gap: number; value: unknown; total: number | undefined }> }
  | { k: 'clock'; ms: number }
  | { k: 'exit'; code: number }
  /** The child asks the client something (sampling or elicitation). */
  | { k: 'sreq'; elicit: boolean }
  /** The client answers one of those (by the id it was shown, or an unknown one). */
  | { k: 'sans'; pick: number; unknown: boolean }
  /** The child cancels one of its own requests to the client. */
  | { k: 'scancel'; pick: number }
  /** leash_await (or, with `cancel`, leash_cancel) for one of the jobs so far, or an unknown one. */
  | { k: 'await'; pick: number; unknown: boolean; cancel: boolean };

const progressValue = fc.oneof(
  fc.integer({ min: -5, max: 50 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, 5e-324, 1e300, -1e300, Number.MAX_VALUE),
  fc.constant('7'),
);

export const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 60, arbitrary: fc.record({ k: fc.constant('req' as const), id: fc.nat(ID_POOL.length - 1), tool: fc.nat(TOOLS.length - 1), token: fc.boolean() }) },
  { weight: 20, arbitrary: fc.record({ k: fc.constant('cancel' as const), id: fc.nat(ID_POOL.length), reason: fc.option(fc.string({ maxLength: 6 }), { nil: undefined }) }) },
  {
    weight: 50,
    arbitrary: fc.record({ k: fc.constant('answer' as const), pick: fc.nat(), unknown: fc.nat(9).map((n) => n === 0), live: fc.nat(9).map((n) => n < 6), error: fc.boolean() }),
  },
  {
    weight: 50,
    arbitrary: fc.record({
      k: fc.constant('progress' as const),
      pick: fc.nat(),
      unknown: fc.nat(9).map((n) => n === 0),
      live: fc.nat(9).map((n) => n < 8),
      value: progressValue,
      total: fc.option(fc.oneof(fc.integer({ min: -5, max: 60 }), fc.double({ noNaN: true, noDefaultInfinity: true })), { nil: undefined }),
    }),
  },
  { weight: 50, arbitrary: fc.record({ k: fc.constant('clock' as const), ms: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 0, max: 60_000 })) }) },
  {
    weight: 15,
    arbitrary: fc.record({
      k: fc.constant('burst' as const),
      pick: fc.nat(),
      steps: fc.array(
        fc.record({ gap: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 150 })), value: progressValue, total: fc.option(fc.integer({ min: -5, max: 60 }), { nil: undefined }) }),
        { minLength: 2, maxLength: 8 },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('exit' as const), code: fc.constantFrom(0, 1, 3) }) },
  { weight: 10, arbitrary: fc.record({ k: fc.constant('sreq' as const), elicit: fc.boolean() }) },
  { weight: 10, arbitrary: fc.record({ k: fc.constant('sans' as const), pick: fc.nat(), unknown: fc.nat(9).map((n) => n === 0) }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('scancel' as const), pick: fc.nat() }) },
  {
    weight: 10,
    arbitrary: fc.record({ k: fc.constant('await' as const), pick: fc.nat(), unknown: fc.nat(9).map((n) => n === 0), cancel: fc.nat(3).map((n) => n === 0) }),
  },
);

export const configArb: fc.Arbitrary<Config> = fc.record({
  maxConcurrency: fc.constantFrom(Infinity, 1, 2, 3),
  heartbeatMs: fc.constantFrom(0, 50, 1_000, 10_000),
  progressIntervalMs: fc.constantFrom(0, 100, 1_000),
  defaultTotalMs: fc.constantFrom(0, 45_000),
  heavyLimit: fc.boolean(),
});

// ── the reference model ────────────────────────────────────────────────────────────────────

interface MCall {
  key: number;
  serial: number;
  clientId: RequestId;
  method: string;
  tool: string | undefined;
  token: ProgressToken | undefined;
  rule: ResolvedRule;
  receivedAt: number;
  status: 'live' | 'answered' | 'cancelled';
  dispatchedAt?: number;
  childToken?: number;
  lastChildProgressAt?: number;
  cancelSentToChild: boolean;
  /** Set when a timeout cancel went to the child; the timeout answer must follow in the same step. */
  awaitingTimeoutAnswer: boolean;
  /** Set when a progress went out that the throttle's bucket had no token for; only a flush before the answer may. */
  awaitingFlushAnswer: boolean;
  /** The model's own bucket for the child's forwarded updates: when it would be full again. */
  tat: number;
  /** When the client last got a progress notification for it (child's or heartbeat). */
  notifiedAt?: number;
  lastValue?: number;
  lastTotal?: number;
  lastHeardAt: number;
  newestChildMessage?: string;
  /** Set when its client got the job handle: from then on the call is the job's. */
  detachedAt?: number;
}

/** A job, as the model follows it. */
interface MJob {
  id: string;
  call: MCall;
  state: 'running' | 'completed' | 'failed' | 'cancelled';
  endedAt?: number;
  /** completed: the result the child sent. */
  result?: JsonObject;
}

/** A leash_await or leash_cancel the client sent. */
interface MOwn {
  id: string;
  cancel: boolean;
  job: string;
  at: number;
  answered: boolean;
}

type Step =
  | { k: 'req'; afterExit: boolean; clientId: RequestId }
  | { k: 'cancel'; target: MCall | undefined; reason: string | undefined }
  | { k: 'answer'; id: RequestId; target: MCall | undefined }
  | { k: 'sans'; target: SCall | undefined }
  | { k: 'scancel'; target: SCall | undefined }
  | { k: 'own'; id: string; job: MJob | undefined }
  | { k: 'exit' }
  | { k: 'other' };

/** A server-to-client request, as the model follows it. */
interface SCall {
  childId: RequestId;
  method: string;
  receivedAt: number;
  timeoutMs: number;
  upId?: number;
  /** For a timed-out one: the child got its -32001. */
  childTold?: boolean;
  status: 'live' | 'answered' | 'cancelled' | 'timed out' | 'dropped';
}

const sameId = (a: unknown, b: unknown) => typeof a === typeof b && a === b;
const STEP = 1 / 1024;

/** Whether a heartbeat can carry a value strictly above `last` and within `total` (progress.ts stays quiet otherwise). */
function heartbeatFits(last: number | undefined, total: number | undefined): boolean {
  const base = last ?? 0;
  const room = total === undefined ? Infinity : total - base;
  const next = base + Math.min(STEP, room / 16);
  return next > base && (total === undefined || next <= total);
}

export class Model {
  readonly link: Link;
  readonly cfg: Config;
  readonly resolve: ReturnType<typeof createResolver>;
  readonly calls = new Map<number, MCall>();
  readonly byToken = new Map<ProgressToken, MCall>();
  readonly childSeen: number[] = [];
  readonly childSeenSet = new Set<number>();
  readonly scalls: SCall[] = [];
  readonly scallByUp = new Map<number, SCall>();
  readonly jobs = new Map<string, MJob>();
  readonly own = new Map<string, MOwn>();
  ownSeq = 0;
  rejected = 0;
  rejectedAnswered = 0;
  nextKey = 1;
  serial = 0;
  exited: number | undefined;
  stops = 0;
  history: string[] = [];

  constructor(cfg: Config) {
    this.cfg = cfg;
    const p = makePolicy(cfg);
    this.link = new Link(p);
    this.resolve = createResolver(p);
  }

  fail(msg: string): never {
    throw new Error(`${msg}\n  at t=${this.link.t}\n  history (last 30):\n    ${this.history.slice(-30).join('\n    ')}`);
  }

  get t(): number {
    return this.link.t;
  }

  live(): MCall[] {
    return [...this.calls.values()].filter((c) => c.status === 'live');
  }

  running(): MCall[] {
    return this.live().filter((c) => c.dispatchedAt !== undefined);
  }

  limited(c: MCall): boolean {
    return this.cfg.heavyLimit && c.tool === 'heavy';
  }

  fits(c: MCall): boolean {
    const run = this.running();
    if (run.length >= this.cfg.maxConcurrency) return false;
    return !this.limited(c) || run.filter((r) => this.limited(r)).length < 1;
  }

  deadline(c: MCall): { at: number; kind: 'total' | 'idle'; limit: number } | undefined {
    let best: { at: number; kind: 'total' | 'idle'; limit: number } | undefined;
    if (c.rule.totalTimeoutMs > 0) best = { at: c.receivedAt + c.rule.totalTimeoutMs, kind: 'total', limit: c.rule.totalTimeoutMs };
    if (c.dispatchedAt !== undefined && c.rule.idleTimeoutMs > 0) {
      const at = (c.lastChildProgressAt ?? c.dispatchedAt) + c.rule.idleTimeoutMs;
      if (!best || at < best.at) best = { at, kind: 'idle', limit: c.rule.idleTimeoutMs };
    }
    return best;
  }

  // ── steps ──

  run(cmd: Cmd): void {
    this.history.push(JSON.stringify(cmd));
    const l = this.link;
    let step: Step = { k: 'other' };
    switch (cmd.k) {
      case 'req': {
        const clientId = ID_POOL[cmd.id]!;
        const tool = TOOLS[cmd.tool]!;
        const method = tool === '(tools/list)' ? 'tools/list' : 'tools/call';
        const serial = ++this.serial;
        const token: ProgressToken | undefined = cmd.token ? (serial % 2 ? `tok-${serial}` : serial * 1000) : undefined;
        const params: JsonObject = method === 'tools/call' ? { name: tool, arguments: { serial } } : { cursor: String(serial) };
        if (token !== undefined) params._meta = { progressToken: token };
        if (this.exited !== undefined) {
          this.rejected++;
          step = { k: 'req', afterExit: true, clientId };
        } else {
          const toolName = method === 'tools/call' ? tool : undefined;
          const c: MCall = {
            key: this.nextKey++,
            serial,
            clientId,
            method,
            tool: toolName,
            token,
            rule: this.resolve(method, toolName, 'client'),
            receivedAt: this.t,
            status: 'live',
            cancelSentToChild: false,
            awaitingTimeoutAnswer: false,
            awaitingFlushAnswer: false,
            tat: this.t,
            lastHeardAt: this.t,
          };
          this.calls.set(c.key, c);
          if (token !== undefined) this.byToken.set(token, c);
          step = { k: 'req', afterExit: false, clientId };
        }
        l.client({ jsonrpc: '2.0', id: clientId, method, params });
        break;
      }
      case 'cancel': {
        const id = cmd.id < ID_POOL.length ? ID_POOL[cmd.id]! : 'no-such-id';
        const target = this.live().find((c) => sameId(c.clientId, id) && c.detachedAt === undefined);
        step = { k: 'cancel', target, reason: cmd.reason };
        const wasDispatched = target?.dispatchedAt !== undefined;
        if (target) target.status = 'cancelled';
        const params: JsonObject = { requestId: id };
        if (cmd.reason !== undefined) params.reason = cmd.reason;
        l.client({ jsonrpc: '2.0', method: 'notifications/cancelled', params });
        this.absorb(l.take(), step);
        if (target && wasDispatched && !target.cancelSentToChild) this.fail(`cancel for running key ${target.key} not forwarded to the child`);
        this.invariants();
        return;
      }
      case 'answer': {
        const id = this.pickChildId(cmd.pick, cmd.unknown, cmd.live);
        const c = typeof id === 'number' ? this.calls.get(id) : undefined;
        const target = c && c.status === 'live' && c.dispatchedAt !== undefined ? c : undefined;
        step = { k: 'answer', id, target };
        if (target?.detachedAt !== undefined && this.exited === undefined) {
          this.endJob(target, cmd.error ? 'failed' : 'completed', this.t, cmd.error ? undefined : { answerFor: id });
        }
        l.child(cmd.error ? { jsonrpc: '2.0', id, error: { code: -1, message: 'nope', data: { answerFor: id } } } : { jsonrpc: '2.0', id, result: { answerFor: id } });
        this.absorb(l.take(), step);
        if (target && target.status !== 'answered' && this.exited === undefined) this.fail(`child answer for live key ${target.key} not delivered`);
        this.invariants();
        return;
      }
      case 'burst': {
        const token = this.pickChildId(cmd.pick, false, true);
        for (const b of cmd.steps) {
          this.run({ k: 'clock', ms: b.gap });
          this.run({ k: 'progress', pick: 0, unknown: false, live: true, value: b.value, total: b.total, token: token as number });
        }
        return;
      }
      case 'progress': {
        const token: ProgressToken = cmd.token ?? this.pickChildId(cmd.pick, cmd.unknown, cmd.live);
        const message = `child:${this.history.length}`;
        const c = typeof token === 'number' ? this.calls.get(token) : undefined;
        if (this.exited === undefined && c && c.status === 'live' && c.dispatchedAt !== undefined && c.childToken === token) {
          c.lastChildProgressAt = this.t;
          c.newestChildMessage = message;
        }
        const params: JsonObject = { progressToken: token, progress: cmd.value, message };
        if (cmd.total !== undefined) params.total = cmd.total;
        l.child({ jsonrpc: '2.0', method: 'notifications/progress', params });
        break;
      }
      case 'sreq': {
        if (this.exited !== undefined) return; // a dead child says nothing
        const n = this.scalls.length + 1;
        const childId: RequestId = n % 3 === 0 ? `s${n}` : n % 3 === 1 ? n : -n;
        const method = cmd.elicit ? 'elicitation/create' : 'sampling/createMessage';
        const sc: SCall = { childId, method, receivedAt: this.t, timeoutMs: cmd.elicit ? 60_000 : 0, status: 'live' };
        this.scalls.push(sc);
        l.child({ jsonrpc: '2.0', id: childId, method, params: { n } });
        this.absorb(l.take(), step);
        if (sc.upId === undefined) this.fail(`server-to-client request ${String(childId)} not forwarded`);
        this.invariants();
        return;
      }
      case 'sans': {
        const ups = this.scalls.filter((c) => c.upId !== undefined);
        const up = cmd.unknown || ups.length === 0 ? 50_000 + (cmd.pick % 5) : ups[cmd.pick % ups.length]!.upId!;
        const c = this.scallByUp.get(up);
        const target = c && c.status === 'live' ? c : undefined;
        l.client({ jsonrpc: '2.0', id: up, result: { answerTo: up } });
        this.absorb(l.take(), { k: 'sans', target });
        if (target && target.status !== 'answered') this.fail(`client answer to server request ${up} not delivered`);
        this.invariants();
        return;
      }
      case 'scancel': {
        if (this.exited !== undefined || this.scalls.length === 0) return;
        const c = this.scalls[cmd.pick % this.scalls.length]!;
        const target = c.status === 'live' ? c : undefined;
        l.child({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: c.childId, reason: 'child changed its mind' } });
        this.absorb(l.take(), { k: 'scancel', target });
        if (target && target.status !== 'cancelled') this.fail(`child cancel of ${String(c.childId)} not forwarded`);
        this.invariants();
        return;
      }
      case 'await': {
        const ids = [...this.jobs.keys()];
        const job = cmd.unknown || ids.length === 0 ? undefined : this.jobs.get(ids[cmd.pick % ids.length]!);
        const jobId = job?.id ?? `j${900 + (cmd.pick % 7)}`;
        const id = `${cmd.cancel ? 'jc' : 'aw'}-${++this.ownSeq}`;
        this.own.set(id, { id, cancel: cmd.cancel, job: jobId, at: this.t, answered: false });
        this.settleParked(this.t);
        const running = job !== undefined && job.state === 'running';
        const dispatched = running && job.call.dispatchedAt !== undefined;
        if (cmd.cancel && running) this.endJob(job.call, 'cancelled', this.t);
        step = { k: 'own', id, job: cmd.cancel && running ? job : undefined };
        l.client({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: cmd.cancel ? 'leash_cancel' : 'leash_await', arguments: { job: jobId } } });
        this.absorb(l.take(), step);
        if (cmd.cancel && !this.own.get(id)!.answered) this.fail(`leash_cancel ${id} not answered at once`);
        if (!cmd.cancel && !running && !this.own.get(id)!.answered) this.fail(`leash_await ${id} for a job that is not running was not answered at once`);
        if (dispatched && cmd.cancel && !job.call.cancelSentToChild && this.exited === undefined) this.fail(`leash_cancel of ${jobId} did not reach the child`);
        this.invariants();
        return;
      }
      case 'clock':
        l.advance(cmd.ms);
        break;
      case 'exit':
        if (this.exited === undefined) {
          this.exited = cmd.code;
          step = { k: 'exit' };
          // Jobs die with the child: their waiters hear of it, their clients heard long ago.
          this.settleParked(this.t, true);
          for (const c of this.live()) if (c.detachedAt !== undefined) this.endJob(c, 'failed', this.t);
          // The child's questions to the client die with it: each gets a cancel upstream
          // (checked in serverCancelToClient, and below that none is left live).
        } else {
          // A second report must be ignored.
          l.childExit({ code: cmd.code });
          this.absorb(l.take(), step);
          return;
        }
        l.childExit({ code: cmd.code, stderrTail: ['last words'] });
        break;
    }
    this.absorb(l.take(), step);
    if (cmd.k === 'exit' && this.live().length) this.fail('child exit left requests unanswered');
    if (cmd.k === 'exit' && this.scalls.some((sc) => sc.status === 'live' && sc.upId !== undefined)) {
      this.fail('child exit left a server-to-client request without a cancel to the client');
    }
    if (step.k === 'req' && step.afterExit && this.rejectedAnswered !== this.rejected) this.fail('request after exit not answered at once');
    this.invariants();
  }

  /** An id (or token) for the child to use: one it is working on, any it was given, or a foreign one. */
  pickChildId(pick: number, unknown: boolean, live: boolean): RequestId {
    if (unknown || this.childSeen.length === 0) return pick % 2 ? 10_000 + (pick % 7) : String(pick % 7);
    const running = this.running();
    if (live && running.length) return running[pick % running.length]!.key;
    return this.childSeen[pick % this.childSeen.length]!;
  }

  // ── outputs ──

  /** End of the newest 'client-gap' in the batch being absorbed: the client reads nothing before it. */
  gapUntil = -Infinity;

  absorb(outs: Stamped[], step: Step): void {
    this.gapUntil = -Infinity;
    for (const { t, out } of outs) {
      if (out.type === 'log') continue;
      if (out.type === 'client-gap') {
        if (!(out.ms > 0 && out.ms <= ANSWER_GAP_MS)) this.fail(`client-gap of ${out.ms}ms`);
        this.gapUntil = Math.max(this.gapUntil, t + out.ms);
        continue;
      }
      this.settleParked(t);
      if (out.type === 'exit') {
        if (this.exited === undefined) this.fail(`stop without a child exit: ${JSON.stringify(out)}`);
        if (out.code !== this.exited) this.fail(`stop code ${out.code}, child exited with ${this.exited}`);
        if (++this.stops > 1) this.fail('more than one stop');
        continue;
      }
      if (out.type !== 'send') this.fail(`unexpected ${out.type} output (restarts and health checks are off)`);
      if (out.to === 'child') this.toChild(out.msg, t, step);
      else this.toClient(out.msg, out.origId, t, step);
    }
    for (const c of this.calls.values()) {
      if (c.awaitingTimeoutAnswer) this.fail(`timeout cancel for key ${c.key} without a timeout answer`);
      if (c.awaitingFlushAnswer) this.fail(`progress for key ${c.key} past the throttle's bucket, not followed by its answer`);
    }
  }

  toChild(msg: JsonObject, t: number, step: Step): void {
    if (this.exited !== undefined) this.fail(`sent to the child after it exited: ${JSON.stringify(msg)}`);
    if ('id' in msg && typeof msg.method === 'string') {
      const key = msg.id;
      if (typeof key !== 'number' || !Number.isInteger(key) || key < 1) this.fail(`child id ${JSON.stringify(key)} is not an integer from 1`);
      if (this.childSeenSet.has(key)) this.fail(`child id ${key} reused`);
      this.childSeenSet.add(key);
      this.childSeen.push(key);
      const c = this.calls.get(key);
      if (!c) this.fail(`child got key ${key} the model never predicted`);
      const params = msg.params as JsonObject;
      const serial = c.method === 'tools/call' ? (params.arguments as JsonObject).serial : Number(params.cursor);
      if (serial !== c.serial) this.fail(`child key ${key} carries request #${String(serial)}, expected #${c.serial}`);
      if (c.status !== 'live') this.fail(`child got key ${key}, already ${c.status}`);
      if (c.dispatchedAt !== undefined) this.fail(`child got key ${key} twice`);
      // An older parked job due now was not dispatched first (FIFO): it timed out at this instant, silently.
      for (const o of this.live()) if (o.key < c.key) this.settleParked(t, true, o);
      // Concurrency: a slot must be free for it, and no older request that fits may still wait (FIFO).
      if (!this.fits(c)) this.fail(`key ${key} dispatched with ${this.running().length} running (max ${this.cfg.maxConcurrency})`);
      for (const o of this.live()) {
        if (o.key < c.key && o.dispatchedAt === undefined && !(this.limited(o) && !this.limited(c))) {
          this.fail(`key ${key} dispatched before older queued key ${o.key} (FIFO)`);
        }
      }
      c.dispatchedAt = t;
      const token = (params._meta as JsonObject | undefined)?.progressToken;
      const wants = c.token !== undefined || c.rule.idleTimeoutMs > 0;
      // A call that may become a job gets a token too (its progress goes to the job's texts).
      const wantsToo = wants || c.tool === 'job';
      if (wantsToo ? token !== key : token !== undefined) this.fail(`child token ${String(token)} for key ${key}, expected ${wantsToo ? key : 'none'}`);
      if (wantsToo) c.childToken = key;
      return;
    }
    if (msg.method === 'notifications/cancelled') {
      const p = msg.params as JsonObject;
      const c = typeof p.requestId === 'number' ? this.calls.get(p.requestId) : undefined;
      if (!c || c.dispatchedAt === undefined) this.fail(`cancel to child for a request it never saw: ${JSON.stringify(p)}`);
      if (c.cancelSentToChild) this.fail(`second cancel to the child for key ${c.key}`);
      c.cancelSentToChild = true;
      if (step.k === 'cancel' && step.target === c) {
        if (p.reason !== step.reason) this.fail(`cancel reason ${String(p.reason)}, client said ${String(step.reason)}`);
        return;
      }
      if (step.k === 'own' && step.job?.call === c) {
        if (p.reason !== 'job cancelled by the client (leash_cancel)') this.fail(`leash_cancel reason ${String(p.reason)}`);
        return;
      }
      if (c.status !== 'live') this.fail(`cancel to child for key ${c.key}, already ${c.status}`);
      if (typeof p.reason !== 'string' || !p.reason.startsWith('timed out')) this.fail(`unexplained cancel to child: ${JSON.stringify(p)}`);
      if (c.detachedAt !== undefined) {
        // A job's timeout: the child is told, the client (answered at detach) is not; its waiters are.
        const d = this.deadline(c);
        if (!d || t !== d.at) this.fail(`job of key ${c.key} timed out at ${t}, deadline ${String(d?.at)}`);
        this.endJob(c, 'failed', t);
        return;
      }
      c.awaitingTimeoutAnswer = true;
      return;
    }
    if ('id' in msg && !('method' in msg)) return this.serverAnswerToChild(msg, t, step);
    this.fail(`unexpected message to child: ${JSON.stringify(msg)}`);
  }

  serverAnswerToChild(msg: JsonObject, t: number, step: Step): void {
    const err = msg.error as { code: number; data?: JsonObject } | undefined;
    if (err?.code === -32001) {
      const sc = this.scalls.find((c) => c.status === 'timed out' && !c.childTold && sameId(c.childId, msg.id) && c.receivedAt + c.timeoutMs === t);
      if (!sc) this.fail(`unexplained timeout error to the child: ${JSON.stringify(msg)}`);
      if (err.data?.method !== sc.method || err.data.elapsedMs !== sc.timeoutMs) this.fail(`bad server-request timeout error: ${JSON.stringify(msg)}`);
      sc.childTold = true;
      return;
    }
    const answerTo = (msg.result as JsonObject | undefined)?.answerTo;
    if (step.k !== 'sans' || !step.target || step.target.upId !== answerTo || !sameId(msg.id, step.target.childId)) {
      this.fail(`client answer reached the child wrongly: ${JSON.stringify(msg)}`);
    }
    step.target.status = 'answered';
  }

  serverRequestToClient(msg: JsonObject, t: number): void {
    const up = msg.id;
    if (typeof up !== 'number') this.fail(`server-to-client request has id ${JSON.stringify(up)}, expected one of mcp-leash's numbers`);
    if (this.scallByUp.has(up)) this.fail(`server-to-client id ${up} reused`);
    const n = (msg.params as { n: number }).n;
    const sc = this.scalls[n - 1];
    if (!sc || sc.upId !== undefined || sc.method !== msg.method) this.fail(`unexpected server-to-client request: ${JSON.stringify(msg)}`);
    sc.upId = up;
    this.scallByUp.set(up, sc);
    void t;
  }

  serverCancelToClient(p: JsonObject, t: number, step: Step): void {
    const sc = typeof p.requestId === 'number' ? this.scallByUp.get(p.requestId) : undefined;
    if (!sc || sc.status !== 'live') this.fail(`cancel to the client for a request that is not live: ${JSON.stringify(p)}`);
    if (step.k === 'exit') {
      if (p.reason !== 'the MCP server exited') this.fail(`exit cancel reason ${String(p.reason)}`);
      sc.status = 'dropped';
      return;
    }
    if (step.k === 'scancel' && step.target === sc) {
      if (p.reason !== 'child changed its mind') this.fail(`child's cancel reason lost: ${JSON.stringify(p)}`);
      sc.status = 'cancelled';
      return;
    }
    if (sc.timeoutMs === 0 || t !== sc.receivedAt + sc.timeoutMs) this.fail(`server-to-client request ${sc.upId} timed out at ${t} (received ${sc.receivedAt}, limit ${sc.timeoutMs})`);
    if (p.reason !== 'timed out after 1m') this.fail(`timeout reason ${String(p.reason)}`);
    sc.status = 'timed out';
  }

  toClient(msg: JsonObject, origId: RequestId | undefined, t: number, step: Step): void {
    if (typeof msg.id === 'string' && /^(aw|jc)-/.test(msg.id) && !('method' in msg)) return this.ownAnswer(msg, t, step);
    if (msg.method === 'notifications/progress') return this.progressToClient(msg.params as JsonObject, t);
    if (msg.method === 'notifications/cancelled') return this.serverCancelToClient(msg.params as JsonObject, t, step);
    if ('id' in msg && typeof msg.method === 'string') return this.serverRequestToClient(msg, t);
    if (!('id' in msg) || 'method' in msg) this.fail(`unexpected message to client: ${JSON.stringify(msg)}`);
    const err = msg.error as { code: number; message: string; data?: JsonObject } | undefined;
    if (origId === undefined) {
      if (step.k !== 'req' || !step.afterExit || !sameId(msg.id, step.clientId) || err?.code !== -32000) {
        this.fail(`unattributed response: ${JSON.stringify(msg)}`);
      }
      this.rejectedAnswered++;
      return;
    }
    const c = typeof origId === 'number' ? this.calls.get(origId) : undefined;
    if (!c) this.fail(`response for unknown key ${String(origId)}: ${JSON.stringify(msg)}`);
    if (c.status !== 'live') this.fail(`response for key ${c.key} which is already ${c.status}: ${JSON.stringify(msg).slice(0, 300)}`);
    if (c.detachedAt !== undefined) this.fail(`a second answer for key ${c.key}, whose client got its job handle at ${c.detachedAt}: ${JSON.stringify(msg).slice(0, 300)}`);
    if (!sameId(msg.id, c.clientId)) this.fail(`response for key ${c.key} has id ${JSON.stringify(msg.id)}, client sent ${JSON.stringify(c.clientId)}`);
    const result = msg.result as JsonObject | undefined;
    const handle = ((result?._meta as JsonObject | undefined)?.[JOB_META] as JsonObject | undefined) ?? undefined;
    if (handle !== undefined) return this.detached(c, handle, t);
    const answerFor = result?.answerFor ?? err?.data?.answerFor;
    if (answerFor !== undefined) {
      if (answerFor !== c.key || step.k !== 'answer' || step.target !== c) this.fail(`child answer for ${String(answerFor)} delivered as key ${c.key}`);
      // Issue 21: an SDK client drops progress read in one chunk with its answer; a gap keeps them apart.
      if (c.notifiedAt !== undefined && t < c.notifiedAt + ANSWER_GAP_MS && this.gapUntil < c.notifiedAt + ANSWER_GAP_MS) {
        this.fail(`child answer for key ${c.key} at ${t}, ${t - c.notifiedAt}ms after its progress, without a gap (until ${this.gapUntil})`);
      }
    } else if (err?.code === -32000) {
      if (this.exited === undefined) this.fail(`-32000 without a child exit for key ${c.key}`);
    } else {
      // A timeout: exactly at the deadline, in the right shape.
      const d = this.deadline(c);
      if (!d) this.fail(`timeout answer for key ${c.key} which has no limit: ${JSON.stringify(msg)}`);
      if (t !== d.at) this.fail(`timeout for key ${c.key} at ${t}, deadline ${d.at} (${d.kind})`);
      if (c.dispatchedAt !== undefined && !c.cancelSentToChild) this.fail(`timeout of running key ${c.key} without a cancel to the child`);
      if (c.method === 'tools/call' && c.rule.onTimeout === 'result') {
        const text = (result?.content as Array<{ text: string }> | undefined)?.[0]?.text ?? '';
        if (result?.isError !== true || !text.includes(`"${c.tool}"`)) this.fail(`bad timeout result: ${JSON.stringify(msg)}`);
        if (!text.includes(d.kind === 'total' ? 'time limit' : 'no progress')) this.fail(`timeout text does not say ${d.kind}: ${text}`);
      } else {
        const data = err?.data;
        if (err?.code !== -32001 || data?.method !== c.method || data.timeoutMs !== d.limit || data.elapsedMs !== t - c.receivedAt || data.tool !== c.tool) {
          this.fail(`bad timeout error for key ${c.key} (${d.kind} ${d.limit}): ${JSON.stringify(msg)}`);
        }
      }
    }
    c.status = 'answered';
    c.awaitingTimeoutAnswer = false;
    c.awaitingFlushAnswer = false;
  }

  progressToClient(p: JsonObject, t: number): void {
    const token = p.progressToken as ProgressToken;
    const c = this.byToken.get(token);
    if (!c) this.fail(`progress with a token the client never sent: ${JSON.stringify(p)}`);
    if (c.status !== 'live') this.fail(`progress for key ${c.key} after it was ${c.status}: ${JSON.stringify(p)}`);
    if (c.detachedAt !== undefined) this.fail(`progress for key ${c.key} after its job handle: ${JSON.stringify(p)}`);
    const v = p.progress;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(`progress value ${String(v)} is not a finite number`);
    if (c.lastValue !== undefined && !(v > c.lastValue)) this.fail(`progress for token ${String(token)} went ${c.lastValue} -> ${v}`);
    if (p.total !== undefined && !(typeof p.total === 'number' && v <= p.total)) this.fail(`progress ${v} above total ${String(p.total)}`);
    const gap = t - c.lastHeardAt;
    if (this.cfg.heartbeatMs > 0 && heartbeatFits(c.lastValue, c.lastTotal) && gap > this.cfg.heartbeatMs) this.fail(`token ${String(token)} silent for ${gap}ms (heartbeat ${this.cfg.heartbeatMs})`);
    const hb = this.cfg.heartbeatMs;
    const m = p.message;
    if (typeof m === 'string' && m.startsWith('child:')) {
      if (m !== c.newestChildMessage) this.fail(`forwarded ${m} for key ${c.key}, newest from the child is ${c.newestChildMessage}`);
      // Throttle: a forward the bucket has no token for only to flush before the answer, or in
      // place of a due heartbeat. Any leak of a flood past the bucket trips this.
      const T = this.cfg.progressIntervalMs;
      if (t < c.tat - (PROGRESS_BURST - 1) * T && !(hb > 0 && gap >= hb)) c.awaitingFlushAnswer = true;
      c.tat = Math.max(c.tat, t) + T;
    } else if (typeof m === 'string' && m.startsWith('mcp-leash:')) {
      if (hb === 0 || gap < hb) this.fail(`heartbeat after ${gap}ms (heartbeat ${hb})`);
    } else {
      this.fail(`progress message neither the child's nor a heartbeat: ${JSON.stringify(p)}`);
    }
    c.lastValue = v;
    c.notifiedAt = t;
    // Heartbeats echo the total of the last notification sent (none when it had none).
    c.lastTotal = typeof p.total === 'number' ? p.total : undefined;
    c.lastHeardAt = t;
  }

  // ── jobs ──

  /** The client got the job handle for `c`: exactly at its detach time, with the next job id. */
  detached(c: MCall, handle: JsonObject, t: number): void {
    if (c.tool !== 'job') this.fail(`job handle for key ${c.key}, tool ${String(c.tool)} never detaches`);
    if (t !== c.receivedAt + DETACH_MS) this.fail(`job handle for key ${c.key} at ${t}, due at ${c.receivedAt + DETACH_MS}`);
    const id = `j${this.jobs.size + 1}`;
    if (handle.id !== id || handle.tool !== 'job' || handle.state !== 'running') this.fail(`job handle ${JSON.stringify(handle)}, expected ${id}`);
    c.detachedAt = t;
    c.awaitingFlushAnswer = false;
    this.jobs.set(id, { id, call: c, state: 'running' });
  }

  jobOf(c: MCall): MJob | undefined {
    for (const j of this.jobs.values()) if (j.call === c) return j;
    return undefined;
  }

  /** A job's call ended (answer, timeout, exit, leash_cancel); only its waiters are told. */
  endJob(c: MCall, state: 'completed' | 'failed' | 'cancelled', t: number, result?: JsonObject): void {
    const job = this.jobOf(c);
    if (!job || job.state !== 'running') this.fail(`job of key ${c.key} ended twice`);
    job.state = state;
    job.endedAt = t;
    job.result = result;
    c.status = 'answered';
  }

  /**
   * A job still queued (parked) ends silently at its total deadline: the child never saw it. At
   * the deadline's own instant it may still be dispatched first (a slot freed by another timeout
   * at that instant) and then cancelled, so outputs at that instant settle only what is past.
   */
  settleParked(t: number, inclusive = false, only?: MCall): void {
    for (const c of this.calls.values()) {
      if (c.status !== 'live' || c.detachedAt === undefined || c.dispatchedAt !== undefined || (only && c !== only)) continue;
      const d = this.deadline(c);
      if (d && (d.at < t || (inclusive && d.at === t))) this.endJob(c, 'failed', d.at);
    }
  }

  /** The one answer to a leash_await or leash_cancel. */
  ownAnswer(msg: JsonObject, t: number, step: Step): void {
    const o = this.own.get(msg.id as string);
    if (!o) this.fail(`answer for a leash_* call never sent: ${JSON.stringify(msg)}`);
    if (o.answered) this.fail(`second answer for ${o.id}`);
    o.answered = true;
    const r = msg.result as JsonObject | undefined;
    if (!r) this.fail(`leash_* answered with an error: ${JSON.stringify(msg)}`);
    if (o.cancel) {
      if (step.k !== 'own' || step.id !== o.id) this.fail(`leash_cancel ${o.id} answered later, at ${t}`);
      return;
    }
    const job = this.jobs.get(o.job);
    if (job?.state === 'running') this.settleParked(t, true, job.call);
    const state = ((r._meta as JsonObject | undefined)?.[JOB_META] as JsonObject | undefined)?.state;
    const expired = job?.endedAt !== undefined && t >= job.endedAt + JOB_TTL_MS;
    if (!job || expired) {
      if (r.isError !== true) this.fail(`leash_await for an unknown or expired job ${o.job} is not isError: ${JSON.stringify(r)}`);
      return;
    }
    if (state === 'running') {
      if (job.state !== 'running') this.fail(`"still running" for ${job.id}, which is ${job.state}`);
      if (t !== o.at + AWAIT_MS) this.fail(`"still running" for ${o.id} at ${t}, awaitMax ends at ${o.at + AWAIT_MS}`);
      return;
    }
    if (job.state === 'running') this.fail(`leash_await ${o.id} answered ${JSON.stringify(r).slice(0, 200)} while ${job.id} runs`);
    if (t !== o.at && t !== job.endedAt) this.fail(`leash_await ${o.id} answered at ${t}, neither at once nor when ${job.id} ended (${String(job.endedAt)})`);
    if (job.state === 'completed') {
      expect(r, `leash_await ${o.id}: the child's result unchanged`).toStrictEqual(job.result);
    } else if (r.isError !== true) this.fail(`leash_await for ${job.state} ${job.id} is not isError: ${JSON.stringify(r)}`);
  }

  // ── after every step ──

  invariants(): void {
    this.settleParked(this.t, true);
    const live = this.live();
    for (const c of live) {
      const d = this.deadline(c);
      if (d && d.at <= this.t) this.fail(`key ${c.key} missed its ${d.kind} deadline ${d.at}`);
      if (c.tool === 'job' && c.detachedAt === undefined && c.receivedAt + DETACH_MS <= this.t) this.fail(`key ${c.key} missed its detach at ${c.receivedAt + DETACH_MS}`);
      if (c.detachedAt !== undefined) continue; // its client heard the last of it
      if (c.token !== undefined && this.cfg.heartbeatMs > 0 && heartbeatFits(c.lastValue, c.lastTotal) && this.t - c.lastHeardAt >= this.cfg.heartbeatMs) {
        this.fail(`token ${String(c.token)} silent since ${c.lastHeardAt} (heartbeat ${this.cfg.heartbeatMs})`);
      }
    }
    // Every deadline at or before now has been handled; none is left in the past to spin on.
    const next = this.link.session.nextDeadline();
    if (next !== undefined && next <= this.t) this.fail(`nextDeadline ${next} is not after now`);
    const run = this.running();
    if (run.length > this.cfg.maxConcurrency) this.fail(`${run.length} running > ${this.cfg.maxConcurrency}`);
    if (run.filter((c) => this.limited(c)).length > 1) this.fail('per-tool limit exceeded');
    for (const c of live) if (c.dispatchedAt === undefined && this.fits(c)) this.fail(`key ${c.key} waits in the queue with a free slot`);
    const slive = this.scalls.filter((c) => c.status === 'live');
    for (const sc of slive) if (sc.timeoutMs > 0 && sc.receivedAt + sc.timeoutMs <= this.t) this.fail(`server-to-client request ${sc.upId} missed its deadline`);
    for (const sc of this.scalls) if (sc.status === 'timed out' && !sc.childTold) this.fail(`timed-out server request ${sc.upId} not answered to the child`);
    if (this.link.session.inFlight !== live.length + slive.length) {
      this.fail(`session.inFlight ${this.link.session.inFlight}, model ${live.length} + ${slive.length}`);
    }
  }

  // ── the end ──

  /**
   * The core's events tell the same story as the messages (what traces and reports rely on):
   * every call opened once and ended once, after it opened; client calls end with the outcome
   * the model saw; no event for a call that was never opened.
   */
  checkEvents(): void {
    const opened = new Map<string, number>();
    const ended = new Map<string, string>();
    for (const e of this.link.events) {
      if (e.type === 'call-opened') {
        if (opened.has(e.call)) this.fail(`call ${e.call} opened twice`);
        opened.set(e.call, e.at);
      } else if (e.type === 'call-ended') {
        if (!opened.has(e.call)) this.fail(`call ${e.call} ended without being opened`);
        if (ended.has(e.call)) this.fail(`call ${e.call} ended twice`);
        ended.set(e.call, e.outcome);
      } else if ('call' in e && typeof e.call === 'string' && e.type !== 'late-answer' && !opened.has(e.call)) {
        this.fail(`${e.type} event for call ${e.call}, which never opened`);
      }
    }
    for (const call of opened.keys()) if (!ended.has(call)) this.fail(`call ${call} opened but never ended`);
    // Jobs: each detached once, from a call that ended 'ok' by 'leash' then, and ended exactly once after.
    const jobs = new Map<string, { ended: number; dropped: number }>();
    for (const e of this.link.events) {
      if (e.type === 'job-detached') {
        if (jobs.has(e.job)) this.fail(`job ${e.job} detached twice`);
        if (ended.get(e.call) !== 'ok') this.fail(`job ${e.job}: its call ${e.call} did not end ok at detach`);
        jobs.set(e.job, { ended: 0, dropped: 0 });
      } else if (e.type === 'job-ended' || e.type === 'job-dropped' || e.type === 'job-awaited') {
        const j = jobs.get(e.job);
        if (!j) this.fail(`${e.type} for job ${e.job}, which never detached`);
        if (e.type === 'job-ended' && ++j.ended > 1) this.fail(`job ${e.job} ended twice`);
        if (e.type === 'job-dropped' && (j.ended === 0 || ++j.dropped > 1)) this.fail(`job ${e.job} dropped before it ended, or twice`);
      }
    }
    if (jobs.size !== this.jobs.size) this.fail(`${jobs.size} job-detached events, the model saw ${this.jobs.size} handles`);
    for (const [id, j] of jobs) if (j.ended !== 1) this.fail(`job ${id} never ended`);
    for (const c of this.calls.values()) {
      const outcome = ended.get(`c${c.key}`);
      if (outcome === undefined) this.fail(`model call ${c.key} has no call-ended event`);
      const want = c.status === 'cancelled' ? 'cancelled' : undefined;
      if (want !== undefined && outcome !== want) this.fail(`call c${c.key} ended ${outcome}, the model saw ${c.status}`);
    }
  }

  finish(byExit: boolean): void {
    if (this.exited === undefined && byExit) this.run({ k: 'exit', code: 1 });
    for (let round = 0; this.exited === undefined && this.live().length; round++) {
      if (round > 1000) this.fail('drain does not converge');
      for (const c of this.running()) {
        const idx = this.childSeen.indexOf(c.key);
        this.run({ k: 'answer', pick: idx, unknown: false, live: false, error: false });
      }
    }
    for (const c of this.calls.values()) if (c.status === 'live') this.fail(`key ${c.key} never answered`);
    // Server-to-client requests: the client answers what is left, or they went with the child.
    for (const sc of this.scalls) if (sc.status === 'live' && this.exited === undefined) this.run({ k: 'sans', pick: this.scalls.filter((c) => c.upId !== undefined).indexOf(sc), unknown: false });
    // Kept job results expire within jobs.ttl; every leash_* call got its one answer by then.
    if (this.jobs.size) this.run({ k: 'clock', ms: JOB_TTL_MS });
    for (const o of this.own.values()) if (!o.answered) this.fail(`${o.id} never answered`);
    if (this.rejectedAnswered !== this.rejected) this.fail('a request after exit was not answered');
    expect(this.link.session.inFlight).toBe(0);
    expect(this.link.session.nextDeadline()).toBeUndefined();
    this.checkEvents();
    this.link.advance(3_600_000);
    expect(this.link.take().filter((s) => s.out.type !== 'log')).toStrictEqual([]);
  }
}
