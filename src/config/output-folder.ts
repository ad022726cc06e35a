// The folders of --log-file and --trace (and of logFile and trace in the config file) must
// exist: mcp-leash creates the files, never the folders. A folder that is missing is more often
// a typo or a wrong working directory than a wish, and creating it would hide that (issue 21:
// the log file used to create its folder while the trace refused; now both refuse, alike).

import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from './errors.js';

/**
 * Throws a ConfigError when the folder of `file` (absolute) is missing or is not a folder.
 * `where` says who asked for the file: "mcp-leash: --log-file logs/x.log" or "leash.json: logFile".
 */
export function requireFolder(file: string, where: string): void {
  const folder = dirname(file);
  let isFolder: boolean;
  try {
    isFolder = statSync(folder).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR') return; // opening the file will say
    throw new ConfigError(`${where}: cannot open for writing: folder ${folder} does not exist; create it first (mcp-leash creates the file, not its folder)`);
  }
  if (!isFolder) throw new ConfigError(`${where}: cannot open for writing: ${folder} is not a folder; give a path inside an existing folder`);
}
