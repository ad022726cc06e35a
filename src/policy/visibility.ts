// Which tools, prompts and resources the client may see (tools.allow / tools.deny, prompts.deny,
// resources.deny). Pure, like resolve.ts: the core asks it for every tools/call and every list
// answer, and --explain-tool asks it once. Globs are compiled once; answers are cached per name.

import { compileGlob, type Glob } from './glob.js';
import type { Policy } from './types.js';

export type Hideable = 'tool' | 'prompt' | 'resource';

/** Why a name is hidden, as the user wrote it (`tools.deny["search_*"]`), or undefined when it is shown. */
export type HiddenBy = (what: Hideable, name: string) => string | undefined;

interface Lists {
  allow?: { key: string; globs: Glob[] };
  deny: { key: string; globs: Glob[] };
}

/** How many names each kind remembers; past that a name is matched again (a scan of a few globs). */
const CACHE_MAX = 1024;

export function createVisibility(policy: Policy): { hiddenBy: HiddenBy; any: boolean } {
  const compile = (patterns: readonly string[]): Glob[] => patterns.map(compileGlob);
  const allowAll = policy.tools.allow.includes('*');
  const lists: Record<Hideable, Lists> = {
    // allow ["*"] (the default) lets everything through: no need to look.
    tool: {
      ...(allowAll ? {} : { allow: { key: 'tools.allow', globs: compile(policy.tools.allow) } }),
      deny: { key: 'tools.deny', globs: compile(policy.tools.deny) },
    },
    prompt: { deny: { key: 'prompts.deny', globs: compile(policy.prompts.deny) } },
    resource: { deny: { key: 'resources.deny', globs: compile(policy.resources.deny) } },
  };
  const active = (l: Lists): boolean => l.allow !== undefined || l.deny.globs.length > 0;
  const any = active(lists.tool) || active(lists.prompt) || active(lists.resource);
  const caches: Record<Hideable, Map<string, string | null>> = { tool: new Map(), prompt: new Map(), resource: new Map() };

  function decide(l: Lists, name: string): string | undefined {
    const denied = l.deny.globs.find((g) => g.test(name));
    if (denied) return `${l.deny.key}[${JSON.stringify(denied.source)}]`;
    if (l.allow && !l.allow.globs.some((g) => g.test(name))) return `${l.allow.key} (no entry matches it)`;
    return undefined;
  }

  const hiddenBy: HiddenBy = (what, name) => {
    const l = lists[what];
    if (!active(l)) return undefined;
    const cache = caches[what];
    const known = cache.get(name);
    if (known !== undefined) return known ?? undefined;
    const why = decide(l, name);
    if (cache.size < CACHE_MAX) cache.set(name, why ?? null);
    return why;
  };
  return { hiddenBy, any };
}
