#!/usr/bin/env node
// The floor for a proxy that checks what it forwards: split each chunk into lines, JSON.parse
// every line, and pass the lines on as the very bytes they came in (a write every 64 lines). No ids
// rewritten, no tables, no timers. CONTRACT §2 and §9 ask mcp-leash to write nothing but valid JSON
// messages, so it must look at every line at least this much: the gap between this subject and
// the byte relay is what checking alone costs, before any of mcp-leash's own work.
// A line that does not parse is dropped (mcp-leash answers or logs it; here it is only not sent).
// Usage: node bench/json-relay.mjs <command> [args...]
import { spawn } from 'node:child_process';
import { eachLine } from './lib/chunk-lines.mjs';

const [command, ...args] = process.argv.slice(2);
const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });

/**
 * Returns a 'data' handler that writes the checked lines of each chunk to `out`: runs of good
 * lines go out as views of the chunk, uncopied (a line cut between chunks is joined once, by
 * chunk-lines.mjs), every 64 lines, as mcp-leash does.
 */
function checked(out) {
  const parts = [];
  let runBuf; // the bytes [runStart, runEnd) of runBuf are good lines not yet in parts
  let runStart = 0;
  let runEnd = 0;
  const cut = () => {
    if (runEnd > runStart) parts.push(runBuf.subarray(runStart, runEnd));
    runStart = runEnd;
  };
  return eachLine(
    (buf, start, end) => {
      if (buf !== runBuf || start !== runEnd) {
        cut();
        runBuf = buf;
        runStart = runEnd = start;
      }
      if (parses(buf, start, end)) runEnd = end + 1;
      else {
        cut(); // the good lines before it go; the run starts again after it
        runStart = runEnd = end + 1;
      }
    },
    () => {
      cut();
      runBuf = undefined;
      if (parts.length === 1) out.write(parts[0]);
      else if (parts.length > 1) out.write(Buffer.concat(parts));
      parts.length = 0;
    },
  );
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
// 'close', not 'exit': the child's last output may still be in the pipe when it ends.
child.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
