import { describe, expect, it } from 'vitest';
import { DURATION_PATTERN, MAX_DURATION_MS, formatDuration, parseDuration } from '../../src/config/duration.js';

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1m30s', 90_000],
    ['1s500ms', 1_500],
    ['1.5s', 1_500],
    ['0.5h', 1_800_000],
    ['1500ms', 1_500],
    ['0', 0],
    [0, 0],
    ['0s', 0],
    ['off', 0],
    [`${MAX_DURATION_MS}ms`, MAX_DURATION_MS],
  ] as const)('%j is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['fast', 'expected a duration like "30s", got "fast"'],
    ['', 'expected a duration like "30s", got ""'],
    ['30 s', 'expected a duration like "30s", got "30 s"'],
    ['30S', 'expected a duration like "30s", got "30S"'],
    ['-5s', 'expected a duration like "30s", got "-5s"'],
    ['1d', 'expected a duration like "30s", got "1d"'],
    ['30m1h', 'expected a duration like "30s", got "30m1h"'],
    ['1m1m', 'expected a duration like "30s", got "1m1m"'],
    ['.5s', 'expected a duration like "30s", got ".5s"'],
    ['OFF', 'expected a duration like "30s", got "OFF"'],
    ['Infinity', 'expected a duration like "30s", got "Infinity"'],
    [-1, 'expected a duration like "30s", got -1'],
    [1.5, 'expected a duration like "30s", got 1.5'],
    [Number.NaN, 'expected a duration like "30s", got NaN'],
    ['1000h', 'expected a duration of at most 596h (about 24 days), got "1000h"'],
    ['597h', 'expected a duration of at most 596h (about 24 days), got "597h"'],
    // A bare number names no unit (issue 21): the message offers both readings.
    [30, 'expected a duration with a unit, like "30s" (or "30ms" if 30 milliseconds were meant), got 30'],
    ['30', 'expected a duration with a unit, like "30s" (or "30ms" if 30 milliseconds were meant), got "30"'],
    [1500, 'expected a duration with a unit, like "1500s" (or "1s500ms" if 1500 milliseconds were meant), got 1500'],
    [MAX_DURATION_MS, 'expected a duration with a unit, like "596h31m23s647ms", got 2147483647'],
    [MAX_DURATION_MS + 1, 'expected a duration with a unit, like "30s", got 2147483648'],
  ] as const)('refuses %j', (text, message) => {
    expect(() => parseDuration(text)).toThrow(message);
  });

  it('uses the same pattern as the JSON Schema', () => {
    expect(DURATION_PATTERN.test('1h30m')).toBe(true);
    expect(DURATION_PATTERN.test('5ms')).toBe(true);
    expect(DURATION_PATTERN.test('')).toBe(false);
    expect(DURATION_PATTERN.test('fast')).toBe(false);
    expect(DURATION_PATTERN.test('0')).toBe(true);
    expect(DURATION_PATTERN.test('30')).toBe(false);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, 'off'],
    [250, '250ms'],
    [1_000, '1s'],
    [1_500, '1s500ms'],
    [30_000, '30s'],
    [90_000, '1m30s'],
    [120_000, '2m'],
    [3_600_000, '1h'],
    [5_400_000, '1h30m'],
    [MAX_DURATION_MS, '596h31m23s647ms'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    for (const ms of [0, 1, 999, 1_000, 59_999, 60_000, 61_001, 3_599_999, 3_600_000, 86_400_123, MAX_DURATION_MS]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });

  it('refuses what is not a duration', () => {
    expect(() => formatDuration(-1)).toThrow('not a duration: -1');
    expect(() => formatDuration(Infinity)).toThrow('not a duration: Infinity');
  });
});
