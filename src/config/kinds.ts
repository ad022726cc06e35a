// The kinds of value a config key can hold. Each kind says, once, how a value of it is read
// without zod (`read`), how it is written back for --print-config (`write`), and what zod and
// the JSON Schema are told about it (schema.ts turns `type` and `error` into a zod type).
//
// `read` is the zod-free half: it may refuse anything (it returns DOUBT and zod decides, and
// words the error), but what it accepts the zod type accepts too, with the same output.
// test/config/fast-config.test.ts holds the two to each other, key by key.
//
// Zod-free on purpose: this module is loaded at every start (see fast-config.ts).

import { globError } from '../policy/glob.js';
import { DURATION_PATTERN, durationProblem, formatDuration, parseDuration } from './duration.js';
import { parseSize, writeSize } from '../policy/size.js';

/** What `read` returns when it is not sure; a constant, so doubting costs no stack. */
export const DOUBT: unique symbol = Symbol('doubt');
export type Doubt = typeof DOUBT;

interface KindBase<T> {
  /** The value as mcp-leash uses it, or DOUBT. */
  read(value: unknown): T | Doubt;
  /** The value in the file's own vocabulary, so that --print-config output loads back. */
  write(value: T): unknown;
}

export type Kind<T> = KindBase<T> &
  (
    | { type: 'duration' }
    | { type: 'enum'; values: readonly string[] }
    /** A safe integer of at least `min`; `error` is the whole message when it is not. */
    | { type: 'int'; min: number; error: string }
    /** A positive integer, or 0 / "off" for unlimited (Infinity). */
    | { type: 'concurrency'; error: string }
    | { type: 'string' }
    /** A non-empty string. */
    | { type: 'path' }
    /** A name or a glob of * and ?. */
    | { type: 'glob' }
    /** A list of names or globs of * and ? (tools.allow, tools.deny, ...). */
    | { type: 'globs' }
    /** A list of non-empty strings (redactKeys). */
    | { type: 'names' }
    /** A size in bytes ("200kB", 2000000), 0 or "off" for none. */
    | { type: 'size' }
    | { type: 'boolean' }
  );

/** Like z.int(): a safe integer. -0 is refused because it survives zod as -0, a value no one means. */
function isInt(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && !Object.is(value, -0);
}

const same = <T>(value: T): unknown => value;

export const duration: Kind<number> = {
  type: 'duration',
  read(value) {
    // The schema's union (a string of the pattern, or the number 0), then its bound. -0 is zod's.
    const ok = typeof value === 'number' ? Object.is(value, 0) : typeof value === 'string' && DURATION_PATTERN.test(value);
    return ok && durationProblem(value) === undefined ? parseDuration(value as string | number) : DOUBT;
  },
  write: formatDuration,
};

export function oneOf<const T extends readonly string[]>(values: T): Kind<T[number]> {
  const known: readonly unknown[] = values;
  return { type: 'enum', values, read: (value) => (known.includes(value) ? (value as T[number]) : DOUBT), write: same };
}

export function int(min: number, error: string): Kind<number> {
  return { type: 'int', min, error, read: (value) => (isInt(value, min) ? value : DOUBT), write: same };
}

export const positiveInt = int(1, 'expected a positive integer');
export const count = int(0, 'expected an integer of at least 0');

export const concurrency: Kind<number> = {
  type: 'concurrency',
  error: 'expected a positive integer, or 0 or "off" for unlimited',
  read: (value) => (value === 'off' || Object.is(value, 0) ? Infinity : isInt(value, 1) ? value : DOUBT),
  write: (n) => (Number.isFinite(n) ? n : 'off'),
};

export const string: Kind<string> = { type: 'string', read: (value) => (typeof value === 'string' ? value : DOUBT), write: same };

export const path: Kind<string> = {
  type: 'path',
  read: (value) => (typeof value === 'string' && value.length > 0 ? value : DOUBT),
  write: same,
};

export const glob: Kind<string> = {
  type: 'glob',
  read: (value) => (typeof value === 'string' && globError(value) === undefined ? value : DOUBT),
  write: same,
};

/** A plain JSON array (JSON.parse makes only these; anything else is zod's business). */
function isPlainArray(value: unknown): value is unknown[] {
  return Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype;
}

export const globs: Kind<string[]> = {
  type: 'globs',
  read(value) {
    if (!isPlainArray(value)) return DOUBT;
    const out: string[] = [];
    // A sparse array's holes read as undefined, which glob.read refuses: zod decides then.
    for (let i = 0; i < value.length; i++) {
      const g = glob.read(value[i]);
      if (g === DOUBT) return DOUBT;
      out.push(g);
    }
    return out;
  },
  write: (list) => [...list],
};

export const names: Kind<string[]> = {
  type: 'names',
  read(value) {
    if (!isPlainArray(value)) return DOUBT;
    const out: string[] = [];
    for (let i = 0; i < value.length; i++) {
      const v = path.read(value[i]); // a non-empty string, as a path is
      if (v === DOUBT) return DOUBT;
      out.push(v);
    }
    return out;
  },
  write: (list) => [...list],
};

export const size: Kind<number> = {
  type: 'size',
  read: (value) => {
    // -0 is zod's business (it would keep it as -0).
    if (Object.is(value, -0)) return DOUBT;
    return parseSize(value) ?? DOUBT;
  },
  write: writeSize,
};

export const boolean: Kind<boolean> = { type: 'boolean', read: (value) => (typeof value === 'boolean' ? value : DOUBT), write: same };
