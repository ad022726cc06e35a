// Durations as people write them in the config ("1h30m", "1s500ms", "off"): exact, so that the
// limit a model or a log names is the one the user set. Pure: the core names limits with it too.

const UNITS: Array<[string, number]> = [['h', 3_600_000], ['m', 60_000], ['s', 1_000], ['ms', 1]];

/** The shortest exact spelling of a duration: 0 -> "off", 90_000 -> "1m30s", 1_500 -> "1s500ms". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`not a duration: ${ms}`);
  let rest = Math.round(ms);
  if (rest === 0) return 'off';
  let out = '';
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}
