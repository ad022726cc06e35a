// Newline framing, linear in message size: each byte is scanned once for '\n', chunks of a long
// line are kept in a list and joined once. A line longer than maxBytes is dropped as it streams
// in, never held whole; the caller hears about it once, when its newline (or EOF) arrives.
//
// A sink with longLine() gets lines of longLineBytes and more unjoined, as the pieces they came
// in, with a structural skim of them made piece by piece while they arrived (so the skim's work
// overlaps the transfer and nothing is copied).

import { Skim, type SkimResult } from './skim.js';

export interface LineSink {
  /**
   * One line: bytes [start, end) of `buf` (without its '\n'). `buf` is usually the whole chunk it
   * came in, shared with the lines around it: a range rather than a subarray per line, whose
   * creation cost as much as decoding the line's text (60 of 140 ns per short line). Keep no
   * reference to `buf` (it may be 64 KB for a 100-byte line); copy what must outlive the call.
   * (Named for the range: a sink written for a one-argument `line(bytes)` fails loudly.)
   */
  lineAt(buf: Buffer, start: number, end: number): void;
  oversize(bytes: number): void;
  /** Optional: a line of at least `longLineBytes`, unjoined (with its \r, if any), and its skim. */
  longLine?(pieces: Buffer[], bytes: number, skim: SkimResult): void;
}

/** Default for `longLineBytes`. */
export const LONG_LINE = 1024 * 1024;

export class LineSplitter {
  #parts: Buffer[] = [];
  #size = 0;
  #discarding = false;
  #discarded = 0;
  #skim: Skim | undefined;
  readonly maxBytes: number;
  readonly longLineBytes: number;
  #sink: LineSink;

  constructor(maxBytes: number, sink: LineSink, longLineBytes = LONG_LINE) {
    this.maxBytes = maxBytes;
    this.longLineBytes = longLineBytes;
    this.#sink = sink;
  }

  /**
   * Returns false when the chunk ended no line (so the sink heard nothing): the middle of a long
   * line, which a caller need not react to.
   */
  push(chunk: Buffer): boolean {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) {
        this.#hold(chunk.subarray(start));
        return start > 0;
      }
      if (this.#size === 0 && !this.#discarding && nl - start < this.longLineBytes && nl - start <= this.maxBytes) {
        this.#sink.lineAt(chunk, start, nl); // the usual line: whole in this chunk, nothing held
      } else {
        this.#complete(chunk.subarray(start, nl));
      }
      start = nl + 1;
    }
  }

  /** End of stream: a last line without a newline still counts. */
  end(): void {
    if (this.#size > 0 || this.#discarding) this.#complete(Buffer.alloc(0));
  }

  /** Bytes currently buffered for an incomplete line. */
  get buffered(): number {
    return this.#size;
  }

  #hold(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.#discarding) {
      this.#discarded += piece.length;
    } else if (this.#size + piece.length > this.maxBytes) {
      this.#discarding = true;
      this.#discarded = this.#size + piece.length;
      this.#parts = [];
      this.#size = 0;
      this.#skim = undefined;
    } else {
      this.#parts.push(piece);
      this.#size += piece.length;
      if (this.#skim) this.#skim.feed(piece);
      else if (this.#size >= this.longLineBytes && this.#sink.longLine) {
        this.#skim = new Skim();
        for (const p of this.#parts) this.#skim.feed(p);
      }
    }
  }

  #complete(last: Buffer): void {
    if (this.#discarding) {
      const total = this.#discarded + last.length;
      this.#discarding = false;
      this.#discarded = 0;
      this.#sink.oversize(total);
      return;
    }
    if (this.#size + last.length > this.maxBytes) {
      const total = this.#size + last.length;
      this.#parts = [];
      this.#size = 0;
      this.#skim = undefined;
      this.#sink.oversize(total);
      return;
    }
    const total = this.#size + last.length;
    if (total >= this.longLineBytes && this.#sink.longLine) {
      const skim = this.#skim ?? new Skim();
      const pieces = this.#parts;
      if (!this.#skim) for (const p of pieces) skim.feed(p);
      if (last.length > 0) {
        skim.feed(last);
        pieces.push(last);
      }
      this.#parts = [];
      this.#size = 0;
      this.#skim = undefined;
      this.#sink.longLine(pieces, total, skim.end());
      return;
    }
    let line = last;
    if (this.#parts.length > 0) {
      this.#parts.push(last);
      line = Buffer.concat(this.#parts, this.#size + last.length);
      this.#parts = [];
      this.#size = 0;
    }
    this.#sink.lineAt(line, 0, line.length);
  }
}
