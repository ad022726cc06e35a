// Tool and method names are matched with a deliberately small glob language: `*` (any run of
// characters, including none) and `?` (exactly one). Anything richer (braces, classes) is refused
// up front so that a user never writes a pattern that silently matches nothing.

export interface Glob {
  source: string;
  exact: boolean;
  /** Literal characters in the pattern; more literals = more specific. */
  literals: number;
  test(name: string): boolean;
}

const UNSUPPORTED = /[[\]{}]/;

/** Returns an error message (what was expected) for a bad pattern, or undefined when it is fine. */
export function globError(pattern: string): string | undefined {
  if (pattern.length === 0) return 'expected a non-empty name or glob';
  const bad = UNSUPPORTED.exec(pattern);
  if (bad) {
    return `expected a name or a glob using only * and ?, got "${pattern}" ("${bad[0]}" is not supported)`;
  }
  return undefined;
}

export function compileGlob(pattern: string): Glob {
  const err = globError(pattern);
  if (err) throw new Error(err);
  const exact = !/[*?]/.test(pattern);
  const literals = pattern.replace(/[*?]/g, '').length;
  if (exact) return { source: pattern, exact, literals, test: (name) => name === pattern };
  const body = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^$()|\\/]/g, '\\$&')))
    .join('');
  const re = new RegExp(`^${body}$`, 's');
  return { source: pattern, exact, literals, test: (name) => re.test(name) };
}
