// Long lines (src/wire/long-line.ts): a plain response is decoded without parsing its result and
// re-encoded as views of its own bytes with the new id spliced in; everything else takes the
// ordinary path with the ordinary result.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withId, withIdAndToken, type JsonObject } from '../../src/core/message.js';
import { decodeLine, encode } from '../../src/wire/decode.js';
import { LineSplitter } from '../../src/wire/line-splitter.js';
import { decodeLongLine, encodeRaw, LONG_LINE } from '../../src/wire/long-line.js';
import type { Frame } from '../../src/core/session.js';

const SEED = Number(process.env.WIRE_SEED ?? 42);

/** Decodes `text` the way the shell does when it arrives in `pieces`-sized chunks (threshold 1 byte). */
function decode(text: string, fromChild = true, chunk = 7): Frame | undefined {
  let frame: Frame | undefined;
  const s = new LineSplitter(
    Infinity,
    {
      lineAt: (b, start, end) => (frame = decodeLine(b, fromChild, start, end)),
      oversize: () => {
        throw new Error('oversize');
      },
      longLine: (pieces, bytes, skim) => (frame = decodeLongLine(pieces, bytes, skim, fromChild)),
    },
    1,
  );
  const bytes = Buffer.from(`${text}\n`);
  for (let i = 0; i < bytes.length; i += chunk) s.push(bytes.subarray(i, i + chunk));
  return frame;
}

const bytesOf = (views: Buffer[] | undefined): string => Buffer.concat(views ?? []).toString('utf8');

describe('long lines: plain responses', () => {
  const text = '{"jsonrpc":"2.0","id":17,"result":{"content":[{"type":"text","text":"x\\"y\\\\"}],"isError":false},"extra":{"kept":1}}';

  it('decodes to the same response as the ordinary path', () => {
    const frame = decode(text);
    expect(frame).toMatchObject({ kind: 'response', id: 17 });
    const msg = (frame as { msg: JsonObject }).msg;
    expect(JSON.parse(JSON.stringify(msg))).toStrictEqual(JSON.parse(text));
  });

  it('re-encodes with a new id as views of the original bytes, nothing else changed', () => {
    const msg = (decode(text) as { msg: JsonObject }).msg;
    for (const id of [3, 'a"b', '', 0, -1.5]) {
      const out = encodeRaw(withId(msg, id));
      expect(bytesOf(out)).toBe(encode(withId(JSON.parse(text) as JsonObject, id)));
    }
    expect(bytesOf(encodeRaw(msg))).toBe(`${text}\n`);
  });

  it('an id at the end, whitespace and \\r\\n: the object is re-sent as it came, the id replaced', () => {
    const t = '{ "result" : {"a": [1, 2]}, "jsonrpc":"2.0" , "id" : "abc" } \r';
    const msg = (decode(t) as { msg: JsonObject }).msg;
    expect(bytesOf(encodeRaw(withId(msg, 9)))).toBe('{ "result" : {"a": [1, 2]}, "jsonrpc":"2.0" , "id" : 9 }\n');
  });

  it('an error response works the same way', () => {
    const t = '{"jsonrpc":"2.0","id":4,"error":{"code":-32000,"message":"no","data":{"big":"x"}}}';
    const msg = (decode(t) as { msg: JsonObject }).msg;
    expect((msg.error as JsonObject).code).toBe(-32000);
    expect(bytesOf(encodeRaw(withId(msg, 5)))).toBe(encode(withId(JSON.parse(t) as JsonObject, 5)));
  });

  it('any other change to the message is not spliced (the caller stringifies it)', () => {
    const msg = (decode(text) as { msg: JsonObject }).msg;
    expect(encodeRaw({ ...msg, id: 1, extra: 2 })).toBeUndefined();
    expect(encodeRaw({ ...msg, result: { other: true } })).toBeUndefined();
    const { extra: _, ...fewer } = msg;
    expect(encodeRaw(fewer)).toBeUndefined();
    expect(encodeRaw({ ...msg, id: { not: 'an id' } as unknown as number })).toBeUndefined();
    expect(encodeRaw({ jsonrpc: '2.0', id: 1, result: {} })).toBeUndefined();
  });

  it('the result is parsed only when something looks at it, and then behaves as the parsed object', () => {
    const big = { content: [{ type: 'text', text: 'z'.repeat(100_000) }], tools: [{ name: 't' }] };
    const t = JSON.stringify({ jsonrpc: '2.0', id: 1, result: big });
    const msg = (decode(t, true, 65_536) as { msg: JsonObject }).msg;
    const result = msg.result as JsonObject;
    expect(typeof result).toBe('object');
    expect(Object.keys(result)).toStrictEqual(['content', 'tools']);
    expect('tools' in result).toBe(true);
    expect((result.tools as JsonObject[])[0]!.name).toBe('t');
    expect(JSON.stringify(result)).toBe(JSON.stringify(big));
    expect({ ...result, _meta: { x: 1 } }).toStrictEqual({ ...big, _meta: { x: 1 } });
  });

  it('LONG_LINE is where the shell starts using this path', () => {
    expect(LONG_LINE).toBe(1024 * 1024);
  });
});

describe('long lines: everything else takes the ordinary path, with the ordinary result', () => {
  const same: Array<[string, string, boolean]> = [
    ['a request', '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}', false],
    ['a notification', '{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1}}', true],
    ['a response without jsonrpc, from the child (repaired)', '{"id":1,"result":{}}', true],
    ['a response without jsonrpc, from the client (refused)', '{"id":1,"result":{}}', false],
    ['jsonrpc 1.0', '{"jsonrpc":"1.0","id":1,"result":{}}', true],
    ['a null id', '{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"m"}}', true],
    ['an object id', '{"jsonrpc":"2.0","id":{"a":1},"result":{}}', true],
    ['duplicate ids', '{"jsonrpc":"2.0","id":1,"result":{},"id":2}', true],
    ['a __proto__ member', '{"jsonrpc":"2.0","id":1,"result":{},"__proto__":{"x":1}}', true],
    ['not JSON', '{"jsonrpc":"2.0","id":1,"result":{]', true],
    ['a batch', '[{"jsonrpc":"2.0","id":1,"result":{}}]', true],
    ['a string result', '{"jsonrpc":"2.0","id":1,"result":"text"}', true],
    ['neither result nor error', '{"jsonrpc":"2.0","id":1}', true],
  ];
  for (const [name, text, fromChild] of same) {
    it(name, () => {
      const long = decode(text, fromChild);
      const short = decodeLine(Buffer.from(text), fromChild);
      expect(JSON.parse(JSON.stringify(long))).toStrictEqual(JSON.parse(JSON.stringify(short)));
    });
  }

  it('a request keeps its ordinary encoding (its token is rewritten by the core)', () => {
    const t = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{"progressToken":1}}}';
    const frame = decode(t, false) as { msg: JsonObject };
    expect(encodeRaw(withIdAndToken(frame.msg, 5, 5))).toBeUndefined();
  });
});

// Bug 8: a long response whose strings hold what JSON.parse refuses (a raw control character, a
// bad escape) or bytes that are not UTF-8 was re-sent as it came, and the client could not parse
// it. Now the skim refuses it and the line takes the ordinary path: refused as JSON, or decoded
// with U+FFFD and re-serialised.
describe('long lines: content only a full parse would refuse is never re-sent raw', () => {
  /** Decodes `bytes` as the shell does, cut into `chunk`-sized pieces, long-line threshold 1 byte. */
  function decodeBytes(bytes: Buffer, chunk: number): Frame | undefined {
    let frame: Frame | undefined;
    const s = new LineSplitter(
      Infinity,
      {
        lineAt: (b, start, end) => (frame = decodeLine(b, true, start, end)),
        oversize: () => {
          throw new Error('oversize');
        },
        longLine: (pieces, n, skim) => (frame = decodeLongLine(pieces, n, skim, true)),
      },
      1,
    );
    const all = Buffer.concat([bytes, Buffer.from('\n')]);
    for (let i = 0; i < all.length; i += chunk) s.push(all.subarray(i, i + chunk));
    return frame;
  }
  const response = (junk: Buffer, size: number) =>
    Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"'), Buffer.alloc(size, 'z'), junk, Buffer.alloc(size, 'z'), Buffer.from('"}]}}')]);

  const junk: Array<[string, Buffer]> = [
    ['a raw 0x01', Buffer.from([0x01])],
    ['a raw NUL', Buffer.from([0x00])],
    ['a raw tab', Buffer.from([0x09])],
    ['an invalid escape', Buffer.from('\\x')],
    ['a cut \\u escape', Buffer.from('\\u12')],
    ['0xff 0xfe', Buffer.from([0xff, 0xfe])],
    ['an encoded surrogate', Buffer.from([0xed, 0xa0, 0x80])],
    ['a lone 2-byte lead', Buffer.from([0xc3])],
  ];
  for (const [name, j] of junk) {
    for (const size of [10, 70 * 1024]) {
      it(`${name} in a ${size < 1000 ? 'short' : 'lazy (64 KB+)'} result: the same frame as the ordinary path, and not re-sent raw`, () => {
        const bytes = response(j, size);
        const short = decodeLine(bytes, true);
        for (const chunk of [1, 3, 7, 4096, bytes.length + 1]) {
          if (size > 1000 && chunk < 7) continue; // slow, and the cuts that matter are covered by the short case
          const frame = decodeBytes(bytes, chunk);
          expect(frame?.kind).toBe(short?.kind);
          if (frame && 'msg' in frame) {
            expect(encodeRaw(withId(frame.msg, 9))).toBeUndefined();
            expect(JSON.stringify(frame.msg)).toBe(JSON.stringify((short as { msg: JsonObject }).msg));
          } else {
            expect(frame).toMatchObject({ kind: 'unparsable', problem: 'json' });
          }
        }
      });
    }
  }

  it('the same response without the junk is still re-sent raw (the fast path is kept)', () => {
    for (const size of [10, 70 * 1024]) {
      const bytes = response(Buffer.from('é\\n\\"\\u00e9😀'), size);
      for (const chunk of [7, 4096]) {
        const frame = decodeBytes(bytes, chunk) as { msg: JsonObject };
        expect(bytesOf(encodeRaw(withId(frame.msg, 9)))).toBe(`${bytes.toString('utf8').replace('"id":2', '"id":9')}\n`);
      }
    }
  });
});

describe('long lines: property', () => {
  it('any response, cut anywhere, re-encoded with any id, equals the ordinary encoding', () => {
    const id = fc.oneof(fc.integer(), fc.string());
    fc.assert(
      fc.property(id, id, fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue()), fc.integer({ min: 1, max: 64 }), (was, now, value, extra, chunk) => {
        const result = { value, ...extra };
        const orig = { jsonrpc: '2.0', id: was, result };
        const text = JSON.stringify(orig);
        const frame = decode(text, true, chunk) as { kind: string; msg: JsonObject };
        expect(frame.kind).toBe('response');
        const out = withId(frame.msg, now);
        const raw = encodeRaw(out);
        expect(raw ? bytesOf(raw) : encode(out)).toBe(encode({ ...orig, id: now }));
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});
