// Reading a valid config file without loading zod (see fast-config.ts for why). Nothing here
// reports errors: a file that cannot be read, is not JSON or is doubted yields undefined, and the
// caller asks ./load.ts, which reads it again and says what is wrong in the usual words.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DEFAULT_POLICY, type Policy } from '../policy/types.js';
import { fastParse } from './fast-config.js';
import type { ConfigFile, FileSettings } from './keys.js';
import { applyFile } from './policy-from-config.js';

export type { FileSettings };

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
  const { policy, settings } = applyFile(base, file);
  if (settings.logFile !== undefined) settings.logFile = resolve(baseDir, settings.logFile);
  if (settings.trace !== undefined) settings.trace = resolve(baseDir, settings.trace);
  if (file.spill !== undefined && policy.spill.folder !== '') policy.spill.folder = resolve(baseDir, policy.spill.folder);
  return { policy, settings };
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
