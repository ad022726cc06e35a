// zod issues, turned into the one line a user reads: where (a JSON path like rules[2].totalTimeout)
// and what was expected, with what was found. zod's own wording ("Invalid input: expected
// string, received number") is replaced by an error map passed to every parse.

import { z } from 'zod';
import { show } from './duration.js';
import { CONFIG_KEYS } from './keys.js';
import { closest } from './suggest.js';

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

const MAX_SHOWN = 3;

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
};

/** The parse-level error map: plain "expected ..." sentences for issues the schema did not word itself. */
export function expectation(issue: RawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `expected ${show(issue.values[0])}`
        : `expected one of ${issue.values.map((v) => show(v)).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'string') return 'expected a non-empty string';
      return `expected ${issue.origin === 'int' || issue.origin === 'number' ? 'a number' : 'a value'} ${issue.inclusive ? 'of at least' : 'above'} ${issue.minimum}`;
    case 'too_big':
      return `expected ${issue.origin === 'int' || issue.origin === 'number' ? 'a number' : 'a value'} ${issue.inclusive ? 'of at most' : 'below'} ${issue.maximum}`;
    default:
      return 'expected a valid value';
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** The keys the schema allows at a path, for "did you mean" on unknown keys. */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: unknown = schema;
  for (let i = 0; ; ) {
    if (node instanceof z.ZodOptional) node = node.unwrap();
    else if (node instanceof z.ZodPipe) node = node.in;
    else if (node instanceof z.ZodObject) {
      if (i === path.length) return Object.keys(node.shape);
      node = node.shape[String(path[i++])];
    } else if (node instanceof z.ZodArray) {
      if (i === path.length) return [];
      node = node.element;
      i++;
    } else return [];
  }
}

/** The keys of "defaults", which a user may well put at the top level. */
const DEFAULT_KEYS = CONFIG_KEYS.flatMap((row) => (row.type === 'group' && row.name === 'defaults' ? row.keys.map((k) => k.name) : []));

/** What the user most likely meant by an unknown key. */
function hint(key: string, topLevel: boolean, known: readonly string[]): string {
  // A timeout at the top level is the likeliest first guess; point at where it goes.
  if (topLevel && (DEFAULT_KEYS.includes(key) || /^time?outs?$/i.test(key))) {
    const name = DEFAULT_KEYS.includes(key) ? key : 'totalTimeout';
    return `timeouts go under "defaults" (e.g. "defaults": {"${name}": "30s"}) or in a rule in "rules"`;
  }
  // "tools" is a key of its own (allow/deny lists); "tool" at the top level means a rule.
  if (topLevel && /^tool$/i.test(key)) return 'did you mean "rules" (e.g. "rules": [{"tool": "search_*", "totalTimeout": "20s"}])?';
  if (/^time?outs?$/i.test(key) && known.includes('totalTimeout')) {
    return 'did you mean "totalTimeout" (a hard cap) or "idleTimeout" (restarted by progress)?';
  }
  const guess = closest(key, known);
  return guess !== undefined ? `did you mean "${guess}"?` : `expected one of ${known.map((k) => `"${k}"`).join(', ')}`;
}

function unknownKeys(issue: Extract<Issue, { code: 'unrecognized_keys' }>, schema: z.ZodType): string {
  const topLevel = issue.path.length === 0;
  const where = topLevel ? ' at top level' : '';
  const key = issue.keys[0]!;
  const more = issue.keys.length > 1 ? ` (and ${issue.keys.slice(1).map((k) => `"${k}"`).join(', ')})` : '';
  return `unknown key "${key}"${more}${where}; ${hint(key, topLevel, keysAt(schema, issue.path))}`;
}

function describeIssue(issue: Issue, schema: z.ZodType): string {
  const where = formatPath(issue.path);
  let text: string;
  if (issue.code === 'unrecognized_keys') text = unknownKeys(issue, schema);
  else if (issue.path.length === 0 && issue.code === 'invalid_type') {
    text = `expected a JSON object at top level, got ${show(issue.input)}`;
  } else {
    text = issue.message;
    // Custom issues word themselves; the rest say what they found.
    if (issue.code !== 'custom' && !text.includes(', got ') && 'input' in issue) text += `, got ${show(issue.input)}`;
  }
  return where === '' ? text : `${where}: ${text}`;
}

/**
 * One line for a failed parse. Unknown keys come first: a misspelt "tool" also makes the rule
 * look empty, and the typo is the thing to fix.
 */
export function describeIssues(issues: readonly Issue[], schema: z.ZodType): string {
  const typoAt = new Set(issues.filter((i) => i.code === 'unrecognized_keys').map((i) => formatPath(i.path)));
  const kept = issues
    .filter((i) => !(i.code === 'custom' && typoAt.has(formatPath(i.path))))
    .sort((a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'));
  // A duration failing its pattern also fails the refinement behind it: say it once.
  const lines = [...new Set(kept.map((i) => describeIssue(i, schema)))];
  const shown = lines.slice(0, MAX_SHOWN);
  if (lines.length > MAX_SHOWN) shown.push(`and ${lines.length - MAX_SHOWN} more`);
  return shown.join('; ');
}
