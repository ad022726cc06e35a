// The config file as zod sees it, built from the key table (./keys.ts). The loader validates
// with it when the zod-free reader doubts a file, issues.ts words its errors, and
// schema/leash.schema.json is generated from it (descriptions included). Every object is strict:
// a misspelt key is an error, never a silently ignored setting.

import { z } from 'zod';
import { globError } from '../policy/glob.js';
import { DURATION_PATTERN, durationProblem, parseDuration, show } from './duration.js';
import { CONFIG_DOC, CONFIG_KEYS, CONFIG_TITLE, RULE_DOC, RULE_KEYS, ruleProblems, type KeyRow } from './keys.js';
import type { Kind } from './kinds.js';
import { parseSize, SIZE_EXPECTED, SIZE_PATTERN } from '../policy/size.js';

export { LOG_LEVELS, type LogLevel } from './log-levels.js';

/** One message for every way a duration can be wrong, whichever branch of the union zod tried. */
const durationError = (issue: { input?: unknown }): string => durationProblem(issue.input) ?? 'expected a duration like "30s"';

function duration(description: string) {
  return z
    .union(
      [
        z.string().regex(DURATION_PATTERN, { error: durationError }),
        // A number only as 0 ("off"): any other bare number lacks a unit (durationProblem says so).
        z.literal(0, { error: durationError }),
      ],
      { error: durationError },
    )
    .superRefine((value, ctx) => {
      // The pattern cannot bound a string like "1000h"; this can.
      const problem = durationProblem(value);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, input: value });
    })
    .transform((value) => parseDuration(value))
    .describe(`${description} A duration with a unit: "250ms", "30s", "5m", "1h", "1h30m"; or 0/"off".`);
}

function glob(description: string) {
  return z
    .string()
    .superRefine((value, ctx) => {
      const problem = globError(value);
      if (problem !== undefined) {
        const message = problem.includes(', got ') ? problem : `${problem}, got ${show(value)}`;
        ctx.addIssue({ code: 'custom', message, input: value });
      }
    })
    .meta({
      description,
      // Mirrors globError for editors: non-empty, and none of the glob syntax mcp-leash refuses.
      pattern: String.raw`^[^\[\]{}]+$`,
    });
}

function size(description: string) {
  const error = (issue: { input?: unknown }): string => `${SIZE_EXPECTED}, got ${show(issue.input)}`;
  return z
    .union([z.string().regex(SIZE_PATTERN, { error }), z.int({ error }).min(0, { error })], { error })
    .superRefine((value, ctx) => {
      // The pattern cannot bound the value ("0.5kB" is under the minimum); parseSize can.
      if (parseSize(value) === undefined || Object.is(value, -0)) ctx.addIssue({ code: 'custom', message: `${SIZE_EXPECTED}, got ${show(value)}`, input: value });
    })
    .transform((value) => parseSize(value) ?? 0)
    .describe(`${description} A size: "200kB", "2MB", "1.5MiB", a whole number of bytes (at least 1000), or 0/"off".`);
}

/** The zod type of one kind; its output is what the kind's zod-free `read` returns. */
function zodOf(kind: Kind<unknown>, doc: string): z.ZodType {
  switch (kind.type) {
    case 'duration':
      return duration(doc);
    case 'glob':
      return glob(doc);
    case 'size':
      return size(doc);
    case 'boolean':
      return z.boolean({ error: 'expected true or false' }).describe(doc);
    case 'names':
      return z.array(z.string().min(1, { error: 'expected a non-empty name' })).describe(doc);
    case 'globs':
      return z.array(glob('A name, or a glob with * and ?.')).describe(doc);
    case 'enum':
      // z.enum wants a non-empty tuple; every enum row of the table lists its values.
      return z.enum(kind.values as [string, ...string[]]).describe(doc);
    case 'int': {
      const error = (): string => kind.error;
      return z.int({ error }).min(kind.min, { error }).describe(doc);
    }
    case 'concurrency': {
      const error = (): string => kind.error;
      return z
        .union([z.literal('off', { error }), z.int({ error }).min(0, { error })], { error })
        .transform((n) => (n === 'off' || n === 0 ? Infinity : n))
        .describe(doc);
    }
    case 'string':
      return z.string().describe(doc);
    case 'path':
      return z.string().min(1, { error: 'expected a file path' }).describe(doc);
  }
}

function shapeOf(rows: readonly KeyRow[]): Record<string, z.ZodOptional> {
  return Object.fromEntries(rows.map((row) => [row.name, zodOf(row.kind, row.doc).optional()]));
}

export const ruleSchema = z
  .strictObject(shapeOf(RULE_KEYS))
  .superRefine((rule, ctx) => {
    for (const { key, message } of ruleProblems(rule)) {
      ctx.addIssue({ code: 'custom', message, ...(key !== undefined ? { path: [key], input: rule[key] } : { input: rule }) });
    }
  })
  .describe(RULE_DOC);

export const configSchema = z
  .strictObject(
    Object.fromEntries(
      CONFIG_KEYS.map((row) => {
        if (row.type === 'key') return [row.name, zodOf(row.kind, row.doc).optional()];
        if (row.type === 'group') return [row.name, z.strictObject(shapeOf(row.keys)).describe(row.doc).optional()];
        return [row.name, z.array(ruleSchema).describe(row.doc).optional()];
      }),
    ),
  )
  .meta({ title: CONFIG_TITLE, description: CONFIG_DOC });
