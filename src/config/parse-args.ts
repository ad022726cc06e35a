// parseArgv with the config loader always at hand: for callers that do not mind loading zod.

import { parseArgv, type ParsedArgs } from './args.js';
import { loadConfigFile } from './load.js';

export type { ParsedArgs };

export function parseArgs(argv: string[], cwd: string = process.cwd()): ParsedArgs {
  return parseArgv(argv, cwd, loadConfigFile);
}
