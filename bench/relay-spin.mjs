#!/usr/bin/env node
// The byte relay, made to spend a fixed time on every chunk before passing it on: how much does a
// proxy's per-message work cost a round trip, whatever the work is? (bench/README.md, round trips)
// Usage: node bench/relay-spin.mjs <microseconds> <command> [args...]
import { spawn } from 'node:child_process';

const [us, command, ...args] = process.argv.slice(2);
const spinNs = BigInt(Math.round(Number(us) * 1000));
const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });

/** Busy for spinNs: stands for parsing and bookkeeping, without allocating or yielding. */
function spin() {
  const until = process.hrtime.bigint() + spinNs;
  while (process.hrtime.bigint() < until);
}

process.stdin.on('data', (chunk) => {
  spin();
  if (!child.stdin.write(chunk)) process.stdin.pause();
});
child.stdin.on('drain', () => process.stdin.resume());
child.stdout.on('data', (chunk) => {
  spin();
  if (!process.stdout.write(chunk)) child.stdout.pause();
});
process.stdout.on('drain', () => child.stdout.resume());
process.stdin.on('end', () => child.stdin.end());
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
