// The effective configuration, for --print-config and --explain-tool: the policy written back in
// the config file's own vocabulary, so that what is printed can be pasted into a config file.

import { createResolver } from '../policy/resolve.js';
import { createVisibility } from '../policy/visibility.js';
import { writeSize } from '../policy/size.js';
import type { Policy, Rule } from '../policy/types.js';
import { formatDuration } from './duration.js';
import { CONFIG_KEYS, RULE_KEYS, type FileSettings, type KeyRow } from './keys.js';
import { getAt } from './policy-path.js';

export type PrintSettings = FileSettings;

/** The policy's values of `rows`, written back as their kinds write them. */
function written(rows: readonly KeyRow[], policy: Policy): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const row of rows) if ('policy' in row.lands) out[row.name] = row.kind.write(getAt(policy, row.lands.policy));
  return out;
}

function ruleToConfig(rule: Rule): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const row of RULE_KEYS) {
    const value = 'rule' in row.lands ? rule[row.lands.rule] : undefined;
    if (value !== undefined) out[row.name] = row.kind.write(value);
  }
  return out;
}

/** A complete config object (every key) equivalent to the policy; it loads back to the same policy. */
export function policyToConfig(policy: Policy, settings: PrintSettings = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const row of CONFIG_KEYS) {
    if (row.type === 'group') out[row.name] = written(row.keys, policy);
    else if (row.type === 'rules') out[row.name] = policy.rules.map(ruleToConfig);
    else Object.assign(out, written([row], policy));
  }
  return { ...out, ...settings };
}

/** Several lines for --explain-tool: the limits a call of `tool` gets, and where each comes from. */
export function explainTool(policy: Policy, tool: string): string {
  const r = createResolver(policy)('tools/call', tool, 'client');
  const f = formatDuration;
  const hidden = createVisibility(policy).hiddenBy('tool', tool);
  const lines = [
    `tool "${tool}":`,
    `  visible:      ${hidden === undefined ? 'yes' : `no, hidden by ${hidden}: left out of tools/list, and calls to it are refused`}`,
    `  totalTimeout: ${f(r.totalTimeoutMs)}`,
    `  idleTimeout:  ${f(r.idleTimeoutMs)}`,
    `  onTimeout:    ${r.onTimeout}`,
    `  heartbeat:    ${f(r.heartbeatMs)}`,
    `  detachAfter:  ${f(r.detachAfterMs)}${r.detachAfterMs > 0 ? `; then a job, each leash_await waits up to ${f(policy.jobs.awaitMaxMs > 0 ? policy.jobs.awaitMaxMs : r.detachAfterMs)}, a result is kept ${f(policy.jobs.ttlMs)}` : ''}`,
    `  maxResultBytes: ${r.maxResultBytes > 0 ? `${writeSize(r.maxResultBytes)}, onLargeResult ${r.onLargeResult}` : 'off'}`,
    `  maxConcurrency: ${r.limit !== undefined ? `${r.limit} for this rule, ` : ''}${Number.isFinite(policy.maxConcurrency) ? policy.maxConcurrency : 'unlimited'} overall`,
    `  from: ${r.from.join(', ')}`,
  ];
  return `${lines.join('\n')}\n`;
}
