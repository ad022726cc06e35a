import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs, type ParsedArgs } from '../../src/config/parse-args.js';
import { ConfigError } from '../../src/config/errors.js';
import { DEFAULT_POLICY } from '../../src/policy/types.js';
import { FLAGS_BASE_CONFIG } from './sample-configs.js';
import { tmpDir } from '../helpers/procs.js';

const cwd = tmpDir('leash-args-');
writeFileSync(
  join(cwd, 'leash.json'),
  JSON.stringify(FLAGS_BASE_CONFIG),
);
writeFileSync(join(cwd, 'bad.json'), '{"defaults": {"totalTimeout": "soon"}}');

type Run = Extract<ParsedArgs, { kind: 'run' }>;

function run(...argv: string[]): Run {
  const parsed = parseArgs(argv, cwd);
  if (parsed.kind !== 'run') throw new Error(`expected a run, got ${parsed.kind}`);
  return parsed;
}

function usageError(...argv: string[]): string {
  try {
    parseArgs(argv, cwd);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(2);
    expect((err as ConfigError).message).not.toContain('\n');
    return (err as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

describe('the server command', () => {
  it('starts at "--"', () => {
    const r = run('--timeout', '5s', '--', 'node', 'server.js');
    expect([r.command, r.args]).toEqual(['node', ['server.js']]);
  });

  it('starts at the first argument that is not an option, without "--"', () => {
    const r = run('--timeout', '5s', 'node', 'server.js');
    expect([r.command, r.args]).toEqual(['node', ['server.js']]);
    expect(r.policy.defaults.totalTimeoutMs).toBe(5_000);
  });

  it('keeps everything after the command untouched, even what looks like our options', () => {
    const r = run('--timeout', '5s', 'node', 'server.js', '--timeout', '9', '--', '--help', '-V', '--bogus=1');
    expect(r.command).toBe('node');
    expect(r.args).toEqual(['server.js', '--timeout', '9', '--', '--help', '-V', '--bogus=1']);
    expect(r.policy.defaults.totalTimeoutMs).toBe(5_000);
  });

  it('may itself start with "-" after "--"', () => {
    const r = run('--', '-weird', 'x');
    expect([r.command, r.args]).toEqual(['-weird', ['x']]);
  });

  it('gives the defaults when there are no options at all', () => {
    const r = run('python', 'server.py');
    expect(r).toEqual({
      kind: 'run',
      command: 'python',
      args: ['server.py'],
      policy: DEFAULT_POLICY,
      logLevel: 'info',
      tracePayloads: false,
      printConfig: false,
    });
    expect(r.policy).not.toBe(DEFAULT_POLICY);
  });

  it('is required', () => {
    expect(usageError()).toBe('mcp-leash: no server command given; usage: mcp-leash [options] [--] <command> [args...]; see mcp-leash --help');
    expect(usageError('--timeout', '5s', '--')).toBe(
      'mcp-leash: no server command given; usage: mcp-leash [options] [--] <command> [args...]; see mcp-leash --help',
    );
  });

  it('is not required to print the config or explain a tool', () => {
    expect(run('--print-config')).toMatchObject({ command: '', args: [], printConfig: true });
    expect(run('--explain-tool', 'index_repo')).toMatchObject({ command: '', explainTool: 'index_repo' });
  });
});

describe('options', () => {
  it('accept "--opt value" and "--opt=value"', () => {
    const a = run('--timeout', '5s', '--heartbeat', '2s', '--max-concurrency', '3', '--log-level', 'debug', 'x');
    const b = run('--timeout=5s', '--heartbeat=2s', '--max-concurrency=3', '--log-level=debug', 'x');
    expect(b).toEqual(a);
    expect(a.policy.defaults).toMatchObject({ totalTimeoutMs: 5_000, heartbeatMs: 2_000 });
    expect(a.policy.maxConcurrency).toBe(3);
    expect(a.logLevel).toBe('debug');
  });

  it('accept a value containing "=" after "--opt="', () => {
    expect(run('--tool-timeout=a=b=1s', 'x').policy.rules).toEqual([{ tool: 'a=b', totalTimeoutMs: 1_000, flag: '--tool-timeout' }]);
  });

  it('set every documented value', () => {
    const r = run(
      '--log-file', 'out/leash.log', '--trace', '/abs/trace.jsonl', '--trace-payloads', '--print-config', '--explain-tool', 'index_repo', 'x',
    );
    expect(r).toMatchObject({
      logFile: join(cwd, 'out/leash.log'),
      trace: '/abs/trace.jsonl',
      tracePayloads: true,
      printConfig: true,
      explainTool: 'index_repo',
    });
  });

  it('read --max-concurrency 0 and off as unlimited', () => {
    expect(run('--max-concurrency', '0', 'x').policy.maxConcurrency).toBe(Infinity);
    expect(run('--max-concurrency', 'off', 'x').policy.maxConcurrency).toBe(Infinity);
  });

  it('turn --tool-timeout into rules, in order, after the file\'s rules', () => {
    const r = run('--config', 'leash.json', '--tool-timeout', 'index_repo=30m', '--tool-timeout', 'search_*=5s', 'x');
    expect(r.policy.rules).toEqual([
      { tool: 'search_*', totalTimeoutMs: 20_000 },
      { tool: 'index_repo', totalTimeoutMs: 1_800_000, flag: '--tool-timeout' },
      { tool: 'search_*', totalTimeoutMs: 5_000, flag: '--tool-timeout' },
    ]);
  });

  it('let the last of a repeated option win', () => {
    expect(run('--timeout', '1s', '--timeout', '2s', 'x').policy.defaults.totalTimeoutMs).toBe(2_000);
  });

  it('answer --help and --version at once, whatever follows', () => {
    expect(parseArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parseArgs(['-h', '--bogus'])).toEqual({ kind: 'help' });
    expect(parseArgs(['--timeout', '5s', '--version'])).toEqual({ kind: 'version' });
    expect(parseArgs(['-V'])).toEqual({ kind: 'version' });
    expect(parseArgs(['--config', 'missing.json', '--help'])).toEqual({ kind: 'help' });
  });
});

describe('precedence: flags over the file over the defaults', () => {
  it('takes the file over the defaults', () => {
    const r = run('--config', 'leash.json', 'x');
    expect(r.policy.defaults).toEqual({ idleTimeoutMs: 20_000, totalTimeoutMs: 60_000, onTimeout: 'result', heartbeatMs: 5_000, maxResultBytes: 0, onLargeResult: 'truncate', detachAfterMs: 0 });
    expect(r.policy.maxConcurrency).toBe(4);
    expect(r.policy.startupTimeoutMs).toBe(DEFAULT_POLICY.startupTimeoutMs);
    expect(r.logLevel).toBe('warn');
    expect(r.logFile).toBe(join(cwd, 'from-file.log'));
    expect(r.trace).toBe(join(cwd, 'from-file.jsonl'));
    expect(r.configPath).toBe(join(cwd, 'leash.json'));
  });

  it('takes the flags over the file, whatever their order', () => {
    for (const argv of [
      ['--config', 'leash.json', '--timeout', '5s', '--heartbeat', '1s', '--max-concurrency', 'off', '--log-level', 'error', '--log-file', 'flag.log', '--trace', 'flag.jsonl'],
      ['--timeout', '5s', '--heartbeat', '1s', '--max-concurrency', 'off', '--log-level', 'error', '--log-file', 'flag.log', '--trace', 'flag.jsonl', '--config', 'leash.json'],
    ]) {
      const r = run(...argv, 'x');
      // Only what the flags name changes: the file's idle timeout and rules stay.
      expect(r.policy.defaults).toEqual({ idleTimeoutMs: 20_000, totalTimeoutMs: 5_000, onTimeout: 'result', heartbeatMs: 1_000, maxResultBytes: 0, onLargeResult: 'truncate', detachAfterMs: 0 });
      expect(r.policy.rules).toEqual([{ tool: 'search_*', totalTimeoutMs: 20_000 }]);
      expect(r.policy.maxConcurrency).toBe(Infinity);
      expect(r.logLevel).toBe('error');
      expect(r.logFile).toBe(join(cwd, 'flag.log'));
      expect(r.trace).toBe(join(cwd, 'flag.jsonl'));
    }
  });

  it('turns --timeout off for a file that sets one', () => {
    expect(run('--config', 'leash.json', '--timeout', 'off', 'x').policy.defaults.totalTimeoutMs).toBe(0);
  });
});

describe('usage errors name the option and what was expected', () => {
  it.each([
    [['--timeout', 'soon', 'x'], 'mcp-leash: --timeout: expected a duration like "30s", got "soon"'],
    [['--timeout=', 'x'], 'mcp-leash: --timeout: expected a duration like "30s", got ""'],
    [['--heartbeat', '-5', 'x'], 'mcp-leash: --heartbeat: expected a duration like "30s", got "-5"'],
    [['--max-concurrency', 'many', 'x'], 'mcp-leash: --max-concurrency: expected a positive integer, or 0 or "off" for unlimited, got "many"'],
    [['--max-concurrency', '1.5', 'x'], 'mcp-leash: --max-concurrency: expected a positive integer, or 0 or "off" for unlimited, got "1.5"'],
    [['--log-level', 'loud', 'x'], 'mcp-leash: --log-level: expected one of trace, debug, info, warn, error, fatal, silent, got "loud"'],
    [['--tool-timeout', 'search', 'x'], 'mcp-leash: --tool-timeout: expected NAME=DUR like "search_*=20s", got "search"'],
    [['--tool-timeout', 'search=fast', 'x'], 'mcp-leash: --tool-timeout search: expected a duration like "30s", got "fast"'],
    // A bare number names no unit, as in the config file (issue 21).
    [['--timeout', '30', 'x'], 'mcp-leash: --timeout: expected a duration with a unit, like "30s" (or "30ms" if 30 milliseconds were meant), got "30"'],
    [['--heartbeat=1500', 'x'], 'mcp-leash: --heartbeat: expected a duration with a unit, like "1500s" (or "1s500ms" if 1500 milliseconds were meant), got "1500"'],
    [['--tool-timeout', 'search=20', 'x'], 'mcp-leash: --tool-timeout search: expected a duration with a unit, like "20s" (or "20ms" if 20 milliseconds were meant), got "20"'],
    [['--tool-timeout', 'search_[ab]=1s', 'x'], 'mcp-leash: --tool-timeout: expected a name or a glob using only * and ?, got "search_[ab]" ("[" is not supported)'],
    [['--tool-timeout', '=1s', 'x'], 'mcp-leash: --tool-timeout: expected a non-empty name or glob, got "=1s"'],
    [['--log-file=', 'x'], 'mcp-leash: --log-file: expected a file path, got ""'],
    [['--explain-tool='], 'mcp-leash: --explain-tool: expected a tool name, got ""'],
    [['--timeout'], 'mcp-leash: --timeout needs a value (DUR); usage: mcp-leash [options] [--] <command> [args...]; see mcp-leash --help'],
    [['--log-file', '--trace', 't.jsonl', 'x'], 'mcp-leash: --log-file needs a value (FILE); usage: mcp-leash [options] [--] <command> [args...]; see mcp-leash --help'],
    [['--trace-payloads=yes', 'x'], 'mcp-leash: --trace-payloads takes no value, got "--trace-payloads=yes"'],
    [['--timout', '5s', 'x'], 'mcp-leash: unknown option "--timout" (did you mean --timeout?); see mcp-leash --help'],
    [['--tool_timeout=a=1s', 'x'], 'mcp-leash: unknown option "--tool_timeout" (did you mean --tool-timeout?); see mcp-leash --help'],
    [['-t', '5s', 'x'], 'mcp-leash: unknown option "-t"; see mcp-leash --help'],
    [['--frobnicate', 'x'], 'mcp-leash: unknown option "--frobnicate"; see mcp-leash --help'],
  ])('%j', (argv, expected) => {
    expect(usageError(...argv)).toBe(expected);
  });

  it('reports a bad config file by its name as given', () => {
    expect(usageError('--config', 'bad.json', 'x')).toBe('bad.json: defaults.totalTimeout: expected a duration like "30s", got "soon"');
    expect(usageError('--config=nope.json', 'x')).toBe(
      `nope.json: cannot read file (ENOENT: no such file or directory); looked for ${join(cwd, 'nope.json')}`,
    );
  });

  it('checks the config file even when only printing it', () => {
    expect(usageError('--config', 'bad.json', '--print-config')).toBe('bad.json: defaults.totalTimeout: expected a duration like "30s", got "soon"');
  });
});

describe('the folders of the log file and the trace (issue 21)', () => {
  const missing = join(cwd, 'no-such-folder');
  const notAFolder = join(cwd, 'leash.json');

  it.each([
    [['--log-file', 'no-such-folder/leash.log', 'x'], `mcp-leash: --log-file no-such-folder/leash.log: cannot open for writing: folder ${missing} does not exist; create it first (mcp-leash creates the file, not its folder)`],
    [['--trace', `${missing}/t.jsonl`, 'x'], `mcp-leash: --trace ${missing}/t.jsonl: cannot open for writing: folder ${missing} does not exist; create it first (mcp-leash creates the file, not its folder)`],
    [['--log-file', `${missing}/deeper/leash.log`, 'x'], `mcp-leash: --log-file ${missing}/deeper/leash.log: cannot open for writing: folder ${missing}/deeper does not exist; create it first (mcp-leash creates the file, not its folder)`],
    [['--trace', `${notAFolder}/t.jsonl`, 'x'], `mcp-leash: --trace ${notAFolder}/t.jsonl: cannot open for writing: ${notAFolder} is not a folder; give a path inside an existing folder`],
  ])('must exist for a run: %j', (argv, expected) => {
    expect(usageError(...argv)).toBe(expected);
  });

  it('are the config file\'s concern when the file names them, and it is named', () => {
    writeFileSync(join(cwd, 'far-log.json'), JSON.stringify({ logFile: 'far/leash.log' }));
    writeFileSync(join(cwd, 'far-trace.json'), JSON.stringify({ trace: 'far/t.jsonl' }));
    const far = join(cwd, 'far');
    expect(usageError('--config', 'far-log.json', 'x')).toBe(`far-log.json: logFile: cannot open for writing: folder ${far} does not exist; create it first (mcp-leash creates the file, not its folder)`);
    expect(usageError('--config', 'far-trace.json', 'x')).toBe(`far-trace.json: trace: cannot open for writing: folder ${far} does not exist; create it first (mcp-leash creates the file, not its folder)`);
    // A flag replaces the file's path, and only the flag's folder matters then.
    expect(run('--config', 'far-log.json', '--log-file', 'here.log', 'x').logFile).toBe(join(cwd, 'here.log'));
  });

  it('need not exist to print the config or explain a tool, which write neither file', () => {
    expect(run('--log-file', 'no-such-folder/leash.log', '--print-config').logFile).toBe(join(missing, 'leash.log'));
    expect(run('--trace', 'no-such-folder/t.jsonl', '--explain-tool', 'a').trace).toBe(join(missing, 't.jsonl'));
  });
});
