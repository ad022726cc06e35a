// A smoke run of `npm run bench` (bench/run.mjs in quick mode): it runs all six subjects and
// writes a results file of the documented shape. Speed is never asserted here (DESIGN: tests do
// not assert on wall-clock speed); the bench itself reports it.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SUBJECTS = ['direct', 'relay', 'json-relay', 'id-relay', 'sdk-bridge', 'mcp-leash'];
const METRICS = [
  'rttP50Us',
  'rttP99Us',
  'rttLaterP50Us',
  'rttPinnedP50Us',
  'rttPinnedLaterP50Us',
  'throughputPerS',
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
const PROXY_ONLY = new Set(['peakRssSmallMB', 'peakRssHugeMB', 'rssIdleMB', 'rssInflightMB', 'perRequestKB']);
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
        env: { ...process.env, BENCH_QUICK: '1', BENCH_OUT: out },
        encoding: 'utf8',
        timeout: 170_000,
      });
      expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout).toContain('mcp-leash');
      expect(run.stdout).toMatch(/Targets \(mcp-leash\)/);

      const r = JSON.parse(readFileSync(out, 'utf8'));
      expect(r.quick).toBe(true);
      expect(r.subjects).toStrictEqual(SUBJECTS);
      expect(r.machine).toMatchObject({ cpus: expect.any(Number), node: process.version });
      if (CAN_PIN) expect(r.machine.pinCpus).toHaveLength(2);
      else expect(r.machine.pinCpus).toBeNull();
      expect(run.stdout).toMatch(/The floor \(id-relay/);
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
          expect(typeof m.median[s], `${key} / ${s}`).toBe('number');
          expect(m.samples[s].length, `${key} / ${s}`).toBeGreaterThan(0);
        }
        // A ratio needs a relay figure above zero; quick mode's tiny samples can round one to 0.
        if (m.median.relay > 0) expect(m.ratioToRelay.relay, key).toBe(1);
        else expect(m.ratioToRelay.relay, key).toBeNull();
      }
      expect(r.targets.map((t: { metric: string }) => t.metric)).toContain('cancelP99Us');
      for (const t of r.targets) expect(typeof t.met).toBe('boolean');
      expect(r.framing.bytes).toHaveLength(3);
      expect(r.framing.endToEndMs['mcp-leash']).toHaveLength(3);
      expect(r.framing.inProcessMs).toHaveLength(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
