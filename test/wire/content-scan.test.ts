// The content scan of long lines (src/wire/content-scan.ts): control characters and bad escapes,
// found the same way by the JavaScript and the WebAssembly scanner, as JSON.parse would, however
// the bytes are cut into pieces (and, for WebAssembly, into its 64 KB windows).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildWasmScanner, scanJs, type Scanner, type ScanState } from '../../src/wire/content-scan.js';

const SEED = Number(process.env.WIRE_SEED ?? 42);
const wasm = buildWasmScanner();

/** Scans pieces in order with one scanner: ok (and where the first tab/LF/CR is), or the fault's offset. */
function scanAll(scan: Scanner, pieces: Buffer[]): { fault: number } | { escape: number; whitespace: number } {
  const out: ScanState = { escape: -1, whitespace: -1 };
  let escape = -1;
  let whitespace = -1;
  let at = 0;
  for (const p of pieces) {
    const f = scan(p, escape, out);
    if (f >= 0) return { fault: at + f };
    escape = out.escape;
    if (whitespace < 0 && out.whitespace >= 0) whitespace = at + out.whitespace;
    at += p.length;
  }
  return { escape, whitespace };
}

/** The obvious byte-by-byte reading of the same rules. */
function reference(bytes: Buffer): { fault: number } | { escape: number; whitespace: number } {
  let whitespace = -1;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c === 9 || c === 10 || c === 13) {
      if (whitespace < 0) whitespace = i;
      continue;
    }
    if (c < 0x20) return { fault: i };
    if (c !== 92) continue;
    if (i + 1 >= bytes.length) return { escape: 0, whitespace };
    const e = bytes[i + 1]!;
    if ('"\\/bfnrt'.includes(String.fromCharCode(e))) {
      i++;
      continue;
    }
    if (e !== 117) return { fault: i };
    for (let k = 0; k < 4; k++) {
      if (i + 2 + k >= bytes.length) return { escape: 4 - k, whitespace };
      if (!/[0-9a-fA-F]/.test(String.fromCharCode(bytes[i + 2 + k]!))) return { fault: i + 2 + k };
    }
    i += 5;
  }
  return { escape: -1, whitespace };
}

function cutAt(bytes: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const p of at) {
    pieces.push(bytes.subarray(from, p));
    from = p;
  }
  pieces.push(bytes.subarray(from));
  return pieces;
}

/** Faults are compared by being there or not: where a scanner stops may differ (it reports one). */
const verdict = (r: { fault: number } | { escape: number; whitespace: number }) => ('fault' in r ? 'fault' : r);

const scanners: Array<[string, Scanner | undefined]> = [
  ['JavaScript', scanJs],
  ['WebAssembly', wasm],
];

describe('content scan', () => {
  it('WebAssembly is available here (the fast scanner is the one used)', () => {
    expect(wasm).toBeDefined();
  });

  // Single bytes, whole and broken escapes (a bad digit in each place), runs long enough for SIMD.
  const tricky = fc.oneof(
    fc.constantFrom(...'\\\\"uu0aF9gx/bfnrt \t\n\r\x00\x01\x1f\x7f\xff'.split('')),
    fc.constantFrom('\\n', '\\"', '\\\\', '\\/', '\\u12aF', '\\uD83D\\uDE00', '\\u12a', '\\ug2aF', '\\u1g2a', '\\u12ga', '\\u12ag', '\\x', '\\U1234'),
    fc.integer({ min: 1, max: 40 }).map((n) => 'z'.repeat(n)),
  );
  const bytes = fc.array(tricky, { maxLength: 30 }).map((cs) => Buffer.from(cs.join(''), 'latin1'));

  for (const [name, scan] of scanners) {
    it(`${name}: agrees with the reference, whatever the bytes and cuts`, () => {
      fc.assert(
        fc.property(bytes, fc.array(fc.nat(), { maxLength: 6 }), (b, points) => {
          expect(verdict(scanAll(scan!, cutAt(b, points)))).toStrictEqual(verdict(reference(b)));
        }),
        { seed: SEED, numRuns: 3000 },
      );
    });

    it(`${name}: a string is fine for it exactly when JSON.parse takes it`, () => {
      fc.assert(
        fc.property(bytes, fc.array(fc.nat(), { maxLength: 3 }), (b, points) => {
          // Only contents where no quote ends the string early (the skim's business, not this one's).
          const text = b.toString('latin1');
          if (/(^|[^\\])(\\\\)*"/.test(text)) return;
          let parses = true;
          try {
            JSON.parse(`"${text}"`);
          } catch {
            parses = false;
          }
          const r = scanAll(scan!, cutAt(b, points));
          expect(!('fault' in r) && r.escape === -1 && r.whitespace === -1).toBe(parses);
        }),
        { seed: SEED, numRuns: 3000 },
      );
    });
  }

  it('WebAssembly: pieces longer than its 64 KB window, with escapes and faults around the window edges', () => {
    const base = Buffer.alloc(200_000, 'a');
    for (const at of [65_536 - 7, 65_536 - 6, 65_536 - 5, 65_536 - 2, 65_536 - 1, 65_536, 131_072 - 3]) {
      for (const insert of ['\\n', '\\u12aF', '\\\\', '\\u12', '\\x', '\\u12g4', '\x01', '\t', '\\\\\\"']) {
        const b = Buffer.from(base);
        b.write(insert, at, 'latin1');
        const want = verdict(reference(b));
        expect(verdict(scanAll(wasm!, [b])), `${JSON.stringify(insert)} at ${at}`).toStrictEqual(want);
        expect(verdict(scanAll(scanJs, [b])), `${JSON.stringify(insert)} at ${at}`).toStrictEqual(want);
        expect(verdict(scanAll(wasm!, cutAt(b, [at + 1, at + 3])))).toStrictEqual(want);
      }
    }
  });
});
