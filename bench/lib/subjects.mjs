// The six subjects: the same fast server, reached directly or through one proxy process.
// BENCH_LEASH_BIN points the mcp-leash subject at another build.

import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const NODE = process.execPath;
const SERVER = join(ROOT, 'bench/fast-server.mjs');

function serverArgv({ prebuild } = {}) {
  return [NODE, SERVER, ...(prebuild ? [`--prebuild=${prebuild}`] : [])];
}

/** Extra node flags for one subject (bench/profile.mjs uses this for --cpu-prof). */
function flags(name) {
  const f = process.env.BENCH_NODE_FLAGS;
  return f && (process.env.BENCH_NODE_FLAGS_FOR ?? 'mcp-leash') === name ? f.split(' ').filter(Boolean) : [];
}

export const SUBJECTS = [
  {
    name: 'direct',
    proxied: false,
    argv: (o) => serverArgv(o),
  },
  {
    name: 'relay',
    proxied: true,
    argv: (o) => [NODE, ...flags('relay'), join(ROOT, 'bench/relay.mjs'), ...serverArgv(o)],
  },
  {
    name: 'json-relay',
    proxied: true,
    argv: (o) => [NODE, ...flags('json-relay'), join(ROOT, 'bench/json-relay.mjs'), ...serverArgv(o)],
  },
  {
    // The floor for small messages. Long lines it joins and parses whole, as the json-relay does,
    // so it is left out of the big answers: there it would only repeat the json-relay, and its
    // ~300 MB passes, just before mcp-leash's in each round, moved mcp-leash's 48 MB figure
    // (1.45x-1.46x in three full runs with it; 1.32x in a run of relay and mcp-leash alone).
    name: 'id-relay',
    proxied: true,
    skip: ['big', 'huge'],
    argv: (o) => [NODE, ...flags('id-relay'), join(ROOT, 'bench/id-relay.mjs'), ...serverArgv(o)],
  },
  {
    name: 'sdk-bridge',
    proxied: true,
    argv: (o) => [NODE, ...flags('sdk-bridge'), join(ROOT, 'bench/sdk-bridge.mjs'), ...serverArgv(o)],
  },
  {
    name: 'mcp-leash',
    proxied: true,
    argv: (o = {}) => [
      NODE,
      ...flags('mcp-leash'),
      process.env.BENCH_LEASH_BIN ?? join(ROOT, 'bin/mcp-leash.js'),
      '--config',
      join(ROOT, o.maxMessageBytes ? 'bench/policy-200mb.json' : 'bench/policy.json'),
      '--',
      ...serverArgv(o),
    ],
  },
];

// BENCH_COMPARE_BIN adds another subject, "mcp-leash-b": another build of mcp-leash with the same
// policy, measured in the same rounds (to judge a change side by side). Targets stay on mcp-leash.
if (process.env.BENCH_COMPARE_BIN) {
  const bin = process.env.BENCH_COMPARE_BIN;
  SUBJECTS.push({
    name: 'mcp-leash-b',
    proxied: true,
    argv: (o = {}) => [
      NODE,
      ...flags('mcp-leash-b'),
      bin,
      '--config',
      join(ROOT, o.maxMessageBytes ? 'bench/policy-200mb.json' : 'bench/policy.json'),
      '--',
      ...serverArgv(o),
    ],
  });
}

// BENCH_SPIN_US=n adds "relay-spin": the byte relay busy for n µs on every chunk before it passes
// it on (bench/relay-spin.mjs). In sequential round trips a chunk is one message, so its round
// trip shows what per-message work alone costs here; its pipelined figures mean little.
if (process.env.BENCH_SPIN_US) {
  const us = process.env.BENCH_SPIN_US;
  SUBJECTS.push({
    name: 'relay-spin',
    proxied: true,
    argv: (o) => [NODE, ...flags('relay-spin'), join(ROOT, 'bench/relay-spin.mjs'), us, ...serverArgv(o)],
  });
}
