import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseCommandLine } from '../../src/config/command-line.js';
import { MAX_DURATION_MS } from '../../src/config/duration.js';
import { ConfigError } from '../../src/config/errors.js';
import { fastParse } from '../../src/config/fast-config.js';
import { loadConfigFast } from '../../src/config/load-fast.js';
import { loadConfigFile } from '../../src/config/load.js';
import { parseArgs } from '../../src/config/parse-args.js';
import { LOG_LEVELS } from '../../src/config/log-levels.js';
import { policyToConfig } from '../../src/config/print.js';
import { configSchema } from '../../src/config/schema.js';
import { DEFAULT_POLICY } from '../../src/policy/types.js';
import { FLAGS_BASE_CONFIG, FULL_CONFIG } from './sample-configs.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** zod's verdict: its output, or undefined when it refuses. */
function zodParse(json: unknown): unknown {
  const parsed = configSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Where two values differ, or undefined when they are the same value: Object.is on leaves (so
 * -0 and 0 differ, NaN equals NaN), same prototypes, and same keys in the same order, since a
 * caller may print or iterate what it gets.
 */
function difference(a: unknown, b: unknown, at = '$'): string | undefined {
  if (Object.is(a, b)) return undefined;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return `${at}: ${String(a)} vs ${String(b)}`;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${at}: prototypes differ`;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.join('\0') !== kb.join('\0')) return `${at}: keys [${ka.join(', ')}] vs [${kb.join(', ')}]`;
  for (const key of ka) {
    const d = difference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${at}.${key}`);
    if (d !== undefined) return d;
  }
  return undefined;
}

/** The property: whatever fastParse accepts, zod accepts with the same output. */
function agreesWithZod(json: unknown): boolean {
  const fast = fastParse(json);
  if (fast === undefined) return false;
  const slow = zodParse(json);
  expect(slow, 'fastParse accepted what zod refuses').not.toBeUndefined();
  expect(difference(fast, slow)).toBeUndefined();
  return true;
}

// Arbitraries. In "valid" mode every value is one zod accepts; in "mixed" mode values are mostly
// valid, with wrong types, bad strings, edge numbers and unknown keys mixed in at every level, so
// that a good share of configs is valid and the rest are wrong in one or two places.

type Mode = 'valid' | 'mixed';

/** Against 1 for a wrong value and 1 for junk: high enough that about a sixth of mixed configs is valid. */
const VALID_WEIGHT = 40;

const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, undefined, 0, -0, 1, -1, 1.5, NaN, Infinity, -Infinity, '', 'off', '30s', [], {}),
  fc.anything({ maxDepth: 2, withNullPrototype: true, withBoxedValues: true, withDate: true, withMap: true, withSparseArray: true }),
  fc.constant(new Date(0)),
  fc.constant(Object.create(null) as object),
);

function field<T>(mode: Mode, valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  if (mode === 'valid') return valid;
  return fc.oneof({ arbitrary: valid, weight: VALID_WEIGHT }, { arbitrary: invalid, weight: 1 }, { arbitrary: junk, weight: 1 });
}

const num = (max: number): fc.Arbitrary<string> =>
  fc.oneof(
    fc.nat(max).map(String),
    fc.tuple(fc.nat(max), fc.nat(9999)).map(([n, f]) => `${n}.${f}`),
  );

/** Compound durations in the grammar's order, each part optional but one always present. */
const compound: fc.Arbitrary<string> = fc
  .record({ h: num(600), m: num(200), s: num(200), ms: num(5000) }, { requiredKeys: [] })
  .filter((parts) => Object.keys(parts).length > 0)
  .map(({ h, m, s, ms }) => `${h !== undefined ? `${h}h` : ''}${m !== undefined ? `${m}m` : ''}${s !== undefined ? `${s}s` : ''}${ms !== undefined ? `${ms}ms` : ''}`);

const durationValid: fc.Arbitrary<string | number> = fc.oneof(
  fc.constantFrom('off', '0', 0, '250ms', '30s', '5m', '1h', '1h30m', '1.5s', '596h', '0.0004s', '2m30s500ms', '2147483647ms'),
  fc.nat(MAX_DURATION_MS).map((ms) => `${ms}ms`),
  compound.filter((text) => zodParse({ startupTimeout: text }) !== undefined),
);

const durationInvalid: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('597h', '1000h', '30 s', 'fast', '', '1h1h', '5ms5s', '1m30', 'OFF', ' 1s', '1s\n', '-5s', '1e3', '.5s', '5.s', '2147483648', '1h30m0.5', '2147483647', '30', '00'),
  fc.constantFrom(-1, -0, 1.5, MAX_DURATION_MS, MAX_DURATION_MS + 1, 1e12, 2 ** 53, Number.MAX_VALUE),
  // Bare numbers name no unit (issue 21).
  fc.integer({ min: 1, max: MAX_DURATION_MS }),
  fc.integer({ min: 1, max: MAX_DURATION_MS }).map(String),
  fc.integer({ min: -1000, max: -1 }),
  fc.double(),
  compound, // some exceed 596h
  fc.string(),
);

const globValid: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('echo', 'search_*', 'tools/call', 'resources/read', 'prompts/*', 'a?c', '*', '?', 'get_*_v?', ' ', 'é'),
  fc.string({ minLength: 1 }).filter((s) => !/[[\]{}]/.test(s)),
);
const globInvalid: fc.Arbitrary<unknown> = fc.constantFrom('', 'a[b]', '{x,y}', ']', 'search_[ab]', 'tools/{call,list}', 7, null);

const methodValid = (mode: Mode): fc.Arbitrary<unknown> => field(mode, fc.oneof(fc.constant('tools/call'), globValid), globInvalid);

const ENUMS = [['result', 'error'], ['never', 'on-failure'], ['error', 'exit'], ['off', 'auto'], LOG_LEVELS] as const;

function enumOf(mode: Mode, values: readonly string[]): fc.Arbitrary<unknown> {
  // Near misses, and the values of the other enums, which a user may well mix up.
  const wrong = [...ENUMS.flat(), ...values.flatMap((v) => [v.toUpperCase(), ` ${v}`, `${v}s`]), '', 'verbose', 'throw', 'always']
    .filter((v) => !values.includes(v));
  return field(mode, fc.constantFrom(...values), fc.constantFrom(...new Set(wrong)));
}

function intField(mode: Mode, min: number): fc.Arbitrary<unknown> {
  return field(
    mode,
    fc.oneof(fc.integer({ min, max: min + 20 }), fc.integer({ min, max: Number.MAX_SAFE_INTEGER })),
    fc.constantFrom(min - 1, -1, -0, 1.5, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, 1e300, NaN, Infinity, '4', 'off', null),
  );
}

const unknownKeys = fc.constantFrom('timout', 'tol', 'timeout', 'extra', 'Tool', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '');

/** An object of some of `shape`'s keys in any order, now and then with a key the schema lacks, or not an object at all. */
function objectOf(mode: Mode, shape: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  const known = fc
    .record(shape, { requiredKeys: [] })
    .chain((obj) => {
      const entries = Object.entries(obj);
      return fc.shuffledSubarray(entries, { minLength: entries.length, maxLength: entries.length });
    });
  if (mode === 'valid') return known.map((entries) => Object.fromEntries(entries));
  const withExtra = fc
    .tuple(known, fc.array(fc.tuple(unknownKeys, junk), { minLength: 1, maxLength: 2 }))
    .map(([entries, extra]) => Object.fromEntries([...entries, ...extra]));
  return fc.oneof(
    { arbitrary: known.map((entries) => Object.fromEntries(entries)), weight: VALID_WEIGHT },
    { arbitrary: withExtra, weight: 1 },
    { arbitrary: junk, weight: 1 },
  );
}

function configArbitrary(mode: Mode): fc.Arbitrary<unknown> {
  const duration = (): fc.Arbitrary<unknown> => field(mode, durationValid, durationInvalid);
  const onTimeout = enumOf(mode, ENUMS[0]);
  const limits = { idleTimeout: duration(), totalTimeout: duration(), onTimeout, heartbeat: duration() };
  const tool = field(mode, globValid, globInvalid);

  const rule =
    mode === 'valid'
      ? fc.oneof(
          fc.record(
            { tool, ...limits, maxConcurrency: intField(mode, 1) },
            // fast-check may also make null-prototype objects, which JSON.parse never does (and fastParse leaves to zod).
            { requiredKeys: ['tool'], noNullPrototype: true },
          ),
          fc.record({ method: methodValid(mode), ...limits }, { requiredKeys: ['method'], noNullPrototype: true }),
        )
      : objectOf(mode, { tool, method: methodValid(mode), ...limits, maxConcurrency: intField(mode, 1) });

  const path = field(mode, fc.oneof(fc.constantFrom('leash.log', '/var/tmp/t.jsonl', 'logs/a b.log'), fc.string({ minLength: 1 })), fc.constantFrom('', 1, null));

  return objectOf(mode, {
    $schema: field(mode, fc.string(), fc.constantFrom(1, null, true, [])),
    defaults: objectOf(mode, limits),
    rules: field(mode, fc.array(rule, { maxLength: 4 }), fc.constantFrom({}, 'rules', [[]], [null])),
    startupTimeout: duration(),
    progressInterval: duration(),
    maxConcurrency: field(mode, fc.oneof(fc.constant('off'), fc.integer({ min: 0, max: 64 })), fc.constantFrom(-1, -0, 'none', '0', 'OFF', 1.5, 2 ** 53)),
    maxMessageBytes: intField(mode, 1),
    restart: objectOf(mode, {
      policy: enumOf(mode, ENUMS[1]),
      initialBackoff: duration(),
      maxBackoff: duration(),
      maxRestarts: intField(mode, 0),
      window: duration(),
      onGiveUp: enumOf(mode, ENUMS[2]),
    }),
    healthCheck: objectOf(mode, { interval: duration(), misses: intField(mode, 1) }),
    shutdown: objectOf(mode, { stdinGrace: duration(), termGrace: duration() }),
    tasks: enumOf(mode, ENUMS[3]),
    logLevel: enumOf(mode, ENUMS[4]),
    logFile: path,
    trace: path,
  });
}

// Single mistakes, exhaustively: random configs seldom put one given wrong value at one given key
// of an otherwise valid config, which is what catches a check that is slightly too lax.

/** Values for every kind of key, right and wrong; each is tried at every key of the schema. */
const POOL: unknown[] = [
  // durations
  'off', '0', '250ms', '30s', '1h30m', '0.0004s', '596h', '597h', '1000h', '30 s', 'fast', '1h1h', '5ms5s', '1m30', 'OFF', ' 1s', '1s\n',
  '-5s', '1e3', '.5s', '2147483647', '2147483648',
  // numbers
  0, 1, 2, 2500, MAX_DURATION_MS, MAX_DURATION_MS + 1, Number.MAX_SAFE_INTEGER, 2 ** 53, -1, -0, 1.5, 1e12, NaN, Infinity,
  // enums, all of them, and near misses
  ...new Set(ENUMS.flat()), 'verbose', 'INFO', 'on', 'Result',
  // names, globs, paths
  '', ' ', 'echo', 'search_*', 'a?c', 'tools/call', 'resources/read', 'a[b]', '{x}', 'logs/leash.log',
  // other types
  null, true, false, undefined, [], [{}], [{ tool: 'a' }], {}, { tool: 'a' }, { method: 'm' }, { extra: 1 }, new Date(0), Object.create(null) as object,
];

function unwrap(schema: unknown): unknown {
  let node = schema;
  for (;;) {
    if (node instanceof z.ZodOptional) node = node.unwrap();
    else if (node instanceof z.ZodArray) node = node.element;
    else return node;
  }
}

/** Each object of the schema, with what puts an object in its place inside an otherwise valid config. */
function places(): [string, string[], (obj: Record<string, unknown>) => unknown][] {
  const out: [string, string[], (obj: Record<string, unknown>) => unknown][] = [['top level', Object.keys(configSchema.shape), (o) => o]];
  for (const [key, child] of Object.entries(configSchema.shape)) {
    const inner = unwrap(child);
    if (!(inner instanceof z.ZodObject)) continue;
    const keys = Object.keys(inner.shape);
    if (key !== 'rules') out.push([key, keys, (o) => ({ [key]: o })]);
    else {
      // A rule's checks depend on its other keys: try each key in each kind of rule.
      // (Both "tool" and "method" is refused, issue 21; the pool puts each beside the other.)
      for (const base of [{}, { tool: 'a' }, { method: 'm' }, { tool: 'a', maxConcurrency: 2 }]) {
        out.push([`rules[1] in ${JSON.stringify(base)}`, keys, (o) => ({ rules: [{ tool: 'b' }, { ...base, ...o }] })]);
      }
    }
  }
  return out;
}

describe('fastParse agrees with the zod schema', () => {
  it.each(places())('for every value in the pool at every key of %s, and an unknown key', (_, keys, place) => {
    let accepted = 0;
    for (const key of [...keys, 'extra']) {
      for (const value of POOL) {
        const config = place({ [key]: value });
        if (agreesWithZod(config)) accepted++;
        const json: unknown = JSON.parse(JSON.stringify(config));
        expect(agreesWithZod(json), JSON.stringify(config)).toBe(zodParse(json) !== undefined);
      }
    }
    expect(accepted).toBeGreaterThan(0);
  });

  it('accepts only what zod accepts, with the same output; from JSON, all that zod accepts', () => {
    let accepted = 0;
    let runs = 0;
    fc.assert(
      fc.property(configArbitrary('mixed'), (config) => {
        runs++;
        if (agreesWithZod(config)) accepted++;
        // What a file really gives it: JSON text, parsed. There the fast path must cover all that zod
        // accepts (JSON.stringify never writes the one exception, -0), or real files would pay for zod.
        const text = JSON.stringify(config);
        if (text === undefined) return;
        const json: unknown = JSON.parse(text);
        expect(agreesWithZod(json), text).toBe(zodParse(json) !== undefined);
      }),
      { numRuns: 3000 },
    );
    // Without a fair share of accepted configs, the property above would prove little.
    expect(accepted / runs).toBeGreaterThan(0.1);
  });

  it('accepts every valid config it is given, as zod does', () => {
    fc.assert(
      fc.property(configArbitrary('valid'), (config) => {
        expect(agreesWithZod(config), JSON.stringify(config)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it.each([
    [{ maxConcurrency: 'off' }],
    [{ maxConcurrency: 0 }],
    [{ maxConcurrency: 3 }],
    [{ defaults: { totalTimeout: 'off', idleTimeout: 0, heartbeat: '1h30m' } }],
    [{ defaults: { totalTimeout: '596h' } }],
    [{ defaults: { totalTimeout: '2147483647ms' } }],
    [{ defaults: { totalTimeout: '0.0004s' } }],
    [{ rules: [{ tool: 'a', maxConcurrency: 1 }] }],
    [{ rules: [] }],
    [{ maxMessageBytes: Number.MAX_SAFE_INTEGER }],
  ])('accepts %j', (config) => {
    expect(agreesWithZod(config)).toBe(true);
  });

  it.each([
    // Valid for zod, but odd enough to leave to it.
    [{ defaults: { totalTimeout: -0 } }, true],
    [{ defaults: new Date(0) }, true],
    [{ defaults: Object.create(null) as object }, true],
    [{ logLevel: undefined }, true],
    // Invalid.
    [{ defaults: { totalTimeout: '597h' } }, false],
    [{ defaults: { totalTimeout: MAX_DURATION_MS + 1 } }, false],
    [{ defaults: { totalTimeout: MAX_DURATION_MS } }, false],
    [{ defaults: { totalTimeout: 30 } }, false],
    [{ defaults: { totalTimeout: '30' } }, false],
    [{ rules: [{ tool: 'a', method: 'tools/call' }] }, false],
    [{ rules: [{ totalTimeout: '5s' }] }, false],
    [{ rules: [{ tool: 'a', method: 'resources/read' }] }, false],
    [{ rules: [{ method: 'resources/read', maxConcurrency: 2 }] }, false],
    [{ rules: [{ tool: 'search_[ab]' }] }, false],
    [{ maxMessageBytes: 2 ** 53 }, false],
    [{ maxConcurrency: '0' }, false],
    [JSON.parse('{"__proto__": {}}') as unknown, false],
    [[], false],
    [null, false],
  ])('leaves %j to zod (zod accepts: %s)', (config, zodAccepts) => {
    expect(fastParse(config)).toBeUndefined();
    expect(zodParse(config) !== undefined).toBe(zodAccepts);
  });

  it.each([true, false])('leaves to zod the keys a polluted Object.prototype lends (enumerable: %s)', (enumerable) => {
    const inherited = (key: string, value: unknown): void => {
      Object.defineProperty(Object.prototype, key, { value, enumerable, writable: true, configurable: true });
    };
    inherited('tasks', 'auto');
    inherited('tool', 'a');
    try {
      // zod sees them, since it tests keys with `in`: {tasks: "auto"}.
      expect(zodParse({})).not.toEqual({});
      expect(fastParse({})).toBeUndefined();
      expect(fastParse({ rules: [{ method: 'a' }] })).toBeUndefined();
    } finally {
      delete (Object.prototype as Record<string, unknown>).tasks;
      delete (Object.prototype as Record<string, unknown>).tool;
    }
    expect(fastParse({})).toEqual({});
  });
});

describe('fastParse is really used', () => {
  const files = ['config.example.json', 'bench/policy.json', 'bench/policy-200mb.json'];

  it.each(files)('for %s', (file) => {
    expect(agreesWithZod(JSON.parse(readFileSync(join(root, file), 'utf8')))).toBe(true);
  });

  it.each([
    FULL_CONFIG,
    {},
    { restart: { policy: 'on-failure' } },
    { maxConcurrency: 0 },
    { maxConcurrency: 'off' },
    // from schema-file.test.ts
    { defaults: { totalTimeout: '1h30m', idleTimeout: 0, heartbeat: 'off' } },
    { rules: [{ tool: 'search_*', totalTimeout: '20s' }, { method: 'resources/read', onTimeout: 'error' }] },
    { maxConcurrency: 'off', restart: { policy: 'on-failure' }, logLevel: 'silent' },
    FLAGS_BASE_CONFIG,
    // what --print-config writes (print.test.ts)
    JSON.parse(JSON.stringify(policyToConfig(DEFAULT_POLICY, { logLevel: 'info' }))) as unknown,
  ])('for the valid configs of the other tests: %j', (config) => {
    expect(agreesWithZod(config)).toBe(true);
  });
});

describe('loadConfigFast and parseCommandLine', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'leash-fast-load-'));
  // valid.json logs to logs/x.log, and a run needs the log file's folder to exist.
  mkdirSync(join(cwd, 'logs'));
  const write = (name: string, text: string): string => {
    writeFileSync(join(cwd, name), text);
    return name;
  };
  const valid = write('valid.json', `\uFEFF${readFileSync(join(root, 'config.example.json'), 'utf8')}`.replace('"logLevel": "info"', '"logLevel": "debug", "logFile": "logs/x.log", "trace": "/tmp/t.jsonl"'));
  const invalid = write('invalid.json', '{"defaults": {"totalTimeout": "soon"}}');
  const notJson = write('not-json.json', '{"tasks": "off",}');
  const odd = write('odd.json', '{"defaults": {"totalTimeout": -0}}');

  it('gives what loadConfigFile gives for a valid file (relative paths, BOM, a base policy)', () => {
    const base = { ...DEFAULT_POLICY, rules: [{ tool: 'base', totalTimeoutMs: 1 }] };
    const fast = loadConfigFast(valid, cwd, base);
    expect(fast).toEqual(loadConfigFile(valid, cwd, base));
    expect(fast?.settings.logFile).toBe(join(cwd, 'logs/x.log'));
    expect(fast?.policy.rules[0]).toEqual({ tool: 'base', totalTimeoutMs: 1 });
  });

  it('gives undefined, leaving the error to loadConfigFile, for a file it cannot vouch for', () => {
    for (const name of [invalid, notJson, 'missing.json', '.']) expect(loadConfigFast(name, cwd), name).toBeUndefined();
    expect(loadConfigFast(odd, cwd)).toBeUndefined();
    // zod keeps -0 as it is; the fast path leaves such oddities to it.
    expect(loadConfigFile(odd, cwd).policy.defaults.totalTimeoutMs).toBe(-0);
  });

  it.each([
    [['--config', valid, '--timeout', '5s', 'node', 'server.js']],
    [['--config', odd, 'node']],
    [['node', '--config', 'missing.json']],
    [['--help', '--config', 'missing.json']],
  ])('parseCommandLine(%j) is parseArgs', async (argv) => {
    expect(await parseCommandLine(argv, cwd)).toEqual(parseArgs(argv, cwd));
  });

  it.each([
    [['--config', invalid, 'node']],
    [['--config', notJson, 'node']],
    [['--config', 'missing.json', 'node']],
    [['--config', valid, '--timeout', 'soon', 'node']],
    [['--config', valid]],
  ])('parseCommandLine(%j) fails as parseArgs does', async (argv) => {
    const error = (() => {
      try {
        parseArgs(argv, cwd);
      } catch (err) {
        return err;
      }
      throw new Error('expected an error');
    })();
    expect(error).toBeInstanceOf(ConfigError);
    await expect(parseCommandLine(argv, cwd)).rejects.toThrow(error as ConfigError);
  });
});

describe('the CLI path does not load zod for a valid file', () => {
  const dist = join(root, 'dist/config/');
  const built = existsSync(join(dist, 'command-line.js'));
  const dir = mkdtempSync(join(tmpdir(), 'leash-fast-'));
  // Records every module Node loads, zod's included, whichever way it is reached.
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    [
      "import { appendFileSync } from 'node:fs';",
      'let log;',
      'export function initialize(data) { log = data.log; }',
      "export async function load(url, context, next) { appendFileSync(log, url + '\\n'); return next(url, context); }",
    ].join('\n'),
  );
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"defaults": {"totalTimeout": "soon"}}');

  /** Runs parseCommandLine from the build on each file in a fresh node; returns what it printed and the modules loaded. */
  function runBuilt(configs: string[]): { out: string; modules: string[]; zodGlobal: boolean } {
    const log = join(mkdtempSync(join(dir, 'run-')), 'modules.log');
    writeFileSync(log, '');
    const script = `
      import { register } from 'node:module';
      register(${JSON.stringify(pathToFileURL(hooks).href)}, { data: { log: ${JSON.stringify(log)} } });
      const { parseCommandLine } = await import(${JSON.stringify(pathToFileURL(join(dist, 'command-line.js')).href)});
      const { loadConfigFast } = await import(${JSON.stringify(pathToFileURL(join(dist, 'load-fast.js')).href)});
      for (const file of ${JSON.stringify(configs)}) {
        try {
          const parsed = await parseCommandLine(['--config', file, 'node', 'server.js'], process.cwd());
          console.log('ok', parsed.policy.rules.length, loadConfigFast(file) !== undefined);
        } catch (err) {
          console.log('error', err.message);
        }
      }
      // zod v4 sets this global when its core module is evaluated.
      console.log('zod-global', globalThis.__zod_globalConfig !== undefined);
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    const modules = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    return { out, modules, zodGlobal: /zod-global true/.test(out) };
  }

  const isZod = (url: string): boolean => url.includes('/node_modules/zod/');

  it.skipIf(!built)('loads config.example.json and the bench policies without zod', () => {
    const files = ['config.example.json', 'bench/policy.json', 'bench/policy-200mb.json'].map((f) => join(root, f));
    const { out, modules, zodGlobal } = runBuilt(files);
    expect(out).toBe(`ok 6 true\nok 4 true\nok 4 true\nzod-global false\n`);
    // The hook did see the modules (so an empty list cannot pass for "no zod").
    expect(modules.some((url) => url.endsWith('/dist/config/fast-config.js'))).toBe(true);
    expect(modules.filter(isZod)).toEqual([]);
    expect(zodGlobal).toBe(false);
  });

  it.skipIf(!built)('loads zod, and words the error as before, for a file with a mistake', () => {
    const { out, modules, zodGlobal } = runBuilt([bad]);
    expect(out).toBe(`error ${bad}: defaults.totalTimeout: expected a duration like "30s", got "soon"\nzod-global true\n`);
    expect(modules.some(isZod)).toBe(true);
    expect(zodGlobal).toBe(true);
  });

  it('has a build to check (run `npm run build` first)', () => {
    expect(built).toBe(true);
    // A stale build would check old code.
    const result = spawnSync(process.execPath, ['-e', `import(${JSON.stringify(pathToFileURL(join(dist, 'command-line.js')).href)}).then((m) => process.exit(typeof m.parseCommandLine === 'function' ? 0 : 1))`]);
    expect(result.status).toBe(0);
  });
});
