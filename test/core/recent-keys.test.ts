// The bounded memory of finished keys (late answers are logged at debug, strays at warn).

import { describe, expect, it } from 'vitest';
import { RecentKeys } from '../../src/core/recent-keys.js';

describe('RecentKeys', () => {
  it('remembers the last `size` keys and forgets older ones, in order', () => {
    const r = new RecentKeys(3);
    for (const k of [1, 2, 3]) r.add(k);
    expect([1, 2, 3].map((k) => r.has(k))).toStrictEqual([true, true, true]);
    r.add(4);
    expect([1, 2, 3, 4].map((k) => r.has(k))).toStrictEqual([false, true, true, true]);
    for (let k = 5; k < 1000; k++) r.add(k);
    expect([996, 997, 998, 999].map((k) => r.has(k))).toStrictEqual([false, true, true, true]);
  });
});
