// Layering: a validated config file on top of a base policy (DEFAULT_POLICY). Keys the file
// leaves out keep the base's value; nothing here knows about flags (see args.ts).

import type { Policy, Rule } from '../policy/types.js';
import type { ConfigFile, RuleInput } from './schema.js';

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function toRule(input: RuleInput): Rule {
  return definedOnly<Rule>({
    tool: input.tool,
    method: input.method,
    idleTimeoutMs: input.idleTimeout,
    totalTimeoutMs: input.totalTimeout,
    onTimeout: input.onTimeout,
    heartbeatMs: input.heartbeat,
    maxConcurrency: input.maxConcurrency,
    detachAfterMs: input.detachAfter,
  });
}

/** A fresh policy: base values where the file is silent, the file's where it speaks. */
export function applyConfig(base: Policy, file: ConfigFile): Policy {
  const d = file.defaults ?? {};
  const r = file.restart ?? {};
  const h = file.healthCheck ?? {};
  const s = file.shutdown ?? {};
  const j = file.jobs ?? {};
  return {
    defaults: {
      idleTimeoutMs: d.idleTimeout ?? base.defaults.idleTimeoutMs,
      totalTimeoutMs: d.totalTimeout ?? base.defaults.totalTimeoutMs,
      onTimeout: d.onTimeout ?? base.defaults.onTimeout,
      heartbeatMs: d.heartbeat ?? base.defaults.heartbeatMs,
      detachAfterMs: d.detachAfter ?? base.defaults.detachAfterMs,
    },
    rules: [...base.rules.map((rule) => ({ ...rule })), ...(file.rules ?? []).map(toRule)],
    startupTimeoutMs: file.startupTimeout ?? base.startupTimeoutMs,
    progressIntervalMs: file.progressInterval ?? base.progressIntervalMs,
    maxConcurrency: file.maxConcurrency ?? base.maxConcurrency,
    maxMessageBytes: file.maxMessageBytes ?? base.maxMessageBytes,
    restart: {
      policy: r.policy ?? base.restart.policy,
      initialBackoffMs: r.initialBackoff ?? base.restart.initialBackoffMs,
      maxBackoffMs: r.maxBackoff ?? base.restart.maxBackoffMs,
      maxRestarts: r.maxRestarts ?? base.restart.maxRestarts,
      windowMs: r.window ?? base.restart.windowMs,
      onGiveUp: r.onGiveUp ?? base.restart.onGiveUp,
    },
    healthCheck: {
      intervalMs: h.interval ?? base.healthCheck.intervalMs,
      misses: h.misses ?? base.healthCheck.misses,
    },
    shutdown: {
      stdinGraceMs: s.stdinGrace ?? base.shutdown.stdinGraceMs,
      termGraceMs: s.termGrace ?? base.shutdown.termGraceMs,
    },
    tasks: file.tasks ?? base.tasks,
    jobs: {
      awaitMaxMs: j.awaitMax ?? base.jobs.awaitMaxMs,
      ttlMs: j.ttl ?? base.jobs.ttlMs,
      max: j.max ?? base.jobs.max,
      maxBytes: j.maxBytes ?? base.jobs.maxBytes,
    },
  };
}

/** A deep copy, so that callers may adjust the result without touching DEFAULT_POLICY. */
export function copyPolicy(policy: Policy): Policy {
  return applyConfig(policy, {});
}
