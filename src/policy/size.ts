// Sizes as users write them ("200kB", "2MB", "1.5MiB", a whole number of bytes, or 0/"off") and
// as mcp-leash writes them for people ("2.3 MB"). Decimal units (kB = 1000 bytes) as in the
// notes mcp-leash writes for the model; binary ones (KiB = 1024) for those who think in them.
// Pure: the config reads sizes with it, the core words its notes with it.

/** ECMA-262 source, also the JSON Schema `pattern` of a size written as text. */
export const SIZE_PATTERN = /^(?:off|0|\d+(?:\.\d+)?(?:B|kB|KB|KiB|MB|MiB|GB|GiB))$/;

const UNITS: Record<string, number> = { B: 1, kB: 1e3, KB: 1e3, KiB: 1024, MB: 1e6, MiB: 1024 ** 2, GB: 1e9, GiB: 1024 ** 3 };

/** Smaller budgets cannot hold mcp-leash's own note; 0 turns the budget off. */
export const MIN_SIZE = 1000;
/** Past this a line is refused anyway (maxMessageBytes is at most this in practice). */
export const MAX_SIZE = 2 ** 32;

export const SIZE_EXPECTED = `expected a size like "200kB" or "2MB" (at least 1kB), a whole number of bytes, or 0/"off"`;

/** Bytes, 0 for off, or undefined when `value` is not a size. */
export function parseSize(value: unknown): number | undefined {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && SIZE_PATTERN.test(value)) {
    if (value === 'off' || value === '0') return 0;
    const m = /^(\d+(?:\.\d+)?)(\D+)$/.exec(value)!;
    n = Math.floor(Number(m[1]) * UNITS[m[2]!]!);
  } else return undefined;
  if (Object.is(n, 0)) return 0;
  return Number.isSafeInteger(n) && n >= MIN_SIZE && n <= MAX_SIZE ? n : undefined;
}

/** The size in the config file's vocabulary, so that --print-config loads back: "200kB", "2MB", "1536B", "off". */
export function writeSize(n: number): string | number {
  if (n === 0) return 'off';
  if (n % 1e6 === 0) return `${n / 1e6}MB`;
  if (n % 1e3 === 0) return `${n / 1e3}kB`;
  return `${n}B`;
}

/** For people and models: "870 B", "200 kB", "2.3 MB". */
export function formatSize(n: number): string {
  if (n < 1e3) return `${n} B`;
  if (n < 1e6) return `${Number((n / 1e3).toFixed(n < 1e4 ? 1 : 0))} kB`;
  if (n < 1e9) return `${Number((n / 1e6).toFixed(1))} MB`;
  return `${Number((n / 1e9).toFixed(1))} GB`;
}
