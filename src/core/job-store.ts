// The job table: ids, states, kept results, the leash_await requests waiting on jobs, expiry and
// the bounds (jobs.max, jobs.maxBytes). Pure bookkeeping on timestamps; jobs.ts wires it to
// calls and answers.
//
// Memory: a finished job keeps its result as UTF-8 JSON in a Uint8Array: about its size on the
// wire, rather than a parsed tree that would cost several times that, and off the JS heap. That
// last part matters: V8 lets the heap grow in proportion to what survives its collections, so
// 64 MB of kept strings let the garbage of every answer passing through pile up to several times
// that before a full collection (peak RSS 393 MB for jobs.maxBytes = 64 MiB, measured with
// test/reliability/jobs-memory.mjs); bytes outside the heap do not raise that limit. `bytes` is
// what counts against jobs.maxBytes: the answer's size on the wire when the codec gave it, else
// the encoded result's size.
// Whenever the kept bytes or the number of jobs would pass a bound, the finished jobs that ended
// first are dropped first. Running jobs keep no result and are never dropped; when jobs.max of
// them run, a call that reaches detachAfter simply is not detached (jobs.ts).

import { DeadlineQueue } from './deadlines.js';
import type { CallId, JobId, JobState } from './events.js';
import type { JsonObject, RequestId } from './message.js';

/** The child's last progress for a job, as it sent it. */
export interface JobProgress {
  progress: number;
  total: number | undefined;
  message: string | undefined;
  at: number;
}

export interface Job {
  readonly id: JobId;
  readonly tool: string;
  /** The call running it (its key on the child link). */
  readonly callKey: number;
  readonly receivedAt: number;
  readonly detachedAt: number;
  /** How long one leash_await on it blocks. */
  readonly awaitMaxMs: number;
  state: JobState;
  progress: JobProgress | undefined;
  endedAt: number | undefined;
  /** completed: the tool's own result, as UTF-8 JSON; kept for leash_await, returned unchanged. */
  result: Uint8Array | undefined;
  /** failed or cancelled: what the model is told. */
  failure: string | undefined;
  bytes: number;
}

/** A leash_await waiting for a running job. */
export interface Waiter {
  readonly n: number;
  readonly clientId: RequestId;
  /** Its l-call, for events. */
  readonly call: CallId;
  readonly job: JobId;
  readonly at: number;
}

export interface JobStoreOptions {
  ttlMs: number;
  max: number;
  maxBytes: number;
}

/** Why a job id is not known any more, for the model's error text. */
export type Gone = 'expired' | 'evicted';

/** How many dropped ids are remembered for a clearer error (a few bytes each). */
const REMEMBER_GONE = 1000;

export class JobStore {
  #opts: JobStoreOptions;
  /** Every kept job, in creation order. */
  #jobs = new Map<JobId, Job>();
  /** Running jobs by their call's key. */
  #byKey = new Map<number, Job>();
  /** Finished jobs in the order they ended: the first is dropped first. */
  #done = new Map<JobId, Job>();
  #bytes = 0;
  #expiry = new DeadlineQueue<JobId>();
  #waiters = new Map<number, Waiter>();
  #waitDue = new DeadlineQueue<number>();
  #gone = new Map<JobId, Gone>();
  #seq = 0;
  #waiterSeq = 0;

  constructor(opts: JobStoreOptions) {
    this.#opts = opts;
  }

  get size(): number {
    return this.#jobs.size;
  }

  /** Bytes of results kept now. */
  get bytes(): number {
    return this.#bytes;
  }

  get waiting(): number {
    return this.#waiters.size;
  }

  get(id: unknown): Job | undefined {
    return typeof id === 'string' ? this.#jobs.get(id) : undefined;
  }

  byKey(key: number): Job | undefined {
    return this.#byKey.get(key);
  }

  gone(id: unknown): Gone | undefined {
    return typeof id === 'string' ? this.#gone.get(id) : undefined;
  }

  all(): Iterable<Job> {
    return this.#jobs.values();
  }

  /**
   * A new running job, or undefined when jobs.max jobs run (finished ones make room first).
   * Returns the jobs dropped to make room too.
   */
  add(j: Omit<Job, 'id' | 'state' | 'progress' | 'endedAt' | 'result' | 'failure' | 'bytes'>, progress: JobProgress | undefined, now: number): { job: Job | undefined; dropped: JobId[] } {
    const dropped: JobId[] = [];
    while (this.#jobs.size >= this.#opts.max) {
      const first = this.#done.values().next().value;
      if (first === undefined) return { job: undefined, dropped };
      dropped.push(this.#drop(first, 'evicted'));
    }
    const job: Job = { ...j, id: `j${++this.#seq}`, state: 'running', progress, endedAt: undefined, result: undefined, failure: undefined, bytes: 0 };
    this.#jobs.set(job.id, job);
    this.#byKey.set(job.callKey, job);
    void now;
    return { job, dropped };
  }

  /**
   * The job's run ended. A result larger than jobs.maxBytes by itself is not kept: the job is
   * failed with `tooBig(bytes)` instead. Returns the waiters to answer now and the jobs dropped
   * to keep within maxBytes.
   */
  finish(
    job: Job,
    end: { state: Exclude<JobState, 'running'>; result?: Uint8Array; failure?: string; bytes: number },
    tooBig: (bytes: number, maxBytes: number) => string,
    now: number,
  ): { waiters: Waiter[]; dropped: JobId[] } {
    if (job.state !== 'running') return { waiters: [], dropped: [] };
    this.#byKey.delete(job.callKey);
    job.endedAt = now;
    if (end.result !== undefined && end.bytes > this.#opts.maxBytes) {
      job.state = 'failed';
      job.failure = tooBig(end.bytes, this.#opts.maxBytes);
    } else {
      job.state = end.state;
      job.result = end.result;
      job.failure = end.failure;
      job.bytes = end.result === undefined ? 0 : end.bytes;
    }
    this.#bytes += job.bytes;
    this.#done.set(job.id, job);
    this.#expiry.arm(job.id, now + this.#opts.ttlMs);
    const dropped: JobId[] = [];
    while (this.#bytes > this.#opts.maxBytes) {
      const first = this.#done.values().next().value!;
      dropped.push(this.#drop(first, 'evicted'));
    }
    const waiters: Waiter[] = [];
    for (const w of this.#waiters.values()) {
      if (w.job === job.id) {
        waiters.push(w);
        this.#waiters.delete(w.n);
        this.#waitDue.disarm(w.n);
      }
    }
    return { waiters, dropped };
  }

  /** A leash_await that waits for `job` at most `until`. */
  wait(w: Omit<Waiter, 'n'>, until: number): Waiter {
    const waiter = { ...w, n: ++this.#waiterSeq };
    this.#waiters.set(waiter.n, waiter);
    this.#waitDue.arm(waiter.n, until);
    return waiter;
  }

  /** Takes out the waiter with this client id (the client cancelled its leash_await). */
  takeWaiter(clientId: RequestId): Waiter | undefined {
    for (const w of this.#waiters.values()) {
      if (w.clientId === clientId) {
        this.#waiters.delete(w.n);
        this.#waitDue.disarm(w.n);
        return w;
      }
    }
    return undefined;
  }

  nextDeadline(): number | undefined {
    const a = this.#expiry.next();
    const b = this.#waitDue.next();
    return a === undefined ? b : b === undefined ? a : Math.min(a, b);
  }

  /** Waiters whose awaitMax ran out, and finished jobs whose ttl passed (dropped now). */
  due(now: number): { waiters: Waiter[]; expired: JobId[] } {
    const waiters: Waiter[] = [];
    for (const n of this.#waitDue.popDue(now)) {
      const w = this.#waiters.get(n);
      if (w) {
        this.#waiters.delete(n);
        waiters.push(w);
      }
    }
    const expired: JobId[] = [];
    for (const id of this.#expiry.popDue(now)) {
      const job = this.#done.get(id);
      if (job) expired.push(this.#drop(job, 'expired'));
    }
    return { waiters, expired };
  }

  #drop(job: Job, why: Gone): JobId {
    this.#jobs.delete(job.id);
    this.#done.delete(job.id);
    this.#expiry.disarm(job.id);
    this.#bytes -= job.bytes;
    job.result = undefined; // the text may be large: let it go even if someone holds the record
    this.#gone.set(job.id, why);
    if (this.#gone.size > REMEMBER_GONE) this.#gone.delete(this.#gone.keys().next().value!);
    return job.id;
  }
}

// TextEncoder and TextDecoder are plain JavaScript (WHATWG Encoding), not Node: the core stays portable.
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A result as it is kept. */
export function keepResult(result: JsonObject): Uint8Array {
  return encoder.encode(JSON.stringify(result));
}

/** Parses a kept result back for sending (rare: once per leash_await that returns it). */
export function keptResult(job: Job): JsonObject | undefined {
  return job.result === undefined ? undefined : (JSON.parse(decoder.decode(job.result)) as JsonObject);
}
