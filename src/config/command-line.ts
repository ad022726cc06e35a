// The command line as the CLI reads it: parseArgv with a config loader that keeps zod out of
// start-up. Not in args.ts, which bin/ loads before it starts the server (src/early-start.ts)
// and which must stay small.

import { parseArgv, type ParsedArgs } from './args.js';
import { DEFAULT_POLICY } from '../policy/types.js';
import { loadConfigFast, type LoadedConfig } from './load-fast.js';

/** Thrown through parseArgv by the fast loader: this file needs zod. */
const NEEDS_ZOD: unique symbol = Symbol('needs zod');

/**
 * parseArgv for the CLI. A valid config file is read without zod (~55 ms and ~13 MB of RSS saved); only
 * a file the fast path doubts, usually one with a mistake, loads zod, which then words the error.
 * parseArgv does nothing but read the file, so running it a second time changes nothing.
 */
export async function parseCommandLine(argv: string[], cwd: string, preread?: { path: string; loaded: LoadedConfig }): Promise<ParsedArgs> {
  try {
    return parseArgv(argv, cwd, (path, dir, base) => {
      // The file bin/ read before it started the server (src/early-start.ts): the run must use
      // the very config that allowed that start.
      if (preread !== undefined && path === preread.path && dir === cwd && (base ?? DEFAULT_POLICY) === DEFAULT_POLICY) return preread.loaded;
      const loaded = loadConfigFast(path, dir, base);
      if (loaded === undefined) throw NEEDS_ZOD;
      return loaded;
    });
  } catch (err) {
    if (err !== NEEDS_ZOD) throw err;
  }
  const { loadConfigFile } = await import('./load.js');
  return parseArgv(argv, cwd, loadConfigFile);
}
