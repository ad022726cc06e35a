// A smoke run of `npm run bench` (bench/run.mjs in quick mode): it runs all six subjects, plus
// this checkout's build a second time as mcp-leash-before (BENCH_LEASH_BEFORE), and writes a
// results file of the documented shape. Speed is never asserted here (DESIGN: tests do not assert
// on wall-clock speed); the bench itself reports it. What is asserted is that every row has a
// finite figure for every subject it applies to, and that every target is checked against the
// baseline it names.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SUBJECTS = ['direct', 'relay', 'json-relay', 'id-relay', 'sdk-bridge', 'mcp-leash-before', 'mcp-leash'];
const LEASH = ['mcp-leash-before', 'mcp-leash'];
const METRICS = [
  'rttP50Us',
  'rttP99Us',
  'rttLaterP50Us',
  'rttPinnedP50Us',
  'rttPinnedLaterP50Us',
  'throughputPerS',
  'cpuPerCallUs',
  'bigResponseMs',
  'hugeResponseMs',
  'spawnToInitializeMs',
  'peakRssSmallMB',
  'peakRssHugeMB',
  'rssIdleMB',
  'rssInflightMB',
  'perRequestKB',
  'cancelP50Us',
  'cancelP99Us',
];
/** Memory is read from the proxy process; the direct subject has none. */
const PROXY_ONLY = new Set(['cpuPerCallUs', 'peakRssSmallMB', 'peakRssHugeMB', 'rssIdleMB', 'rssInflightMB', 'perRequestKB']);
/** Rows whose table ratio is taken to the id-relay (the contract's floor); the others to the relay. */
const TO_ID_RELAY = new Set(['rttPinnedP50Us', 'throughputPerS', 'cpuPerCallUs']);
/** Issue 18's targets: metric -> the baseline each must name (null: an absolute limit). */
const TARGETS: Record<string, string | null> = {
  cpuPerCallUs: 'id-relay',
  rttPinnedP50Us: 'id-relay',
  throughputPerS: 'id-relay',
  bigResponseMs: 'relay',
  hugeResponseMs: 'relay',
  spawnToInitializeMs: 'relay',
  rssIdleMB: 'relay',
  peakRssHugeMB: 'relay',
  rssInflightMB: null,
  cancelP99Us: null,
};
/** The id-relay is the floor for small messages only; the bench leaves it out of the big answers. */
const SMALL_ONLY = new Set(['bigResponseMs', 'hugeResponseMs', 'peakRssHugeMB']);
/** Pinned round trips need Linux, two CPUs this process may use, and taskset; elsewhere the bench leaves them out. */
const PINNED = new Set(['rttPinnedP50Us', 'rttPinnedLaterP50Us']);
const CAN_PIN = process.platform === 'linux' && availableParallelism() >= 2 && spawnSync('taskset', ['-p', String(process.pid)]).status === 0;

describe('bench smoke (BENCH_QUICK=1)', () => {
  it('runs every subject through every measurement and writes results.json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'leash-bench-'));
    const out = join(dir, 'results.json');
    try {
      const run = spawnSync(process.execPath, [join(ROOT, 'bench/run.mjs')], {
        cwd: ROOT,
        env: { ...process.env, BENCH_QUICK: '1', BENCH_OUT: out, BENCH_LEASH_BEFORE: ROOT },
        encoding: 'utf8',
        timeout: 170_000,
      });
      expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout).toContain('mcp-leash');
      for (const s of LEASH) expect(run.stdout).toContain(`Targets (${s};`);

      const r = JSON.parse(readFileSync(out, 'utf8'));
      expect(r.quick).toBe(true);
      expect(r.subjects).toStrictEqual(SUBJECTS);
      expect(r.machine).toMatchObject({ cpus: expect.any(Number), node: process.version });
      if (CAN_PIN) expect(r.machine.pinCpus).toHaveLength(2);
      else expect(r.machine.pinCpus).toBeNull();
      expect(run.stdout).toMatch(/The floor against the byte relay \(id-relay/);
      expect(run.stdout).toMatch(/CPU per pipelined call, all threads \(µs\) \[x id-relay\]/);
      for (const s of SUBJECTS) expect(r.failures[s], `${s} failed: ${JSON.stringify(r.failures[s])}`).toStrictEqual({});
      for (const key of METRICS) {
        const m = r.metrics[key];
        expect(m, key).toBeDefined();
        for (const s of SUBJECTS) {
          if (s === 'direct' && PROXY_ONLY.has(key)) continue;
          if (s === 'id-relay' && SMALL_ONLY.has(key)) {
            expect(m.median[s], `${key} / ${s}`).toBeNull();
            continue;
          }
          if (PINNED.has(key) && !CAN_PIN) {
            expect(m.median[s], `${key} / ${s}`).toBeNull();
            continue;
          }
          // Finite: a NaN would be written as null, and a missing row as nothing.
          expect(Number.isFinite(m.median[s]), `${key} / ${s}: ${m.median[s]}`).toBe(true);
          expect(m.samples[s].length, `${key} / ${s}`).toBeGreaterThan(0);
          for (const v of m.samples[s]) expect(Number.isFinite(v), `${key} / ${s} sample ${v}`).toBe(true);
        }
        // A ratio needs a baseline figure above zero; quick mode's tiny samples can round one to 0.
        if (m.median.relay > 0) expect(m.ratioToRelay.relay, key).toBe(1);
        else expect(m.ratioToRelay.relay, key).toBeNull();
        if (m.median['id-relay'] > 0) expect(m.ratioToIdRelay['id-relay'], key).toBe(1);
        else expect(m.ratioToIdRelay['id-relay'], key).toBeNull();
        expect(m.baseline, key).toBe(TO_ID_RELAY.has(key) ? 'id-relay' : 'relay');
      }
      // Every process uses some CPU for 2,000 calls: a zero means the reading went wrong.
      for (const s of SUBJECTS.filter((x) => x !== 'direct')) expect(r.metrics.cpuPerCallUs.median[s], s).toBeGreaterThan(0);

      for (const s of LEASH) {
        const mine = r.targets.filter((t: { subject: string }) => t.subject === s);
        expect(mine.map((t: { metric: string }) => t.metric).sort(), s).toStrictEqual(Object.keys(TARGETS).sort());
        for (const t of mine) {
          const what = `${s} / ${t.metric}`;
          expect(t.baseline, what).toBe(TARGETS[t.metric]);
          if (t.baseline) expect(t.target, what).toContain(t.baseline);
          expect(typeof t.met, what).toBe('boolean');
          expect(Number.isFinite(t.value), `${what}: ${t.value}`).toBe(true);
          expect(Number.isFinite(t.limit), what).toBe(true);
          expect(run.stdout, what).toContain(t.target);
        }
      }
      expect(r.framing.bytes).toHaveLength(3);
      for (const s of LEASH) expect(r.framing.endToEndMs[s], s).toHaveLength(3);
      expect(r.framing.inProcessMs).toHaveLength(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
