// Starting the server before mcp-leash has loaded.
//
// Most of a proxy's start-up cost is module loading (the CLI, pino, the config schema), and most
// of a server's is its own runtime booting. Done one after the other, a client waits for both
// before `initialize` is answered; started first, the server boots while mcp-leash loads. This
// module is what bin/ imports before anything else, so it must stay small: argv's shape and
// node:child_process, nothing more.
//
// The server is started only when argv is a well-formed request to run one. If mcp-leash then
// stops before proxying (a bad config file, an unwritable --trace), the server, which has not
// been sent a byte, is stopped with the usual ladder (src/cli.ts).

import { serverCommandOf } from './config/args.js';
import { spawnChild, type Child } from './shell/child.js';

export interface EarlyChild {
  command: string;
  args: string[];
  /** Rejects with SpawnError, exactly as spawnChild would; never left unhandled. */
  child: Promise<Child>;
}

export function startEarly(argv: string[], cwd = process.cwd()): EarlyChild | undefined {
  const cmd = serverCommandOf(argv);
  if (cmd === undefined) return undefined;
  const child = spawnChild(cmd.command, cmd.args, cwd);
  // The rejection is read later (runProxy reports it with exit 127); until then it must not
  // count as unhandled.
  child.catch(() => undefined);
  return { ...cmd, child };
}
