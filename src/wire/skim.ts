// A structural skim of one JSON text that arrives in pieces, for lines too long to parse cheaply.
//
// It checks the structure (brackets, commas, colons, keys, number and literal tokens, strings
// closed) and records where each top-level member's value starts and ends, so a message's id can
// be read and replaced without parsing or copying the rest. It does not look inside strings
// beyond finding where they end: escape sequences and control characters there are not checked,
// and neither is UTF-8. Text runs are skipped with Buffer.indexOf, so a long string costs one
// native search per quote it contains; bytes outside strings are looked at one by one.
//
// Pieces are fed in order as they arrive (feed), and end() says what was seen. It never throws
// on bad input: the first problem is kept and everything after it is ignored.

/** One member of the top-level object: its key and the byte range of its value in the line. */
export interface Member {
  key: string;
  /** Offset of the value's first byte in the line. */
  start: number;
  /** Offset just past the value's last byte. */
  end: number;
}

export type SkimResult =
  /** `end`: offset just past the top-level object (what follows it is whitespace). */
  | { ok: true; members: Member[]; end: number }
  | { ok: false; at: number; problem: string };

const QUOTE = 34;
const BACKSLASH = 92;

// What the next significant byte outside a string may be.
const enum Expect {
  Value, // a value (top level, after ':' or ',' in an array)
  ValueOrClose, // a value or ']' (right after '[')
  Key, // a key (after ',' in an object)
  KeyOrClose, // a key or '}' (right after '{')
  Colon,
  CommaOrClose, // after a value inside a container
  Nothing, // after the top-level value: only whitespace
}

const TOKEN = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)$/;

function isWhitespace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function isTokenByte(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || c === 45 || c === 43 || c === 46 || c === 69;
}

export class Skim {
  #offset = 0; // offset in the line of the current piece's first byte
  #expect: Expect = Expect.Value;
  #stack: number[] = []; // open containers: '{' or '['
  #inString = false;
  #stringIsKey = false;
  #stringStart = 0; // line offset of the opening quote
  #backslashes = 0; // run of backslashes just before the current piece, inside a string
  #token: string | undefined; // a number or literal being read
  #tokenStart = 0;
  #keyParts: Buffer[] = [];
  #key = '';
  #members: Member[] = [];
  #member: Member | undefined; // the top-level member whose value is being read
  #failed: { at: number; problem: string } | undefined;
  #end = 0;

  feed(piece: Buffer): void {
    if (this.#failed) return;
    let i = 0;
    const n = piece.length;
    while (i < n) {
      if (this.#inString) {
        i = this.#skipString(piece, i);
        if (i < 0) break; // the string goes on into the next piece
        if (this.#failed) return;
        continue;
      }
      if (this.#token !== undefined) {
        const start = i;
        while (i < n && isTokenByte(piece[i]!)) i++;
        this.#token += piece.toString('latin1', start, i);
        if (i === n) break;
        if (!this.#endToken()) return;
        continue;
      }
      const c = piece[i]!;
      if (isWhitespace(c)) {
        i++;
        continue;
      }
      if (!this.#structural(c, this.#offset + i)) return;
      if (c === QUOTE) {
        this.#inString = true;
        this.#stringStart = this.#offset + i;
        this.#backslashes = 0;
        if (this.#stringIsKey) this.#keyParts = [];
      } else if (isTokenByte(c)) {
        this.#token = '';
        this.#tokenStart = this.#offset + i;
        continue; // read by the token branch, this byte included
      }
      i++;
    }
    this.#offset += n;
  }

  /** The line is complete. */
  end(): SkimResult {
    if (!this.#failed) {
      if (this.#token !== undefined) this.#endToken();
      if (!this.#failed && (this.#inString || this.#expect !== Expect.Nothing)) {
        this.#fail(this.#offset, this.#inString ? 'unterminated string' : 'unexpected end of line');
      }
    }
    if (this.#failed) return { ok: false, ...this.#failed };
    return { ok: true, members: this.#members, end: this.#end };
  }

  #fail(at: number, problem: string): false {
    this.#failed ??= { at, problem };
    return false;
  }

  /** Scans a string from `i`; returns the index after its closing quote, or -1 at the piece's end. */
  #skipString(piece: Buffer, i: number): number {
    const from = i;
    for (;;) {
      const q = piece.indexOf(QUOTE, i);
      if (q === -1) {
        // Count the backslashes at the end of the piece: they may escape a quote in the next one.
        let k = 0;
        for (let j = piece.length - 1; j >= from && piece[j] === BACKSLASH; j--) k++;
        this.#backslashes = k === piece.length - from ? this.#backslashes + k : k;
        if (this.#stringIsKey) this.#keyParts.push(piece.subarray(from));
        return -1;
      }
      let k = 0;
      let j = q - 1;
      while (j >= from && piece[j] === BACKSLASH) {
        k++;
        j--;
      }
      if (j < from) k += this.#backslashes;
      if (k % 2 === 0) {
        this.#inString = false;
        this.#backslashes = 0;
        if (this.#stringIsKey) {
          this.#keyParts.push(piece.subarray(from, q));
          this.#endKey();
        } else {
          this.#valueEnded(this.#offset + q + 1);
        }
        return q + 1;
      }
      i = q + 1;
    }
  }

  #endKey(): void {
    const raw = this.#keyParts.length === 1 ? this.#keyParts[0]! : Buffer.concat(this.#keyParts);
    this.#keyParts = [];
    const text = raw.toString('utf8');
    if (!text.includes('\\')) {
      this.#key = text;
      return;
    }
    try {
      this.#key = JSON.parse(`"${text}"`) as string;
    } catch {
      this.#fail(this.#stringStart, 'bad escape in a key');
    }
  }

  #endToken(): boolean {
    const text = this.#token!;
    this.#token = undefined;
    if (!TOKEN.test(text)) return this.#fail(this.#tokenStart, `bad token ${JSON.stringify(text.slice(0, 20))}`);
    this.#valueEnded(this.#tokenStart + text.length);
    return true;
  }

  /** A value (string, token or container) ended at line offset `end`. */
  #valueEnded(end: number): void {
    if (this.#stack.length === 0) {
      this.#expect = Expect.Nothing;
      this.#end = end;
      return;
    }
    this.#expect = Expect.CommaOrClose;
    if (this.#stack.length === 1 && this.#member) {
      this.#member.end = end;
      this.#members.push(this.#member);
      this.#member = undefined;
    }
  }

  /** A value starts at line offset `at`: note it when it belongs to a top-level member. */
  #valueStarts(at: number): void {
    if (this.#stack.length === 1 && this.#stack[0] === 123) this.#member = { key: this.#key, start: at, end: at };
  }

  /** One significant byte outside strings and tokens; false when the text cannot be JSON. */
  #structural(c: number, at: number): boolean {
    const e = this.#expect;
    const isValueStart = c === QUOTE || c === 123 || c === 91 || isTokenByte(c);
    switch (e) {
      case Expect.Value:
      case Expect.ValueOrClose:
        if (e === Expect.ValueOrClose && c === 93) return this.#close(c, at);
        if (!isValueStart) return this.#fail(at, 'expected a value');
        if (this.#stack.length === 0 && c !== 123) return this.#fail(at, 'not a JSON object');
        this.#valueStarts(at);
        this.#stringIsKey = false;
        if (c === 123) {
          this.#stack.push(c);
          this.#expect = Expect.KeyOrClose;
        } else if (c === 91) {
          this.#stack.push(c);
          this.#expect = Expect.ValueOrClose;
        }
        return true;
      case Expect.Key:
      case Expect.KeyOrClose:
        if (e === Expect.KeyOrClose && c === 125) return this.#close(c, at);
        if (c !== QUOTE) return this.#fail(at, 'expected a key');
        this.#stringIsKey = true;
        this.#expect = Expect.Colon;
        return true;
      case Expect.Colon:
        if (c !== 58) return this.#fail(at, "expected ':'");
        this.#expect = Expect.Value;
        return true;
      case Expect.CommaOrClose:
        if (c === 44) {
          this.#expect = this.#stack[this.#stack.length - 1] === 123 ? Expect.Key : Expect.Value;
          return true;
        }
        if (c === 125 || c === 93) return this.#close(c, at);
        return this.#fail(at, "expected ',' or a closing bracket");
      case Expect.Nothing:
        return this.#fail(at, 'text after the JSON value');
    }
  }

  #close(c: number, at: number): boolean {
    const open = this.#stack.pop();
    if ((c === 125 && open !== 123) || (c === 93 && open !== 91)) return this.#fail(at, 'mismatched bracket');
    this.#valueEnded(at + 1);
    return true;
  }
}

/** Skims a line held as pieces (no copy). */
export function skimPieces(pieces: readonly Buffer[]): SkimResult {
  const s = new Skim();
  for (const p of pieces) s.feed(p);
  return s.end();
}
