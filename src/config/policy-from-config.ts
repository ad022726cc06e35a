// Layering: a validated config file on top of a base policy (DEFAULT_POLICY), key by key as the
// key table says where each lands. Keys the file leaves out keep the base's value; nothing here
// knows about flags (see args.ts).

import type { Policy, Rule } from '../policy/types.js';
import { CONFIG_KEYS, RULE_KEYS, type ConfigFile, type FileSettings, type KeyRow } from './keys.js';
import { setAt } from './policy-path.js';

/** Where the file's values go: the policy, and the settings that are not policy. */
interface Target {
  policy: Policy;
  settings: Record<string, unknown>;
}

function put(target: Target, rows: readonly KeyRow[], values: ConfigFile): void {
  for (const row of rows) {
    const value = values[row.name];
    if (value === undefined) continue;
    const { lands } = row;
    if ('policy' in lands) setAt(target.policy, lands.policy, value);
    else if ('setting' in lands) target.settings[lands.setting] = value;
  }
}

function toRule(values: ConfigFile): Rule {
  const rule: Record<string, unknown> = {};
  for (const row of RULE_KEYS) {
    const value = values[row.name];
    if (value !== undefined && 'rule' in row.lands) rule[row.lands.rule] = value;
  }
  // Each value went through its row's kind, which tsc matched to the Rule field it lands on.
  return rule as Rule;
}

/** A fresh policy (base values where the file is silent, the file's where it speaks), and the file's settings as written. */
export function applyFile(base: Policy, file: ConfigFile): { policy: Policy; settings: FileSettings } {
  const target: Target = { policy: copyPolicy(base), settings: {} };
  for (const row of CONFIG_KEYS) {
    const value = file[row.name];
    if (value === undefined) continue;
    if (row.type === 'key') put(target, [row], file);
    else if (row.type === 'group') put(target, row.keys, value as ConfigFile);
    else target.policy.rules.push(...(value as ConfigFile[]).map(toRule));
  }
  return { policy: target.policy, settings: target.settings as FileSettings };
}

/** A deep copy, so that callers may adjust the result without touching DEFAULT_POLICY. */
export function copyPolicy(policy: Policy): Policy {
  return structuredClone(policy);
}
