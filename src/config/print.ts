// The effective configuration, for --print-config and --explain-tool: the policy written back in
// the config file's own vocabulary, so that what is printed can be pasted into a config file.

import { createResolver } from '../policy/resolve.js';
import type { Policy, Rule } from '../policy/types.js';
import { formatDuration } from './duration.js';
import type { LogLevel } from './schema.js';

export interface PrintSettings {
  logLevel?: LogLevel;
  logFile?: string;
  trace?: string;
}

function ruleToConfig(rule: Rule): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (rule.tool !== undefined) out.tool = rule.tool;
  if (rule.method !== undefined) out.method = rule.method;
  if (rule.idleTimeoutMs !== undefined) out.idleTimeout = formatDuration(rule.idleTimeoutMs);
  if (rule.totalTimeoutMs !== undefined) out.totalTimeout = formatDuration(rule.totalTimeoutMs);
  if (rule.onTimeout !== undefined) out.onTimeout = rule.onTimeout;
  if (rule.heartbeatMs !== undefined) out.heartbeat = formatDuration(rule.heartbeatMs);
  if (rule.maxConcurrency !== undefined) out.maxConcurrency = rule.maxConcurrency;
  if (rule.detachAfterMs !== undefined) out.detachAfter = formatDuration(rule.detachAfterMs);
  return out;
}

/** A complete config object (every key) equivalent to the policy; it loads back to the same policy. */
export function policyToConfig(policy: Policy, settings: PrintSettings = {}): Record<string, unknown> {
  const f = formatDuration;
  return {
    defaults: {
      idleTimeout: f(policy.defaults.idleTimeoutMs),
      totalTimeout: f(policy.defaults.totalTimeoutMs),
      onTimeout: policy.defaults.onTimeout,
      heartbeat: f(policy.defaults.heartbeatMs),
      detachAfter: f(policy.defaults.detachAfterMs),
    },
    rules: policy.rules.map(ruleToConfig),
    startupTimeout: f(policy.startupTimeoutMs),
    progressInterval: f(policy.progressIntervalMs),
    maxConcurrency: Number.isFinite(policy.maxConcurrency) ? policy.maxConcurrency : 'off',
    maxMessageBytes: policy.maxMessageBytes,
    restart: {
      policy: policy.restart.policy,
      initialBackoff: f(policy.restart.initialBackoffMs),
      maxBackoff: f(policy.restart.maxBackoffMs),
      maxRestarts: policy.restart.maxRestarts,
      window: f(policy.restart.windowMs),
      onGiveUp: policy.restart.onGiveUp,
    },
    healthCheck: { interval: f(policy.healthCheck.intervalMs), misses: policy.healthCheck.misses },
    shutdown: { stdinGrace: f(policy.shutdown.stdinGraceMs), termGrace: f(policy.shutdown.termGraceMs) },
    tasks: policy.tasks,
    jobs: { awaitMax: f(policy.jobs.awaitMaxMs), ttl: f(policy.jobs.ttlMs), max: policy.jobs.max, maxBytes: policy.jobs.maxBytes },
    ...settings,
  };
}

/** Several lines for --explain-tool: the limits a call of `tool` gets, and where each comes from. */
export function explainTool(policy: Policy, tool: string): string {
  const r = createResolver(policy)('tools/call', tool, 'client');
  const f = formatDuration;
  const lines = [
    `tool "${tool}":`,
    `  totalTimeout: ${f(r.totalTimeoutMs)}`,
    `  idleTimeout:  ${f(r.idleTimeoutMs)}`,
    `  onTimeout:    ${r.onTimeout}`,
    `  heartbeat:    ${f(r.heartbeatMs)}`,
    `  detachAfter:  ${f(r.detachAfterMs)}${r.detachAfterMs > 0 ? `; then a job, each leash_await waits up to ${f(policy.jobs.awaitMaxMs > 0 ? policy.jobs.awaitMaxMs : r.detachAfterMs)}, a result is kept ${f(policy.jobs.ttlMs)}` : ''}`,
    `  maxConcurrency: ${r.limit !== undefined ? `${r.limit} for this rule, ` : ''}${Number.isFinite(policy.maxConcurrency) ? policy.maxConcurrency : 'unlimited'} overall`,
    `  from: ${r.from.join(', ')}`,
  ];
  return `${lines.join('\n')}\n`;
}
