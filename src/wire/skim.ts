// A structural skim of one JSON text that arrives in pieces, for lines too long to parse cheaply.
//
// It checks the structure (brackets, commas, colons, keys, number and literal tokens, strings
// closed) and records where each top-level member's value starts and ends, so a message's id can
// be read and replaced without parsing or copying the rest. Text runs are skipped with
// Buffer.indexOf, so a long string costs one native search per quote it contains; bytes outside
// strings are looked at one by one.
//
// It also checks, piece by piece, what a full parse would refuse inside strings, so that a line
// it passes can be forwarded as it came (long-line.ts): the bytes are UTF-8 (isUtf8 per piece,
// with a character cut between two pieces checked on its own), and no control character and no
// bad escape is in a string (content-scan.ts). A tab, LF or CR between tokens is legal JSON but
// refused here too (the ordinary path parses it): only trailing whitespace may hold them.
//
// Pieces are fed in order as they arrive (feed), and end() says what was seen. It never throws
// on bad input: the first problem is kept and everything after it is ignored.

import { isUtf8 } from 'node:buffer';
import { scanner, type ScanState } from './content-scan.js';

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

/** Length of the UTF-8 sequence a lead byte starts (bytes that cannot lead count as 1). */
function sequenceLength(b: number): number {
  return b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
}

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
  // Content checks (see the top of the file).
  #escape = -1; // an escape cut by a piece's end (see ScanState)
  #utf8Cut: Buffer | undefined; // the first bytes of a UTF-8 character cut by a piece's end
  #whitespaceAt = -1; // line offset of the first tab, CR or LF (legal only between tokens)
  #scan: ScanState = { escape: -1, whitespace: -1 };

  feed(piece: Buffer): void {
    if (this.#failed) return;
    if (!this.#content(piece)) return;
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
      if (this.#escape >= 0) this.#fail(this.#offset, 'unterminated escape');
      if (this.#utf8Cut) this.#fail(this.#offset - this.#utf8Cut.length, 'not UTF-8 (a character cut short)');
      // A tab, CR or LF after the object is trailing whitespace; before its end, it is in a
      // string (refused by JSON) or between tokens (legal, but left to the ordinary path).
      if (this.#whitespaceAt >= 0 && this.#whitespaceAt < this.#end) this.#fail(this.#whitespaceAt, 'control character (tab, CR or LF) before the end of the object');
    }
    if (this.#failed) return { ok: false, ...this.#failed };
    return { ok: true, members: this.#members, end: this.#end };
  }

  #fail(at: number, problem: string): false {
    this.#failed ??= { at, problem };
    return false;
  }

  /**
   * What only a full parse would otherwise see, for one piece (at line offset this.#offset):
   * UTF-8, escapes, control characters. False (and failed) at the first fault.
   */
  #content(piece: Buffer): boolean {
    const at = this.#offset;
    const n = piece.length;
    // Control characters and escapes. Outside strings the structure refuses all control
    // characters but tab, LF and CR, which end() places (trailing whitespace or not).
    const fault = scanner()(piece, this.#escape, this.#scan);
    if (fault >= 0) {
      const b = piece[fault]!;
      return this.#fail(at + fault, b < 0x20 ? `control character 0x${b.toString(16).padStart(2, '0')} in a string` : 'bad escape');
    }
    this.#escape = this.#scan.escape;
    if (this.#whitespaceAt < 0 && this.#scan.whitespace >= 0) this.#whitespaceAt = at + this.#scan.whitespace;
    // UTF-8: a character cut by the previous piece's end is completed from this one's start.
    let from = 0;
    if (this.#utf8Cut) {
      const cut = this.#utf8Cut;
      const need = sequenceLength(cut[0]!) - cut.length;
      if (n < need) {
        this.#utf8Cut = Buffer.concat([cut, piece]);
        return true;
      }
      this.#utf8Cut = undefined;
      if (!isUtf8(Buffer.concat([cut, piece.subarray(0, need)]))) return this.#fail(at - cut.length, 'not UTF-8');
      from = need;
    }
    let to = n;
    for (let k = n - 1; k >= from && k >= n - 3; k--) {
      const b = piece[k]!;
      if (b < 0x80) break;
      if (b >= 0xc0) {
        if (k + sequenceLength(b) > n) to = k;
        break;
      }
    }
    if (!isUtf8(piece.subarray(from, to))) return this.#fail(at + from, 'not UTF-8');
    if (to < n) this.#utf8Cut = Buffer.from(piece.subarray(to));
    return true;
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
