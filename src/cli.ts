// Command line: argv -> options -> the shell; outcomes -> exit codes. Tests import main() too.

import { readFileSync } from 'node:fs';
import { parseCommandLine } from './config/command-line.js';
import { ConfigError } from './config/errors.js';
import { HELP_TEXT } from './config/help.js';
import { explainTool, policyToConfig } from './config/print.js';
import { createLogger, type Logger } from './log.js';
import { printForPerson, protocolOut } from './stdout.js';
import { runReport } from './report/index.js';
import type { EarlyChild } from './early-start.js';
import { DEFAULT_POLICY } from './policy/types.js';
import { runProxy } from './shell/proxy.js';
import { stopChild } from './shell/shutdown.js';
import { createRedactor } from './trace/redact.js';
import { TraceWriter } from './trace/writer.js';

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Runs mcp-leash and exits the process with its code. */
export async function main(argv: string[], early?: EarlyChild): Promise<void> {
  const code = await run(argv, early);
  process.exitCode = code;
  // stdout is the protocol link: wait until what we wrote has been handed to the OS.
  if (protocolOut.writableLength > 0) await new Promise((r) => protocolOut.once('drain', r));
  process.exit(code);
}

/** `early`: the server, already started by bin/ from the same argv (src/early-start.ts). */
export async function run(argv: string[], early?: EarlyChild): Promise<number> {
  let handedOver = false;
  try {
    return await runWith(argv, early, () => (handedOver = true));
  } finally {
    // Not proxied (an error after the early start): the server was never sent a byte; stop it.
    if (early && !handedOver) await stopEarly(early);
  }
}

async function stopEarly(early: EarlyChild): Promise<void> {
  await early.child.then((c) => stopChild(c, DEFAULT_POLICY.shutdown), () => undefined);
  early.release();
}

async function runWith(argv: string[], early: EarlyChild | undefined, handOver: () => void): Promise<number> {
  // `mcp-leash report FILE`: a subcommand, not a server command (run a server named "report"
  // with `mcp-leash -- report`).
  if (argv[0] === 'report') return runReport(argv.slice(1), { stdout: { write: printForPerson }, stderr: process.stderr });
  let parsed;
  try {
    // A valid config file is read without zod; only a doubtful one loads it, to word the error.
    parsed = await parseCommandLine(argv, process.cwd(), early?.config);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
  if (parsed.kind === 'help') {
    // No protocol session runs with --help or --version, so stdout is free for a person to pipe.
    printForPerson(HELP_TEXT);
    return 0;
  }
  if (parsed.kind === 'version') {
    printForPerson(`${version()}\n`);
    return 0;
  }
  if (parsed.printConfig || parsed.explainTool !== undefined) {
    const { policy, logLevel, logFile, trace } = parsed;
    const text = parsed.explainTool !== undefined
      ? explainTool(policy, parsed.explainTool)
      : JSON.stringify(policyToConfig(policy, { logLevel, logFile, trace }), null, 2);
    printForPerson(`${text}\n`);
    return 0;
  }
  let trace: TraceWriter | undefined;
  if (parsed.trace !== undefined) {
    try {
      // Only the command's name: its arguments may hold secrets.
      trace = new TraceWriter(parsed.trace, { payloads: parsed.tracePayloads, command: parsed.command, redact: createRedactor(parsed.policy.redactKeys) });
    } catch (e) {
      process.stderr.write(`mcp-leash: --trace ${parsed.trace}: cannot open for writing (${(e as NodeJS.ErrnoException).code ?? String(e)})\n`);
      return 2;
    }
  }
  let logger: Logger;
  try {
    logger = createLogger({ level: parsed.logLevel, file: parsed.logFile, redactKeys: parsed.policy.redactKeys });
  } catch (e) {
    process.stderr.write(`mcp-leash: log file ${parsed.logFile ?? ''}: cannot open for writing (${(e as NodeJS.ErrnoException).code ?? String(e)})\n`);
    await trace?.close();
    return 2;
  }
  try {
    const tap = trace !== undefined ? { tap: trace } : {};
    // The early child is the one argv names; a mismatch would be a bug in startEarly, and the
    // proxy then starts its own.
    const same = early !== undefined && early.command === parsed.command && early.args.join('\0') === parsed.args.join('\0');
    if (early !== undefined && !same) await stopEarly(early);
    if (early !== undefined) handOver();
    const started = same ? { child: early.child, onSignalsHandled: early.release } : {};
    return await runProxy({ command: parsed.command, args: parsed.args, policy: parsed.policy, logger, logsToFile: parsed.logFile !== undefined, ...tap, ...started });
  } catch (e) {
    logger.fatal({ err: e }, 'mcp-leash failed');
    process.stderr.write(`mcp-leash: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 70;
  } finally {
    await trace?.close();
    logger.flush?.();
  }
}
