// CONTRACT §12, the result budget: maxResultBytes and onLargeResult, on the core alone.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/core/frame.js';
import { peek, type JsonObject } from '../../src/core/message.js';
import { fittingPrefix, utf8Bytes } from '../../src/core/result-budget.js';
import type { OnLargeResult } from '../../src/policy/types.js';
import { Link, call, policy, req, responsesOf } from './link.js';

const budgeted = (maxResultBytes: number, onLargeResult: OnLargeResult = 'truncate') => new Link(policy({ defaults: { maxResultBytes, onLargeResult } }));

/** A frame as the codec makes it: the message, and its bytes' size; `partial` leaves the result out, as for a long line. */
function wireFrame(msg: JsonObject, partial = false): Frame {
  const text = JSON.stringify(msg);
  const frame = peek(JSON.parse(text)) as Frame & { kind: 'response' };
  const raw = { bytes: Buffer.byteLength(text), parse: () => JSON.parse(text) as JsonObject };
  if (!partial) return { ...frame, raw };
  const { result: _result, ...rest } = frame.msg;
  return { ...frame, msg: rest, partial: true, raw };
}

const answer = (id: number, result: JsonObject): JsonObject => ({ jsonrpc: '2.0', id, result });
const textResult = (text: string, extra: JsonObject = {}): JsonObject => ({ content: [{ type: 'text', text }], ...extra });
const sentSize = (m: JsonObject): number => Buffer.byteLength(JSON.stringify(m));
const texts = (m: JsonObject): string[] => ((m.result as { content: { text?: string }[] }).content ?? []).map((c) => c.text ?? '');

describe('§12 maxResultBytes: truncate', () => {
  it('cuts a 5 MB answer to the budget: the beginning of its text, then a note naming the tool and the sizes', () => {
    const l = budgeted(200_000);
    const big = 'abcdefghij'.repeat(500_000);
    l.client(call('r', 'read_file')).child(wireFrame(answer(1, textResult(big)), true));
    const [sent] = responsesOf(l.toClient);
    expect(sent!.id).toBe('r');
    expect(sentSize(sent!)).toBeLessThanOrEqual(200_000);
    expect(sentSize(sent!)).toBeGreaterThan(199_000); // it fills the budget, it does not waste it
    const [kept, note] = texts(sent!);
    expect(big.startsWith(kept!)).toBe(true);
    expect(note).toBe('mcp-leash cut this result from 5 MB to 200 kB (the limit for "read_file") (the last text was cut short); ask for a smaller part.');
    const sizeSent = Buffer.byteLength(JSON.stringify({ ...answer(1, textResult(big)), id: 'r' }));
    expect(l.events.find((e) => e.type === 'guard')).toMatchObject({ action: 'truncated', bytes: sizeSent, limit: 200_000, keptBytes: sentSize(sent!) });
    expect(l.logs.some((o) => o.msg.includes('cut to fit'))).toBe(true);
  });

  it('passes an answer within the budget as it came (forwarded, not rebuilt)', () => {
    const l = budgeted(200_000);
    const frame = wireFrame(answer(1, textResult('small')));
    l.client(call('r', 'read_file')).child(frame);
    expect(l.session.poll()).toStrictEqual([]);
    expect(responsesOf(l.toClient)).toStrictEqual([{ jsonrpc: '2.0', id: 'r', result: textResult('small') }]);
    expect(l.events.some((e) => e.type === 'guard')).toBe(false);
  });

  it('keeps structuredContent whole when it fits, drops it whole (and marks isError) when it does not', () => {
    const small = { rows: [1, 2, 3] };
    let l = budgeted(10_000);
    l.client(call(1, 'q')).child(wireFrame(answer(1, textResult('y'.repeat(50_000), { structuredContent: small }))));
    let sent = responsesOf(l.toClient)[0]!;
    expect((sent.result as JsonObject).structuredContent).toStrictEqual(small);
    expect((sent.result as JsonObject).isError).toBeUndefined();

    const large = { rows: Array.from({ length: 5000 }, (_, i) => ({ i, name: `row ${i}` })) };
    l = budgeted(10_000);
    l.client(call(1, 'q')).child(wireFrame(answer(1, textResult(JSON.stringify(large), { structuredContent: large }))));
    sent = responsesOf(l.toClient)[0]!;
    expect((sent.result as JsonObject).structuredContent).toBeUndefined();
    expect((sent.result as JsonObject).isError).toBe(true);
    expect(texts(sent).at(-1)).toContain('structuredContent was dropped');
    expect(sentSize(sent)).toBeLessThanOrEqual(10_000);
  });

  it('counts the items it kept', () => {
    const l = budgeted(5_000);
    const items = Array.from({ length: 10 }, (_, i) => ({ type: 'image', data: 'A'.repeat(1_000), mimeType: `image/png;${i}` }));
    l.client(call(1, 'shots')).child(wireFrame(answer(1, { content: items })));
    const sent = responsesOf(l.toClient)[0]!;
    expect(texts(sent).at(-1)).toMatch(/\(kept 4 of 10 content items\)/);
  });
});

describe('§12 maxResultBytes: spill', () => {
  it('asks the shell to write the result, with an answer naming the file and one for when it cannot', () => {
    const l = new Link(policy({ defaults: { maxResultBytes: 10_000, onLargeResult: 'spill' } }), 0, { spill: { folder: '/tmp/spill', sep: '/', prefix: 'p-' } });
    const frame = wireFrame(answer(1, textResult('w'.repeat(100_000))), true);
    l.client(call('r', 'read/file')).child(frame);
    const spill = l.outputs.map((s) => s.out).find((o) => o.type === 'spill');
    if (spill?.type !== 'spill') throw new Error('expected a spill output');
    expect(spill.path).toBe('/tmp/spill/p-read_file-1.json');
    expect(spill.frame).toBe(frame);
    expect(spill.written.id).toBe('r');
    expect(sentSize(spill.written)).toBeLessThanOrEqual(10_000);
    expect(texts(spill.written)[0]).toMatch(/^w+$/);
    expect(texts(spill.written).at(-1)).toMatch(/^mcp-leash saved this whole result \(100 kB, over the 10 kB limit for "read\/file"\) as JSON to the file \/tmp\/spill\/p-read_file-1\.json\./);
    expect(spill.unwritten).toMatchObject({ id: 'r', result: { isError: true } });
    expect(l.events.find((e) => e.type === 'guard')).toMatchObject({ action: 'spilled', path: '/tmp/spill/p-read_file-1.json' });
  });
});

describe('§12 maxResultBytes: error', () => {
  it('answers isError with the size and the limit', () => {
    const l = budgeted(1_000, 'error');
    l.client(call(1, 'read_file')).child(wireFrame(answer(1, textResult('z'.repeat(2_345_678))), true));
    const sent = responsesOf(l.toClient)[0]!;
    expect(sent.result).toMatchObject({ isError: true });
    expect(texts(sent)[0]).toMatch(/^The result of the tool "read_file" was 2.3 MB, over the limit of 1 kB that mcp-leash allows for it/);
    expect(l.events.find((e) => e.type === 'guard')).toMatchObject({ action: 'too-large' });
  });
});

describe('fittingPrefix', () => {
  it('counts JSON escapes and UTF-8, and never splits a surrogate pair', () => {
    expect(fittingPrefix('a"b', 3)).toStrictEqual({ text: 'a"', used: 3 });
    expect(fittingPrefix('é😀x', 5)).toStrictEqual({ text: 'é', used: 2 });
    expect(fittingPrefix('é😀x', 6)).toStrictEqual({ text: 'é😀', used: 6 });
    expect(fittingPrefix('\u0001', 5).text).toBe('');
    expect(utf8Bytes('é😀\ud800')).toBe(2 + 4 + 3);
  });
});

// Random results around the budget: never invalid JSON, never over the budget.
const piece = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.string({ unit: 'binary', maxLength: 50 }), // lone surrogates and control characters too
  fc.constantFrom('"', '\\', '\n', '\u2028', '😀', '\u0000'),
  fc.integer({ min: 1, max: 3000 }).map((n) => 'x'.repeat(n)),
);
const text = fc.array(piece, { maxLength: 40 }).map((p) => p.join(''));
const item = fc.oneof(
  text.map((t) => ({ type: 'text', text: t })),
  fc.record({ type: fc.constant('image'), data: fc.base64String({ maxLength: 4000 }), mimeType: fc.constant('image/png') }),
  fc.record({ type: fc.constant('resource'), resource: fc.record({ uri: fc.webUrl(), text }) }),
);
const result = fc.record(
  {
    content: fc.array(item, { maxLength: 6 }),
    structuredContent: fc.jsonValue({ maxDepth: 3 }).map((v) => ({ v })),
    isError: fc.boolean(),
    _meta: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 200 }), { maxKeys: 3 }),
  },
  { requiredKeys: ['content'] },
);

describe('§12 the budget, fuzzed', () => {
  it('never sends invalid JSON or more than the budget, and keeps what it keeps intact', () => {
    fc.assert(
      fc.property(result, fc.integer({ min: 1_000, max: 12_000 }), fc.oneof(fc.integer(), fc.string({ maxLength: 30 })), fc.boolean(), (r, limit, clientId, partial) => {
        const l = budgeted(limit);
        l.client(call(clientId, 'tool "quoted" ✓')).child(wireFrame(answer(1, r as JsonObject), partial));
        const sent = responsesOf(l.toClient)[0]!;
        const line = JSON.stringify(sent);
        expect(JSON.parse(line)).toStrictEqual(sent); // valid JSON, and the same message back
        const original = Buffer.byteLength(JSON.stringify({ ...answer(1, r as JsonObject), id: clientId }));
        if (original <= limit) {
          // Forwarded as it came (the test link shows a partial frame without its result, which the codec re-sends from its bytes).
          if (!partial) expect(sent.result).toStrictEqual(JSON.parse(JSON.stringify(r)));
          expect(l.events.some((e) => e.type === 'guard')).toBe(false);
          return;
        }
        expect(Buffer.byteLength(line)).toBeLessThanOrEqual(limit);
        const out = sent.result as JsonObject;
        if ('structuredContent' in out) expect(out.structuredContent).toStrictEqual(JSON.parse(JSON.stringify(r.structuredContent)));
        expect(texts(sent).at(-1)).toMatch(/^(mcp-leash cut this result|The result of the tool)/);
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
    );
  });
});

describe('issue 20: results cut or refused for a 2026-07-28 request', () => {
  const ENVELOPE = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
  const modern = (limit: number, mode: OnLargeResult) => new Link(policy({ serverEra: '2026', defaults: { maxResultBytes: limit, onLargeResult: mode } }));
  const modernCall = (id: string) => req(id, 'tools/call', { name: 'read_file', arguments: {}, _meta: ENVELOPE });

  it('a cut result keeps resultType "complete" and still fits the budget with it', () => {
    const l = modern(2_000, 'truncate');
    l.client(modernCall('r')).child(wireFrame(answer(1, { resultType: 'complete', ...textResult('x'.repeat(50_000)) }), true));
    const sent = responsesOf(l.toClient)[0]!;
    expect(sent.result).toMatchObject({ resultType: 'complete' });
    expect(texts(sent).at(-1)).toContain('mcp-leash cut this result');
    expect(sentSize(sent)).toBeLessThanOrEqual(2_000);
  });

  it('a refused result carries resultType "complete"', () => {
    const l = modern(1_000, 'error');
    l.client(modernCall('r')).child(wireFrame(answer(1, { resultType: 'complete', ...textResult('z'.repeat(20_000)) }), true));
    expect(responsesOf(l.toClient)[0]!.result).toMatchObject({ resultType: 'complete', isError: true });
  });
});
