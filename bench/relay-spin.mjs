#!/usr/bin/env node
// The byte relay, made to spend a fixed time on every chunk it reads before passing it on. In
// sequential round trips a chunk is one message, so this shows what a proxy's per-message work
// costs a round trip, whatever the work is (bench/README.md, round trips). Pipelined, a chunk
// holds many messages, so its throughput says little.
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
// 'close', not 'exit': the child's last output may still be in the pipe when it ends.
child.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
