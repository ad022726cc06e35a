// Reading a valid config file without loading zod (see fast-config.ts for why). Nothing here
// reports errors: a file that cannot be read, is not JSON or is doubted yields undefined, and the
// caller asks ./load.ts, which reads it again and says what is wrong in the usual words.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DEFAULT_POLICY, type Policy } from '../policy/types.js';
import { fastParse } from './fast-config.js';
import { applyConfig } from './policy-from-config.js';
import type { ConfigFile, LogLevel } from './schema.js';

/** Settings in the file that are not timeout policy. Paths are absolute. */
export interface FileSettings {
  logLevel?: LogLevel;
  logFile?: string;
  trace?: string;
}

export interface LoadedConfig {
  policy: Policy;
  settings: FileSettings;
}

export function stripBom(text: string): string {
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

/**
 * A validated file on top of `base`. Relative paths inside the file are resolved against
 * `baseDir`, the file's own directory, because the working directory of a process started by an
 * MCP host is rarely where the config lives.
 */
export function toLoadedConfig(file: ConfigFile, baseDir: string, base: Policy): LoadedConfig {
  const settings: FileSettings = {};
  if (file.logLevel !== undefined) settings.logLevel = file.logLevel;
  if (file.logFile !== undefined) settings.logFile = resolve(baseDir, file.logFile);
  if (file.trace !== undefined) settings.trace = resolve(baseDir, file.trace);
  return { policy: applyConfig(base, file), settings };
}

/**
 * loadConfigFile's result for a file the fast path is sure of, else undefined (then call
 * loadConfigFile from ./load.js, which loads zod, for the result or the error).
 */
export function loadConfigFast(path: string, cwd: string = process.cwd(), base: Policy = DEFAULT_POLICY): LoadedConfig | undefined {
  const absolute = resolve(cwd, path);
  let json: unknown;
  try {
    json = JSON.parse(stripBom(readFileSync(absolute, 'utf8')));
  } catch {
    return undefined;
  }
  const file = fastParse(json);
  return file === undefined ? undefined : toLoadedConfig(file, dirname(absolute), base);
}
