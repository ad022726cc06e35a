#!/usr/bin/env node
// When V8 optimises (and deoptimises) mcp-leash's functions, counted in answers sent to the client.
//
// V8 prints --trace-opt and --trace-deopt on stdout, which is the protocol's. So this stands in for
// bin/mcp-leash.js: it runs the real one with those flags, passes every line that starts with `{`
// on (V8's trace lines never do), and writes everything else to a file, each line prefixed with
// `@N`, the number of messages sent to the client so far. A trace line may arrive with a message
// glued to its end (V8's stdio buffer flushes between two of Node's writes): a message that
// starts `{"jsonrpc":"2.0"` (as the bench's fast server and mcp-leash's own answers do) is split
// off and passed on; other servers' layouts are not looked for.
// For small messages only: a message long enough to be written in several pieces (a large answer)
// can get a trace line inside it, and then reaches the client broken.
//
// Usage:
//   BENCH_LEASH_BIN=bench/tierup.mjs node bench/hops.mjs mcp-leash
//   TIERUP_OUT=/tmp/tierup.txt (default: tierup.txt in the OS temp dir)
//   TIERUP_FLAGS="--trace-opt --trace-deopt" (the default)
// then, say, `grep marking /tmp/tierup.txt` for when each function was queued for TurboFan.

import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../bin/mcp-leash.js');
const MESSAGE = '{"jsonrpc":"2.0"';
const flags = (process.env.TIERUP_FLAGS ?? '--trace-opt --trace-deopt').split(' ').filter(Boolean);
const outPath = process.env.TIERUP_OUT ?? join(tmpdir(), 'tierup.txt');
const trace = createWriteStream(outPath);

const child = spawn(process.execPath, [...flags, BIN, ...process.argv.slice(2)], { stdio: ['inherit', 'pipe', 'inherit'] });
let sent = 0;
let rest = '';
child.stdout.setEncoding('utf8');
child.stdout.on('data', (text) => {
  rest += text;
  let out = '';
  for (let nl = rest.indexOf('\n'); nl >= 0; nl = rest.indexOf('\n')) {
    const line = rest.slice(0, nl + 1);
    rest = rest.slice(nl + 1);
    const at = line.startsWith('{') ? 0 : line.indexOf(MESSAGE);
    if (at > 0) trace.write(`@${sent} ${line.slice(0, at)}\n`);
    if (at >= 0) {
      out += line.slice(at);
      sent++;
    } else {
      trace.write(`@${sent} ${line}`);
    }
  }
  if (out) process.stdout.write(out);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
// 'close', not 'exit': the last messages may still be in the pipe when the process ends.
child.on('close', (code, signal) => {
  if (rest) trace.write(`@${sent} ${rest}\n`);
  trace.end(() => {
    process.stderr.write(`tierup: V8's trace is in ${outPath}\n`);
    process.exit(code ?? (signal ? 1 : 0));
  });
});
