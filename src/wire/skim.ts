// A structural skim of one JSON text that arrives in pieces, for lines too long to parse cheaply.
//
// It checks the structure (brackets, commas, colons, keys, number and literal tokens, strings
// closed) and records where each top-level member's value starts and ends, so a message's id can
// be read and replaced without parsing or copying the rest.
//
// A line it passes is forwarded as it came (long-line.ts), so it also checks what only a full
// parse would otherwise see: the bytes are UTF-8 (isUtf8 per piece, with a character cut between
// two pieces checked on its own), and strings hold no control character and no bad escape.
// Bytes outside strings are looked at one by one here (tab, LF, CR and space are whitespace, any
// other control character is refused); the inside of a string, where a long line has nearly all
// its bytes, is scanned by string-scan.ts in one pass that finds the closing quote and checks the
// escapes and control characters on the way. Numbers and literals are checked where they lie,
// and only the top-level object's keys are decoded: a line of many small values makes no string
// per value.
//
// Pieces are fed in order as they arrive (feed), and end() says what was seen. It never throws
// on bad input: the first problem is kept and everything after it is ignored.
// (About 380 lines: one resumable state machine over pieces; it cannot be split without
// passing its state between files on the hot path.)

import { isUtf8 } from 'node:buffer';
import { stringScanner, type StringScanner } from './string-scan.js';

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
/** A string's first bytes are read here: a short one (a key, most values) ends without a call to the scanner. */
const SHORT_STRING = 32;

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

// What a string is: its end means different things, and only top-level keys are kept.
const enum StringKind {
  Value,
  MemberKey, // a key of the top-level object: decoded, it names the member that follows
  InnerKey,
}

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 48 && c <= 57;

/**
 * Whether bytes [s, e) of `b` are one number or literal, as JSON has them:
 * -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, true, false or null. Read in place, no string made.
 */
function isToken(b: Buffer, s: number, e: number): boolean {
  const first = b[s];
  if (first === 116) return e - s === 4 && b[s + 1] === 114 && b[s + 2] === 117 && b[s + 3] === 101; // true
  if (first === 102) return e - s === 5 && b[s + 1] === 97 && b[s + 2] === 108 && b[s + 3] === 115 && b[s + 4] === 101; // false
  if (first === 110) return e - s === 4 && b[s + 1] === 117 && b[s + 2] === 108 && b[s + 3] === 108; // null
  let i = s;
  if (b[i] === 45) i++;
  if (i < e && b[i] === 48) i++;
  else if (i < e && b[i]! >= 49 && b[i]! <= 57) while (++i < e && isDigit(b[i]));
  else return false;
  if (i < e && b[i] === 46) {
    if (!(++i < e && isDigit(b[i]))) return false;
    while (++i < e && isDigit(b[i]));
  }
  if (i < e && (b[i] === 101 || b[i] === 69)) {
    if (++i < e && (b[i] === 43 || b[i] === 45)) i++;
    if (!(i < e && isDigit(b[i]))) return false;
    while (++i < e && isDigit(b[i]));
  }
  return i === e;
}

/** A byte for an error message: `'q'`, or its hex code when it is no printable ASCII. */
function byteName(c: number): string {
  return c > 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `0x${c.toString(16).padStart(2, '0')}`;
}

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
  #stringKind: StringKind = StringKind.Value;
  #stringStart = 0; // line offset of the opening quote
  #stringState = 0; // an escape cut by a piece's end (string-scan.ts)
  #token: string | undefined; // a number or literal being read
  #tokenStart = 0;
  #keyParts: Buffer[] = [];
  #key = '';
  #members: Member[] = [];
  #member: Member | undefined; // the top-level member whose value is being read
  #failed: { at: number; problem: string } | undefined;
  #end = 0;
  #utf8Cut: Buffer | undefined; // the first bytes of a UTF-8 character cut by a piece's end
  #scan: StringScanner;
  #scanOut = { state: 0 };

  /** `scan`: the string scanner to use (tests hold the JavaScript one to the same results). */
  constructor(scan: StringScanner = stringScanner()) {
    this.#scan = scan;
  }

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
      if (c < 0x20) {
        this.#fail(this.#offset + i, `control character ${byteName(c)} between tokens`);
        return;
      }
      if (!this.#structural(c, this.#offset + i)) return;
      if (c === QUOTE) {
        this.#inString = true;
        this.#stringStart = this.#offset + i;
        this.#stringState = 0;
        if (this.#stringKind === StringKind.MemberKey) this.#keyParts = [];
      } else if (isTokenByte(c)) {
        const start = i;
        while (++i < n && isTokenByte(piece[i]!));
        if (i === n) {
          // Cut by the piece's end: the token branch reads the rest.
          this.#token = piece.toString('latin1', start, n);
          this.#tokenStart = this.#offset + start;
          break;
        }
        if (!this.#tokenEnds(piece, start, i, this.#offset + start)) return;
        continue;
      }
      i++;
    }
    // UTF-8 last: the piece is then in the cache (the string scanner has read it), which makes
    // isUtf8 of non-ASCII text ~1.4 times faster than on a piece fresh from memory.
    if (this.#utf8(piece)) this.#offset += n;
  }

  /** The line is complete. */
  end(): SkimResult {
    if (!this.#failed) {
      if (this.#token !== undefined) this.#endToken();
      if (!this.#failed && (this.#inString || this.#expect !== Expect.Nothing)) {
        this.#fail(this.#offset, this.#inString ? `unterminated string (opened at ${this.#stringStart})` : 'unexpected end of line');
      }
      if (this.#utf8Cut) this.#fail(this.#offset - this.#utf8Cut.length, 'not UTF-8 (a character cut short)');
    }
    if (this.#failed) return { ok: false, ...this.#failed };
    return { ok: true, members: this.#members, end: this.#end };
  }

  #fail(at: number, problem: string): false {
    this.#failed ??= { at, problem };
    return false;
  }

  /** The piece (at line offset this.#offset) is UTF-8, a character cut by its ends included. */
  #utf8(piece: Buffer): boolean {
    const at = this.#offset;
    const n = piece.length;
    // A character cut by the previous piece's end is completed from this one's start.
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
    const n = piece.length;
    let j = i;
    if (this.#stringState === 0) {
      const stop = Math.min(n, i + SHORT_STRING);
      while (j < stop) {
        const c = piece[j]!;
        if (c === QUOTE) return this.#endString(piece, i, j);
        if (c === BACKSLASH || c < 0x20) break;
        j++;
      }
      if (j === n) return this.#stringGoesOn(piece, i);
    }
    const r = this.#scan(piece, j, this.#stringState, this.#scanOut);
    if (r >= 0) return this.#endString(piece, i, r);
    if (r === -1) {
      this.#stringState = this.#scanOut.state;
      return this.#stringGoesOn(piece, i);
    }
    const at = -2 - r;
    const c = piece[at]!;
    this.#fail(this.#offset + at, c < 0x20 ? `control character ${byteName(c)} in a string` : `bad escape (${byteName(c)} where an escape letter or a hex digit is due)`);
    return n;
  }

  /** The string that started at `from` goes on into the next piece. */
  #stringGoesOn(piece: Buffer, from: number): number {
    if (this.#stringKind === StringKind.MemberKey) this.#keyParts.push(piece.subarray(from));
    return -1;
  }

  /** The string that started at `from` ends with the quote at `q`; returns the index after it. */
  #endString(piece: Buffer, from: number, q: number): number {
    this.#inString = false;
    if (this.#stringKind === StringKind.Value) {
      this.#valueEnded(this.#offset + q + 1);
    } else if (this.#stringKind === StringKind.MemberKey) {
      this.#keyParts.push(piece.subarray(from, q));
      this.#endKey();
    }
    return q + 1;
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

  /** The token that was cut by a piece's end is complete. */
  #endToken(): boolean {
    const bytes = Buffer.from(this.#token!, 'latin1');
    this.#token = undefined;
    return this.#tokenEnds(bytes, 0, bytes.length, this.#tokenStart);
  }

  /** A number or literal, bytes [s, e) of `b`, at line offset `at`, ends; false (and failed) if it is none. */
  #tokenEnds(b: Buffer, s: number, e: number, at: number): boolean {
    if (!isToken(b, s, e)) return this.#fail(at, `bad token ${JSON.stringify(b.toString('latin1', s, Math.min(e, s + 20)))}`);
    this.#valueEnded(at + e - s);
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
        this.#stringKind = StringKind.Value;
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
        this.#stringKind = this.#stack.length === 1 ? StringKind.MemberKey : StringKind.InnerKey;
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
export function skimPieces(pieces: readonly Buffer[], scan?: StringScanner): SkimResult {
  const s = new Skim(scan);
  for (const p of pieces) s.feed(p);
  return s.end();
}
