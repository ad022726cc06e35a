#!/usr/bin/env node
// The floor for a proxy that does the per-message work CONTRACT §3 and §6 require and nothing
// else: the json-relay's checking, plus an id of its own for every client request (and a
// progress token of its own when the request has one), with each answer's id mapped back. No
// timers, no policy, no queue, no checks beyond JSON.parse, and the cheapest encodings: requests
// re-stringified, answers edited in place where the id leads the text. What mcp-leash does beyond
// this subject is its own choice; what this subject costs, any proxy honouring the contract pays.
// Usage: node bench/id-relay.mjs <command> [args...]
import { spawn } from 'node:child_process';

const [command, ...args] = process.argv.slice(2);
const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });

const LINES_PER_WRITE = 64;
const pending = new Map(); // our id -> the client's id
const tokens = new Map(); // our token -> the client's token
let nextId = 1;

function toChild(msg) {
  if (typeof msg.method !== 'string' || msg.id === undefined) return JSON.stringify(msg);
  const ours = nextId++;
  pending.set(ours, msg.id);
  const out = { ...msg, id: ours };
  const meta = msg.params?._meta;
  if (meta?.progressToken !== undefined) {
    const tok = `t${ours}`;
    tokens.set(tok, { token: meta.progressToken, id: ours });
    out.params = { ...msg.params, _meta: { ...meta, progressToken: tok } };
  }
  return JSON.stringify(out);
}

const PREFIX = '{"jsonrpc":"2.0","id":';

function toClient(msg, text) {
  if (msg.method === undefined && msg.id !== undefined) {
    const orig = pending.get(msg.id);
    if (orig === undefined) return undefined;
    pending.delete(msg.id);
    tokens.delete(`t${msg.id}`);
    if (text.startsWith(PREFIX)) {
      const end = text.indexOf(',', PREFIX.length);
      return `${PREFIX}${JSON.stringify(orig)}${text.slice(end)}`;
    }
    return JSON.stringify({ ...msg, id: orig });
  }
  const tok = msg.method === 'notifications/progress' ? msg.params?.progressToken : undefined;
  if (tok !== undefined) {
    const t = tokens.get(tok);
    if (!t) return undefined;
    return JSON.stringify({ ...msg, params: { ...msg.params, progressToken: t.token } });
  }
  return text;
}

function lines(out, rewrite) {
  let held = [];
  let parts = [];
  const one = (text) => {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    const line = rewrite(msg, text);
    if (line !== undefined) parts.push(line);
  };
  const write = () => {
    if (parts.length) out.write(parts.join('\n') + '\n');
    parts = [];
  };
  return (chunk) => {
    let start = 0;
    let nl = chunk.indexOf(10);
    if (nl === -1) {
      held.push(chunk);
      return;
    }
    if (held.length) {
      held.push(chunk.subarray(0, nl));
      one(Buffer.concat(held).toString());
      held = [];
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    let n = 0;
    for (; nl !== -1; nl = chunk.indexOf(10, start)) {
      one(chunk.toString('utf8', start, nl));
      start = nl + 1;
      if (++n === LINES_PER_WRITE) {
        write();
        n = 0;
      }
    }
    if (start < chunk.length) held.push(chunk.subarray(start));
    write();
  };
}

process.stdin.on('data', lines(child.stdin, toChild));
child.stdout.on('data', lines(process.stdout, toClient));
process.stdin.on('end', () => child.stdin.end());
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
