import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { CONFIG_KEYS, RULE_KEYS } from '../../src/config/keys.js';
import { DOUBT } from '../../src/config/kinds.js';
import { loadConfigFile, parseConfigText } from '../../src/config/load.js';
import { DEFAULT_POLICY } from '../../src/policy/types.js';
import { FULL_CONFIG } from './sample-configs.js';
import { tmpDir } from '../helpers/procs.js';

const dir = tmpDir('leash-load-');

/** Writes `text` to leash.json in a fresh directory and loads it as the user would: by a relative path. */
function load(text: string) {
  const cwd = mkdtempSync(join(dir, 'case-'));
  writeFileSync(join(cwd, 'leash.json'), text);
  return loadConfigFile('leash.json', cwd);
}

function failure(text: string): ConfigError {
  try {
    load(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(2);
    expect((err as ConfigError).message).not.toContain('\n');
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const message = (text: string): string => failure(text).message;
const json = (value: unknown): string => JSON.stringify(value, null, 2);

describe('a valid config file', () => {
  it('turns the keys of the brief into a Policy, durations in ms', () => {
    const { policy, settings } = load(
      json(FULL_CONFIG),
    );
    expect(policy).toEqual({
      defaults: { idleTimeoutMs: 0, totalTimeoutMs: 0, onTimeout: 'result', heartbeatMs: 10_000, maxResultBytes: 2_000_000, onLargeResult: 'truncate', detachAfterMs: 0 },
      rules: [
        { tool: 'index_repo', idleTimeoutMs: 120_000, totalTimeoutMs: 1_800_000, maxConcurrency: 1, maxResultBytes: 200_000, onLargeResult: 'error' },
        { tool: 'search_*', totalTimeoutMs: 20_000 },
        { method: 'resources/read', totalTimeoutMs: 30_000, onTimeout: 'error' },
        { tool: 'x', heartbeatMs: 2_500 },
      ],
      startupTimeoutMs: 60_000,
      serverEra: 'auto',
      protocol: 'relay',
      progressIntervalMs: 100,
      maxConcurrency: 8,
      maxMessageBytes: 67108864,
      restart: { policy: 'on-failure', initialBackoffMs: 500, maxBackoffMs: 30_000, maxRestarts: 5, windowMs: 60_000, onGiveUp: 'error' },
      healthCheck: { intervalMs: 30_000, misses: 3 },
      shutdown: { stdinGraceMs: 2_000, termGraceMs: 2_000 },
      tasks: 'off',
      tools: { allow: ['read_*', 'search'], deny: ['read_secret*'] },
      prompts: { deny: ['internal_*'] },
      resources: { deny: ['file:///secrets/*'] },
      spill: { folder: expect.stringMatching(/leash-load-.*\/case-[^/]+\/spilled$/) as unknown as string, keep: true },
      redactKeys: ['session_id', 'X-Internal-Auth'],
      jobs: { awaitMaxMs: 0, ttlMs: 600_000, max: 100, maxBytes: 67108864 },
    });
    expect(settings.logLevel).toBe('debug');
    // Relative paths in the file are relative to the file, not to the working directory.
    expect(settings.logFile).toMatch(/leash-load-.*\/case-[^/]+\/logs\/leash\.log$/);
    expect(settings.trace).toBe('/var/tmp/trace.jsonl');
  });

  it('leaves every key it does not set at its default', () => {
    expect(load('{}').policy).toEqual(DEFAULT_POLICY);
    expect(load('{"restart": {"policy": "on-failure"}}').policy.restart).toEqual({ ...DEFAULT_POLICY.restart, policy: 'on-failure' });
    expect(load('{"defaults": {"totalTimeout": "1m"}}').policy.defaults).toEqual({ ...DEFAULT_POLICY.defaults, totalTimeoutMs: 60_000 });
  });

  it('reads maxConcurrency 0 and "off" as unlimited', () => {
    expect(load('{"maxConcurrency": 0}').policy.maxConcurrency).toBe(Infinity);
    expect(load('{"maxConcurrency": "off"}').policy.maxConcurrency).toBe(Infinity);
  });

  it('tolerates a byte-order mark and CRLF line ends', () => {
    expect(load('\uFEFF{\r\n  "startupTimeout": "5s"\r\n}\r\n').policy.startupTimeoutMs).toBe(5_000);
  });

  it('does not touch DEFAULT_POLICY', () => {
    const { policy } = load('{"rules": [{"tool": "a", "totalTimeout": "1s"}]}');
    policy.defaults.totalTimeoutMs = 1;
    policy.restart.maxRestarts = 99;
    expect(DEFAULT_POLICY.rules).toEqual([]);
    expect(DEFAULT_POLICY.defaults.totalTimeoutMs).toBe(0);
    expect(DEFAULT_POLICY.restart.maxRestarts).toBe(5);
  });
});

describe('invalid JSON names the line and column', () => {
  it.each([
    ['{\n  "defaults": {}\n  "rules": []\n}', `line 3, column 3: invalid JSON (expected ',' or '}' after a property value, got '"'; is a comma missing?)`],
    ['{\n  "rules": [\n    {"tool": "a"},\n  ]\n}', `line 3, column 18: invalid JSON (trailing comma before ']', which JSON does not allow)`],
    ['{\n  "startupTimeout": "5s",\n}', `line 2, column 25: invalid JSON (trailing comma before '}', which JSON does not allow)`],
    ['// my policy\n{}', 'line 1, column 1: invalid JSON (comments are not allowed in JSON)'],
    ['{\n  /* x */ "tasks": "off"\n}', 'line 2, column 3: invalid JSON (comments are not allowed in JSON)'],
    ["{\n  'tasks': 'off'\n}", 'line 2, column 3: invalid JSON (strings and property names need double quotes, not single quotes)'],
    ['{\n  tasks: "off"\n}', `line 2, column 3: invalid JSON (expected a property name in double quotes, got 't')`],
    ['{\n  "tasks": off\n}', 'line 2, column 12: invalid JSON (expected a value, got off; strings need double quotes)'],
    ['{"tasks" "off"}', `line 1, column 10: invalid JSON (expected ':' after the property name, got '"')`],
    ['{"maxConcurrency": 08}', 'line 1, column 20: invalid JSON (numbers cannot start with 0)'],
    ['{"logFile": "C:\\Users"}', `line 1, column 16: invalid JSON (invalid escape '\\U' in a string; write \\\\ for a backslash)`],
    ['{"logFile": "a\nb"}', 'line 1, column 15: invalid JSON (line break or control character inside a string; write \\n or \\t instead)'],
    ['{"logFile": "abc', 'line 1, column 13: invalid JSON (unterminated string)'],
    ['{"rules": [', 'line 1, column 12: invalid JSON (unexpected end of the file, expected a value)'],
    ['{"rules": []', `line 1, column 13: invalid JSON (unexpected end of the file, expected ',' or '}')`],
    ['{} {}', `line 1, column 4: invalid JSON (unexpected '{' after the end of the JSON value)`],
    ['', 'line 1, column 1: invalid JSON (the file is empty, expected a JSON object)'],
    ['  \n', 'line 2, column 1: invalid JSON (the file is empty, expected a JSON object)'],
  ])('%j', (text, expected) => {
    expect(message(text)).toBe(`leash.json: ${expected}`);
  });

  it('counts columns on a CRLF line as an editor does', () => {
    expect(message('{\r\n  "a": 1\r\n  "b": 2\r\n}')).toBe(
      `leash.json: line 3, column 3: invalid JSON (expected ',' or '}' after a property value, got '"'; is a comma missing?)`,
    );
  });

  it('finds the error wherever JSON.parse does, on texts it refuses', () => {
    for (const text of ['{"a":}', '[1,,2]', '{"a":1 "b"}', '{"a":-}', '{"a":1.}', '{"a":"\\u12"}', 'nul', '{"a":[1 2]}', '"\u0001"', '{,}']) {
      expect(() => JSON.parse(text), text).toThrow();
      expect(() => parseConfigText(text, 'x.json', '/'), text).toThrow(/^x\.json: line 1, column \d+: invalid JSON \(.+\)$/);
    }
  });
});

describe('schema mistakes name the JSON path and what was expected', () => {
  it.each([
    // unknown keys, with the likely intended key
    [{ timout: '5s' }, 'unknown key "timout" at top level; timeouts go under "defaults" (e.g. "defaults": {"totalTimeout": "30s"}) or in a rule in "rules"'],
    [{ idleTimeout: '5s' }, 'unknown key "idleTimeout" at top level; timeouts go under "defaults" (e.g. "defaults": {"idleTimeout": "30s"}) or in a rule in "rules"'],
    [{ tools: [] }, 'tools: expected an object, got an array'],
    [{ tool: 'x' }, 'unknown key "tool" at top level; did you mean "rules" (e.g. "rules": [{"tool": "search_*", "totalTimeout": "20s"}])?'],
    [{ startuptimeout: '5s' }, 'unknown key "startuptimeout" at top level; did you mean "startupTimeout"?'],
    [{ rules: [{ tol: 'a' }] }, 'rules[0]: unknown key "tol"; did you mean "tool"?'],
    [{ rules: [{ tool: 'a' }, { tool: 'b', totalTimout: '1s' }] }, 'rules[1]: unknown key "totalTimout"; did you mean "totalTimeout"?'],
    [{ defaults: { timeout: '1s' } }, 'defaults: unknown key "timeout"; did you mean "totalTimeout" (a hard cap) or "idleTimeout" (restarted by progress)?'],
    [{ rules: [{ tool: 'a', timeout: '1s' }] }, 'rules[0]: unknown key "timeout"; did you mean "totalTimeout" (a hard cap) or "idleTimeout" (restarted by progress)?'],
    [{ restart: { polcy: 'never' } }, 'restart: unknown key "polcy"; did you mean "policy"?'],
    [{ restart: { backoff: '1s' } }, 'restart: unknown key "backoff"; expected one of "policy", "initialBackoff", "maxBackoff", "maxRestarts", "window", "onGiveUp"'],
    [
      { zzzzzzzz: 1, yyyyyyyy: 2 },
      'unknown key "zzzzzzzz" (and "yyyyyyyy") at top level; expected one of "$schema", "defaults", "rules", "startupTimeout", "serverEra", "protocol", "progressInterval", "maxConcurrency", "maxMessageBytes", "restart", "healthCheck", "shutdown", "tasks", "jobs", "tools", "prompts", "resources", "spill", "redactKeys", "logLevel", "logFile", "trace"',
    ],
    // wrong types
    [[], 'expected a JSON object at top level, got an array'],
    ['rules', 'expected a JSON object at top level, got "rules"'],
    [{ rules: {} }, 'rules: expected an array, got an object'],
    [{ rules: ['a'] }, 'rules[0]: expected an object, got "a"'],
    [{ defaults: null }, 'defaults: expected an object, got null'],
    [{ rules: [{ tool: 7 }] }, 'rules[0].tool: expected a string, got 7'],
    [{ maxMessageBytes: '64MB' }, 'maxMessageBytes: expected a positive integer, got "64MB"'],
    [{ maxMessageBytes: 0 }, 'maxMessageBytes: expected a positive integer, got 0'],
    [{ rules: [{ tool: 'a', maxConcurrency: 1.5 }] }, 'rules[0].maxConcurrency: expected a positive integer, got 1.5'],
    [{ maxConcurrency: -1 }, 'maxConcurrency: expected a positive integer, or 0 or "off" for unlimited, got -1'],
    [{ maxConcurrency: 'none' }, 'maxConcurrency: expected a positive integer, or 0 or "off" for unlimited, got "none"'],
    [{ restart: { maxRestarts: -1 } }, 'restart.maxRestarts: expected an integer of at least 0, got -1'],
    [{ healthCheck: { misses: 0 } }, 'healthCheck.misses: expected a positive integer, got 0'],
    [{ $schema: 1 }, '$schema: expected a string, got 1'],
    [{ logFile: '' }, 'logFile: expected a file path, got ""'],
    // enums
    [{ logLevel: 'verbose' }, 'logLevel: expected one of "trace", "debug", "info", "warn", "error", "fatal", "silent", got "verbose"'],
    [{ defaults: { onTimeout: 'throw' } }, 'defaults.onTimeout: expected one of "result", "error", got "throw"'],
    [{ restart: { policy: 'always' } }, 'restart.policy: expected one of "never", "on-failure", got "always"'],
    [{ tasks: true }, 'tasks: expected one of "off", "auto", got true'],
    // durations
    [{ rules: [{ tool: 'a' }, { tool: 'b' }, { tool: 'c', totalTimeout: 'fast' }] }, 'rules[2].totalTimeout: expected a duration like "30s", got "fast"'],
    [{ defaults: { idleTimeout: -5 } }, 'defaults.idleTimeout: expected a duration like "30s", got -5'],
    [{ defaults: { heartbeat: true } }, 'defaults.heartbeat: expected a duration like "30s", got true'],
    [{ startupTimeout: '30 s' }, 'startupTimeout: expected a duration like "30s", got "30 s"'],
    [{ shutdown: { termGrace: '1000h' } }, 'shutdown.termGrace: expected a duration of at most 596h (about 24 days), got "1000h"'],
    [{ restart: { window: 1e12 } }, 'restart.window: expected a duration with a unit, like "30s", got 1000000000000'],
    [{ restart: { window: '597h' } }, 'restart.window: expected a duration of at most 596h (about 24 days), got "597h"'],
    // a bare number names no unit (issue 21), at every duration key
    [{ defaults: { totalTimeout: 30 } }, 'defaults.totalTimeout: expected a duration with a unit, like "30s" (or "30ms" if 30 milliseconds were meant), got 30'],
    [{ rules: [{ tool: 'a', idleTimeout: '30' }] }, 'rules[0].idleTimeout: expected a duration with a unit, like "30s" (or "30ms" if 30 milliseconds were meant), got "30"'],
    [{ healthCheck: { interval: 5000 } }, 'healthCheck.interval: expected a duration with a unit, like "5000s" (or "5s" if 5000 milliseconds were meant), got 5000'],
    // globs and the shape of a rule
    [{ rules: [{ tool: 'search_[ab]' }] }, 'rules[0].tool: expected a name or a glob using only * and ?, got "search_[ab]" ("[" is not supported)'],
    [{ rules: [{ method: 'tools/{call,list}' }] }, 'rules[0].method: expected a name or a glob using only * and ?, got "tools/{call,list}" ("{" is not supported)'],
    [{ rules: [{ tool: '' }] }, 'rules[0].tool: expected a non-empty name or glob, got ""'],
    [{ rules: [{ totalTimeout: '5s' }] }, 'rules[0]: expected "tool" or "method" (a rule must say what it applies to)'],
    // both "tool" and "method" (issue 21), whatever the method; the rule is named by its index in the file
    [
      { rules: [{ tool: 'a', method: 'resources/read' }] },
      'rules[0]: expected "tool" or "method", not both, got "tool": "a" and "method": "resources/read"; keep "tool" for tools/call of that tool, or "method" for a whole method',
    ],
    [
      { rules: [{ tool: 'a' }, { method: 'b' }, { tool: 'x', method: 'tools/call', totalTimeout: '1s' }] },
      'rules[2]: expected "tool" or "method", not both, got "tool": "x" and "method": "tools/call"; keep "tool" for tools/call of that tool, or "method" for a whole method',
    ],
    [
      { rules: [{ method: 'resources/read', maxConcurrency: 2 }] },
      'rules[0].maxConcurrency: per-rule maxConcurrency is only for tools: add "tool", or use the top-level "maxConcurrency"',
    ],
  ])('%j', (config, expected) => {
    expect(message(json(config))).toBe(`leash.json: ${expected}`);
  });

  it('refuses a bare number at every duration key, naming the key (issue 21)', () => {
    const durations = CONFIG_KEYS.flatMap((row) =>
      row.type === 'key' ? [[row.name, row] as const] : row.type === 'group' ? row.keys.map((k) => [`${row.name}.${k.name}`, k] as const) : [],
    ).filter(([, row]) => row.kind.type === 'duration');
    expect(durations.length).toBeGreaterThan(5);
    for (const [path, row] of durations) {
      const [group, key] = path.includes('.') ? path.split('.') : [undefined, path];
      const config = group !== undefined ? { [group]: { [key!]: 30 } } : { [key!]: 30 };
      expect(message(json(config)), path).toBe(`leash.json: ${path}: expected a duration with a unit, like "30s" (or "30ms" if 30 milliseconds were meant), got 30`);
      expect(row.kind.read(30)).toBe(DOUBT);
    }
    for (const row of RULE_KEYS.filter((r) => r.kind.type === 'duration')) {
      expect(message(json({ rules: [{ tool: 'a', [row.name]: 30 }] }))).toContain(`rules[0].${row.name}: expected a duration with a unit, like "30s"`);
    }
  });

  it('reports a few mistakes at once, joined with "; "', () => {
    expect(message(json({ startupTimeout: 'soon', logLevel: 'loud' }))).toBe(
      'leash.json: startupTimeout: expected a duration like "30s", got "soon"; logLevel: expected one of "trace", "debug", "info", "warn", "error", "fatal", "silent", got "loud"',
    );
    const many = { defaults: { totalTimeout: 'a', idleTimeout: 'b', heartbeat: 'c' }, startupTimeout: 'd', progressInterval: 'e' };
    expect(message(json(many))).toBe(
      'leash.json: defaults.idleTimeout: expected a duration like "30s", got "b"; defaults.totalTimeout: expected a duration like "30s", got "a"; defaults.heartbeat: expected a duration like "30s", got "c"; and 2 more',
    );
  });

  it('puts a misspelt key before the problems it causes', () => {
    expect(message(json({ rules: [{ tol: 'a', totalTimeout: '1s' }], tasks: 'on' }))).toBe(
      'leash.json: rules[0]: unknown key "tol"; did you mean "tool"?; tasks: expected one of "off", "auto", got "on"',
    );
  });
});

describe('a file that cannot be read', () => {
  it('names the file, the reason and where it looked', () => {
    const cwd = mkdtempSync(join(dir, 'missing-'));
    expect(() => loadConfigFile('leash.json', cwd)).toThrow(
      `leash.json: cannot read file (ENOENT: no such file or directory); looked for ${join(cwd, 'leash.json')}`,
    );
    expect(() => loadConfigFile(join(cwd, 'nope.json'))).toThrow(
      new ConfigError(`${join(cwd, 'nope.json')}: cannot read file (ENOENT: no such file or directory)`),
    );
  });

  it('refuses a directory', () => {
    const cwd = mkdtempSync(join(dir, 'isdir-'));
    mkdirSync(join(cwd, 'leash.json'));
    expect(() => loadConfigFile('leash.json', cwd)).toThrow(
      `leash.json: cannot read file (EISDIR: illegal operation on a directory); looked for ${join(cwd, 'leash.json')}`,
    );
  });

  it.skipIf(process.getuid?.() === 0)('refuses a file without read permission', () => {
    const cwd = mkdtempSync(join(dir, 'noperm-'));
    writeFileSync(join(cwd, 'leash.json'), '{}', { mode: 0o000 });
    expect(() => loadConfigFile('leash.json', cwd)).toThrow(/^leash\.json: cannot read file \(EACCES: permission denied\)/);
  });
});
