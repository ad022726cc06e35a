// Short messages re-sent from their own text, as they came or with only the id changed
// (src/wire/splice.ts: a TextLine, the raw record of a short line). undefined from asSent() or
// withId() means "may not be re-sent": the codec then stringifies (test/wire/codec.test.ts).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/core/message.js';
import { decodeLine } from '../../src/wire/decode.js';
import { memberCount, TextLine } from '../../src/wire/splice.js';

const SEED = Number(process.env.WIRE_SEED ?? 42);

/** The message decoded from `text` and its TextLine. */
function lineOf(text: string, fromChild = true): { msg: JsonObject; raw: TextLine } {
  const frame = decodeLine(Buffer.from(text), fromChild);
  if (!frame || !('msg' in frame) || !(frame.raw instanceof TextLine)) throw new Error(`not a message with its text: ${text}`);
  return { msg: frame.msg, raw: frame.raw };
}

describe('TextLine.withId: the id written into the text the message came in', () => {
  it('id right after jsonrpc (most servers)', () => {
    const m = lineOf('{"jsonrpc":"2.0","id":5,"result":{"content":[{"type":"text","text":"hi"}]}}');
    expect(m.raw.withId('abc')).toBe('{"jsonrpc":"2.0","id":"abc","result":{"content":[{"type":"text","text":"hi"}]}}\n');
  });

  it('id last (the TypeScript SDK), string ids both ways', () => {
    const m = lineOf('{"result":{},"jsonrpc":"2.0","id":"x-1"}');
    expect(m.raw.withId(12)).toBe('{"result":{},"jsonrpc":"2.0","id":12}\n');
  });

  it('a request with only its id changed (no progress token to rewrite)', () => {
    const m = lineOf('{"method":"tools/list","params":{},"jsonrpc":"2.0","id":0}', false);
    expect(m.raw.withId(3)).toBe('{"method":"tools/list","params":{},"jsonrpc":"2.0","id":3}\n');
  });

  it('a message sent on unchanged is its own text', () => {
    const t = '{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"é"}}';
    expect(lineOf(t).raw.asSent()).toBe(`${t}\n`);
  });

  it('ids the text does not hold plainly are left to JSON.stringify', () => {
    for (const t of [
      '{"jsonrpc":"2.0","id":1.0,"result":{}}', // not how JSON.stringify writes 1
      '{"jsonrpc":"2.0","id":"a\\"b","result":{}}', // an escape in the id
      '{"jsonrpc":"2.0","id":1e0,"result":{}}',
      '{ "jsonrpc":"2.0","id":1,"result":{}}', // not the usual layout...
      '{"id":1,"jsonrpc":"2.0","result":{}}', // ...nor id last
    ]) {
      expect(lineOf(t).raw.withId(2), t).toBeUndefined();
    }
  });

  it('an id nested at the end of the text is not taken for the top-level one', () => {
    const m = lineOf('{"jsonrpc":"2.0","id":7,"result":{"id":7}}');
    expect(m.raw.withId(8)).toBe('{"jsonrpc":"2.0","id":8,"result":{"id":7}}\n');
    const n = lineOf('{"result":{"x":{"id":7}},"jsonrpc":"2.0","id":7}');
    expect(n.raw.withId(8)).toBe('{"result":{"x":{"id":7}},"jsonrpc":"2.0","id":8}\n');
  });

  it('a message repaired on the way in (no jsonrpc) is never re-sent from its text; parse() repairs it again', () => {
    const m = lineOf('{"id":1,"result":{}}', true);
    expect(m.msg.jsonrpc).toBe('2.0');
    expect(m.raw.withId(2)).toBeUndefined();
    expect(m.raw.asSent()).toBeUndefined();
    expect(m.raw.parse()).toStrictEqual({ id: 1, result: {}, jsonrpc: '2.0' });
  });

  it('bytes: the line as it came, \r included, the newline not', () => {
    expect(lineOf('{"jsonrpc":"2.0","id":1,"result":{"t":"é"}}').raw.bytes).toBe(Buffer.byteLength('{"jsonrpc":"2.0","id":1,"result":{"t":"é"}}'));
    const frame = decodeLine(Buffer.from('{"jsonrpc":"2.0","id":1,"result":{}}\r'), true);
    expect(frame && 'raw' in frame ? frame.raw?.bytes : undefined).toBe(37);
  });
});

// Bug 7: JSON.parse keeps the last of duplicate keys, other parsers the first (or refuse the
// line). A text with a top-level key twice was re-sent as it came (or with one of two ids
// rewritten), so the peer could read another message than mcp-leash did.
describe('TextLine: a text with a top-level key twice is never re-used', () => {
  it('a request with its id twice: not spliced (one id rewritten, the other left in place)', () => {
    const m = lineOf('{"jsonrpc":"2.0","id":0,"method":"tools/call","params":{"name":"echo"},"id":"x"}', false);
    expect(m.msg.id).toBe('x');
    expect(m.raw.withId(3)).toBeUndefined();
    const n = lineOf('{"jsonrpc":"2.0","id":"x","method":"ping","id":5}', false);
    expect(n.raw.withId(3)).toBeUndefined();
  });

  it('a message sent on unchanged with its method twice is not its own text', () => {
    const m = lineOf('{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":2},"method":"foo/bar"}', false);
    expect(m.msg.method).toBe('foo/bar');
    expect(m.raw.asSent()).toBeUndefined();
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
      const m = lineOf(t);
      expect(m.raw.asSent(), t).toBeUndefined();
      expect(m.raw.withId(2), t).toBeUndefined();
    }
  });

  it('what looks like keys inside strings and nested objects does not stop a splice', () => {
    const t = '{"jsonrpc":"2.0","id":1,"result":{"id":1,"text":"a,\\"id\\":2,}{[\\\\","x":[{"id":3},"]"]}}';
    const m = lineOf(t);
    expect(m.raw.asSent()).toBe(`${t}\n`);
    expect(m.raw.withId('q')).toBe(`${t.replace('"id":1,"result"', '"id":"q","result"')}\n`);
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

describe('TextLine.withId: property', () => {
  it('whatever the message and ids, a splice means the same as JSON.stringify', () => {
    const id = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string());
    const layout = fc.constantFrom('first', 'last');
    fc.assert(
      fc.property(id, id, fc.jsonValue(), layout, fc.boolean(), (was, now, result, where, spaced) => {
        const orig = where === 'first' ? { jsonrpc: '2.0', id: was, result } : { result, jsonrpc: '2.0', id: was };
        const text = spaced ? JSON.stringify(orig, null, 1).replace(/\n/g, ' ') : JSON.stringify(orig);
        const line = lineOf(text).raw.withId(now);
        if (line === undefined) return;
        expect(line.endsWith('\n') && line.indexOf('\n') === line.length - 1).toBe(true);
        expect(JSON.parse(line)).toStrictEqual({ ...(JSON.parse(text) as JsonObject), id: now });
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});
