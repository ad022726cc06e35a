// The command-line options, in one table that the parser and --help both read, so that an option
// cannot exist without being documented (test/config/help.test.ts checks it). An option that sets
// a config key takes its default from the key table (./keys.ts).

import { defaultOf, rowOfFlag } from './keys.js';

export type OptionKey =
  | 'config'
  | 'timeout'
  | 'toolTimeout'
  | 'heartbeat'
  | 'detachAfter'
  | 'maxConcurrency'
  | 'logLevel'
  | 'logFile'
  | 'trace'
  | 'tracePayloads'
  | 'printConfig'
  | 'explainTool'
  | 'help'
  | 'version';

export interface OptionSpec {
  key: OptionKey;
  names: readonly string[];
  /** Placeholder for the value in --help; absent for a switch. */
  value?: string;
  help: string;
  default?: string;
}

/** The default of the config key that `flag` sets, as the key table gives it. */
function keyDefault(flag: string): { default?: string } {
  const row = rowOfFlag(flag);
  const fallback = row !== undefined ? defaultOf(row) : undefined;
  return fallback !== undefined ? { default: fallback } : {};
}

const OPTION_ROWS: readonly OptionSpec[] = [
  { key: 'config', names: ['--config'], value: 'FILE', help: 'JSON config file (see config.example.json)' },
  {
    key: 'timeout',
    names: ['--timeout'],
    value: 'DUR',
    help: 'total timeout for client requests that no rule names',
  },
  {
    key: 'toolTimeout',
    names: ['--tool-timeout'],
    value: 'NAME=DUR',
    help: 'total timeout for tool NAME, a name or glob ("search_*=20s"); repeatable',
  },
  {
    key: 'heartbeat',
    names: ['--heartbeat'],
    value: 'DUR',
    help: 'progress heartbeat for requests with a progress token',
  },
  {
    key: 'detachAfter',
    names: ['--detach-after'],
    value: 'DUR',
    help: 'turn a tool call still running after DUR into a job',
    ...keyDefault('--detach-after'),
  },
  {
    key: 'maxConcurrency',
    names: ['--max-concurrency'],
    value: 'N',
    help: 'at most N requests at the server, others queue; 0 = off',
  },
  { key: 'logLevel', names: ['--log-level'], value: 'LEVEL', help: 'trace, debug, info, warn, error, fatal or silent' },
  { key: 'logFile', names: ['--log-file'], value: 'FILE', help: 'write logs to FILE instead of stderr' },
  { key: 'trace', names: ['--trace'], value: 'FILE', help: 'write every frame, both ways, to FILE as JSONL (mode 0600)' },
  { key: 'tracePayloads', names: ['--trace-payloads'], help: 'include full payloads in the trace (they may hold secrets)' },
  { key: 'printConfig', names: ['--print-config'], help: 'print the effective config (defaults + file + flags) and exit' },
  { key: 'explainTool', names: ['--explain-tool'], value: 'NAME', help: 'print the limits a call of tool NAME gets, and their rules; exit' },
  { key: 'help', names: ['--help', '-h'], help: 'show this help and exit' },
  { key: 'version', names: ['--version', '-V'], help: 'print the version and exit' },
];

export const OPTIONS: readonly OptionSpec[] = OPTION_ROWS.map((spec) => ({ ...spec, ...keyDefault(spec.names[0]!) }));

export const OPTIONS_BY_NAME: ReadonlyMap<string, OptionSpec> = new Map(
  OPTIONS.flatMap((spec) => spec.names.map((name) => [name, spec] as const)),
);
