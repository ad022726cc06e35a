#!/usr/bin/env node
// The client for the suite's client scenarios: `node client.mjs [--leash] URL`, with the scenario
// in MCP_CONFORMANCE_SCENARIO (the suite appends the URL of its test server). It is the suite's
// example everything-client (v0.1.16) for the scenarios that do not test HTTP itself, with one
// change: it speaks stdio, to stdio-to-http.mjs URL, directly or with --leash through mcp-leash.

import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const leash = process.argv.includes('--leash');
const url = process.argv.at(-1);
const scenario = process.env.MCP_CONFORMANCE_SCENARIO;
const relay = [join(HERE, 'stdio-to-http.mjs'), url];
const args = leash ? [process.env.LEASH_BIN ? resolve(process.env.LEASH_BIN) : join(ROOT, 'bin/mcp-leash.js'), '--', process.execPath, ...relay] : relay;

async function connect(name, capabilities) {
  const client = new Client({ name, version: '1.0.0' }, { capabilities });
  const transport = new StdioClientTransport({ command: process.execPath, args, stderr: 'inherit' });
  return { client, transport };
}

// As the everything-client: initialize and tools_call list the tools (and call add_numbers).
async function basic() {
  const { client, transport } = await connect('test-client', {});
  await client.connect(transport);
  const { tools } = await client.listTools();
  if (tools.some((t) => t.name === 'add_numbers')) await client.callTool({ name: 'add_numbers', arguments: { a: 5, b: 3 } });
  await client.close();
}

async function elicitationDefaults() {
  const { client, transport } = await connect('elicitation-defaults-test-client', { elicitation: { applyDefaults: true } });
  // Empty content: the SDK fills in the defaults.
  client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: {} }));
  await client.connect(transport);
  const { tools } = await client.listTools();
  if (!tools.some((t) => t.name === 'test_client_elicitation_defaults')) throw new Error('Test tool not found: test_client_elicitation_defaults');
  await client.callTool({ name: 'test_client_elicitation_defaults', arguments: {} });
  await client.close();
}

const handlers = { initialize: basic, tools_call: basic, 'elicitation-sep1034-client-defaults': elicitationDefaults };
const run = handlers[scenario];
if (!run) {
  process.stderr.write(`client.mjs: no handler for scenario ${scenario}\n`);
  process.exit(1);
}
await run();
