// The core's wake-up heap (src/core/deadlines.ts): same answers as a plain map of deadlines, and
// no pile-up of finished calls' nodes behind a long-lived one.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeadlineQueue } from '../../src/core/deadlines.js';

describe('DeadlineQueue', () => {
  it('one long call at the top does not keep the nodes of the calls finished since', () => {
    const q = new DeadlineQueue<number>();
    q.arm(0, 1_000); // a long call, woken first
    for (let key = 1; key <= 10_000; key++) {
      q.arm(key, 2_000 + key);
      q.disarm(key);
      expect(q.next()).toBe(1_000);
    }
    expect(q.size).toBe(1);
    expect(q.nodes).toBeLessThanOrEqual(2 * q.size + 1024 + 1);
    expect(q.popDue(5_000)).toEqual([0]);
    expect(q.next()).toBeUndefined();
  });

  it('a rebuilt heap still wakes every live key, earliest first', () => {
    const q = new DeadlineQueue<number>(0);
    const at = (key: number): number => ((key * 37) % 101) * 10; // distinct, in no order
    for (let key = 1; key <= 60; key++) q.arm(key, at(key));
    // Every key but multiples of 4 is disarmed: stale nodes come to outnumber live ones.
    for (let key = 1; key <= 60; key++) if (key % 4 !== 0) q.disarm(key);
    expect(q.nodes).toBeLessThan(60);
    const live = Array.from({ length: 15 }, (_, i) => 4 * (i + 1)).sort((x, y) => at(x) - at(y));
    expect(q.next()).toBe(at(live[0]!));
    expect(q.popDue(Infinity)).toEqual(live);
  });

  it('answers as a map of key -> earliest deadline does, whatever the arms, disarms and pops', () => {
    const op = fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('arm' as const), key: fc.nat(12), at: fc.nat(1_000) }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('disarm' as const), key: fc.nat(12) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('pop' as const), now: fc.nat(1_000) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('next' as const) }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), fc.constantFrom(0, 1, 1024), (ops, slack) => {
        // A low slack rebuilds the heap at nearly every disarm, so rebuilding is tested too.
        const q = new DeadlineQueue<number>(slack);
        const model = new Map<number, number>();
        for (const o of ops) {
          if (o.kind === 'arm') {
            const cur = model.get(o.key);
            if (cur === undefined || o.at < cur) model.set(o.key, o.at);
            q.arm(o.key, o.at);
          } else if (o.kind === 'disarm') {
            model.delete(o.key);
            q.disarm(o.key);
          } else if (o.kind === 'pop') {
            const due = [...model].filter(([, at]) => at <= o.now).sort((a, b) => a[1] - b[1] || a[0] - b[0]);
            for (const [key] of due) model.delete(key);
            const got = q.popDue(o.now);
            // Earliest first; keys due at the same moment may come in any order.
            const byAt = (keys: number[], ats: Map<number, number>) => keys.map((k) => ats.get(k)!);
            const ats = new Map(due);
            expect(byAt(got, ats)).toEqual(due.map(([, at]) => at));
            expect([...got].sort((a, b) => a - b)).toEqual(due.map(([k]) => k).sort((a, b) => a - b));
          } else {
            const min = model.size ? Math.min(...model.values()) : undefined;
            expect(q.next()).toBe(min);
          }
          expect(q.size).toBe(model.size);
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
