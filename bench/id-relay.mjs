#!/usr/bin/env node
// A lower bound for a proxy that does the per-message work CONTRACT §3, §4 and §6 require: the
// json-relay's checking, plus an id of its own for every request in either direction (and a
// progress token of its own when a client request has one), each answer's id and each
// cancellation's requestId mapped, progress mapped back to the client's token. No timers, no
// policy, no queue, no checks beyond JSON.parse, and the cheapest encodings: what changes is
// re-stringified, answers to the client are edited in place where the id leads the text, the
// rest passes as it came. What mcp-leash does beyond this subject is its own choice; what this
// subject costs, any proxy keeping the contract pays at least.
// Usage: node bench/id-relay.mjs <command> [args...]
import { spawn } from 'node:child_process';
import { eachLine } from './lib/chunk-lines.mjs';

const [command, ...args] = process.argv.slice(2);
const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });

const pending = new Map(); // our id -> the client's id
const byClientId = new Map(); // the client's id -> ours, for its cancellations
const tokens = new Map(); // our token -> the client's token
const childCalls = new Map(); // our id for one of the child's requests -> the child's id
// Far from the ids clients start from, so that an answer mapped back wrongly shows at once.
let nextId = 1_000_001;
let nextChildCall = 1;

/** A client line for the child; undefined drops it. Only what must change is re-encoded. */
function toChild(msg, text) {
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return undefined; // not a message: not sent
  if (typeof msg.method === 'string') {
    if (msg.id === undefined) {
      if (msg.method !== 'notifications/cancelled') return text;
      const ours = byClientId.get(msg.params?.requestId);
      if (ours === undefined) return undefined;
      return JSON.stringify({ ...msg, params: { ...msg.params, requestId: ours } });
    }
    const ours = nextId++;
    pending.set(ours, msg.id);
    byClientId.set(msg.id, ours);
    const out = { ...msg, id: ours };
    const meta = msg.params?._meta;
    if (meta?.progressToken !== undefined) {
      const tok = `t${ours}`;
      tokens.set(tok, meta.progressToken);
      out.params = { ...msg.params, _meta: { ...meta, progressToken: tok } };
    }
    return JSON.stringify(out);
  }
  if (msg.id === undefined) return text;
  // The client's answer to one of the child's requests.
  const theirs = childCalls.get(msg.id);
  if (theirs === undefined) return undefined;
  childCalls.delete(msg.id);
  return JSON.stringify({ ...msg, id: theirs });
}

const PREFIX = '{"jsonrpc":"2.0","id":';

/** A child line for the client; undefined drops it. */
function toClient(msg, text) {
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return undefined; // not a message: not sent
  if (msg.method === undefined && msg.id !== undefined) {
    const orig = pending.get(msg.id);
    if (orig === undefined) return undefined;
    pending.delete(msg.id);
    byClientId.delete(orig);
    tokens.delete(`t${msg.id}`);
    if (text.startsWith(PREFIX)) {
      const end = text.indexOf(',', PREFIX.length);
      return `${PREFIX}${JSON.stringify(orig)}${text.slice(end)}`;
    }
    return JSON.stringify({ ...msg, id: orig });
  }
  if (typeof msg.method === 'string' && msg.id !== undefined) {
    const ours = `c${nextChildCall++}`;
    childCalls.set(ours, msg.id);
    return JSON.stringify({ ...msg, id: ours });
  }
  const tok = msg.method === 'notifications/progress' ? msg.params?.progressToken : undefined;
  if (tok !== undefined) {
    const token = tokens.get(tok);
    if (token === undefined) return undefined;
    return JSON.stringify({ ...msg, params: { ...msg.params, progressToken: token } });
  }
  return text;
}

/** A 'data' handler: each line parsed, rewritten and written, 64 lines a write (chunk-lines.mjs). */
function lines(out, rewrite) {
  let parts = [];
  return eachLine(
    (buf, start, end) => {
      const text = buf.toString('utf8', start, end);
      let msg;
      try {
        msg = JSON.parse(text);
      } catch {
        return;
      }
      const line = rewrite(msg, text);
      if (line !== undefined) parts.push(line);
    },
    () => {
      if (parts.length) out.write(parts.join('\n') + '\n');
      parts = [];
    },
  );
}

process.stdin.on('data', lines(child.stdin, toChild));
child.stdout.on('data', lines(process.stdout, toClient));
process.stdin.on('end', () => child.stdin.end());
// 'close', not 'exit': the child's last output may still be in the pipe when it ends.
child.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
