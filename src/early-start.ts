// Starting the server before mcp-leash has loaded.
//
// Most of a proxy's start-up cost is module loading (the CLI, pino), and most of a server's is
// its own runtime booting. Done one after the other, a client waits for both before `initialize`
// is answered; started first, the server boots while mcp-leash loads. This module is what bin/
// imports before anything else, so it stays small: argv's shape, the zod-free config reader and
// node:child_process.
//
// A usage or config mistake must be refused before anything is spawned (CONTRACT §1), so the
// server is started early only when nothing can refuse the run any more: argv is a well-formed
// request to run a server, and its config file, if any, is a regular file that passes the
// zod-free check. That file is read here once, and the CLI uses what was read (a second read
// could see another file: a FIFO gives its text once, an editor may save in between). A doubted
// file (usually a mistake) and a trace file (opening it may fail with exit 2) leave the start to
// the ordinary path, after everything was checked; a log file is opened here the way the logger
// will open it (creating the file, never its folder, as the logger would), and one that cannot
// be does the same.
//
// Until the proxy has its own signal handlers, the early server is mcp-leash's to stop: a signal
// in that window (or mcp-leash dying while it loads) must not leave it running in its own process
// group. It has been sent nothing, so it is killed outright.

import { closeSync, openSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { scanArgv } from './config/args.js';
import { loadConfigFast, type LoadedConfig } from './config/load-fast.js';
import { spawnChild, type Child } from './shell/child.js';
import { signalNumber, STOP_SIGNALS } from './shell/signals.js';

export interface EarlyChild {
  command: string;
  args: string[];
  /** Rejects with SpawnError, exactly as spawnChild would; never left unhandled. */
  child: Promise<Child>;
  /** The config file as read before the spawn: `path` as argv gives it. */
  config?: { path: string; loaded: LoadedConfig };
  /** Hands the child over: the caller now has its own signal handlers and stops it itself. */
  release(): void;
}

export function startEarly(argv: string[], cwd = process.cwd()): EarlyChild | undefined {
  if (argv[0] === 'report') return undefined;
  let scanned;
  try {
    scanned = scanArgv(argv);
  } catch {
    return undefined; // a usage mistake: the CLI says what it is
  }
  if (scanned.kind !== 'run' || scanned.command === undefined) return undefined;
  const { flags, command, args } = scanned;
  if (flags.printConfig || flags.explainTool !== undefined || flags.trace !== undefined) return undefined;
  let logFile = flags.logFile !== undefined ? resolve(cwd, flags.logFile) : undefined;
  let config: EarlyChild['config'];
  if (flags.config !== undefined) {
    if (!isRegularFile(resolve(cwd, flags.config))) return undefined;
    const loaded = loadConfigFast(flags.config, cwd);
    if (loaded === undefined || loaded.settings.trace !== undefined) return undefined;
    logFile ??= loaded.settings.logFile;
    config = { path: flags.config, loaded };
  }
  if (logFile !== undefined && !canAppend(logFile)) return undefined;
  const child = spawnChild(command, args, cwd);
  // The rejection is read later (runProxy reports it with exit 127); until then it must not
  // count as unhandled.
  child.catch(() => undefined);
  let started: Child | undefined;
  void child.then((c) => (started = c), () => undefined);
  const kill = (): void => started?.signalGroup('SIGKILL');
  const onSignal = (sig: NodeJS.Signals): void => {
    kill();
    process.exit(128 + signalNumber(sig));
  };
  for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
  process.on('exit', kill);
  const release = (): void => {
    for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
    process.off('exit', kill);
  };
  return { command, args, child, ...(config && { config }), release };
}

function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** What pino.destination() does with the log file, without writing to it; a missing folder is the CLI's to refuse. */
function canAppend(file: string): boolean {
  try {
    closeSync(openSync(file, 'a'));
    return true;
  } catch {
    return false;
  }
}
