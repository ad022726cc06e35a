#!/usr/bin/env node
// `npm run bench`: the same client load through six subjects, round-robin (A B C D E F A B ...),
// medians over rounds, ratios to the byte relay and to the id-relay (the contract's floor),
// targets checked against the baseline each names, bench/results.json written.
//
// Environment:
//   BENCH_QUICK=1     a smoke run: one round, small counts, small "big" messages
//   BENCH_ROUNDS=n    number of rounds (default 5; 1 when quick)
//   BENCH_OUT=path    where to write the JSON (default bench/results.json)
//   BENCH_PIPELINED_CALLS=n  calls in the pipelined block (throughput and CPU per call;
//                     default 20,000, 2,000 when quick); more calls, a steadier CPU figure
//   BENCH_ONLY=a,b    only these subjects (the relay and the id-relay are always kept: ratios
//                     and targets are taken to them)
//   BENCH_LEASH_BEFORE=/other/checkout  adds mcp-leash-before, that checkout's build (bench/lib/subjects.mjs)

import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { SUBJECTS, ROOT } from './lib/subjects.mjs';
import { big, inflight, pinCpus, pinnedRoundTrips, small, startup } from './lib/scenarios.mjs';
import { wireFraming } from './lib/wire-framing.mjs';
import { METRICS, evaluate, formatReport } from './lib/report.mjs';

const MB = 1024 * 1024;
const quick = process.env.BENCH_QUICK === '1';
const rounds = Number(process.env.BENCH_ROUNDS ?? (quick ? 1 : 5));
const out = process.env.BENCH_OUT ?? join(ROOT, 'bench/results.json');
const only = process.env.BENCH_ONLY?.split(',');
const pipelinedCalls = process.env.BENCH_PIPELINED_CALLS ? Number(process.env.BENCH_PIPELINED_CALLS) : undefined;
const subjects = SUBJECTS.filter((s) => !only || s.name === 'relay' || s.name === 'id-relay' || only.includes(s.name));

const config = quick
  ? {
      startupSpawns: 1,
      small: { warmup: 20, calls: 100, laterAfter: 100, throughputTotal: pipelinedCalls ?? 2000, window: 256 },
      bigBytes: 1 * MB,
      bigPasses: 1,
      hugeBytes: 2 * MB,
      inflight: { n: 500, cancels: 20, warmup: 10, warmCancels: 10, idleMs: 200 },
      framingBytes: [1 * MB, 2 * MB, 4 * MB],
    }
  : {
      startupSpawns: 3,
      small: { warmup: 300, calls: 2000, laterAfter: 4000, throughputTotal: pipelinedCalls ?? 20_000, window: 256 },
      bigBytes: 8 * MB,
      bigPasses: 3,
      hugeBytes: 48 * MB,
      inflight: { n: 10_000, cancels: 500, warmup: 100, warmCancels: 2000, idleMs: 1000 },
      framingBytes: [8 * MB, 48 * MB, 200 * MB],
    };

/** Each scenario: how to run it once for a subject, and which metrics it yields. */
const scenarios = [
  {
    name: 'startup',
    run: async (s) => {
      const ms = [];
      for (let i = 0; i < config.startupSpawns; i++) ms.push((await startup(s)).spawnToInitializeMs);
      return { spawnToInitializeMs: ms.sort((a, b) => a - b)[ms.length >> 1] };
    },
  },
  { name: 'small', run: (s) => small(s, config.small) },
  { name: 'pinned', run: (s) => pinnedRoundTrips(s, config.small) },
  {
    name: 'big',
    run: async (s) => {
      const r = await big(s, { bytes: config.bigBytes, timeoutMs: 60_000, passes: config.bigPasses });
      return { bigResponseMs: r.ms };
    },
  },
  {
    name: 'huge',
    run: async (s) => {
      const r = await big(s, { bytes: config.hugeBytes, timeoutMs: 60_000, passes: config.bigPasses });
      return { hugeResponseMs: r.ms, peakRssHugeMB: r.peakRssMB };
    },
  },
  { name: 'inflight', run: (s) => inflight(s, config.inflight) },
];

const log = (text) => process.stderr.write(`${text}\n`);

async function main() {
  const started = Date.now();
  const loadBefore = loadavg()[0];
  /** samples[subject][metric] = number[] */
  const samples = Object.fromEntries(subjects.map((s) => [s.name, {}]));
  /** failures[subject][scenario] = message: a subject that fails a scenario is not asked again. */
  const failures = Object.fromEntries(subjects.map((s) => [s.name, {}]));

  for (let round = 1; round <= rounds; round++) {
    for (const sc of scenarios) {
      for (const s of subjects) {
        if (failures[s.name][sc.name] || s.skip?.includes(sc.name)) continue;
        const t0 = Date.now();
        try {
          const r = await sc.run(s);
          const figures = Object.entries(r).filter(([, v]) => v !== undefined);
          for (const [k, v] of figures) (samples[s.name][k] ??= []).push(v);
          log(`round ${round}/${rounds} ${sc.name.padEnd(8)} ${s.name.padEnd(10)} ${figures.length ? `${Date.now() - t0} ms` : 'skipped (cannot be done here)'}`);
        } catch (e) {
          failures[s.name][sc.name] = e instanceof Error ? e.message : String(e);
          log(`round ${round}/${rounds} ${sc.name.padEnd(8)} ${s.name.padEnd(10)} FAILED: ${failures[s.name][sc.name]}`);
        }
      }
    }
  }

  // Framing time against size: one pass per size, relay and mcp-leash side by side, plus the
  // wire layer alone (in process, no pipes).
  const framing = { bytes: config.framingBytes, endToEndMs: {}, inProcessMs: undefined };
  for (const s of subjects.filter((x) => x.name === 'relay' || x.name.startsWith('mcp-leash'))) {
    framing.endToEndMs[s.name] = [];
    for (const bytes of config.framingBytes) {
      try {
        const r = await big(s, { bytes, timeoutMs: 120_000 });
        framing.endToEndMs[s.name].push(r.ms);
        log(`framing  ${s.name.padEnd(10)} ${(bytes / MB).toFixed(0)} MB: ${r.ms.toFixed(1)} ms`);
      } catch (e) {
        framing.endToEndMs[s.name].push(null);
        log(`framing  ${s.name.padEnd(10)} ${(bytes / MB).toFixed(0)} MB FAILED: ${e instanceof Error ? e.message : e}`);
      }
    }
  }
  framing.inProcessMs = await wireFraming(config.framingBytes);

  const results = evaluate({ subjects: subjects.map((s) => s.name), samples, failures, config });
  const report = {
    generatedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      loadBefore,
      loadAfter: loadavg()[0],
      // More runnable work than cores before or after: the run shared the machine.
      busy: Math.max(loadBefore, loadavg()[0]) > cpus().length,
      // The CPUs of the pinned round trips (client, then subject and server); null: not pinned.
      pinCpus: pinCpus() ?? null,
    },
    quick,
    rounds,
    config,
    subjects: subjects.map((s) => s.name),
    metrics: results.metrics,
    targets: results.targets,
    failures,
    framing,
    durationS: Math.round((Date.now() - started) / 1000),
  };
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  process.stdout.write(formatReport(report, METRICS));
  process.stdout.write(`\nwrote ${out} (${report.durationS} s)\n`);
}

await main();
