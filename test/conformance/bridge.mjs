#!/usr/bin/env node
// A small Streamable HTTP to stdio bridge, for the MCP conformance suite (which tests servers over
// HTTP only): it listens on 127.0.0.1 on an ephemeral port and gives every HTTP session a stdio
// MCP server of its own, started from `command` (scenario-server.mjs directly, or mcp-leash
// wrapping it). Messages pass through unchanged, ids included; the bridge only decides
// which HTTP stream a message from the server goes out on, since stdio does not say:
//
//   - an answer: the stream of its request (the SDK transport does that by id);
//   - progress: the stream of the request that sent its token;
//   - any other notification or request from the server: the stream of the client's one request
//     in flight when there is exactly one (what an HTTP server's request handler would do), else
//     the session's standalone GET stream.
//
// Both ways of running the suite go through the same bridge, so whatever it does differently
// from a native HTTP server, it does the same for both, and only mcp-leash can differ.
//
// As a program: `node test/conformance/bridge.mjs -- <command> [args...]` prints the URL and runs
// until SIGINT/SIGTERM.

import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

/** Hosts a local MCP server answers to (DNS rebinding protection, as the spec asks of local servers). */
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function localHost(header) {
  if (typeof header !== 'string') return false;
  const host = header.startsWith('[') ? header.slice(0, header.indexOf(']') + 1) : header.split(':')[0];
  return LOCAL_HOSTS.has(host);
}

function localOrigin(header) {
  if (header === undefined) return true;
  try {
    return LOCAL_HOSTS.has(new URL(header).hostname) || LOCAL_HOSTS.has(`[${new URL(header).hostname}]`);
  } catch {
    return false;
  }
}

/**
 * Starts the bridge. `command` is the stdio server's argv. Returns its URL and close(), which
 * stops every child and the HTTP server.
 */
export async function startBridge({ command, env, onStderr }) {
  /** sessionId -> session */
  const sessions = new Map();
  const all = new Set();

  // One child is kept started ahead of need: a stdio server takes about a second to boot on a
  // loaded 2-core machine, and the suite opens a session per scenario.
  let spare;
  function startChild() {
    const [cmd, ...args] = command;
    const child = new StdioClientTransport({ command: cmd, args, env: env ?? process.env, stderr: 'pipe' });
    const started = child.start().then(() => {
      child.stderr?.on('data', (chunk) => onStderr?.(chunk));
    });
    return { child, started };
  }

  async function openSession() {
    const { child, started } = spare ?? startChild();
    spare = startChild();
    const inFlight = new Set(); // ids of the client's requests the server has not answered
    const byToken = new Map(); // progress token -> request id
    let chain = Promise.resolve(); // sends to HTTP in the order the server wrote them
    const http = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => sessions.set(id, session),
    });
    const session = { http, child };
    all.add(session);

    http.onmessage = (msg) => {
      if (msg.method !== undefined && msg.id !== undefined) {
        inFlight.add(msg.id);
        const token = msg.params?._meta?.progressToken;
        if (token !== undefined) byToken.set(token, msg.id);
      }
      child.send(msg).catch(() => {});
    };
    child.onmessage = (msg) => {
      let related;
      if (msg.method === undefined) {
        inFlight.delete(msg.id);
        for (const [t, id] of byToken) if (id === msg.id) byToken.delete(t);
      } else if (msg.method === 'notifications/progress') related = byToken.get(msg.params?.progressToken);
      else if (inFlight.size === 1) related = inFlight.values().next().value;
      const options = related === undefined ? undefined : { relatedRequestId: related };
      chain = chain.then(() => http.send(msg, options)).catch(() => {});
    };
    let closing = false;
    const close = async () => {
      if (closing) return;
      closing = true;
      all.delete(session);
      if (http.sessionId) sessions.delete(http.sessionId);
      await Promise.allSettled([child.close(), http.close()]);
    };
    session.close = close;
    http.onclose = close;
    child.onclose = close;
    await started;
    return session;
  }

  const server = createServer(async (req, res) => {
    try {
      if (!localHost(req.headers.host) || !localOrigin(req.headers.origin)) {
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'Forbidden: not a local Host/Origin' }, id: null }));
        return;
      }
      const sessionId = req.headers['mcp-session-id'];
      let session = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
      let body;
      if (req.method === 'POST') {
        const chunks = [];
        for await (const c of req) chunks.push(c);
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null }));
          return;
        }
        if (!session && sessionId === undefined && body?.method === 'initialize') session = await openSession();
      }
      if (!session) {
        res.writeHead(sessionId === undefined ? 400 : 404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'Invalid or missing session ID' }, id: null }));
        return;
      }
      await session.http.handleRequest(req, res, body);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500);
      res.end();
      onStderr?.(Buffer.from(`bridge: ${err?.stack ?? err}\n`));
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  spare = startChild();
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    async close() {
      const last = spare;
      spare = undefined;
      await Promise.allSettled([...[...all].map((s) => s.close()), last?.started.then(() => last.child.close())]);
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dash = process.argv.indexOf('--');
  const command = dash >= 0 ? process.argv.slice(dash + 1) : [];
  if (command.length === 0) {
    process.stderr.write('usage: bridge.mjs -- <command> [args...]\n');
    process.exit(2);
  }
  const bridge = await startBridge({ command, onStderr: (c) => process.stderr.write(c) });
  process.stdout.write(`${bridge.url}\n`);
  const stop = () => void bridge.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
