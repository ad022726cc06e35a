#!/usr/bin/env node
// Profile mcp-leash under one benchmark load: runs the scenario with `node --cpu-prof` on
// bin/mcp-leash.js and prints the functions with the most self time.
// Usage: node bench/profile.mjs small|big|huge|inflight|startup [top] [subject, default mcp-leash]

import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const which = process.argv[2] ?? 'small';
const top = Number(process.argv[3] ?? 30);
const dir = mkdtempSync(join(tmpdir(), 'leash-prof-'));
const subjectName = process.argv[4] ?? 'mcp-leash';
process.env.BENCH_NODE_FLAGS_FOR = subjectName;
process.env.BENCH_NODE_FLAGS = `--cpu-prof --cpu-prof-dir=${dir} --cpu-prof-interval=100`;
const { SUBJECTS } = await import('./lib/subjects.mjs');
const sc = await import('./lib/scenarios.mjs');
const MB = 1024 * 1024;
const leash = SUBJECTS.find((s) => s.name === subjectName);

const runs = {
  small: () => sc.small(leash, { warmup: 300, calls: 2000, laterAfter: 0, throughputTotal: 100_000, window: 256 }),
  big: () => sc.big(leash, { bytes: 8 * MB, timeoutMs: 60_000 }),
  huge: () => sc.big(leash, { bytes: 48 * MB, timeoutMs: 60_000 }),
  inflight: () => sc.inflight(leash, { n: 10_000, cancels: 500, warmup: 100, warmCancels: 2000 }),
  startup: () => sc.startup(leash),
};
const result = await runs[which]();
console.log(JSON.stringify(result));

const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
const prof = JSON.parse(readFileSync(join(dir, file), 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = prof.timeDeltas;
for (let i = 0; i < prof.samples.length; i++) {
  const n = byId.get(prof.samples[i]);
  const cf = n.callFrame;
  const key = `${cf.functionName || '(anonymous)'} ${cf.url.replace(/^.*\/(node_modules|dist|bench)\//, '$1/')}:${cf.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
console.log(`profile: ${join(dir, file)}; total ${(total / 1000).toFixed(0)} ms sampled`);
for (const [k, v] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${(v / 1000).toFixed(1).padStart(8)} ms  ${k}`);
}
