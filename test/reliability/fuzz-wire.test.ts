// Wire fuzzing (issue 7, CONTRACT §9 "Nothing the peers send can crash mcp-leash or make it write
// invalid JSON", §2 "stdout carries only valid JSON-RPC messages").
//
// Unit level: random byte streams (valid and broken messages, truncated lines, random bytes,
// invalid UTF-8, deep nesting, numbers at the edges, every JSON-RPC slot with wrong types, \r\n,
// blank lines, lines around and over a small maxMessageBytes), cut into random chunks, go through
// the codec's Decoder + Session + the shell's drainOutputs and the codec's encode(), as the shell
// wires them (wire-rig.ts), from the client, from the child, and both interleaved on a moving
// virtual clock. Nothing may throw; after every chunk, every line written is valid UTF-8, one
// JSON-RPC message, without duplicate keys, and parses back to what the core meant to send; at the
// end a normal ping and a normal tool call still get through.
//
// Seeded and reproducible: FUZZ_SEED (default 7) and FUZZ_RUNS (default 250 per property) change
// the run; a failure prints the seed and path to replay it with. Shapes that hit a known, unfixed
// bug are left out of the properties (FIXED in wire-arbitraries.ts) and pinned below as it.fails
// until it is fixed; bugs 1-3, 7 and 8 are fixed and their shapes are fuzzed again.
//
// The rig uses a lower long-line threshold for two of the policies, so that the long-line path
// (skim, partial result, raw re-encoding) is fuzzed with small lines. Until the core emits
// 'forward' outputs (issue 18) the rig's session stringifies everything it sends, so the codec's
// re-sending from raw bytes is fuzzed on its own below ("the codec's forward path"): every frame
// decoded from the same streams is forwarded with a new id, a token, or nothing changed.
//
// The process-level fuzz (real mcp-leash, real children) is in fuzz-wire.process.test.ts.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decoder, encode, isUnencodable, type MessageOutput } from '../../src/wire/codec.js';
import type { Frame } from '../../src/core/frame.js';
import type { JsonObject } from '../../src/core/message.js';
import type { Policy } from '../../src/policy/types.js';
import { policy } from '../core/link.js';
import { chunkedStream, nested, type Side } from './wire-arbitraries.js';
import { checkLine, sameJson, WireRig } from './wire-rig.js';

const SEED = Number(process.env.FUZZ_SEED ?? 7);
const RUNS = Number(process.env.FUZZ_RUNS ?? 250);

/**
 * Policies that send the fuzz down different paths: throttle and heartbeats, queue and errors,
 * tasks, long lines. `longLine` lowers the LineSplitter's long-line threshold (1 MB in the shell)
 * so that small lines take that path (skim, partial result, raw re-encoding) too.
 */
const POLICIES: Array<{ name: string; p: Policy; longLine?: number }> = [
  {
    name: 'heartbeats, throttle, small lines',
    p: policy({
      maxMessageBytes: 2048,
      progressIntervalMs: 5,
      defaults: { heartbeatMs: 10 },
      rules: [
        { tool: 'echo', totalTimeoutMs: 40 },
        { tool: 'sleep', idleTimeoutMs: 25 },
        { method: 'sampling/createMessage', totalTimeoutMs: 30 },
      ],
    }),
  },
  {
    name: 'queue, error timeouts',
    p: policy({
      maxMessageBytes: 4096,
      maxConcurrency: 2,
      defaults: { heartbeatMs: 0, totalTimeoutMs: 60, onTimeout: 'error' },
      rules: [{ tool: 'big', maxConcurrency: 1 }],
    }),
  },
  {
    name: 'tasks auto, tiny lines',
    p: policy({ maxMessageBytes: 1024, tasks: 'auto', progressIntervalMs: 0, defaults: { heartbeatMs: 15, idleTimeoutMs: 35 } }),
  },
  {
    name: 'defaults, big lines (deep nesting gets through the size limit), long-line path from 256 bytes',
    p: policy({ maxMessageBytes: 1024 * 1024 }),
    longLine: 256,
  },
  {
    name: 'heartbeats, long-line path from 64 bytes',
    p: policy({ maxMessageBytes: 8192, progressIntervalMs: 5, defaults: { heartbeatMs: 10 }, rules: [{ tool: 'echo', totalTimeoutMs: 40 }] }),
    longLine: 64,
  },
];
const PI = fc.nat(POLICIES.length - 1);

const INIT_RESULT = { protocolVersion: '2025-06-18', capabilities: { tools: { listChanged: true } }, serverInfo: { name: 'fake', version: '0' } };

/** A session past initialize, with requests in flight both ways, so that fuzzed ids hit live state. */
function startedRig(p: Policy, longLine?: number): WireRig {
  const rig = new WireRig(p, longLine);
  rig.send('client', { jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'fuzz', version: '0' } } });
  rig.answerAll(() => INIT_RESULT);
  rig.send('client', { jsonrpc: '2.0', method: 'notifications/initialized' });
  rig.send('client', { jsonrpc: '2.0', id: 'a', method: 'tools/call', params: { name: 'sleep', arguments: { ms: 1 }, _meta: { progressToken: 'p-a' } } });
  rig.send('client', { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'progress', arguments: {}, _meta: { progressToken: 7 } } });
  rig.send('client', { jsonrpc: '2.0', id: 0, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' } } });
  rig.send('client', { jsonrpc: '2.0', id: '', method: 'tools/list' });
  rig.send('child', { jsonrpc: '2.0', id: 's1', method: 'sampling/createMessage', params: { messages: [], maxTokens: 1 } });
  rig.send('child', { jsonrpc: '2.0', id: 2, method: 'roots/list' });
  return rig;
}

/** After the fuzz: complete any partial line, then a ping and a tool call must go through. */
function expectStillWorks(rig: WireRig): void {
  rig.feed('client', '\n').feed('child', '\n');
  const mark = rig.written.length;
  rig.send('client', { jsonrpc: '2.0', id: 'after-ping', method: 'ping' });
  const ping = rig.to('child', mark).find((w) => w.msg.method === 'ping');
  expect(ping, 'the ping reached the child').toBeDefined();
  rig.answered.add(ping!.msg.id);
  rig.send('child', { jsonrpc: '2.0', id: ping!.msg.id as number, result: {} });
  expect(rig.to('client', mark).filter((w) => w.msg.id === 'after-ping' && 'result' in w.msg)).toHaveLength(1);

  const mark2 = rig.written.length;
  rig.send('client', { jsonrpc: '2.0', id: 'after-call', method: 'tools/call', params: { name: 'after', arguments: { text: 'still here' } } });
  // A concurrency limit may hold it behind fuzzed calls: the child answers whatever it has.
  for (let round = 0; round < 50; round++) {
    if (rig.answerAll((req) => ({ content: [{ type: 'text', text: (req.params as JsonObject | undefined)?.name === 'after' ? 'still here' : 'ok' }] })) === 0) break;
  }
  const answers = rig.to('client', mark2).filter((w) => w.msg.id === 'after-call');
  expect(answers, 'exactly one answer to the normal call').toHaveLength(1);
  expect(answers[0]!.msg.result).toEqual({ content: [{ type: 'text', text: 'still here' }] });
}

interface Step {
  side: Side;
  chunk: Buffer;
  advance: number;
}

/** Interleaves two chunk lists by `order` bits, with a clock step after each chunk. */
function interleave(client: Buffer[], child: Buffer[], order: boolean[], gaps: number[]): Step[] {
  const steps: Step[] = [];
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < client.length || j < child.length) {
    const takeClient = j >= child.length || (i < client.length && (order[k % Math.max(1, order.length)] ?? true));
    const chunk = takeClient ? client[i++]! : child[j++]!;
    steps.push({ side: takeClient ? 'client' : 'child', chunk, advance: gaps.length ? gaps[k % gaps.length]! : 0 });
    k++;
  }
  return steps;
}

function runSteps(rig: WireRig, steps: Step[]): void {
  for (const s of steps) {
    rig.feed(s.side, s.chunk);
    if (s.advance) rig.advance(s.advance);
  }
}

const gapsArb = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 12 })), { maxLength: 20 });
const params = { seed: SEED, numRuns: RUNS, endOnFailure: false } as const;

describe('wire fuzz, unit level: bytes -> Decoder -> Session -> encode', () => {
  it('from the client: nothing throws, every line out is JSON-RPC, a normal call still works', () => {
    fc.assert(
      fc.property(PI.chain((pi) => chunkedStream(POLICIES[pi]!.p.maxMessageBytes, 'client').map((c) => [pi, c] as const)), gapsArb, ([pi, chunks], gaps) => {
        const rig = startedRig(POLICIES[pi]!.p, POLICIES[pi]!.longLine);
        runSteps(rig, chunks.map((chunk, k) => ({ side: 'client', chunk, advance: gaps[k] ?? 0 })));
        expectStillWorks(rig);
      }),
      params,
    );
  });

  it('from the child: nothing throws, every line out is JSON-RPC, a normal call still works', () => {
    fc.assert(
      fc.property(PI.chain((pi) => chunkedStream(POLICIES[pi]!.p.maxMessageBytes, 'child').map((c) => [pi, c] as const)), gapsArb, ([pi, chunks], gaps) => {
        const rig = startedRig(POLICIES[pi]!.p, POLICIES[pi]!.longLine);
        runSteps(rig, chunks.map((chunk, k) => ({ side: 'child', chunk, advance: gaps[k] ?? 0 })));
        expectStillWorks(rig);
      }),
      params,
    );
  });

  it('both sides interleaved on a moving clock', () => {
    fc.assert(
      fc.property(
        PI.chain((pi) =>
          fc.tuple(fc.constant(pi), chunkedStream(POLICIES[pi]!.p.maxMessageBytes, 'client', 20), chunkedStream(POLICIES[pi]!.p.maxMessageBytes, 'child', 20)),
        ),
        fc.array(fc.boolean(), { maxLength: 30 }),
        gapsArb,
        ([pi, client, child], order, gaps) => {
          const rig = startedRig(POLICIES[pi]!.p, POLICIES[pi]!.longLine);
          runSteps(rig, interleave(client, child, order, gaps));
          expectStillWorks(rig);
        },
      ),
      params,
    );
  });

  it('the same stream gives the same lines whatever the chunking (framing is chunk-blind)', () => {
    fc.assert(
      fc.property(chunkedStream(2048, 'client'), fc.array(fc.nat(), { maxLength: 30 }), (chunks, cuts) => {
        const whole = Buffer.concat(chunks);
        const a = startedRig(POLICIES[0]!.p);
        const b = startedRig(POLICIES[0]!.p);
        const markA = a.written.length;
        const markB = b.written.length;
        a.feed('client', whole);
        let at = 0;
        for (const c of [...new Set(cuts.map((x) => x % (whole.length + 1)))].sort((x, y) => x - y)) {
          b.feed('client', whole.subarray(at, c));
          at = c;
        }
        b.feed('client', whole.subarray(at));
        expect(b.written.slice(markB).map((w) => w.text)).toEqual(a.written.slice(markA).map((w) => w.text));
      }),
      { ...params, numRuns: Math.max(20, Math.floor(RUNS / 3)) },
    );
  });

  it('edge cases, one by one: every kind of line on both sides leaves the session working', () => {
    const max = 2048;
    const lines: string[] = [
      '',
      '\r',
      '   ',
      '{}',
      '[]',
      'null',
      '"str"',
      '1e400',
      nested(100_000, false, 'array'),
      nested(100_000, false, 'object'),
      '{"jsonrpc":"2.0","id":1e400,"method":"ping"}',
      '{"jsonrpc":"2.0","id":-0,"method":"ping"}',
      '{"jsonrpc":"2.0","id":1.5,"method":"ping"}',
      '{"jsonrpc":"2.0","id":null,"method":"ping"}',
      '{"jsonrpc":"2.0","id":{},"method":"ping"}',
      '{"jsonrpc":"2.0","id":1,"method":null}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":"x"}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","_meta":{"progressToken":1e400}}}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","_meta":{"progressToken":{}}}}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","task":{"ttl":1e400}}}',
      '{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":2,"progress":1e308,"total":1e400}}',
      '{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":2,"progress":"7","total":null}}',
      '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":{"x":1}}}',
      '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"mcp-leash:init:1"}}',
      '{"jsonrpc":"2.0","id":2,"result":{"__proto__":{"polluted":true}}}',
      '{"jsonrpc":"2.0","id":"mcp-leash:ping:1","result":{}}',
      '{"jsonrpc":"2.0","id":2,"error":{"code":-32000,"message":"\\ud800"}}',
      '{"jsonrpc":"2.0","id":1,"result":{}}',
      `{"jsonrpc":"2.0","method":"x","params":{"s":"${'z'.repeat(max)}"}}`,
      '[{"jsonrpc":"2.0","id":1,"method":"ping"}]',
    ];
    const bytes: Buffer[] = [Buffer.from([0xff, 0xfe, 0x0a]), Buffer.from([0xed, 0xa0, 0x80, 0x0a]), Buffer.from('{"jsonrpc":"2.0","method":"m","params":{"s":"\xff"}}\n', 'latin1')];
    for (const side of ['client', 'child'] as const) {
      for (const text of lines) {
        for (const end of ['\n', '\r\n']) {
          const rig = startedRig(policy({ maxMessageBytes: max, defaults: { heartbeatMs: 10 } }));
          rig.feed(side, text + end);
          rig.advance(50);
          expectStillWorks(rig);
        }
      }
      for (const b of bytes) {
        const rig = startedRig(policy({ maxMessageBytes: max }));
        rig.feed(side, b);
        expectStillWorks(rig);
      }
    }
  });

  it('an oversized line is dropped as it streams in, never held whole', () => {
    const rig = startedRig(policy({ maxMessageBytes: 1024 }));
    const mark = rig.written.length;
    for (let i = 0; i < 1000; i++) rig.feed('client', 'x'.repeat(1000)); // 1 MB, no newline yet
    rig.feed('client', '\n');
    const errors = rig.to('client', mark).filter((w) => (w.msg.error as { code?: number } | undefined)?.code === -32600);
    expect(errors).toHaveLength(1);
    expect(String((errors[0]!.msg.error as { message: string }).message)).toContain('1000000 bytes');
    expectStillWorks(rig);
  });
});

// ── bugs found by the fuzz, pinned ───────────────────────────────────────────────────────────
//
// Each is a minimal reproduction. They are it.fails while the bug is open: when src/ is fixed the
// test starts passing, it.fails turns red, and the fix should flip it to `it` (and the matching
// FIXED flag in wire-arbitraries.ts to true so the fuzz covers the shape again).

describe('wire fuzz: known bugs (minimal reproductions)', () => {
  // With a progress token the request is re-serialised (withIdAndToken -> JSON.stringify); without
  // one, splice.ts re-sends its text and stringify is not reached, which hides the bug for now.
  const deep = (n: number) => `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"},"_meta":{"progressToken":"t"},"deep":${nested(n, true, 'array')}}}\n`;

  it('bug 1: a client message nested 10,000 deep does not throw (JSON.stringify overflows its stack in encode())', () => {
    const rig = startedRig(policy());
    rig.feed('client', deep(10_000)); // throws RangeError: Maximum call stack size exceeded
    expectStillWorks(rig);
  });

  it('bug 1: a child progress notification nested 10,000 deep does not throw', () => {
    const rig = startedRig(policy());
    // Token 2 is the child token of the client's call "a" in startedRig: the progress is reshaped, then stringified.
    rig.feed('child', `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":2,"progress":1,"data":${nested(10_000, true, 'object')}}}\n`);
    expectStillWorks(rig);
  });

  it('bug 1: a child request nested 10,000 deep, its id not first, does not throw', () => {
    const rig = startedRig(policy());
    rig.feed('child', `{"method":"sampling/createMessage","id":"s9","jsonrpc":"2.0","params":{"data":${nested(10_000, true, 'array')}}}\n`);
    expectStillWorks(rig);
  });

  it('bug 1 boundary: 1,000 deep passes through (only past the stringify limit does it break)', () => {
    const rig = startedRig(policy());
    const mark = rig.written.length;
    rig.feed('client', deep(1_000));
    expect(rig.to('child', mark).some((w) => w.msg.id !== undefined && (w.msg.params as JsonObject).deep !== undefined)).toBe(true);
  });

  it('bug 2: a child response with both result and error is not written as is to the client', () => {
    const rig = startedRig(policy());
    // Child id 2 is the client's tools/call "a" in startedRig. The line written to the client
    // carries both members, which JSON-RPC forbids; checkLine() throws on it.
    rig.feed('child', '{"jsonrpc":"2.0","id":2,"result":{},"error":{"code":1,"message":"m"}}\n');
  });

  it('bug 2: a child response whose error is not {code, message} is not written as is to the client', () => {
    const rig = startedRig(policy());
    rig.feed('child', '{"jsonrpc":"2.0","id":2,"error":"oops"}\n');
  });

  it('bug 2: a client request carrying a result member is not forwarded as is to the child', () => {
    const rig = startedRig(policy());
    rig.feed('client', '{"jsonrpc":"2.0","id":9,"method":"ping","result":{}}\n');
  });

  it('bug 3: a client notification with params null is refused, not forwarded to the child (requests with it get -32600)', () => {
    const rig = startedRig(policy());
    const mark = rig.written.length;
    // JSON-RPC: params, when present, must be an object or an array. A request like this gets
    // -32600; a notification is forwarded (and a server that reads `params.x` may crash on it).
    rig.feed('client', '{"jsonrpc":"2.0","method":"notifications/roots/list_changed","params":null}\n');
    expect(rig.to('child', mark)).toHaveLength(0);
  });

  it('bug 7: a client request with its id twice does not reach the child with two ids (splice.ts keeps the text)', () => {
    const rig = startedRig(policy());
    // JSON.parse keeps the last id; the splice writes mcp-leash's id over that one and leaves the
    // first in place. A child whose parser keeps the first key answers id 0 (or, with an id >= 1,
    // another request's id: cross-wired); serde-based children refuse the line.
    rig.feed('client', '{"jsonrpc":"2.0","id":0,"method":"tools/call","params":{"name":"echo"},"id":"x"}\n');
  });

  it('bug 7: a notification with its method twice is not forwarded as is (mcp-leash and the child may read different methods)', () => {
    const rig = startedRig(policy());
    // mcp-leash reads "foo/bar" (the last); a first-key-wins child reads a cancellation of its
    // request 2 that mcp-leash never saw, so mcp-leash keeps waiting for an answer that will not come.
    rig.feed('client', '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":2},"method":"foo/bar"}\n');
  });

  it('bug 8: a long child response with a control character inside its result is not forwarded raw (long-line path)', () => {
    // The long-line skim does not look inside strings, and a result of 64 KB or more is not
    // parsed: the line goes to the client as it came, and the client's JSON.parse refuses it
    // ("Bad control character in string literal"). In the shell this takes a line of 1 MB or more.
    const rig = startedRig(policy(), 1024);
    const text = Buffer.alloc(100 * 1024, 'z');
    text[5000] = 0x01;
    rig.feed('child', Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"'), text, Buffer.from('"}]}}\n')]));
  });

  it('bug 8: a long child response that is not UTF-8 is not forwarded raw (long-line path)', () => {
    const rig = startedRig(policy(), 1024);
    const text = Buffer.alloc(100 * 1024, 'z');
    text[5000] = 0xff;
    rig.feed('child', Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"'), text, Buffer.from('"}]}}\n')]));
  });

  it('bug 8 boundary: the same response under the long-line threshold is refused (not JSON) or repaired (UTF-8)', () => {
    const rig = startedRig(policy());
    const mark = rig.written.length;
    const text = Buffer.alloc(100 * 1024, 'z');
    text[5000] = 0x01;
    rig.feed('child', Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"'), text, Buffer.from('"}]}}\n')]));
    expect(rig.to('client', mark)).toHaveLength(0);
  });

  it.fails('limitation: an id beyond 2^53 comes back to the client exactly as it was sent', () => {
    const rig = startedRig(policy());
    const mark = rig.written.length;
    rig.feed('client', '{"jsonrpc":"2.0","id":12345678901234567890123,"method":"ping"}\n');
    const sent = rig.to('child', mark).find((w) => w.msg.method === 'ping')!;
    rig.send('child', { jsonrpc: '2.0', id: sent.msg.id as number, result: {} });
    // JSON.parse rounds it; the client gets 1.2345678901234568e+22 back (fine for a JS client,
    // not for one that compares the text or uses big integers, e.g. Python).
    const back = rig.to('client', mark).find((w) => 'result' in w.msg)!;
    expect(back.text).toContain('"id":12345678901234567890123');
  });

  it('re-serialising changes numbers the way JSON.parse reads them (documented, not a bug): -0 -> 0, 1e400 -> null', () => {
    const rig = startedRig(policy());
    const mark = rig.written.length;
    rig.feed('client', '{"jsonrpc":"2.0","id":-0,"method":"tools/call","params":{"name":"echo","arguments":{"big":1e400,"neg":-0}}}\n');
    const sent = rig.to('child', mark).find((w) => w.msg.method === 'tools/call')!;
    expect(sent.text).toContain('"arguments":{"big":null,"neg":0}');
    rig.send('child', { jsonrpc: '2.0', id: sent.msg.id as number, result: {} });
    expect(rig.to('client', mark).find((w) => 'result' in w.msg)!.text).toBe(`${JSON.stringify({ jsonrpc: '2.0', id: 0, result: {} })}\n`);
  });
});

// The codec's forward path on fuzzed bytes (CONTRACT §2, §9): whatever a frame was decoded from,
// forwarding it writes one valid line that says the message with the id and token the output
// names, whether the codec re-used the bytes or stringified.
describe("wire fuzz: the codec's forward path", () => {
  const newId = fc.oneof(fc.integer({ min: -5, max: 1e6 }), fc.string({ maxLength: 8 }), fc.constantFrom('a"b', 'é', '\u2028', 0, -0.5));
  const change = fc.record({ id: fc.option(newId, { nil: undefined }), token: fc.option(newId, { nil: undefined }) });

  /** The message a forward means: the whole message (a partial one's result parsed) with the output's id and token. */
  function meant(frame: Extract<Frame, { msg: unknown }>, id: unknown, token: unknown): JsonObject {
    const whole = frame.kind === 'response' && frame.partial ? frame.raw!.parse() : frame.msg;
    const out: JsonObject = { ...whole };
    if (id !== undefined) out.id = id;
    if (token !== undefined) {
      const params = (typeof whole.params === 'object' && whole.params !== null && !Array.isArray(whole.params) ? whole.params : {}) as JsonObject;
      const meta = (typeof params._meta === 'object' && params._meta !== null && !Array.isArray(params._meta) ? params._meta : {}) as JsonObject;
      out.params = { ...params, _meta: { ...meta, progressToken: token } };
    }
    return out;
  }

  it('every frame decoded from a fuzzed stream, forwarded, is one line that means the message with its new id and token', () => {
    fc.assert(
      fc.property(
        PI.chain((pi) => fc.tuple(fc.constant(pi), fc.constantFrom<Side>('client', 'child')).chain(([p, side]) => chunkedStream(POLICIES[p]!.p.maxMessageBytes, side).map((c) => [p, side, c] as const))),
        fc.boolean(),
        fc.array(change, { minLength: 1, maxLength: 10 }),
        ([pi, side, chunks], partial, changes) => {
          const { p, longLine } = POLICIES[pi]!;
          const decoder = new Decoder({ from: side, maxMessageBytes: p.maxMessageBytes, longLineBytes: longLine, partial });
          const frames: Frame[] = [];
          for (const c of chunks) decoder.push(c, (f) => frames.push(f));
          decoder.end((f) => frames.push(f));
          let k = 0;
          for (const frame of frames) {
            expect(Object.getOwnPropertySymbols(frame)).toHaveLength(0);
            if (!('msg' in frame)) continue;
            expect(Object.getOwnPropertySymbols(frame.msg)).toHaveLength(0);
            if (!(frame.kind === 'response' && frame.partial)) expect(sameJson(frame.raw!.parse(), frame.msg)).toBe(true);
            const to: Side = side === 'client' ? 'child' : 'client';
            for (const c of [{ id: undefined, token: undefined }, changes[k++ % changes.length]!]) {
              // A response has no token to rewrite, and its id must stay a string or a number.
              const token = frame.kind === 'request' ? c.token : undefined;
              const id = frame.kind === 'notification' ? undefined : c.id;
              const out: MessageOutput = { type: 'forward', to, frame, ...(id !== undefined ? { id } : {}), ...(token !== undefined ? { token } : {}) };
              const e = encode(out);
              if (isUnencodable(e)) {
                expect(e.why).toMatch(/call stack|recursion/i); // only a value nested too deep for JSON.stringify
                continue;
              }
              checkLine(typeof e === 'string' ? Buffer.from(e) : Buffer.concat(e), to, meant(frame, id, token));
            }
          }
        },
      ),
      params,
    );
  });
});
