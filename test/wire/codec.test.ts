// The codec (src/wire/codec.ts): one Decoder per side, bytes to frames; encode(), outputs to
// bytes. CONTRACT §2 (stdout carries only valid JSON-RPC) and §9 (nothing the peers send crashes
// mcp-leash) for what it writes; the forward rules of core/outputs.ts for how.

import { describe, expect, it } from 'vitest';
import type { Frame, MessageFrame } from '../../src/core/frame.js';
import type { JsonObject } from '../../src/core/message.js';
import { Decoder, encode, isUnencodable, messageOf, type Encoded, type MessageOutput } from '../../src/wire/codec.js';
import { nested } from '../reliability/wire-arbitraries.js';

/** Every frame `text` decodes to, fed in `chunk`-byte chunks, with its byte count. */
function frames(text: string | Buffer, opts: { from?: 'client' | 'child'; max?: number; long?: number; chunk?: number; partial?: boolean } = {}): Array<[Frame, number]> {
  const d = new Decoder({ from: opts.from ?? 'child', maxMessageBytes: opts.max ?? 1 << 20, longLineBytes: opts.long, partial: opts.partial });
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const out: Array<[Frame, number]> = [];
  const chunk = opts.chunk ?? bytes.length;
  for (let i = 0; i < bytes.length; i += chunk) d.push(bytes.subarray(i, i + chunk), (f, n) => out.push([f, n]));
  d.end((f, n) => out.push([f, n]));
  return out;
}

function one(text: string, opts?: Parameters<typeof frames>[1]): MessageFrame {
  const all = frames(`${text}\n`, opts);
  expect(all).toHaveLength(1);
  const f = all[0]![0];
  if (!('msg' in f)) throw new Error(`not a message: ${JSON.stringify(f)}`);
  return f;
}

const text = (e: Encoded): string => {
  if (typeof e === 'string') return e;
  if (Array.isArray(e)) return Buffer.concat(e).toString('utf8');
  throw new Error(`unencodable: ${e.why}`);
};

describe('Decoder: bytes to frames', () => {
  it('frames lines across chunks, ignores blank lines, takes \\r\\n and a last line without newline', () => {
    const input = '{"jsonrpc":"2.0","id":1,"method":"ping"}\r\n\n  \n{"jsonrpc":"2.0","method":"notifications/initialized"}\n{"jsonrpc":"2.0","id":2,"result":{}}';
    for (const chunk of [1, 5, 1000]) {
      const got = frames(input, { from: 'client', chunk });
      expect(got.map(([f, n]) => [f.kind, n])).toStrictEqual([
        ['request', 41],
        ['notification', 54],
        ['response', 36],
      ]);
    }
  });

  it('a line past maxMessageBytes is one oversize frame, with its size; framing goes on', () => {
    const big = `{"jsonrpc":"2.0","id":1,"method":"x","params":{"s":"${'a'.repeat(200)}"}}`;
    const got = frames(`${big}\n{"jsonrpc":"2.0","id":2,"method":"ping"}\n`, { from: 'client', max: 100, chunk: 16 });
    expect(got[0]![0]).toMatchObject({ kind: 'unparsable', problem: 'oversize', bytes: big.length });
    expect(got[0]![1]).toBe(big.length);
    expect(got[1]![0]).toMatchObject({ kind: 'request', id: 2 });
  });

  it('unparsable and invalid lines are frames too, with their size', () => {
    const got = frames('{"jsonrpc":\n[1,2]\n{"jsonrpc":"1.0","id":3,"method":"m"}\n', { from: 'client' });
    expect(got.map(([f]) => f.kind)).toStrictEqual(['unparsable', 'unparsable', 'invalid']);
    expect(got[0]![0]).toMatchObject({ problem: 'json', bytes: 11, preview: '{"jsonrpc":' });
    expect(got[1]![0]).toMatchObject({ problem: 'batch', bytes: 5 });
  });

  it('the child side repairs a missing "jsonrpc", the client side refuses it', () => {
    expect(one('{"id":1,"result":{}}', { from: 'child' }).msg).toStrictEqual({ id: 1, result: {}, jsonrpc: '2.0' });
    expect(frames('{"id":1,"result":{}}\n', { from: 'client' })[0]![0]).toMatchObject({ kind: 'invalid' });
  });

  it('no symbol-keyed property on any frame or message, short or long, whole or partial (issue 18)', () => {
    const long = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { t: 'x'.repeat(100_000) } });
    const cases: Array<[string, Parameters<typeof frames>[1]]> = [
      ['{"jsonrpc":"2.0","id":1,"result":{"a":[1]}}', {}],
      ['{"id":1,"result":{}}', {}],
      ['{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{"progressToken":1}}}', { from: 'client' }],
      [long, { long: 1024 }],
      [long, { long: 1024, partial: false }],
      ['{"jsonrpc":"2.0","id":1,"result":{},"id":2}', { long: 1 }],
    ];
    for (const [t, opts] of cases) {
      const f = one(t, opts);
      expect(Object.getOwnPropertySymbols(f), t.slice(0, 60)).toStrictEqual([]);
      expect(Object.getOwnPropertySymbols(f.msg), t.slice(0, 60)).toStrictEqual([]);
      if (f.raw) expect(Object.getOwnPropertySymbols(f.raw)).toStrictEqual([]);
      // The message is plain data: what JSON sees is all there is.
      if (!(f.kind === 'response' && f.partial)) expect(JSON.parse(JSON.stringify(f.msg))).toStrictEqual(f.msg);
    }
  });

  it('raw.bytes is the size on the wire; raw.parse() is the whole message', () => {
    const t = '{"jsonrpc":"2.0","id":"é","result":{"a":1}}';
    const f = one(t);
    expect(f.raw!.bytes).toBe(Buffer.byteLength(t));
    expect(f.raw!.parse()).toStrictEqual(JSON.parse(t));
    expect(f.raw!.parse()).not.toBe(f.msg); // a fresh parse, not the core's object
  });
});

describe('encode: forward', () => {
  const answer = '{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"a\\u00e9 \\"q\\""}]}}';

  it('no id, no token: the bytes as they came', () => {
    const frame = one(answer);
    expect(encode({ type: 'forward', to: 'client', frame })).toBe(`${answer}\n`);
  });

  it('id only: the bytes as they came with the id spliced in (not re-serialised: escapes kept as sent)', () => {
    const frame = one(answer);
    expect(encode({ type: 'forward', to: 'client', frame, id: 'c-1' })).toBe(`${answer.replace('"id":7', '"id":"c-1"')}\n`);
  });

  it('id only, long line: Buffer views of the bytes it came in, the id spliced in', () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 7, result: { t: 'x'.repeat(5000) } });
    const bytes = Buffer.from(`${big}\n`);
    const all = frames(bytes, { long: 1024, chunk: 1000 });
    const frame = all[0]![0] as MessageFrame;
    const e = encode({ type: 'forward', to: 'client', frame, id: 99 });
    expect(Array.isArray(e)).toBe(true);
    const views = e as Buffer[];
    // Views share memory with the chunks read (no copy), apart from the new id and the newline.
    expect(views.filter((v) => v.buffer === bytes.buffer).length).toBeGreaterThanOrEqual(views.length - 2);
    expect(text(e)).toBe(`${big.replace('"id":7', '"id":99')}\n`);
  });

  it('the id and token come from the output, the rest from the bytes: changing or freezing msg changes nothing', () => {
    const frame = one(answer);
    (frame.msg as JsonObject).id = 'changed';
    (frame.msg as JsonObject).result = {};
    expect(encode({ type: 'forward', to: 'client', frame, id: 3 })).toBe(`${answer.replace('"id":7', '"id":3')}\n`);
    const frozen = one(answer);
    Object.freeze(frozen.msg);
    expect(encode({ type: 'forward', to: 'client', frame: frozen, id: 3 })).toBe(`${answer.replace('"id":7', '"id":3')}\n`);
  });

  it('a token: a stringified copy with the new id and token, other members kept, the frame untouched', () => {
    const t = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","_meta":{"progressToken":"p","other":1}},"extra":true}';
    const frame = one(t, { from: 'client' });
    const before = JSON.stringify(frame.msg);
    const e = encode({ type: 'forward', to: 'child', frame, id: 40, token: 41 });
    expect(e).toBe(`${JSON.stringify({ jsonrpc: '2.0', id: 40, method: 'tools/call', params: { name: 'x', _meta: { progressToken: 41, other: 1 } }, extra: true })}\n`);
    expect(JSON.stringify(frame.msg)).toBe(before);
    // A request without params gets them, for its token.
    const bare = one('{"jsonrpc":"2.0","id":1,"method":"tools/list"}', { from: 'client' });
    expect(JSON.parse(text(encode({ type: 'forward', to: 'child', frame: bare, token: 't' })))).toStrictEqual({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { progressToken: 't' } } });
  });

  it('bytes that may not be re-sent are stringified from what JSON.parse read (a key twice, a repair)', () => {
    const dup = one('{"jsonrpc":"2.0","id":1,"method":"ping","id":2}', { from: 'client' });
    expect(encode({ type: 'forward', to: 'child', frame: dup, id: 9 })).toBe('{"jsonrpc":"2.0","id":9,"method":"ping"}\n');
    expect(encode({ type: 'forward', to: 'child', frame: dup })).toBe('{"jsonrpc":"2.0","id":2,"method":"ping"}\n');
    const repaired = one('{"id":1,"result":{}}');
    expect(encode({ type: 'forward', to: 'client', frame: repaired, id: 5 })).toBe('{"id":5,"result":{},"jsonrpc":"2.0"}\n');
  });

  it('a frame without raw bytes (made by hand) is stringified', () => {
    const frame: MessageFrame = { kind: 'notification', method: 'm', msg: { jsonrpc: '2.0', method: 'm' } };
    expect(encode({ type: 'forward', to: 'client', frame })).toBe('{"jsonrpc":"2.0","method":"m"}\n');
  });

  it("messageOf: the message an output puts on the wire, for traces and the core's handleUnencodable", () => {
    const frame = one('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}', { from: 'client' });
    expect(messageOf({ type: 'forward', to: 'child', frame, id: 2, token: 3 })).toStrictEqual({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { _meta: { progressToken: 3 } } });
    expect(messageOf({ type: 'forward', to: 'child', frame })).toBe(frame.msg);
  });
});

describe('encode: send, and what cannot be encoded', () => {
  it('send: JSON.stringify and a newline', () => {
    expect(encode({ type: 'send', to: 'client', msg: { jsonrpc: '2.0', id: 1, result: { s: '\u2028\n' } } })).toBe('{"jsonrpc":"2.0","id":1,"result":{"s":"\u2028\\n"}}\n');
  });

  it('a message nested past the recursion limit is a value, not a throw (the shell hands it to the core later)', () => {
    const deep = JSON.parse(nested(10_000, true, 'array')) as unknown;
    const send: MessageOutput = { type: 'send', to: 'client', msg: { jsonrpc: '2.0', id: 1, result: { deep } } };
    const e = encode(send);
    expect(isUnencodable(e)).toBe(true);
    expect(e).toMatchObject({ ok: false, why: expect.stringMatching(/call stack/i) });
    // The same message forwarded with a token (stringified) fails the same way; without one its bytes go as they came.
    const line = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"d":${nested(10_000, true, 'array')}}}`;
    const frame = one(line, { from: 'client', max: 1 << 22 });
    expect(isUnencodable(encode({ type: 'forward', to: 'child', frame, id: 2, token: 3 }))).toBe(true);
    expect(encode({ type: 'forward', to: 'child', frame, id: 2 })).toBe(`${line.replace('"id":1', '"id":2')}\n`);
  });
});
