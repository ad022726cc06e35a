// The structural skim of long lines (src/wire/skim.ts): where the top-level members are, whatever
// way the line is cut into pieces, and which broken lines it refuses.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Skim, skimPieces, type SkimResult } from '../../src/wire/skim.js';

/** Cuts `bytes` at the given fractions (any number of pieces, empty ones included). */
function cut(bytes: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.map((f) => Math.floor(f * (bytes.length + 1))))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    pieces.push(bytes.subarray(from, p));
    from = p;
  }
  pieces.push(bytes.subarray(from));
  return pieces;
}

function skimText(text: string, at: number[] = []): SkimResult {
  return skimPieces(cut(Buffer.from(text), at));
}

/** The members' values, read back from the bytes the skim pointed at. */
function readBack(text: string, r: SkimResult): Record<string, unknown> {
  if (!r.ok) throw new Error(`skim refused: ${r.problem} at ${r.at}`);
  const bytes = Buffer.from(text);
  const out: Record<string, unknown> = {};
  for (const m of r.members) Object.defineProperty(out, m.key, { value: JSON.parse(bytes.subarray(m.start, m.end).toString('utf8')), enumerable: true, writable: true, configurable: true });
  return out;
}

const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 });

describe('Skim: top-level members of a JSON object cut into pieces', () => {
  it('finds every member, value bytes exact, for any object and any cut', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.boolean(), cuts, (obj, spaced, at) => {
        // JSON.stringify with indentation puts raw newlines only between tokens: make them spaces.
        const text = spaced ? JSON.stringify(obj, null, 1).replace(/\n/g, ' ') : JSON.stringify(obj);
        const r = skimText(text, at);
        expect(readBack(text, r)).toStrictEqual(JSON.parse(text));
        if (r.ok) expect(Buffer.from(text).subarray(r.end).toString().trim()).toBe('');
      }),
      { seed: Number(process.env.WIRE_SEED ?? 42), numRuns: 300 },
    );
  });

  it('reads a JSON-RPC response: id, jsonrpc and result, with offsets in bytes (not characters)', () => {
    const text = '{"jsonrpc":"2.0","id":"é😀","result":{"text":"ü"}}';
    const r = skimText(text, [0.3, 0.31, 0.7]);
    expect(r.ok && r.members.map((m) => m.key)).toStrictEqual(['jsonrpc', 'id', 'result']);
    expect(readBack(text, r)).toStrictEqual(JSON.parse(text));
  });

  it('keys with escapes are decoded', () => {
    const text = '{"\\u0069d":1,"a\\"b":2}';
    const r = skimText(text);
    expect(r.ok && r.members.map((m) => m.key)).toStrictEqual(['id', 'a"b']);
  });

  it('escaped quotes and runs of backslashes, cut at every place', () => {
    const text = JSON.stringify({ a: 'x\\', b: 'say "hi"\\\\"', c: '\\\\\\"', id: 7 });
    for (let i = 0; i <= text.length; i++) {
      for (let j = i; j <= Math.min(text.length, i + 3); j++) {
        const bytes = Buffer.from(text);
        const r = skimPieces([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)]);
        expect(readBack(text, r)).toStrictEqual(JSON.parse(text));
      }
    }
  });

  it('a trailing \\r and spaces after the object are fine; the end offset leaves them out', () => {
    const text = '{"id":1} \r';
    const r = skimText(text);
    expect(r).toMatchObject({ ok: true, end: 8 });
  });

  it('feeds piece by piece as they arrive', () => {
    const s = new Skim();
    for (const p of ['{"id"', ':12', '3,"result":{"a":[1,', '2]}}']) s.feed(Buffer.from(p));
    const r = s.end();
    expect(r.ok && r.members).toStrictEqual([
      { key: 'id', start: 6, end: 9 },
      { key: 'result', start: 19, end: 30 },
    ]);
  });
});

describe('Skim: lines that are not one JSON object are refused', () => {
  const broken: Array<[string, string]> = [
    ['unterminated string', '{"id":1,"result":"abc'],
    ['unterminated object', '{"id":1,"result":{"a":1}'],
    ['escaped final quote', '{"a":"x\\"}'],
    ['text after the object', '{"id":1} x'],
    ['two objects', '{"id":1}{"id":2}'],
    ['empty', ''],
    ['blank', '   '],
    ['mismatched brackets', '{"a":[1,2}}'],
    ['missing colon', '{"a" 1}'],
    ['missing comma', '{"a":1 "b":2}'],
    ['trailing comma', '{"a":1,}'],
    ['key not a string', '{a:1}'],
    ['bad literal', '{"a":tru}'],
    ['bad number', '{"a":01}'],
    ['bad number 2', '{"a":1.}'],
    ['bad number 3', '{"a":--1}'],
    ['stray character', '{"a":1,#}'],
    ['bad escape in a key', '{"\\x":1}'],
  ];
  for (const [name, text] of broken) {
    it(name, () => {
      expect(() => JSON.parse(text)).toThrow();
      for (const at of [[], [0.5], [0.1, 0.2, 0.9]]) expect(skimText(text, at).ok).toBe(false);
    });
  }

  for (const [name, text] of [
    ['a batch (array)', '[{"id":1}]'],
    ['a bare string', '"text"'],
    ['a number', '12'],
  ]) {
    it(`valid JSON that is not an object: ${name}`, () => expect(skimText(text!).ok).toBe(false));
  }

  it('what the skim does not check: escapes and control characters inside strings', () => {
    // Documented limits: such a long line is forwarded as it came (see long-line.ts).
    expect(skimText('{"a":"\\q"}').ok).toBe(true);
    expect(skimText('{"a":"\u0001"}').ok).toBe(true);
  });
});
