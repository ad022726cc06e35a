// Newline framing (src/wire/line-splitter.ts): short lines joined, long lines handed over as the
// pieces they came in with their skim, oversize lines dropped as they stream.

import { describe, expect, it } from 'vitest';
import { LineSplitter, type LineSink } from '../../src/wire/line-splitter.js';
import type { SkimResult } from '../../src/wire/skim.js';

interface Seen {
  lines: string[];
  long: { pieces: number; bytes: number; text: string; skim: SkimResult }[];
  oversize: number[];
}

function splitter(maxBytes: number, longLineBytes: number, withLong = true): { s: LineSplitter; seen: Seen } {
  const seen: Seen = { lines: [], long: [], oversize: [] };
  const sink: LineSink = {
    lineAt: (b, start, end) => seen.lines.push(b.toString('utf8', start, end)),
    oversize: (n) => seen.oversize.push(n),
  };
  if (withLong) {
    sink.longLine = (pieces, bytes, skim) =>
      seen.long.push({ pieces: pieces.length, bytes, text: Buffer.concat(pieces).toString(), skim });
  }
  return { s: new LineSplitter(maxBytes, sink, longLineBytes), seen };
}

const feed = (s: LineSplitter, ...chunks: string[]): void => chunks.forEach((c) => s.push(Buffer.from(c)));

describe('LineSplitter', () => {
  it('splits lines across and within chunks', () => {
    const { s, seen } = splitter(1000, 1000);
    feed(s, 'a\nb', 'c\n', '\nd');
    s.end();
    expect(seen.lines).toStrictEqual(['a', 'bc', '', 'd']);
  });

  it('hands a long line over unjoined, in its pieces, with a skim of it', () => {
    const { s, seen } = splitter(1000, 10);
    feed(s, 'x\n{"id":', '1,"result"', ':{"a":"bcd"}}\r\ny\n');
    expect(seen.lines).toStrictEqual(['x', 'y']);
    expect(seen.long).toHaveLength(1);
    const l = seen.long[0]!;
    expect(l).toMatchObject({ pieces: 3, bytes: 30, text: '{"id":1,"result":{"a":"bcd"}}\r' });
    expect(l.skim.ok && l.skim.members.map((m) => m.key)).toStrictEqual(['id', 'result']);
  });

  it('a long line that arrives in one chunk is a long line too', () => {
    const { s, seen } = splitter(1000, 10);
    feed(s, '{"id":1,"result":{}}\n');
    expect(seen.long.map((l) => l.pieces)).toStrictEqual([1]);
  });

  it('a broken long line comes with a skim that says so', () => {
    const { s, seen } = splitter(1000, 10);
    feed(s, '{"id":1,"res', 'ult":{]}\n');
    expect(seen.long[0]!.skim.ok).toBe(false);
  });

  it('without longLine() in the sink, long lines are joined as before', () => {
    const { s, seen } = splitter(1000, 10, false);
    feed(s, '{"id":1,"res', 'ult":{}}\n');
    expect(seen.lines).toStrictEqual(['{"id":1,"result":{}}']);
  });

  it('a line at EOF without a newline still counts, long or short', () => {
    const a = splitter(1000, 10);
    feed(a.s, '{"id":1,', '"result":{}}');
    a.s.end();
    expect(a.seen.long.map((l) => l.text)).toStrictEqual(['{"id":1,"result":{}}']);
  });

  it('oversize lines are dropped as they stream, long-line state included, and framing goes on', () => {
    const { s, seen } = splitter(20, 10);
    feed(s, '{"id":1,"result":', '"aaaaaaaaaaaaaaaaaaaa"', '}\n{"id":2,"result":{}}\n');
    expect(seen.oversize).toStrictEqual([40]);
    expect(seen.long.map((l) => l.text)).toStrictEqual(['{"id":2,"result":{}}']);
    expect(seen.long[0]!.skim.ok).toBe(true);
  });
});
