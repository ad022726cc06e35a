// Long lines (src/wire/long-line.ts): a plain response is decoded without parsing its large
// result (a partial frame) and re-encoded as views of its own bytes with the new id spliced in;
// everything else takes the ordinary path with the ordinary result.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Frame, MessageFrame } from '../../src/core/frame.js';
import type { JsonObject, RequestId } from '../../src/core/message.js';
import { Decoder, encode } from '../../src/wire/codec.js';
import { decodeLine } from '../../src/wire/decode.js';
import { LAZY_RESULT, LongLine, LONG_LINE } from '../../src/wire/long-line.js';
import { TextLine } from '../../src/wire/splice.js';

const SEED = Number(process.env.WIRE_SEED ?? 42);

/** Decodes `bytes` (a newline is added) as the shell does, cut into `chunk`-sized chunks, long-line threshold 1 byte. */
function decodeBytes(bytes: Buffer, fromChild = true, chunk = 7, partial = true): Frame | undefined {
  let frame: Frame | undefined;
  const d = new Decoder({ from: fromChild ? 'child' : 'client', maxMessageBytes: Infinity, longLineBytes: 1, partial });
  const all = Buffer.concat([bytes, Buffer.from('\n')]);
  for (let i = 0; i < all.length; i += chunk) d.push(all.subarray(i, i + chunk), (f) => (frame = f));
  return frame;
}

function decode(text: string, fromChild = true, chunk = 7, partial = true): Frame | undefined {
  return decodeBytes(Buffer.from(text), fromChild, chunk, partial);
}

/** The line the codec writes to forward `frame` with `id` (none: as it came). */
function forward(frame: Frame | undefined, id?: RequestId): string {
  if (!frame || !('msg' in frame)) throw new Error('not a message frame');
  const e = encode({ type: 'forward', to: 'client', frame, ...(id === undefined ? {} : { id }) });
  if (typeof e === 'string') return e;
  if (Array.isArray(e)) return Buffer.concat(e).toString('utf8');
  throw new Error(e.why);
}

/** What forwarding `frame` with `id` writes when it re-uses the long line's bytes (Buffer views); undefined otherwise. */
function viewsOf(frame: Frame | undefined, id: RequestId): Buffer[] | undefined {
  if (!frame || !('msg' in frame)) return undefined;
  const e = encode({ type: 'forward', to: 'client', frame, id });
  return Array.isArray(e) ? e : undefined;
}

const stringified = (msg: JsonObject): string => `${JSON.stringify(msg)}\n`;

describe('long lines: plain responses', () => {
  const text = '{"jsonrpc":"2.0","id":17,"result":{"content":[{"type":"text","text":"x\\"y\\\\"}],"isError":false},"extra":{"kept":1}}';

  it('decodes to the same response as the ordinary path', () => {
    const frame = decode(text);
    expect(frame).toMatchObject({ kind: 'response', id: 17 });
    const msg = (frame as { msg: JsonObject }).msg;
    expect(JSON.parse(JSON.stringify(msg))).toStrictEqual(JSON.parse(text));
  });

  it('re-encodes with a new id as views of the original bytes, nothing else changed', () => {
    const frame = decode(text);
    expect((frame as MessageFrame).raw).toBeInstanceOf(LongLine);
    for (const id of [3, 'a"b', '', 0, -1.5]) {
      expect(viewsOf(frame, id)).toBeDefined();
      expect(forward(frame, id)).toBe(stringified({ ...(JSON.parse(text) as JsonObject), id }));
    }
    expect(forward(frame)).toBe(`${text}\n`);
  });

  it('an id at the end, whitespace and \\r\\n: the object is re-sent as it came, the id replaced', () => {
    const t = '{ "result" : {"a": [1, 2]}, "jsonrpc":"2.0" , "id" : "abc" } \r';
    expect(forward(decode(t), 9)).toBe('{ "result" : {"a": [1, 2]}, "jsonrpc":"2.0" , "id" : 9 }\n');
    expect(forward(decode(t))).toBe('{ "result" : {"a": [1, 2]}, "jsonrpc":"2.0" , "id" : "abc" }\n');
  });

  it('an error response works the same way', () => {
    const t = '{"jsonrpc":"2.0","id":4,"error":{"code":-32000,"message":"no","data":{"big":"x"}}}';
    const frame = decode(t) as MessageFrame;
    expect((frame.msg.error as JsonObject).code).toBe(-32000);
    expect(viewsOf(frame, 5)).toBeDefined();
    expect(forward(frame, 5)).toBe(stringified({ ...(JSON.parse(t) as JsonObject), id: 5 }));
  });

  it('what the core does to the decoded message does not change what is forwarded (the bytes and the output say it)', () => {
    const frame = decode(text) as MessageFrame;
    frame.msg.result = { other: true };
    frame.msg.extra = 2;
    delete frame.msg.jsonrpc;
    expect(forward(frame, 1)).toBe(stringified({ ...(JSON.parse(text) as JsonObject), id: 1 }));
    const frozen = decode(text) as MessageFrame;
    Object.freeze(frozen.msg);
    expect(forward(frozen, 'x')).toBe(stringified({ ...(JSON.parse(text) as JsonObject), id: 'x' }));
  });

  it(`a result of ${LAZY_RESULT} bytes or more is left out (a partial frame); raw.parse() gives the whole message`, () => {
    const big = { content: [{ type: 'text', text: 'z'.repeat(100_000) }], tools: [{ name: 't' }] };
    const t = JSON.stringify({ jsonrpc: '2.0', id: 1, result: big, _meta: { m: 1 } });
    const frame = decode(t, true, 65_536) as Extract<MessageFrame, { kind: 'response' }>;
    expect(frame).toMatchObject({ kind: 'response', id: 1, partial: true });
    expect('result' in frame.msg).toBe(false);
    expect(frame.msg).toStrictEqual({ jsonrpc: '2.0', id: 1, _meta: { m: 1 } });
    expect(frame.raw!.bytes).toBe(t.length);
    expect(frame.raw!.parse()).toStrictEqual(JSON.parse(t));
    expect(viewsOf(frame, 'n')).toBeDefined();
    expect(forward(frame, 'n')).toBe(stringified({ ...(JSON.parse(t) as JsonObject), id: 'n' }));
    // A result just under the size is parsed at once.
    const small = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { t: 'z'.repeat(LAZY_RESULT - 20) } });
    const whole = decode(small, true, 65_536) as Extract<MessageFrame, { kind: 'response' }>;
    expect(whole.partial).toBeUndefined();
    expect(whole.msg).toStrictEqual(JSON.parse(small));
  });

  it('partial: false parses a large result too (for a core that reads msg only), and still re-sends the bytes', () => {
    const t = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { t: 'z'.repeat(100_000) } });
    const frame = decode(t, true, 65_536, false) as Extract<MessageFrame, { kind: 'response' }>;
    expect(frame.partial).toBeUndefined();
    expect(frame.msg).toStrictEqual(JSON.parse(t));
    expect(viewsOf(frame, 2)).toBeDefined();
  });

  it("a partial frame's raw.parse() throws a SyntaxError when the bytes do not parse (never an empty result)", () => {
    const t = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { t: 'z'.repeat(100_000) } });
    const frame = decode(t, true, 65_536) as Extract<MessageFrame, { kind: 'response' }>;
    expect(frame.partial).toBe(true);
    // The skim checked the bytes as they came; should they be broken all the same (here: changed
    // afterwards, in the pieces the frame holds), the parse says so.
    const views = viewsOf(frame, 1)!;
    const piece = views.find((v) => v.length > 100)!;
    piece.fill(0x01, 20, 21); // a raw control character inside the string: no longer JSON
    expect(() => frame.raw!.parse()).toThrow(SyntaxError);
  });

  it('a forward with a token of a partial frame parses it, and its failure is a value (no throw)', () => {
    const t = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { t: 'z'.repeat(100_000) } });
    const frame = decode(t, true, 65_536) as Extract<MessageFrame, { kind: 'response' }>;
    expect(encode({ type: 'forward', to: 'client', frame, id: 3, token: 't' })).toBe(stringified({ ...(JSON.parse(t) as JsonObject), id: 3, params: { _meta: { progressToken: 't' } } }));
    viewsOf(frame, 1)!.find((v) => v.length > 100)!.fill(0x01, 20, 21);
    expect(encode({ type: 'forward', to: 'client', frame, id: 3, token: 't' })).toMatchObject({ ok: false, why: expect.stringMatching(/JSON/) });
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
    const frame = decode(t, false) as MessageFrame;
    expect(frame.raw).toBeInstanceOf(TextLine);
    const e = encode({ type: 'forward', to: 'child', frame, id: 5, token: 5 });
    expect(e).toBe('{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"_meta":{"progressToken":5}}}\n');
  });
});

// Bug 8: a long response whose strings hold what JSON.parse refuses (a raw control character, a
// bad escape) or bytes that are not UTF-8 was re-sent as it came, and the client could not parse
// it. Now the skim refuses it and the line takes the ordinary path: refused as JSON, or decoded
// with U+FFFD and re-serialised.
describe('long lines: content only a full parse would refuse is never re-sent raw', () => {
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
      it(`${name} in a ${size < 1000 ? 'short' : 'partial (64 KB+)'} result: the same frame as the ordinary path, and not re-sent raw`, () => {
        const bytes = response(j, size);
        const short = decodeLine(bytes, true);
        for (const chunk of [1, 3, 7, 4096, bytes.length + 1]) {
          if (size > 1000 && chunk < 7) continue; // slow, and the cuts that matter are covered by the short case
          const frame = decodeBytes(bytes, true, chunk);
          expect(frame?.kind).toBe(short?.kind);
          if (frame && 'msg' in frame) {
            expect(frame.raw).not.toBeInstanceOf(LongLine);
            expect(viewsOf(frame, 9)).toBeUndefined();
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
        const frame = decodeBytes(bytes, true, chunk);
        expect(viewsOf(frame, 9)).toBeDefined();
        expect(forward(frame, 9)).toBe(`${bytes.toString('utf8').replace('"id":2', '"id":9')}\n`);
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
        const frame = decode(text, true, chunk);
        expect(frame?.kind).toBe('response');
        expect(forward(frame, now)).toBe(stringified({ ...orig, id: now }));
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});
