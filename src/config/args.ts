// The command line: `mcp-leash [options] [--] <command> [args...]`.
//
// Precedence, lowest to highest: DEFAULT_POLICY, then the --config file, then flags. A flag
// replaces the one value it names (--timeout sets defaults.totalTimeoutMs, and leaves the file's
// rules alone); --tool-timeout rules are appended after the file's rules, so that on equal
// specificity (the resolver prefers later rules) the flag wins.
//
// Like env, nice or timeout, the first argument that is not an mcp-leash option starts the
// server command, and everything from there on belongs to the server, unparsed; `--` is optional
// because some hosts swallow it.

import { resolve } from 'node:path';
import { globError } from '../policy/glob.js';
import { DEFAULT_POLICY, type Policy } from '../policy/types.js';
import { parseDuration, show } from './duration.js';
import { ConfigError } from './errors.js';
import type { loadConfigFile } from './load.js';
import { OPTIONS_BY_NAME, type OptionSpec } from './options.js';
import { requireFolder } from './output-folder.js';
import { copyPolicy } from './policy-from-config.js';
import { LOG_LEVELS, type LogLevel } from './log-levels.js';
import { closest } from './suggest.js';

export type ParsedArgs =
  | { kind: 'help' }
  | { kind: 'version' }
  | {
      kind: 'run';
      /** The server command; '' only with printConfig or explainTool, which need none. */
      command: string;
      args: string[];
      policy: Policy;
      logLevel: LogLevel;
      /** Absolute. */
      logFile?: string;
      /** Absolute. */
      trace?: string;
      tracePayloads: boolean;
      /** Absolute. */
      configPath?: string;
      printConfig: boolean;
      explainTool?: string;
    };

const USAGE = 'usage: mcp-leash [options] [--] <command> [args...]; see mcp-leash --help';

function usage(message: string): ConfigError {
  return new ConfigError(`mcp-leash: ${message}`);
}

/** Flag values as given, validated but not yet merged. */
export interface Flags {
  config?: string;
  timeoutMs?: number;
  toolTimeouts: { tool: string; totalTimeoutMs: number }[];
  heartbeatMs?: number;
  detachAfterMs?: number;
  maxConcurrency?: number;
  logLevel?: LogLevel;
  logFile?: string;
  trace?: string;
  tracePayloads: boolean;
  printConfig: boolean;
  explainTool?: string;
}

function duration(option: string, value: string): number {
  try {
    return parseDuration(value);
  } catch (err) {
    throw usage(`${option}: ${(err as Error).message}`);
  }
}

function concurrency(value: string): number {
  if (value === 'off' || value === '0') return Infinity;
  if (/^[1-9]\d*$/.test(value)) return Number(value);
  throw usage(`--max-concurrency: expected a positive integer, or 0 or "off" for unlimited, got ${show(value)}`);
}

function toolTimeout(value: string): { tool: string; totalTimeoutMs: number } {
  // Split at the last "=": durations never contain one, tool names conceivably might.
  const at = value.lastIndexOf('=');
  if (at < 0) throw usage(`--tool-timeout: expected NAME=DUR like "search_*=20s", got ${show(value)}`);
  const tool = value.slice(0, at);
  const problem = globError(tool);
  if (problem !== undefined) {
    throw usage(`--tool-timeout: ${problem.includes(', got ') ? problem : `${problem}, got ${show(value)}`}`);
  }
  return { tool, totalTimeoutMs: duration(`--tool-timeout ${tool}`, value.slice(at + 1)) };
}

function path(option: string, value: string): string {
  if (value === '') throw usage(`${option}: expected a file path, got ""`);
  return value;
}

function apply(flags: Flags, spec: OptionSpec, name: string, value: string): void {
  switch (spec.key) {
    case 'config':
      flags.config = path(name, value);
      return;
    case 'timeout':
      flags.timeoutMs = duration(name, value);
      return;
    case 'toolTimeout':
      flags.toolTimeouts.push(toolTimeout(value));
      return;
    case 'heartbeat':
      flags.heartbeatMs = duration(name, value);
      return;
    case 'detachAfter':
      flags.detachAfterMs = duration(name, value);
      return;
    case 'maxConcurrency':
      flags.maxConcurrency = concurrency(value);
      return;
    case 'logLevel':
      if (!(LOG_LEVELS as readonly string[]).includes(value)) {
        throw usage(`${name}: expected one of ${LOG_LEVELS.join(', ')}, got ${show(value)}`);
      }
      flags.logLevel = value as LogLevel;
      return;
    case 'logFile':
      flags.logFile = path(name, value);
      return;
    case 'trace':
      flags.trace = path(name, value);
      return;
    case 'explainTool':
      if (value === '') throw usage(`${name}: expected a tool name, got ""`);
      flags.explainTool = value;
      return;
    case 'tracePayloads':
      flags.tracePayloads = true;
      return;
    case 'printConfig':
      flags.printConfig = true;
      return;
    case 'help':
    case 'version':
      return;
  }
}

function unknownOption(name: string): ConfigError {
  const guess = closest(name, [...OPTIONS_BY_NAME.keys()].filter((n) => n.startsWith('--')));
  const hint = guess !== undefined ? ` (did you mean ${guess}?)` : '';
  return usage(`unknown option "${name}"${hint}; see mcp-leash --help`);
}

/** Reads a config file; injected so that flags alone never load the config schema (zod). */
export type ConfigLoader = typeof loadConfigFile;

/** The command line read without loading anything: flags as given, and the server command. */
export type ScannedArgv =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'run'; flags: Flags; command: string | undefined; args: string[] };

/** Reads argv's shape (options, then the command); throws ConfigError on a usage mistake. */
export function scanArgv(argv: string[]): ScannedArgv {
  const flags: Flags = { toolTimeouts: [], tracePayloads: false, printConfig: false };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-')) break;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const spec = OPTIONS_BY_NAME.get(name);
    if (spec === undefined) throw unknownOption(name);
    if (spec.key === 'help') return { kind: 'help' };
    if (spec.key === 'version') return { kind: 'version' };
    let value = '';
    if (spec.value !== undefined) {
      if (eq > 0) value = arg.slice(eq + 1);
      else {
        const next = argv[i + 1];
        // "--log-file --trace x" is a forgotten value, not a file named "--trace".
        if (next === undefined || next.startsWith('--')) throw usage(`${name} needs a value (${spec.value}); ${USAGE}`);
        value = next;
        i++;
      }
    } else if (eq > 0) {
      throw usage(`${name} takes no value, got ${show(arg)}`);
    }
    apply(flags, spec, name, value);
  }
  return { kind: 'run', flags, command: argv[i], args: argv.slice(i + 1) };
}

/**
 * The loader is injected so that the CLI can keep zod out of its start-up (it calls
 * parseCommandLine from ./command-line.js); other callers use parseArgs from ./parse-args.js.
 */
export function parseArgv(argv: string[], cwd: string, load: ConfigLoader | undefined): ParsedArgs {
  const scanned = scanArgv(argv);
  if (scanned.kind !== 'run') return scanned;
  const { flags, command, args } = scanned;
  if (command === undefined && !flags.printConfig && flags.explainTool === undefined) {
    throw usage(`no server command given; ${USAGE}`);
  }

  const configPath = flags.config !== undefined ? resolve(cwd, flags.config) : undefined;
  let loaded: ReturnType<ConfigLoader> | undefined;
  if (flags.config !== undefined) {
    if (load === undefined) throw new Error('parseArgv: --config given but no config loader passed');
    loaded = load(flags.config, cwd);
  }
  const policy = copyPolicy(loaded?.policy ?? DEFAULT_POLICY);
  if (flags.timeoutMs !== undefined) policy.defaults.totalTimeoutMs = flags.timeoutMs;
  if (flags.heartbeatMs !== undefined) policy.defaults.heartbeatMs = flags.heartbeatMs;
  if (flags.detachAfterMs !== undefined) policy.defaults.detachAfterMs = flags.detachAfterMs;
  if (flags.maxConcurrency !== undefined) policy.maxConcurrency = flags.maxConcurrency;
  for (const rule of flags.toolTimeouts) policy.rules.push({ ...rule, flag: '--tool-timeout' });

  const logFile = flags.logFile !== undefined ? resolve(cwd, flags.logFile) : loaded?.settings.logFile;
  const trace = flags.trace !== undefined ? resolve(cwd, flags.trace) : loaded?.settings.trace;
  // Printing writes neither file, so only a run needs their folders.
  if (!flags.printConfig && flags.explainTool === undefined) {
    const where = (flag: string, value: string | undefined, key: string): string =>
      value !== undefined ? `mcp-leash: ${flag} ${value}` : `${flags.config ?? ''}: ${key}`;
    if (logFile !== undefined) requireFolder(logFile, where('--log-file', flags.logFile, 'logFile'));
    if (trace !== undefined) requireFolder(trace, where('--trace', flags.trace, 'trace'));
  }
  return {
    kind: 'run',
    command: command ?? '',
    args,
    policy,
    logLevel: flags.logLevel ?? loaded?.settings.logLevel ?? 'info',
    ...(logFile !== undefined && { logFile }),
    ...(trace !== undefined && { trace }),
    tracePayloads: flags.tracePayloads,
    ...(configPath !== undefined && { configPath }),
    printConfig: flags.printConfig,
    ...(flags.explainTool !== undefined && { explainTool: flags.explainTool }),
  };
}
