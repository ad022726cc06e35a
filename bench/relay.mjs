#!/usr/bin/env node
// The floor for any proxy process in Node: a byte relay that parses nothing.
// Usage: node bench/relay.mjs <command> [args...]
import { spawn } from 'node:child_process';

const [command, ...args] = process.argv.slice(2);
const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
process.stdin.pipe(child.stdin);
child.stdout.pipe(process.stdout);
// 'close', not 'exit': the child's last output may still be in the pipe when it ends.
child.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
