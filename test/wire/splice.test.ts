// Short messages re-sent from their own text with only the id changed (src/wire/splice.ts).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withId, withIdAndToken, type JsonObject } from '../../src/core/message.js';
import { decodeLine, encode } from '../../src/wire/decode.js';
import { memberCount, spliceText } from '../../src/wire/splice.js';

const SEED = Number(process.env.WIRE_SEED ?? 42);

function msgOf(text: string, fromChild = true): JsonObject {
  const frame = decodeLine(Buffer.from(text), fromChild);
  if (!frame || !('msg' in frame)) throw new Error(`not a message: ${text}`);
  return frame.msg;
}

describe('spliceText: the id written into the text the message came in', () => {
  it('id right after jsonrpc (most servers)', () => {
    const m = msgOf('{"jsonrpc":"2.0","id":5,"result":{"content":[{"type":"text","text":"hi"}]}}');
    expect(spliceText(withId(m, 'abc'))).toBe('{"jsonrpc":"2.0","id":"abc","result":{"content":[{"type":"text","text":"hi"}]}}\n');
  });

  it('id last (the TypeScript SDK), string ids both ways', () => {
    const m = msgOf('{"result":{},"jsonrpc":"2.0","id":"x-1"}');
    expect(spliceText(withId(m, 12))).toBe('{"result":{},"jsonrpc":"2.0","id":12}\n');
  });

  it('a request with only its id changed (no progress token to rewrite)', () => {
    const m = msgOf('{"method":"tools/list","params":{},"jsonrpc":"2.0","id":0}', false);
    expect(spliceText(withIdAndToken(m, 3))).toBe('{"method":"tools/list","params":{},"jsonrpc":"2.0","id":3}\n');
  });

  it('a message sent on unchanged is its own text', () => {
    const t = '{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"é"}}';
    expect(spliceText(msgOf(t))).toBe(`${t}\n`);
  });

  it('ids the text does not hold plainly are left to JSON.stringify', () => {
    for (const t of [
      '{"jsonrpc":"2.0","id":1.0,"result":{}}', // not how JSON.stringify writes 1
      '{"jsonrpc":"2.0","id":"a\\"b","result":{}}', // an escape in the id
      '{"jsonrpc":"2.0","id":1e0,"result":{}}',
      '{ "jsonrpc":"2.0","id":1,"result":{}}', // not the usual layout...
      '{"id":1,"jsonrpc":"2.0","result":{}}', // ...nor id last
    ]) {
      expect(spliceText(withId(msgOf(t), 2)), t).toBeUndefined();
    }
  });

  it('an id nested at the end of the text is not taken for the top-level one', () => {
    const m = msgOf('{"jsonrpc":"2.0","id":7,"result":{"id":7}}');
    expect(spliceText(withId(m, 8))).toBe('{"jsonrpc":"2.0","id":8,"result":{"id":7}}\n');
    const n = msgOf('{"result":{"x":{"id":7}},"jsonrpc":"2.0","id":7}');
    expect(spliceText(withId(n, 8))).toBe('{"result":{"x":{"id":7}},"jsonrpc":"2.0","id":8}\n');
  });

  it('any other change is left to JSON.stringify', () => {
    const m = msgOf('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{"progressToken":1}}}', false);
    expect(spliceText(withIdAndToken(m, 2, 2))).toBeUndefined();
    expect(spliceText({ ...m, extra: true })).toBeUndefined();
    const { params: _, ...fewer } = m;
    expect(spliceText(fewer)).toBeUndefined();
    expect(spliceText({ jsonrpc: '2.0', id: 1, result: {} })).toBeUndefined();
  });

  it('a message repaired on the way in (no jsonrpc) is never spliced', () => {
    const m = msgOf('{"id":1,"result":{}}', true);
    expect(m.jsonrpc).toBe('2.0');
    expect(spliceText(withId(m, 2))).toBeUndefined();
  });
});

// Bug 7: JSON.parse keeps the last of duplicate keys, other parsers the first (or refuse the
// line). A text with a top-level key twice was re-sent as it came (or with one of two ids
// rewritten), so the peer could read another message than mcp-leash did.
describe('spliceText: a text with a top-level key twice is never re-used', () => {
  it('a request with its id twice: not spliced (one id rewritten, the other left in place)', () => {
    const m = msgOf('{"jsonrpc":"2.0","id":0,"method":"tools/call","params":{"name":"echo"},"id":"x"}', false);
    expect(m.id).toBe('x');
    expect(spliceText(withIdAndToken(m, 3))).toBeUndefined();
    const n = msgOf('{"jsonrpc":"2.0","id":"x","method":"ping","id":5}', false);
    expect(spliceText(withId(n, 3))).toBeUndefined();
  });

  it('a message sent on unchanged with its method twice is not its own text', () => {
    const m = msgOf('{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":2},"method":"foo/bar"}', false);
    expect(m.method).toBe('foo/bar');
    expect(spliceText(m)).toBeUndefined();
  });

  it('any key twice, spelled the same or with escapes, spaced or not', () => {
    for (const t of [
      '{"jsonrpc":"2.0","id":1,"result":{"a":1},"result":{"b":2}}',
      '{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"m"},"error":{"code":2,"message":"n"}}',
      '{"jsonrpc":"2.0","jsonrpc":"2.0","id":1,"result":{}}',
      '{"jsonrpc":"2.0","id":1,"result":{},"x":1,"x":2}',
      '{"jsonrpc":"2.0","\\u0069d":0,"result":{},"id":1}',
      '{"jsonrpc":"2.0","id":1,"result":{},"i\\u0064":1}',
      '{"result":{}, "jsonrpc":"2.0", "id" :0 , "id":1}',
      '{"jsonrpc":"2.0","id":1,"result":{},"__proto__":{},"__proto__":{"a":1}}',
    ]) {
      const m = msgOf(t);
      expect(spliceText(m), t).toBeUndefined();
      expect(spliceText(withId(m, 2)), t).toBeUndefined();
    }
  });

  it('what looks like keys inside strings and nested objects does not stop a splice', () => {
    const t = '{"jsonrpc":"2.0","id":1,"result":{"id":1,"text":"a,\\"id\\":2,}{[\\\\","x":[{"id":3},"]"]}}';
    const m = msgOf(t);
    expect(spliceText(m)).toBe(`${t}\n`);
    expect(spliceText(withId(m, 'q'))).toBe(`${t.replace('"id":1,"result"', '"id":"q","result"')}\n`);
  });
});

describe('memberCount: the top-level members of a JSON object text', () => {
  it('counts what JSON.parse reads, whatever the object and spacing', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue()), fc.boolean(), (obj, spaced) => {
        const text = spaced ? JSON.stringify(obj, null, 2) : JSON.stringify(obj);
        expect(memberCount(text)).toBe(Object.keys(JSON.parse(text) as object).length);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('counts a duplicated member twice', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }), fc.nat(), fc.jsonValue(), (obj, pick, again) => {
        const keys = Object.keys(obj);
        const key = keys[pick % keys.length]!;
        const text = `${JSON.stringify(obj).slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(again)}}`;
        expect(memberCount(text)).toBe(keys.length + 1);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('edges: empty, leading spaces, nothing but nesting', () => {
    expect(memberCount('{}')).toBe(0);
    expect(memberCount(' \t{ } ')).toBe(0);
    expect(memberCount('{"a":{"b":{"c":[1,2,{"d":"}"}]}}}')).toBe(1);
    expect(memberCount('{"\\\\":"\\\\","b":"\\","}')).toBe(2);
  });
});

describe('spliceText: property', () => {
  it('whatever the message and ids, a splice means the same as JSON.stringify', () => {
    const id = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string());
    const layout = fc.constantFrom('first', 'last');
    fc.assert(
      fc.property(id, id, fc.jsonValue(), layout, fc.boolean(), (was, now, result, where, spaced) => {
        const orig = where === 'first' ? { jsonrpc: '2.0', id: was, result } : { result, jsonrpc: '2.0', id: was };
        const text = spaced ? JSON.stringify(orig, null, 1).replace(/\n/g, ' ') : JSON.stringify(orig);
        const out = withId(msgOf(text), now);
        const line = spliceText(out);
        if (line === undefined) return;
        expect(line.endsWith('\n') && line.indexOf('\n') === line.length - 1).toBe(true);
        expect(JSON.parse(line)).toStrictEqual(JSON.parse(encode(out)));
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});
