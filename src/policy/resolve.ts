// Rule resolution: which limits apply to one request. Pure; called once per request, so it only
// compiles globs once (in createResolver) and does a short scan per call.

import { compileGlob, type Glob } from './glob.js';
import type { Policy, ResolvedRule, Rule } from './types.js';

export type Direction = 'client' | 'child';

interface CompiledRule {
  rule: Rule;
  index: number;
  tool?: Glob;
  method?: Glob;
  name: string;
}

export type Resolver = (method: string, tool: string | undefined, from: Direction) => ResolvedRule;

const FIELDS = ['idleTimeoutMs', 'totalTimeoutMs', 'onTimeout', 'heartbeatMs', 'maxResultBytes', 'onLargeResult', 'detachAfterMs'] as const;

/** A rule as the user knows it: by the flag that made it, or by its index in the config file. */
function describe(rule: Rule, fileIndex: number): string {
  const what = rule.tool !== undefined ? `tool "${rule.tool}"` : `method "${rule.method}"`;
  return `${rule.flag ?? `rules[${fileIndex}]`} (${what})`;
}

/** Most specific first: exact before glob, more literal characters first, later rules first. */
function bySpecificity(a: { g: Glob; c: CompiledRule }, b: { g: Glob; c: CompiledRule }): number {
  if (a.g.exact !== b.g.exact) return a.g.exact ? -1 : 1;
  if (a.g.literals !== b.g.literals) return b.g.literals - a.g.literals;
  return b.c.index - a.c.index;
}

export function createResolver(policy: Policy): Resolver {
  // Rules from flags may sit among the file's (they follow it); count the file's apart.
  let fileIndex = 0;
  const compiled: CompiledRule[] = policy.rules.map((rule, index) => ({
    rule,
    index,
    tool: rule.tool !== undefined ? compileGlob(rule.tool) : undefined,
    method: rule.method !== undefined ? compileGlob(rule.method) : undefined,
    name: describe(rule, rule.flag === undefined ? fileIndex++ : -1),
  }));
  const toolRules = compiled.filter((c) => c.tool);
  const methodRules = compiled.filter((c) => !c.tool && c.method);

  // Called once per request with few distinct inputs: resolve each once. The rules returned are
  // shared between calls, so nothing may change them (nothing does).
  // Keyed by direction, then method, then tool: no key string is built per call.
  interface ByMethod {
    none?: ResolvedRule;
    tools: Map<string, ResolvedRule>;
  }
  const caches = { client: new Map<string, ByMethod>(), child: new Map<string, ByMethod>() };
  let cached = 0;
  return (method, tool, from) => {
    const byMethod = caches[from];
    let entry = byMethod.get(method);
    let rule = entry === undefined ? undefined : tool === undefined ? entry.none : entry.tools.get(tool);
    if (rule === undefined) {
      rule = resolve(method, tool, from);
      if (cached < 1024) {
        if (entry === undefined) byMethod.set(method, (entry = { tools: new Map() }));
        if (tool === undefined) entry.none = rule;
        else entry.tools.set(tool, rule);
        cached++;
      }
    }
    return rule;
  };

  function resolve(method: string, tool: string | undefined, from: Direction): ResolvedRule {
    const chain: CompiledRule[] = [];
    if (from === 'client' && method === 'tools/call' && tool !== undefined) {
      const hits = toolRules.filter((c) => c.tool!.test(tool)).map((c) => ({ g: c.tool!, c }));
      hits.sort(bySpecificity);
      for (const h of hits) chain.push(h.c);
    }
    // Server-to-client requests (sampling, elicitation) may wait on a person: only a rule that
    // names their method exactly times them, never a glob and never the defaults.
    const methodHits = methodRules
      .filter((c) => c.method!.test(method) && (from === 'client' || c.method!.exact))
      .map((c) => ({ g: c.method!, c }));
    methodHits.sort(bySpecificity);
    for (const h of methodHits) chain.push(h.c);

    const out: ResolvedRule =
      from === 'client'
        ? { ...policy.defaults, from: [] }
        : { idleTimeoutMs: 0, totalTimeoutMs: 0, onTimeout: 'error', heartbeatMs: 0, maxResultBytes: 0, onLargeResult: 'truncate', detachAfterMs: 0, from: [] };
    const set = new Set<string>();
    for (const c of chain) {
      let used = false;
      for (const f of FIELDS) {
        const v = c.rule[f];
        if (v !== undefined && !set.has(f)) {
          set.add(f);
          (out as unknown as Record<string, unknown>)[f] = v;
          used = true;
        }
      }
      if (c.rule.maxConcurrency !== undefined && out.limitKey === undefined) {
        out.limitKey = String(c.index);
        out.limit = c.rule.maxConcurrency;
        used = true;
      }
      if (used) out.from.push(c.name);
    }
    // Only a tool call can become a job: no other request has a result the model could await.
    if (method !== 'tools/call' || tool === undefined) out.detachAfterMs = 0;
    // The child's first answer (initialize, or the server/discover probe of 2026) is its startup.
    if (method === 'initialize' || method === 'server/discover') {
      out.totalTimeoutMs = policy.startupTimeoutMs;
      out.idleTimeoutMs = 0;
      out.onTimeout = 'error';
      out.from.unshift('startupTimeout');
    }
    out.from.push('defaults');
    return out;
  }
}
