// Where a config key lands in the Policy, as a dotted path ("restart.windowMs") that tsc checks:
// PolicyLeaf is every path to a plain value of Policy, and PolicyAt its type, so a key table row
// cannot point a duration at an enum field, or at a field that does not exist.

import type { Policy } from '../policy/types.js';

type Leaves<T, Prefix extends string = ''> = {
  [K in keyof T & string]: T[K] extends readonly string[]
    ? `${Prefix}${K}` // a list of names or globs is one value (tools.deny)
    : T[K] extends readonly unknown[]
    ? never // rules: a list, filled from the rule keys' own table
    : T[K] extends object
      ? Leaves<T[K], `${Prefix}${K}.`>
      : `${Prefix}${K}`;
}[keyof T & string];

export type PolicyLeaf = Leaves<Policy>;

type At<T, P extends string> = P extends `${infer Head}.${infer Rest}`
  ? Head extends keyof T
    ? At<T[Head], Rest>
    : never
  : P extends keyof T
    ? T[P]
    : never;

export type PolicyAt<P extends PolicyLeaf> = At<Policy, P>;

// Policy is nested plain objects, and PolicyLeaf only names paths through them: the casts below
// walk what the types above have already checked.

export function getAt(policy: Policy, path: PolicyLeaf): unknown {
  let node: unknown = policy;
  for (const part of path.split('.')) node = (node as Record<string, unknown>)[part];
  return node;
}

export function setAt(policy: Policy, path: PolicyLeaf, value: unknown): void {
  const parts = path.split('.');
  let node = policy as unknown as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) node = node[part] as Record<string, unknown>;
  node[parts[parts.length - 1]!] = value;
}
