// The scan of a JSON string's inside (src/wire/string-scan.ts): where it ends, and the first
// control character or bad escape before that, found alike by the JavaScript and the WebAssembly
// scanner (same index, same carried state), as a regular expression of JSON's string grammar and
// JSON.parse say, however the bytes are cut into pieces (and, for WebAssembly, into its 64 KB
// windows and 64-byte steps).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildWasmStringScanner, scanStringJs, type StringScanner } from '../../src/wire/string-scan.js';

const SEED = Number(process.env.WIRE_SEED ?? 42);
const wasm = buildWasmStringScanner()!;

type Outcome = { end: number } | { fault: number } | { state: number };

/**
 * Scans `bytes` from `from`, cut at `cuts` (indexes into bytes, after `from`), each piece handed
 * over with some bytes of another string before it (the scanner is told to start past them).
 */
function scanPieces(scan: StringScanner, bytes: Buffer, from = 0, cuts: number[] = [], lead = 0): Outcome {
  const points = [...new Set(cuts.filter((c) => c > from && c < bytes.length))].sort((a, b) => a - b);
  const out = { state: -99 };
  let state = 0;
  let at = from;
  for (const to of [...points, bytes.length]) {
    const piece = Buffer.concat([Buffer.alloc(lead, '\\'), bytes.subarray(at, to)]);
    const r = scan(piece, lead, state, out);
    if (r >= 0) return { end: at + r - lead };
    if (r < -1) return { fault: at + (-2 - r) - lead };
    expect(r).toBe(-1);
    state = out.state;
    at = to;
  }
  return { state };
}

/** JSON's grammar for a string's inside, as a regular expression, and what follows its longest valid prefix. */
function reference(bytes: Buffer): Outcome {
  const text = bytes.toString('latin1');
  const m = /^(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*/.exec(text)![0].length;
  if (m === text.length) return { state: 0 };
  if (text[m] === '"') return { end: m };
  if (text[m] !== '\\') return { fault: m };
  // An escape that is bad, or cut by the end.
  if (m + 1 === text.length) return { state: 1 };
  if (!/["\\/bfnrtu]/.test(text[m + 1]!)) return { fault: m + 1 };
  for (let k = m + 2; k < m + 6; k++) {
    if (k === text.length) return { state: (1 << (m + 6 - k + 1)) - 2 };
    if (!/[0-9a-fA-F]/.test(text[k]!)) return { fault: k };
  }
  throw new Error('unreachable');
}

// Single bytes, whole and broken escapes (a bad digit in each place), runs long enough to cross
// SIMD steps, non-ASCII bytes.
const tricky = fc.oneof(
  fc.constantFrom(...'\\\\\\"uu0aF9gx/bfnrt \t\n\r\x00\x01\x1f\x20\x21\x23\x5b\x5d\x7f\x80\xc3\xa9\xff'.split('')),
  fc.constantFrom('\\n', '\\"', '\\\\', '\\/', '\\u12aF', '\\uD83D\\uDE00', '\\u12a', '\\ug2aF', '\\u1g2a', '\\u12ga', '\\u12ag', '\\u12a"', '\\x', '\\U1234', '\\\\\\"', 'é', '日'),
  fc.integer({ min: 1, max: 70 }).map((n) => 'z'.repeat(n)),
);
const bytesOf = (parts: string[]) => Buffer.from(parts.join(''), 'latin1');
const content = fc.array(tricky, { maxLength: 40 }).map(bytesOf);
/** Mostly valid content: quotes and faults rare, so that scans go far. */
const longContent = fc
  .array(fc.oneof({ weight: 30, arbitrary: fc.constantFrom('lorem ipsum ', '\\n', '\\"', '\\\\', '\\u00e9', 'é', 'z'.repeat(61)) }, { weight: 1, arbitrary: tricky }), { minLength: 1, maxLength: 300 })
  .map(bytesOf);

const scanners: Array<[string, StringScanner]> = [
  ['JavaScript', scanStringJs],
  ['WebAssembly', wasm],
];

describe('string scan', () => {
  it('WebAssembly (with SIMD) is available here: the fast scanner is the one used', () => {
    expect(wasm).toBeDefined();
  });

  for (const [name, scan] of scanners) {
    it(`${name}: agrees with JSON's grammar, whatever the bytes and cuts`, () => {
      fc.assert(
        fc.property(content, fc.array(fc.nat(), { maxLength: 6 }), fc.nat(8), (b, cuts, lead) => {
          expect(scanPieces(scan, b, 0, cuts.map((c) => c % (b.length + 1)), lead)).toStrictEqual(reference(b));
        }),
        { seed: SEED, numRuns: 5000 },
      );
    });

    it(`${name}: a string is whole and valid exactly when JSON.parse takes it`, () => {
      fc.assert(
        fc.property(content, fc.array(fc.nat(), { maxLength: 3 }), (b, cuts) => {
          const closed = Buffer.concat([b, Buffer.from('"')]);
          let parses = true;
          try {
            JSON.parse(`"${closed.toString('latin1')}`);
          } catch {
            parses = false;
          }
          const r = scanPieces(scan, closed, 0, cuts.map((c) => c % closed.length));
          expect('end' in r && r.end === b.length).toBe(parses);
        }),
        { seed: SEED, numRuns: 5000 },
      );
    });
  }

  it('the two scanners agree exactly (index and state) on long content, from any start, cut anywhere', () => {
    fc.assert(
      fc.property(longContent, fc.nat(), fc.array(fc.nat(), { maxLength: 5 }), (b, from, cuts) => {
        const start = from % (b.length + 1);
        const points = cuts.map((c) => c % (b.length + 1));
        const js = scanPieces(scanStringJs, b, start, points);
        expect(scanPieces(wasm, b, start, points)).toStrictEqual(js);
        if (start === 0) expect(js).toStrictEqual(reference(b));
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('pieces longer than the 64 KB window: the same results, with escapes and faults at the window and step edges', () => {
    const base = Buffer.alloc(200_000, 'a');
    const edges = [0, 1, 2, 3, 4, 5, 59, 60, 61, 62, 63, 64, 65, 127, 128, 65_536 - 7, 65_536 - 6, 65_536 - 5, 65_536 - 4, 65_536 - 2, 65_536 - 1, 65_536, 65_537, 131_072 - 3, 199_990];
    const inserts = ['\\n', '\\u12aF', '\\\\', '\\\\\\\\\\"', '\\u12', '\\x', '\\u12g4', '\\u12a"', '\x01', '\t', '\\\\\\"', '"', '\\"', '\\u00e9\\u00e9'];
    for (const at of edges) {
      for (const insert of inserts) {
        const b = Buffer.from(base);
        b.write(insert, at, 'latin1');
        const want = reference(b);
        const label = `${JSON.stringify(insert)} at ${at}`;
        expect(scanPieces(wasm, b), label).toStrictEqual(want);
        expect(scanPieces(scanStringJs, b), label).toStrictEqual(want);
        expect(scanPieces(wasm, b, 0, [at + 1, at + 3]), label).toStrictEqual(want);
        expect(scanPieces(wasm, b, 0, [at - 70_000, at - 1]), label).toStrictEqual(want);
        expect(scanPieces(wasm, b, 3, [], 65_534), label).toStrictEqual(scanPieces(scanStringJs, b, 3));
      }
    }
  });

  it('property: big pieces of random content (windows, steps and escapes cut anywhere) agree with the reference', () => {
    fc.assert(
      fc.property(fc.array(longContent, { minLength: 1, maxLength: 8 }), fc.nat(70_000), fc.array(fc.nat(), { maxLength: 3 }), (parts, pad, cuts) => {
        // Padding moves the content across the window edges.
        const b = Buffer.concat([Buffer.alloc(pad, 'p'), ...parts]);
        const points = cuts.map((c) => c % (b.length + 1));
        const want = reference(b);
        expect(scanPieces(wasm, b, 0, points)).toStrictEqual(want);
        expect(scanPieces(scanStringJs, b, 0, points)).toStrictEqual(want);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });
});
