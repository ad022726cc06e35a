// Durations as users write them: "250ms", "30s", "5m", "1h", compounds in that order ("1h30m",
// formatDuration's output, so that --print-config round-trips), and 0, "0" or "off" for
// "disabled". One pattern serves the parser and the JSON Schema, so editors and mcp-leash can
// never disagree about what is valid.
//
// A bare number other than 0 is refused (issue 21): `"totalTimeout": 30` used to mean 30 ms,
// which is seldom what someone writing 30 meant. The message offers both readings.

import { formatDuration } from '../policy/format-duration.js';

export { formatDuration };

const NUM = String.raw`\d+(?:\.\d+)?`;

/** ECMA-262 source, also used as the JSON Schema `pattern` (editors check it as you type). */
export const DURATION_PATTERN = new RegExp(
  String.raw`^(?:off|0|(?=\d)(?:${NUM}h)?(?:${NUM}m(?!s))?(?:${NUM}s)?(?:${NUM}ms)?)$`,
);

/** Node's timers overflow past 2^31-1 ms (about 24.8 days) and then fire at once. */
export const MAX_DURATION_MS = 2 ** 31 - 1;

const PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

const EXPECTED = 'expected a duration like "30s"';

/** How a value appears after "got" in an error message. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (value === undefined) return 'nothing';
  return String(value);
}

function toMs(value: string | number): number | undefined {
  if (typeof value === 'number') return value === 0 ? value : undefined;
  if (!DURATION_PATTERN.test(value)) return undefined;
  if (value === 'off' || value === '0') return 0;
  let ms = 0;
  for (const [, n, unit] of value.matchAll(PART)) ms += Number(n) * UNIT_MS[unit!]!;
  return Math.round(ms);
}

/** The message for a whole number without a unit: what it might have meant, either way. */
function unitless(value: string | number): string | undefined {
  const n = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) return undefined;
  const seconds = n * 1_000 <= MAX_DURATION_MS ? `"${n}s"` : undefined;
  const millis = n <= MAX_DURATION_MS ? `"${formatDuration(n)}"` : undefined;
  const like = seconds !== undefined && millis !== undefined ? `${seconds} (or ${millis} if ${n} milliseconds were meant)` : seconds ?? millis ?? '"30s"';
  return `expected a duration with a unit, like ${like}, got ${show(value)}`;
}

/** What is wrong with a duration ("expected ..., got ..."), or undefined when it is fine. */
export function durationProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return `${EXPECTED}, got ${show(value)}`;
  const bare = unitless(value);
  if (bare !== undefined) return bare;
  const ms = toMs(value);
  if (ms === undefined) return `${EXPECTED}, got ${show(value)}`;
  if (ms > MAX_DURATION_MS) return `expected a duration of at most 596h (about 24 days), got ${show(value)}`;
  return undefined;
}

/** Milliseconds for a duration; 0 means disabled. Throws an Error whose message says what was expected. */
export function parseDuration(text: string | number): number {
  const problem = durationProblem(text);
  if (problem !== undefined) throw new Error(problem);
  return toMs(text)!;
}

