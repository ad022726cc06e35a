#!/usr/bin/env node
// A minimal, fast MCP server for benchmarks: raw newline-delimited JSON-RPC, no SDK, answers at
// once, so that what a benchmark measures is the proxy in front of it.
//
//   initialize              -> a fixed result
//   tools/list              -> echo, big, hold
//   tools/call echo {value} -> a text content holding JSON.stringify(value)
//   tools/call big {bytes}  -> a text content of exactly `bytes` characters (the serialised line
//                              is a little longer: JSON escapes); built once per size and cached
//   tools/call stamp        -> a text content holding the arrival time (bench/hops.mjs)
//   tools/call hold         -> never answered; a notifications/cancelled for it is noted with the
//                              arrival time and reported as a `bench/cancelled` notification
//   bench/held (request)    -> {held: N}: how many holds are waiting (a barrier for the client)
//   ping                    -> {}
//
// Times are process.hrtime.bigint() nanoseconds (CLOCK_MONOTONIC, one clock for every process
// on the machine), sent as decimal strings.

const out = process.stdout;
const held = new Set();
const bigCache = new Map();

function text(bytes) {
  // Realistic text: words, some quotes and newlines that JSON has to escape, no multi-byte chars.
  const unit = 'lorem ipsum "dolor" sit amet,\nconsectetur adipiscing elit; ';
  const reps = Math.ceil(bytes / unit.length);
  return unit.repeat(reps).slice(0, bytes);
}

/** The serialised response after its id, cached per size: `,"result":{...}}\n`. */
function bigTail(bytes) {
  let tail = bigCache.get(bytes);
  if (!tail) {
    const result = { content: [{ type: 'text', text: text(bytes) }] };
    tail = Buffer.from(`,"result":${JSON.stringify(result)}}\n`);
    bigCache.set(bytes, tail);
  }
  return tail;
}

const INIT_RESULT = {
  protocolVersion: '2025-06-18',
  capabilities: { tools: {} },
  serverInfo: { name: 'bench-fast-server', version: '1.0.0' },
};

const TOOLS = [
  { name: 'echo', description: 'returns its argument', inputSchema: { type: 'object', properties: { value: {} } } },
  { name: 'big', description: 'returns a text of `bytes` characters', inputSchema: { type: 'object', properties: { bytes: { type: 'number' } } } },
  { name: 'hold', description: 'never answers until cancelled', inputSchema: { type: 'object' } },
  { name: 'stamp', description: 'returns when the call arrived (hrtime ns)', inputSchema: { type: 'object' } },
];

let pending = [];
function send(line) {
  pending.push(line);
}
function flush() {
  if (pending.length === 0) return;
  const text = pending.length === 1 ? pending[0] : pending.join('');
  pending = [];
  out.write(text);
}

function result(id, value) {
  send(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${JSON.stringify(value)}}\n`);
}

function handle(msg) {
  const { id, method } = msg;
  if (method === undefined) return; // a response to us: we never ask
  if (id === undefined) {
    if (method === 'notifications/cancelled') {
      const at = process.hrtime.bigint();
      const requestId = msg.params?.requestId;
      held.delete(requestId);
      send(`{"jsonrpc":"2.0","method":"bench/cancelled","params":{"requestId":${JSON.stringify(requestId)},"at":"${at}"}}\n`);
    }
    return;
  }
  switch (method) {
    case 'initialize':
      return result(id, INIT_RESULT);
    case 'ping':
      return result(id, {});
    case 'tools/list':
      return result(id, { tools: TOOLS });
    case 'bench/held':
      return result(id, { held: held.size });
    case 'tools/call': {
      const name = msg.params?.name;
      const args = msg.params?.arguments ?? {};
      if (name === 'echo') return result(id, { content: [{ type: 'text', text: JSON.stringify(args.value ?? null) }] });
      if (name === 'big') {
        flush();
        out.write(`{"jsonrpc":"2.0","id":${JSON.stringify(id)}`);
        out.write(bigTail(Number(args.bytes) || 0));
        return;
      }
      if (name === 'stamp') return result(id, { content: [{ type: 'text', text: String(process.hrtime.bigint()) }] });
      if (name === 'hold') {
        held.add(id);
        return;
      }
      return send(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"error":{"code":-32602,"message":"unknown tool"}}\n`);
    }
    default:
      return send(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"error":{"code":-32601,"message":"method not found"}}\n`);
  }
}

let partial = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  let start = 0;
  for (;;) {
    const nl = chunk.indexOf('\n', start);
    if (nl === -1) break;
    const line = partial + chunk.slice(start, nl);
    partial = '';
    start = nl + 1;
    if (line.trim() === '') continue;
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      continue;
    }
    handle(msg);
  }
  partial += chunk.slice(start);
  flush();
});
process.stdin.on('end', () => {
  flush();
  process.exit(0);
});

// Pre-build big responses named on the command line, so the first one is not slower.
for (const arg of process.argv.slice(2)) {
  const m = /^--prebuild=(.+)$/.exec(arg);
  if (m) for (const n of m[1].split(',')) bigTail(Number(n));
}
