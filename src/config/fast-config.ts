// The config file without zod: loading zod costs ~55 ms and ~13 MB of RSS at every start with
// --config, yet almost every file is valid. So a valid file is accepted here, and only a file this
// module doubts goes to the zod schema (./schema.ts), which stays the single description of the
// file and the only source of error messages.
//
// The contract is one-sided: fastParse may refuse anything (it returns undefined and zod decides),
// but what it accepts zod accepts too, with the very same output, key order included (zod writes
// an object's keys in schema order). test/config/fast-config.test.ts checks this against zod.
// When the schema changes, this file changes with it: a key it does not know is refused, so
// forgetting it costs speed, never correctness.

import { globError } from '../policy/glob.js';
import { DURATION_PATTERN, durationProblem, parseDuration } from './duration.js';
import { LOG_LEVELS } from './log-levels.js';
import type { ConfigFile } from './schema.js';

/** Thrown, never exported: any doubt ends the fast path. A constant, so throwing costs no stack. */
const DOUBT: unique symbol = Symbol('doubt');

function doubt(): never {
  throw DOUBT;
}

type Check<T> = (value: unknown) => T;

/** Like z.int(): a safe integer. -0 is refused because it survives zod as -0, a value no one means. */
function int(min: number): Check<number> {
  return (value) => (typeof value === 'number' && Number.isSafeInteger(value) && value >= min && !Object.is(value, -0) ? value : doubt());
}

const duration: Check<number> = (value) => {
  // The schema's union: a string of the pattern, or a whole number of ms.
  if (typeof value === 'number') int(0)(value);
  else if (typeof value !== 'string' || !DURATION_PATTERN.test(value)) doubt();
  // Its refinement: the upper bound (MAX_DURATION_MS), which the pattern cannot express.
  if (durationProblem(value) !== undefined) doubt();
  return parseDuration(value);
};

const string: Check<string> = (value) => (typeof value === 'string' ? value : doubt());

const path: Check<string> = (value) => (typeof value === 'string' && value.length > 0 ? value : doubt());

const glob: Check<string> = (value) => (typeof value === 'string' && globError(value) === undefined ? value : doubt());

function oneOf<const T extends readonly string[]>(values: T): Check<T[number]> {
  return (value) => ((values as readonly unknown[]).includes(value) ? (value as T[number]) : doubt());
}

const maxConcurrency: Check<number> = (value) => (value === 'off' || int(0)(value) === 0 ? Infinity : (value as number));

function isPlainObject(value: unknown): value is Record<string, unknown> {
  // JSON.parse makes only these; anything else (a Date, a null prototype) is zod's business.
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

function arrayOf<T>(element: Check<T>): Check<T[]> {
  return (value) => {
    if (!Array.isArray(value) || Object.getPrototypeOf(value) !== Array.prototype) doubt();
    const out: T[] = [];
    for (let i = 0; i < value.length; i++) out.push(element(value[i]));
    return out;
  };
}

type Shape = Record<string, Check<unknown>>;
type Output<S extends Shape> = { [K in keyof S]?: ReturnType<S[K]> };

/** Like z.strictObject() of optional keys. */
function strict<S extends Shape>(shape: S): Check<Output<S>> {
  const keys = Object.keys(shape);
  return (value) => {
    if (!isPlainObject(value)) doubt();
    for (const key in value) if (!Object.hasOwn(shape, key)) doubt();
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      if (!Object.hasOwn(value, key)) {
        // zod tests keys with `in`, so it would take one from a polluted Object.prototype.
        if (key in value) doubt();
        continue;
      }
      // Every check refuses undefined, so a key present with it (not JSON anyway) is a doubt.
      out[key] = shape[key]!(value[key]);
    }
    return out as Output<S>;
  };
}

const onTimeout = oneOf(['result', 'error']);

const defaults = strict({
  idleTimeout: duration,
  totalTimeout: duration,
  onTimeout,
  heartbeat: duration,
  detachAfter: duration,
});

const ruleShape = strict({
  tool: glob,
  method: glob,
  idleTimeout: duration,
  totalTimeout: duration,
  onTimeout,
  heartbeat: duration,
  maxConcurrency: int(1),
  detachAfter: duration,
});

/** ruleSchema's superRefine. */
const rule: Check<ReturnType<typeof ruleShape>> = (value) => {
  const r = ruleShape(value);
  if (r.tool === undefined && r.method === undefined) doubt();
  if (r.tool !== undefined && r.method !== undefined && r.method !== 'tools/call') doubt();
  if (r.tool === undefined && r.maxConcurrency !== undefined) doubt();
  return r;
};

const config = strict({
  $schema: string,
  defaults,
  rules: arrayOf(rule),
  startupTimeout: duration,
  progressInterval: duration,
  maxConcurrency,
  maxMessageBytes: int(1),
  restart: strict({
    policy: oneOf(['never', 'on-failure']),
    initialBackoff: duration,
    maxBackoff: duration,
    maxRestarts: int(0),
    window: duration,
    onGiveUp: oneOf(['error', 'exit']),
  }),
  healthCheck: strict({
    interval: duration,
    misses: int(1),
  }),
  shutdown: strict({
    stdinGrace: duration,
    termGrace: duration,
  }),
  tasks: oneOf(['off', 'auto']),
  jobs: strict({
    awaitMax: duration,
    ttl: duration,
    max: int(1),
    maxBytes: int(1),
  }),
  logLevel: oneOf(LOG_LEVELS),
  logFile: path,
  trace: path,
});

/**
 * What `configSchema.safeParse(json).data` would be, when this module is sure of it; otherwise
 * undefined, and the caller must ask zod (which also words the errors).
 */
export function fastParse(json: unknown): ConfigFile | undefined {
  try {
    // Annotated, so that tsc refuses a result type drifting away from the schema's.
    const file: ConfigFile = config(json);
    return file;
  } catch (err) {
    if (err === DOUBT) return undefined;
    throw err;
  }
}
