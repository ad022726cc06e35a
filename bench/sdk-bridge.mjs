#!/usr/bin/env node
// What a naive proxy does: bridge the MCP SDK's two stdio transports, which parse and validate
// every message, and forward each message as it comes. No id rewriting, no policy.
// Usage: node bench/sdk-bridge.mjs <command> [args...]
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const [command, ...args] = process.argv.slice(2);
const upstream = new StdioServerTransport();
const downstream = new StdioClientTransport({ command, args, env: process.env, stderr: 'inherit' });

upstream.onmessage = (msg) => void downstream.send(msg);
downstream.onmessage = (msg) => void upstream.send(msg);
upstream.onerror = (err) => process.stderr.write(`sdk-bridge: upstream: ${err.message}\n`);
downstream.onerror = (err) => process.stderr.write(`sdk-bridge: downstream: ${err.message}\n`);
downstream.onclose = () => process.exit(1);
process.stdin.once('end', () => {
  downstream.onclose = () => process.exit(0);
  void downstream.close();
});

await downstream.start();
await upstream.start();
