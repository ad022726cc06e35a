#!/usr/bin/env node
// The floor for a proxy that checks what it forwards: split each chunk into lines, JSON.parse
// every line, and pass the lines on as the very bytes they came in (one write per chunk). No ids
// rewritten, no tables, no timers. CONTRACT §2 and §9 ask mcp-leash to write nothing but valid JSON
// messages, so it must look at every line at least this much: the gap between this subject and
// the byte relay is what checking alone costs, before any of mcp-leash's own work.
// A line that does not parse is dropped (mcp-leash answers or logs it; here it is only not sent).
// Usage: node bench/json-relay.mjs <command> [args...]
import { spawn } from 'node:child_process';

const [command, ...args] = process.argv.slice(2);
const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });

/** Returns a 'data' handler that writes the checked lines of each chunk to `out`. */
function checked(out) {
  let held = [];
  return (chunk) => {
    let nl = chunk.indexOf(10);
    if (nl === -1) {
      held.push(chunk);
      return;
    }
    const parts = [];
    let start = 0;
    if (held.length) {
      // A line that spans chunks is joined once, when its end arrives.
      held.push(chunk.subarray(0, nl + 1));
      const line = Buffer.concat(held);
      held = [];
      if (parses(line, 0, line.length - 1)) parts.push(line);
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    // Runs of good lines go out as views of the chunk, uncopied, every LINES_PER_WRITE lines (as
    // mcp-leash does: the next process starts on them while this one parses the rest).
    let runStart = start;
    let lines = 0;
    for (; nl !== -1; nl = chunk.indexOf(10, start)) {
      if (!parses(chunk, start, nl)) {
        if (start > runStart) parts.push(chunk.subarray(runStart, start));
        runStart = nl + 1;
      }
      start = nl + 1;
      if (++lines === LINES_PER_WRITE) {
        if (start > runStart) parts.push(chunk.subarray(runStart, start));
        runStart = start;
        write(out, parts);
        lines = 0;
      }
    }
    if (start > runStart) parts.push(chunk.subarray(runStart, start));
    if (start < chunk.length) held.push(chunk.subarray(start));
    write(out, parts);
  };
}

const LINES_PER_WRITE = 64;

function write(out, parts) {
  if (parts.length === 1) out.write(parts[0]);
  else if (parts.length > 1) out.write(Buffer.concat(parts));
  parts.length = 0;
}

function parses(buf, start, end) {
  try {
    JSON.parse(buf.toString('utf8', start, end));
    return true;
  } catch {
    return false;
  }
}

process.stdin.on('data', checked(child.stdin));
child.stdout.on('data', checked(process.stdout));
process.stdin.on('end', () => child.stdin.end());
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
