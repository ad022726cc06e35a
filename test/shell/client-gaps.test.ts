// The shell's side of the core's 'client-gap' output (issue 21): what follows a gap is written in
// a write of its own, no sooner than the gap's length later; gaps in a row keep their spacing;
// nothing is lost at exit. Fake timers: nothing sleeps.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClientGaps } from '../../src/shell/client-gaps.js';

describe('ClientGaps', () => {
  let writes: Array<{ at: number; items: string[] }>;
  let gaps: ClientGaps;
  beforeEach(() => {
    vi.useFakeTimers();
    writes = [];
    gaps = new ClientGaps((items) => writes.push({ at: Date.now(), items: items.map(String) }));
  });
  afterEach(() => vi.useRealTimers());

  it('holds what follows a gap, then writes it in one write when the gap is over', () => {
    const t0 = Date.now();
    expect(gaps.holding).toBe(false);
    gaps.gap(20);
    expect(gaps.holding).toBe(true);
    gaps.hold(['answer\n']);
    gaps.hold(['other\n']);
    vi.advanceTimersByTime(19);
    expect(writes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(writes).toEqual([{ at: t0 + 20, items: ['answer\n', 'other\n'] }]);
    expect(gaps.holding).toBe(false);
  });

  it('gaps in a row: each segment waits its own gap after the one before was written', () => {
    const t0 = Date.now();
    gaps.gap(20);
    gaps.hold(['a-answer\n', 'b-progress\n']);
    gaps.gap(15);
    gaps.hold(['b-answer\n']);
    vi.advanceTimersByTime(100);
    expect(writes).toEqual([
      { at: t0 + 20, items: ['a-answer\n', 'b-progress\n'] },
      { at: t0 + 35, items: ['b-answer\n'] },
    ]);
  });

  it('release() writes everything held at once, in order, and cancels the timer', () => {
    gaps.gap(20);
    gaps.hold(['1\n']);
    gaps.gap(20);
    gaps.hold(['2\n']);
    gaps.release();
    expect(writes.map((w) => w.items)).toEqual([['1\n', '2\n']]);
    vi.advanceTimersByTime(100);
    expect(writes).toHaveLength(1);
    expect(gaps.holding).toBe(false);
  });
});
