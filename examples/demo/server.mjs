#!/usr/bin/env node
// A legacy MCP server, the kind mcp-leash exists for: plain Node, raw newline-delimited JSON-RPC
// on stdin/stdout, protocol 2024-11-05. It never sends progress and ignores cancellation, except
// in the one tool that says otherwise. Run it behind mcp-leash by hand:
//
//   npx mcp-leash --config examples/demo/leash.json -- node examples/demo/server.mjs
//
// Tools:
//   slow_report       silent for ~8 s, then answers. Clients with a short timeout give up on it.
//   hang              never answers.
//   stubborn          works for ~6 s and answers even when cancelled (a late answer).
//   cancellable_work  works for 10 s; on notifications/cancelled it stops and logs "stopped work".
//   index_repo        silent for ~20 s, then answers: longer than a host with a hard 10 s limit allows.
//
// What it does goes to stderr, prefixed "[demo-server]", so that you can watch it.

import { createInterface } from 'node:readline';

const SLOW_REPORT_MS = Number(process.env.DEMO_SLOW_REPORT_MS ?? 8000);
const STUBBORN_MS = Number(process.env.DEMO_STUBBORN_MS ?? 6000);
const CANCELLABLE_MS = Number(process.env.DEMO_CANCELLABLE_MS ?? 10000);
const INDEX_MS = Number(process.env.DEMO_INDEX_MS ?? 20000);

const started = Date.now();
// Each line carries the server's own clock (epoch ms), so the demo can show it in time order with
// the heartbeats: stderr and stdout are two pipes, and their lines arrive in no fixed order.
const log = (line) => process.stderr.write(`[demo-server ${Date.now()}] ${line}\n`);
const send = (msg) => process.stdout.write(JSON.stringify(msg) + '\n');
const text = (t, isError = false) => ({ content: [{ type: 'text', text: t }], ...(isError ? { isError: true } : {}) });

const TOOLS = [
  { name: 'slow_report', description: 'Builds a report. Takes about 8 seconds and says nothing meanwhile.', inputSchema: { type: 'object', properties: { topic: { type: 'string' } } } },
  { name: 'hang', description: 'Never answers (a bug in the server).', inputSchema: { type: 'object', properties: {} } },
  { name: 'stubborn', description: 'Works for about 6 seconds and ignores cancellation.', inputSchema: { type: 'object', properties: {} } },
  { name: 'cancellable_work', description: 'Works for 10 seconds; stops when cancelled.', inputSchema: { type: 'object', properties: {} } },
  { name: 'index_repo', description: 'Indexes a repository. Takes about 20 seconds and says nothing meanwhile.', inputSchema: { type: 'object', properties: {} } },
];

/** Work in progress, by request id, for the one tool that listens to cancellation. */
const cancellable = new Map();

function callTool(id, name) {
  switch (name) {
    case 'slow_report':
      log(`slow_report (request ${id}): crunching numbers, back in ${SLOW_REPORT_MS / 1000}s`);
      setTimeout(() => {
        log(`slow_report (request ${id}): done, answering`);
        send({ jsonrpc: '2.0', id, result: text('Quarterly report: 42 widgets sold, 7 returned, 3 lost in the mail.') });
      }, SLOW_REPORT_MS);
      return;
    case 'hang':
      log(`hang (request ${id}): waiting for something that will never happen`);
      return;
    case 'index_repo':
      log(`index_repo (request ${id}): indexing, back in ${INDEX_MS / 1000}s`);
      setTimeout(() => {
        log(`index_repo (request ${id}): done, answering`);
        send({ jsonrpc: '2.0', id, result: text('Indexed 1,204 files (3 skipped: binary).') });
      }, INDEX_MS);
      return;
    case 'stubborn': {
      log(`stubborn (request ${id}): started, ${STUBBORN_MS / 1000}s of work`);
      let step = 0;
      const steps = Math.max(1, Math.round(STUBBORN_MS / 1000));
      const timer = setInterval(() => {
        step++;
        if (step < steps) {
          log(`stubborn (request ${id}): still working (${step}/${steps})`);
          return;
        }
        clearInterval(timer);
        log(`stubborn (request ${id}): finished, answering anyway`);
        send({ jsonrpc: '2.0', id, result: text('stubborn: finished at last') });
      }, STUBBORN_MS / steps);
      return;
    }
    case 'cancellable_work': {
      log(`cancellable_work (request ${id}): started, ${CANCELLABLE_MS / 1000}s of work`);
      const timer = setTimeout(() => {
        cancellable.delete(id);
        log(`cancellable_work (request ${id}): done, answering`);
        send({ jsonrpc: '2.0', id, result: text('cancellable_work: all done') });
      }, CANCELLABLE_MS);
      cancellable.set(id, timer);
      return;
    }
    default:
      send({ jsonrpc: '2.0', id, error: { code: -32602, message: `Unknown tool: ${name}` } });
  }
}

function handle(msg) {
  const { id, method, params } = msg;
  if (method === 'notifications/cancelled') {
    const requestId = params?.requestId;
    const timer = cancellable.get(requestId);
    if (timer !== undefined) {
      clearTimeout(timer);
      cancellable.delete(requestId);
      log(`cancellable_work (request ${requestId}): got notifications/cancelled (${params?.reason ?? 'no reason'}): stopped work`);
    } else {
      log(`got notifications/cancelled for request ${requestId}: ignoring it, this server does not do cancellation`);
    }
    return;
  }
  if (id === undefined) return; // other notifications
  switch (method) {
    case 'initialize': {
      const asked = params?.protocolVersion;
      const known = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'];
      send({
        jsonrpc: '2.0',
        id,
        result: {
          protocolVersion: known.includes(asked) ? asked : '2024-11-05',
          capabilities: { tools: {} },
          serverInfo: { name: 'mcp-leash-demo-server', version: '1.0.0' },
        },
      });
      return;
    }
    case 'ping':
      send({ jsonrpc: '2.0', id, result: {} });
      return;
    case 'tools/list':
      send({ jsonrpc: '2.0', id, result: { tools: TOOLS } });
      return;
    case 'tools/call':
      callTool(id, params?.name);
      return;
    default:
      send({ jsonrpc: '2.0', id, error: { code: -32601, message: `Method not found: ${method}` } });
  }
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (!line.trim()) return;
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    log(`could not parse: ${line.slice(0, 80)}`);
    return;
  }
  handle(msg);
});
lines.on('close', () => {
  log(`stdin closed after ${((Date.now() - started) / 1000).toFixed(1)}s; exiting`);
  process.exit(0);
});
