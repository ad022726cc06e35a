// The six subjects: the same fast server, reached directly or through one proxy process.
// BENCH_LEASH_BIN points the mcp-leash subject at another build; BENCH_LEASH_BEFORE adds a second
// build of mcp-leash from another checkout (see below).

import { existsSync } from 'node:fs';
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

/** A proxy written for the bench (bench/<name>.mjs), its own arguments, then the server. */
function benchProxy(name, ...args) {
  return { name, proxied: true, argv: (o) => [NODE, ...flags(name), join(ROOT, `bench/${name}.mjs`), ...args, ...serverArgv(o)] };
}

/**
 * A build of mcp-leash with the bench's policy (the 200 MB one when a message may be that big).
 * BENCH_POLICY=path replaces the ordinary one, e.g. bench/policy-budget.json (a result budget
 * every answer stays under), to check that a budget costs the fast path nothing.
 */
function leash(name, bin) {
  const policy = process.env.BENCH_POLICY ? resolve(process.env.BENCH_POLICY) : join(ROOT, 'bench/policy.json');
  return {
    name,
    proxied: true,
    argv: (o = {}) => [NODE, ...flags(name), bin, '--config', o.maxMessageBytes ? join(ROOT, 'bench/policy-200mb.json') : policy, '--', ...serverArgv(o)],
  };
}

export const SUBJECTS = [
  {
    name: 'direct',
    proxied: false,
    argv: (o) => serverArgv(o),
  },
  benchProxy('relay'),
  benchProxy('json-relay'),
  {
    // The floor for small messages. Long lines it joins and parses whole, as the json-relay does,
    // so it is left out of the big answers: there it would only repeat the json-relay, and its
    // ~300 MB passes, just before mcp-leash's in each round, moved mcp-leash's 48 MB figure
    // (1.45x-1.46x in three full runs with it; 1.32x in a run of relay and mcp-leash alone).
    ...benchProxy('id-relay'),
    skip: ['big', 'huge'],
  },
  benchProxy('sdk-bridge'),
  leash('mcp-leash', process.env.BENCH_LEASH_BIN ?? join(ROOT, 'bin/mcp-leash.js')),
];

// BENCH_LEASH_BEFORE=/path/to/checkout adds "mcp-leash-before": the build in that checkout (its
// bin/mcp-leash.js, which loads its own dist/; run `npm ci && npm run build` there first), with
// this checkout's policy, measured in the same rounds as mcp-leash to judge a change side by side.
// It goes just before mcp-leash, so that each round runs the two builds one after the other.
// Targets are checked for both.
const before = process.env.BENCH_LEASH_BEFORE;
if (before) {
  const bin = resolve(before, 'bin/mcp-leash.js');
  for (const f of [bin, resolve(before, 'dist/cli.js')]) {
    if (!existsSync(f)) throw new Error(`BENCH_LEASH_BEFORE=${before}: no ${f} (build that checkout first: npm ci && npm run build)`);
  }
  SUBJECTS.splice(SUBJECTS.findIndex((s) => s.name === 'mcp-leash'), 0, leash('mcp-leash-before', bin));
}

// BENCH_COMPARE_BIN adds another subject, "mcp-leash-b": another build of mcp-leash given by its
// bin file, with the same policy, measured in the same rounds. Targets are checked for it too.
if (process.env.BENCH_COMPARE_BIN) SUBJECTS.push(leash('mcp-leash-b', process.env.BENCH_COMPARE_BIN));

// BENCH_SPIN_US=n adds "relay-spin": the byte relay busy for n µs on every chunk before it passes
// it on (bench/relay-spin.mjs). In sequential round trips a chunk is one message, so its round
// trip shows what per-message work alone costs here; its pipelined figures mean little.
if (process.env.BENCH_SPIN_US) SUBJECTS.push(benchProxy('relay-spin', process.env.BENCH_SPIN_US));
