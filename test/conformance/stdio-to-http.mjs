#!/usr/bin/env node
// The reverse of bridge.mjs, for the suite's client scenarios: a stdio MCP server that relays
// every message unchanged to a Streamable HTTP server and back (node stdio-to-http.mjs URL).
// The suite's test server sees whatever the stdio client sent, directly or through mcp-leash.

import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const url = process.argv[2];
if (!url) {
  process.stderr.write('usage: stdio-to-http.mjs URL\n');
  process.exit(2);
}
const stdio = new StdioServerTransport();
const http = new StreamableHTTPClientTransport(new URL(url));
// In order: a message from the stdio side waits for the one before it to be posted.
let chain = Promise.resolve();
stdio.onmessage = (msg) => {
  chain = chain.then(() => http.send(msg)).catch((err) => process.stderr.write(`stdio-to-http: ${err?.message ?? err}\n`));
};
http.onmessage = (msg) => void stdio.send(msg);
http.onerror = (err) => process.stderr.write(`stdio-to-http: ${err?.message ?? err}\n`);
const stop = () => void chain.then(() => http.close()).finally(() => process.exit(0));
stdio.onclose = stop;
process.stdin.once('end', stop);
await http.start();
await stdio.start();
