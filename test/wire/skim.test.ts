// The structural skim of long lines (src/wire/skim.ts): where the top-level members are, whatever
// way the line is cut into pieces, and which broken lines it refuses. Everything is run with each
// string scanner (WebAssembly, and the JavaScript one used where WebAssembly is not available).

import fc from 'fast-check';
import { isUtf8 } from 'node:buffer';
import { beforeAll, describe, expect, it } from 'vitest';
import { Skim, skimPieces as skimWith, type SkimResult } from '../../src/wire/skim.js';
import { buildWasmStringScanner, scanStringJs, type StringScanner } from '../../src/wire/string-scan.js';

const SCANNERS: Array<[string, StringScanner]> = [
  ['WebAssembly', buildWasmStringScanner()!],
  ['JavaScript', scanStringJs],
];

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

/** The scanner the tests below use (each describe block is run with each). */
let scanner: StringScanner = scanStringJs;
const skimPieces = (pieces: Buffer[]): SkimResult => skimWith(pieces, scanner);

function skimText(text: string, at: number[] = []): SkimResult {
  return skimPieces(cut(Buffer.from(text), at));
}

/** What the skim must agree with: the text is UTF-8 and JSON.parse reads an object from it. */
function parsesAsObject(bytes: Buffer): boolean {
  if (!isUtf8(bytes)) return false;
  try {
    const v: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
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

for (const [name, scan] of SCANNERS) describe(`with the ${name} string scanner`, () => {
beforeAll(() => {
  scanner = scan;
});

describe('Skim: top-level members of a JSON object cut into pieces', () => {
  it('finds every member, value bytes exact, for any object and any cut', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.constantFrom(undefined, ' ', '\t', '\r', '\r\n', '\n'), cuts, (obj, newline, at) => {
        // JSON.stringify with indentation puts newlines and spaces only between tokens.
        const text = newline === undefined ? JSON.stringify(obj) : JSON.stringify(obj, null, '\t ').replace(/\n/g, newline);
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

  it('long strings with escapes, in pieces longer than 64 KB and cut anywhere: members exact, escapes checked', () => {
    const long = (n: number, unit: string) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
    const obj = {
      jsonrpc: '2.0',
      result: { a: long(70_000, 'say "hi"\\\n\u0001é'), b: [long(65_530, 'x\\'), 1.5e3, long(3, 'z')], c: long(140_000, '日本 "q" ') },
      'k\u00e9y': long(10, '\t'),
      id: 'z',
    };
    const text = JSON.stringify(obj);
    const bytes = Buffer.from(text);
    for (const at of [[], [0.2], [0.3, 0.31, 0.6], [0.45, 0.9]]) expect(readBack(text, skimText(text, at))).toStrictEqual(obj);
    // The same line with a bad escape deep inside: refused, where it is.
    const bad = Buffer.from(bytes);
    const where = bytes.indexOf('\\u0001', 100_000);
    bad.write('\\x', where, 'latin1');
    for (const at of [[], [0.5], [where / bad.length]]) expect(skimPieces(cut(bad, at))).toMatchObject({ ok: false, at: where + 1 });
  });

  it('a trailing \\r and spaces after the object are fine; the end offset leaves them out', () => {
    const text = '{"id":1} \r';
    const r = skimText(text);
    expect(r).toMatchObject({ ok: true, end: 8 });
  });

  it('feeds piece by piece as they arrive', () => {
    const s = new Skim(scanner);
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

});

// What a full parse would refuse inside strings (bug 8): a long line the skim passes is forwarded
// as it came, so the skim must refuse it too, wherever the pieces are cut.
describe('Skim: content that only a full parse would see is refused', () => {
  /** Every way of cutting `bytes` in two or three pieces around `near` (every way if short). */
  function everyCut(bytes: Buffer, near = 0, span = bytes.length): Buffer[][] {
    const out: Buffer[][] = [[bytes]];
    const lo = Math.max(0, near - 8);
    const hi = Math.min(bytes.length, near + span);
    for (let i = lo; i <= hi; i++) {
      out.push([bytes.subarray(0, i), bytes.subarray(i)]);
      for (let j = i; j <= Math.min(hi, i + 4); j++) out.push([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)]);
    }
    return out;
  }
  const line = (inner: Buffer | string) => Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":1,"result":{"text":"ab'), Buffer.from(inner), Buffer.from('xy"}}')]);
  /** What the skim must agree with: JSON.parse refuses the text, or it is not UTF-8. */
  const fullParseRefuses = (bytes: Buffer): boolean => {
    if (!isUtf8(bytes)) return true;
    try {
      JSON.parse(bytes.toString('utf8'));
      return false;
    } catch {
      return true;
    }
  };
  const AT = Buffer.byteLength('{"jsonrpc":"2.0","id":1,"result":{"text":"ab');

  const bad: Array<[string, Buffer | string]> = [
    ['an unknown escape', '\\q'],
    ['\\x', '\\x'],
    ['an escaped backslash, then an unknown escape', '\\\\\\q'],
    ['\\u with 2 hex digits', '\\u12'],
    ['\\u with a non-hex digit', '\\u12g4'],
    ['\\U (upper case)', '\\U1234'],
    ['a raw 0x01', Buffer.from([1])],
    ['a raw NUL', Buffer.from([0])],
    ['a raw 0x1f', Buffer.from([0x1f])],
    ['a raw tab in a string', Buffer.from([9])],
    ['a raw CR in a string', Buffer.from([13])],
    ['a raw LF in a string', Buffer.from([10])],
    ['0xff', Buffer.from([0xff])],
    ['a lone continuation byte', Buffer.from([0x80])],
    ['an overlong NUL', Buffer.from([0xc0, 0x80])],
    ['an encoded surrogate', Buffer.from([0xed, 0xa0, 0x80])],
    ['past U+10FFFF', Buffer.from([0xf4, 0x90, 0x80, 0x80])],
    ['a character cut short', Buffer.from([0xe2, 0x82])],
    ['a 4-byte lead followed by ASCII', Buffer.from([0xf0, 0x41, 0x41, 0x41])],
  ];
  for (const [name, inner] of bad) {
    it(`${name}, cut anywhere`, () => {
      const bytes = line(inner);
      expect(fullParseRefuses(bytes)).toBe(true);
      for (const pieces of everyCut(bytes, AT, 12)) expect(skimPieces(pieces).ok, JSON.stringify(pieces.map((p) => p.toString('latin1')))).toBe(false);
    });
  }

  it('a character cut short at the very end of the line', () => {
    expect(skimPieces([Buffer.from('{"a":"x"}'), Buffer.from([0xe2])]).ok).toBe(false);
  });

  const good: Array<[string, string]> = [
    ['every escape JSON has', '\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\\uDE00 \\uABCD'],
    ['runs of backslashes', '\\\\\\\\\\"\\\\'],
    ['a lone surrogate escape (JSON allows it)', '\\ud800'],
    ['2, 3 and 4-byte characters', 'é€😀日本'],
    ['U+FFFF and U+10FFFF', '\uffff\u{10ffff}'],
  ];
  for (const [name, inner] of good) {
    it(`${name}: passes, cut anywhere`, () => {
      const bytes = line(inner);
      expect(fullParseRefuses(bytes)).toBe(false);
      for (const pieces of everyCut(bytes, AT, Buffer.byteLength(inner) + 8)) expect(skimPieces(pieces).ok, JSON.stringify(pieces.map((p) => p.toString('latin1')))).toBe(true);
    });
  }

  it('one byte at a time', () => {
    const bytes = line('é\\u00e9\\n😀');
    const pieces = [...bytes].map((b) => Buffer.from([b]));
    expect(skimPieces(pieces).ok).toBe(true);
    const broken = line('é\\u00g9');
    expect(skimPieces([...broken].map((b) => Buffer.from([b]))).ok).toBe(false);
  });

  it('tab, CR and LF: whitespace between tokens, refused in a string; other control characters refused anywhere (what and where)', () => {
    expect(skimText('{"id":1}\t\r \r')).toMatchObject({ ok: true, end: 8 });
    const spaced = '\t{\t"id"\r:\n1 ,\t"result":\r{ "a" :\t[1,\r2]}}\r\t ';
    expect(readBack(spaced, skimText(spaced, [0.5]))).toStrictEqual(JSON.parse(spaced));
    expect(skimText(spaced)).toMatchObject({ ok: true, end: spaced.lastIndexOf('}') + 1 });
    expect(skimText('{"id":1,\x01"result":{}}')).toStrictEqual({ ok: false, at: 8, problem: 'control character 0x01 between tokens' });
    expect(skimText('{"id":1,"result":{}\x00}')).toMatchObject({ ok: false, at: 19 });
    expect(skimText('{"id":1,"result":"a\tb"}')).toStrictEqual({ ok: false, at: 19, problem: 'control character 0x09 in a string' });
    expect(skimText('{"id":1,"result":"a\\qb"}')).toStrictEqual({ ok: false, at: 20, problem: "bad escape ('q' where an escape letter or a hex digit is due)" });
    expect(skimText('{"id":1,"result":"a\\u12"}')).toStrictEqual({ ok: false, at: 23, problem: "bad escape ('\"' where an escape letter or a hex digit is due)" });
  });

  it('property: a valid object with a byte or two put in, taken out or changed passes exactly when JSON.parse takes it, however it is cut', () => {
    const RAW_BYTES = new Set(['\xc3', '\xff', '\x80']); // single bytes, not UTF-8
    const edit = fc.constantFrom(...'"\\{}[],: \t\r\n\x00\x01\x1fu0a1e-.+nxé'.split(''), '\\u', '\\"', '\\\\', 'true', '\xc3', '\xff', '\x80');
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue()), fc.nat(), fc.nat(3), edit, cuts, (obj, where, drop, e, at) => {
        const b = Buffer.from(JSON.stringify(obj));
        const k = where % (b.length + 1);
        const insert = RAW_BYTES.has(e) ? Buffer.from(e, 'latin1') : Buffer.from(e);
        const bytes = Buffer.concat([b.subarray(0, k), insert, b.subarray(Math.min(b.length, k + drop))]);
        expect(skimPieces(cut(bytes, at)).ok, bytes.toString('latin1')).toBe(parsesAsObject(bytes));
      }),
      { seed: Number(process.env.WIRE_SEED ?? 42), numRuns: 2000 },
    );
  });

  it('property: junk put anywhere inside a string of a valid object is refused, however the line is cut', () => {
    const junk = fc.constantFrom(
      Buffer.from([0x01]),
      Buffer.from([0x1f]),
      Buffer.from('\\x'),
      Buffer.from('\\u12'),
      Buffer.from('\\u12"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from([0xc3]),
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), fc.nat(), junk, cuts, (text, where, j, at) => {
        const head = Buffer.from(`{"jsonrpc":"2.0","id":1,"result":{"text":`);
        // Between two code points of the string (escapes kept whole).
        const chars = [...text];
        const k = where % (chars.length + 1);
        const before = Buffer.from(JSON.stringify(chars.slice(0, k).join('')).slice(0, -1));
        const after = Buffer.from(`${JSON.stringify(chars.slice(k).join('')).slice(1)}}}`);
        const bytes = Buffer.concat([head, before, j, after]);
        expect(fullParseRefuses(bytes)).toBe(true);
        expect(skimPieces(cut(bytes, at)).ok).toBe(false);
      }),
      { seed: Number(process.env.WIRE_SEED ?? 42), numRuns: 300 },
    );
  });

  it('property: any JSON.stringify output passes, however it is cut (strings of any code points)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'binary' }), fc.oneof(fc.string({ unit: 'binary' }), fc.jsonValue())), cuts, (obj, at) => {
        const text = JSON.stringify(obj);
        const r = skimText(text, at);
        expect(r.ok).toBe(true);
      }),
      { seed: Number(process.env.WIRE_SEED ?? 42), numRuns: 300 },
    );
  });
});
});
