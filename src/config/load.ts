// Reading a config file: bytes -> JSON -> validated config -> Policy. Synchronous, because it
// runs once at startup, before anything is spawned, and a failure ends the process with exit 2.
// This module loads zod, for its error messages; the CLI first tries ./load-fast.ts, which does
// not, and comes here only for a file that one doubts.

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { DEFAULT_POLICY, type Policy } from '../policy/types.js';
import { ConfigError } from './errors.js';
import { fastParse } from './fast-config.js';
import { describeIssues, expectation } from './issues.js';
import { findJsonSyntaxError, lineColumn } from './json-syntax.js';
import { stripBom, toLoadedConfig, type LoadedConfig } from './load-fast.js';
import type { ConfigFile } from './keys.js';
import { configSchema } from './schema.js';

export type { FileSettings, LoadedConfig } from './load-fast.js';

function invalidJson(label: string, text: string, err: unknown): ConfigError {
  const found = findJsonSyntaxError(text);
  if (found !== undefined) {
    const { line, column } = lineColumn(text, found.offset);
    return new ConfigError(`${label}: line ${line}, column ${column}: invalid JSON (${found.reason})`);
  }
  // Only reached if the scanner is more lenient than V8; fall back on V8's own position.
  const message = err instanceof Error ? err.message : String(err);
  const at = /at position (\d+)/.exec(message);
  const where = at ? (({ line, column }) => `line ${line}, column ${column}: `)(lineColumn(text, Number(at[1]))) : '';
  return new ConfigError(`${label}: ${where}invalid JSON (${message.replace(/ in JSON at position \d+.*$/s, '')})`);
}

function validate(json: unknown, label: string): ConfigFile {
  const parsed = configSchema.safeParse(json, { error: expectation, reportInput: true });
  if (!parsed.success) throw new ConfigError(`${label}: ${describeIssues(parsed.error.issues, configSchema)}`);
  return parsed.data as ConfigFile;
}

/**
 * Validates config text. `label` names the file in messages (as the user wrote it); relative
 * paths inside the file are resolved against `baseDir`, the file's own directory, because the
 * working directory of a process started by an MCP host is rarely where the config lives.
 */
export function parseConfigText(text: string, label: string, baseDir: string, base: Policy = DEFAULT_POLICY): LoadedConfig {
  const body = stripBom(text);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    throw invalidJson(label, body, err);
  }
  // The fast path here too, so that every test of a valid file also exercises it.
  return toLoadedConfig(fastParse(json) ?? validate(json, label), baseDir, base);
}

function readError(label: string, path: string, err: unknown): ConfigError {
  const e = err as NodeJS.ErrnoException;
  // "ENOENT: no such file or directory, open '/x'" and "EISDIR: ..., read": the syscall is noise.
  const reason = (e.message ?? String(err)).replace(/, \w+(?: '.*')?$/s, '');
  const looked = isAbsolute(label) ? '' : `; looked for ${path}`;
  return new ConfigError(`${label}: cannot read file (${reason})${looked}`);
}

/** Loads a config file; `path` is as the user gave it, resolved against `cwd`. */
export function loadConfigFile(path: string, cwd: string = process.cwd(), base: Policy = DEFAULT_POLICY): LoadedConfig {
  const absolute = resolve(cwd, path);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (err) {
    throw readError(path, absolute, err);
  }
  return parseConfigText(text, path, dirname(absolute), base);
}
