// Newline framing, linear in message size: each byte is scanned once for '\n', chunks of a long
// line are kept in a list and joined once. A line longer than maxBytes is dropped as it streams
// in, never held whole; the caller hears about it once, when its newline (or EOF) arrives.

export interface LineSink {
  line(bytes: Buffer): void;
  oversize(bytes: number): void;
}

export class LineSplitter {
  #parts: Buffer[] = [];
  #size = 0;
  #discarding = false;
  #discarded = 0;
  readonly maxBytes: number;
  #sink: LineSink;

  constructor(maxBytes: number, sink: LineSink) {
    this.maxBytes = maxBytes;
    this.#sink = sink;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) {
        this.#hold(chunk.subarray(start));
        return;
      }
      this.#complete(chunk.subarray(start, nl));
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
    } else {
      this.#parts.push(piece);
      this.#size += piece.length;
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
      this.#sink.oversize(total);
      return;
    }
    let line = last;
    if (this.#parts.length > 0) {
      this.#parts.push(last);
      line = Buffer.concat(this.#parts, this.#size + last.length);
      this.#parts = [];
      this.#size = 0;
    }
    this.#sink.line(line);
  }
}
