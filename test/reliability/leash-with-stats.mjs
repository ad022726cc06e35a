#!/usr/bin/env node
// mcp-leash, run exactly as bin/mcp-leash.js runs it (same argument parsing, logger, runProxy from
// dist/), plus a window on the core for the soak run: on SIGUSR2 it writes the session's inFlight
// count, the child's state and its own memory to $LEASH_STATS_FILE (JSON, rewritten each time),
// and at exit the same to $LEASH_STATS_FILE.exit. Uses ProxyOptions.onSession, which exists for this.
//
// Needs a build (npm run build). If the CLI gains such a hook itself (e.g. `inFlight` in its
// 'server stopped' log line), the soak can drop this file and run bin/mcp-leash.js.

import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

// LEASH_DIST points at another build (a straw man, or a patched copy), like LEASH_E2E_BIN does for the e2e suite.
const dist = process.env.LEASH_DIST ? pathToFileURL(`${resolve(process.env.LEASH_DIST)}/`) : new URL('../../dist/', import.meta.url);
const { parseArgs } = await import(new URL('config/parse-args.js', dist).href);
const { createLogger } = await import(new URL('log.js', dist).href);
const { runProxy } = await import(new URL('shell/proxy.js', dist).href);

const statsFile = process.env.LEASH_STATS_FILE;
let session;

function stats(extra = {}) {
  return JSON.stringify({ t: Date.now(), inFlight: session?.inFlight, childState: session?.childState, memory: process.memoryUsage(), ...extra });
}

process.on('SIGUSR2', () => {
  if (statsFile) writeFileSync(statsFile, stats());
});

const parsed = parseArgs(process.argv.slice(2));
if (parsed.kind !== 'run') {
  process.stderr.write('leash-with-stats: only runs a server\n');
  process.exit(2);
}
const logger = createLogger({ level: parsed.logLevel, file: parsed.logFile });
const code = await runProxy({
  command: parsed.command,
  args: parsed.args,
  policy: parsed.policy,
  logger,
  onSession: (s) => {
    session = s;
  },
});
if (statsFile) writeFileSync(`${statsFile}.exit`, stats({ code }));
if (process.stdout.writableLength > 0) await new Promise((r) => process.stdout.once('drain', r));
process.exit(code);
