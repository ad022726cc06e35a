// The effective policy, after file, flags and defaults are merged. Pure data: the core reads it,
// src/config builds it. Every duration is in milliseconds; 0 means "off".

export type OnTimeout = 'result' | 'error';

/** What a tools/call answer over maxResultBytes becomes (src/core/result-budget.ts). */
export type OnLargeResult = 'truncate' | 'spill' | 'error';

/** One rule of the timeout policy. Unset fields fall through to a less specific rule. */
export interface Rule {
  /** Tool name, exact or glob (`*`, `?`), for `tools/call`. */
  tool?: string;
  /** JSON-RPC method, exact or glob. A rule with `tool` implies `tools/call`. */
  method?: string;
  /** Restarted by every progress notification from the child for the request. */
  idleTimeoutMs?: number;
  /** Hard cap from the moment mcp-leash received the request; never extended. */
  totalTimeoutMs?: number;
  onTimeout?: OnTimeout;
  heartbeatMs?: number;
  /** Per-rule concurrency limit (tools only); the global limit still applies. */
  maxConcurrency?: number;
  /**
   * tools/call only: a call still unanswered this long after receipt (queue time included) is
   * answered with a job handle and goes on as a job (src/core/jobs.ts). 0 = never.
   */
  detachAfterMs?: number;
  /** Largest tools/call answer passed on as it came, in bytes on the wire; 0 = no limit. */
  maxResultBytes?: number;
  onLargeResult?: OnLargeResult;
  /**
   * The flag that made the rule ("--tool-timeout"), for --explain-tool; absent for a rule from
   * the config file, which is named by its index in the file instead.
   */
  flag?: string;
}

/** What a request ends up with once the rules have been resolved for it. */
export interface ResolvedRule {
  idleTimeoutMs: number;
  totalTimeoutMs: number;
  onTimeout: OnTimeout;
  heartbeatMs: number;
  maxResultBytes: number;
  onLargeResult: OnLargeResult;
  /** Key of the rule whose maxConcurrency applies, or undefined when only the global one does. */
  limitKey?: string;
  limit?: number;
  /** tools/call only (0 for every other method): when the call becomes a job. */
  detachAfterMs: number;
  /** Human-readable names of the rules that contributed, most specific first (for --explain-tool). */
  from: string[];
}

export type RestartPolicy = 'never' | 'on-failure';

export interface RestartOptions {
  policy: RestartPolicy;
  /** First backoff delay; doubles on each consecutive failure up to maxBackoffMs. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** At most maxRestarts restarts within windowMs; past that, give up. */
  maxRestarts: number;
  windowMs: number;
  /** When the cap is reached: keep running and answer every request with an error, or exit. */
  onGiveUp: 'error' | 'exit';
}

export interface HealthCheckOptions {
  /** 0 = no health pings. */
  intervalMs: number;
  misses: number;
}

/** Detached calls (jobs): how long an await blocks, and what is kept of finished ones. */
export interface JobsOptions {
  /** Longest one leash_await blocks; 0 = the job's own detachAfter. */
  awaitMaxMs: number;
  /** A finished job's result is kept this long after it ended. */
  ttlMs: number;
  /** At most this many jobs (running or finished) are kept. */
  max: number;
  /** Results kept by finished jobs, in bytes, at most this much in all. */
  maxBytes: number;
}

/**
 * The era of the child's protocol, when the user knows it: `legacy` (2024-11-05 to 2025-11-25,
 * opens with initialize), `2026` (2026-07-28, no initialize), or `auto` (learnt from traffic).
 */
export type ServerEra = 'auto' | 'legacy' | '2026';

/**
 * What mcp-leash is to a 2026-07-28 client: "relay" passes its requests on as they are; "bridge"
 * gives a legacy server a 2026-07-28 face (src/core/bridge/).
 */
export type ProtocolMode = 'relay' | 'bridge';

export interface Policy {
  /** Default rule values, applied to client requests that no rule names. */
  defaults: Required<Pick<Rule, 'idleTimeoutMs' | 'totalTimeoutMs' | 'onTimeout' | 'heartbeatMs' | 'maxResultBytes' | 'onLargeResult' | 'detachAfterMs'>>;
  /** Method and tool rules, in file order; flags come after the file. */
  rules: Rule[];
  /** Timeout for the child's first answer: `initialize`, or `server/discover` in 2026. */
  startupTimeoutMs: number;
  /** The child's protocol era, when known; a probe (server/discover) is then answered at once. */
  serverEra: ServerEra;
  /** "bridge": a 2026-07-28 client can use a legacy server (src/core/bridge/). */
  protocol: ProtocolMode;
  /** Minimum time between two progress notifications forwarded for one request. */
  progressIntervalMs: number;
  /** Global bound on client requests in flight at the child; Infinity = unlimited. */
  maxConcurrency: number;
  maxMessageBytes: number;
  restart: RestartOptions;
  healthCheck: HealthCheckOptions;
  shutdown: { stdinGraceMs: number; termGraceMs: number };
  tasks: 'off' | 'auto';
  /** Which tools the client may see and call (names and globs); deny wins over allow. */
  tools: { allow: string[]; deny: string[] };
  /** Prompts hidden from prompts/list and refused in prompts/get (names and globs). */
  prompts: { deny: string[] };
  /** Resources hidden from resources/list and refused in resources/read (URIs and globs). */
  resources: { deny: string[] };
  /**
   * Key names whose values are redacted from what mcp-leash writes for people (traces with
   * payloads, logs), on top of the built-in ones (src/trace/redact.ts). Not read by the core.
   */
  redactKeys: string[];
  /**
   * Where onLargeResult "spill" writes results: `folder` ("" = a new private folder in the system
   * temp folder), and whether the files stay after mcp-leash exits.
   */
  spill: { folder: string; keep: boolean };
  jobs: JobsOptions;
}

export const DEFAULT_POLICY: Policy = {
  defaults: { idleTimeoutMs: 0, totalTimeoutMs: 0, onTimeout: 'result', heartbeatMs: 10_000, maxResultBytes: 0, onLargeResult: 'truncate', detachAfterMs: 0 },
  rules: [],
  startupTimeoutMs: 60_000,
  serverEra: 'auto',
  protocol: 'relay',
  progressIntervalMs: 100,
  maxConcurrency: Infinity,
  maxMessageBytes: 64 * 1024 * 1024,
  restart: {
    policy: 'never',
    initialBackoffMs: 500,
    maxBackoffMs: 30_000,
    maxRestarts: 5,
    windowMs: 60_000,
    onGiveUp: 'error',
  },
  healthCheck: { intervalMs: 0, misses: 3 },
  shutdown: { stdinGraceMs: 2_000, termGraceMs: 2_000 },
  tasks: 'off',
  tools: { allow: ['*'], deny: [] },
  prompts: { deny: [] },
  resources: { deny: [] },
  redactKeys: [],
  spill: { folder: '', keep: false },
  jobs: { awaitMaxMs: 0, ttlMs: 600_000, max: 100, maxBytes: 64 * 1024 * 1024 },
};

/** Whether any call may become a job: then leash_await and leash_cancel are offered. */
export function detaches(policy: Policy): boolean {
  return policy.defaults.detachAfterMs > 0 || policy.rules.some((r) => (r.detachAfterMs ?? 0) > 0);
}
