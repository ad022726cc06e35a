// What JSON forbids inside strings, found in the bytes of a long line as they arrive, so that the
// line may be re-sent as it came (skim.ts, long-line.ts): a raw control character (0x00-0x1F) and
// a backslash that does not start a valid escape (`\"` `\\` `\/` `\b` `\f` `\n` `\r` `\t`, or `\u`
// and 4 hex digits). A tab, LF or CR is legal between tokens, so those are only noted (where the
// first one is) and the caller places it. An escape may be cut by a piece's end: its state is
// carried from one piece to the next.
//
// Two scanners with the same results (test/wire/content-scan.test.ts holds them to one reference).
// The JavaScript one makes 29 + 3 native searches per piece for the control characters and one
// per backslash. The WebAssembly one (SIMD: 16 bytes a step, stopping only at a backslash or a
// control character) measured 2 to 2.5 times faster, with or without escapes (48 MB of text with
// an escape every 20 bytes: 21 ms against 53). Its module (~560 bytes) is assembled here from the
// listing below when the first long line comes; the JavaScript scanner is used wherever
// WebAssembly is not available (node --jitless, for one).

/** What a scan leaves for the next piece and the caller. */
export interface ScanState {
  /** Escape cut by the piece's end: -1 none, 0 = the byte after `\` is next, 1..4 = hex digits still to come. */
  escape: number;
  /** Index in the piece of its first tab, LF or CR; -1 if none. */
  whitespace: number;
}

/** Scans `piece` from escape state `escape`; the index of the first fault, or -1 (and `out` filled). */
export type Scanner = (piece: Buffer, escape: number, out: ScanState) => number;

/** What may follow a backslash: 1 for one of `"\/bfnrt`, 2 for `u`; and the hex digits. */
const ESCAPE = new Uint8Array(256);
for (const c of '"\\/bfnrt') ESCAPE[c.charCodeAt(0)] = 1;
ESCAPE[117] = 2;
const HEX = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;

const BACKSLASH = 92;
const HARD_CONTROL: number[] = [];
for (let b = 0; b < 32; b++) if (b !== 9 && b !== 10 && b !== 13) HARD_CONTROL.push(b);
const SOFT_CONTROL = [9, 10, 13];

// ── JavaScript ───────────────────────────────────────────────────────────────────────────────

export const scanJs: Scanner = (piece, escape, out) => {
  const n = piece.length;
  for (const b of HARD_CONTROL) {
    const k = piece.indexOf(b);
    if (k !== -1) return k;
  }
  out.whitespace = -1;
  for (const b of SOFT_CONTROL) {
    const k = piece.indexOf(b);
    if (k !== -1 && (out.whitespace < 0 || k < out.whitespace)) out.whitespace = k;
  }
  let state = escape;
  let j = 0;
  // The rest of an escape cut by the previous piece's end.
  for (; state >= 0 && j < n; j++) {
    const c = piece[j]!;
    if (state === 0) {
      const e = ESCAPE[c]!;
      if (e === 0) return j;
      state = e === 2 ? 4 : -1;
    } else {
      if (HEX[c] === 0) return j;
      state = state === 1 ? -1 : state - 1;
    }
  }
  for (j = piece.indexOf(BACKSLASH, j); j !== -1; j = piece.indexOf(BACKSLASH, j)) {
    const e = j + 1 < n ? ESCAPE[piece[j + 1]!]! : 2;
    if (e === 1) {
      j += 2;
    } else if (e === 0) {
      return j;
    } else if (j + 6 <= n) {
      if ((HEX[piece[j + 2]!]! & HEX[piece[j + 3]!]! & HEX[piece[j + 4]!]! & HEX[piece[j + 5]!]!) === 0) return j;
      j += 6;
    } else {
      // Cut by the piece's end: the hex digits that are here, the rest with the next piece.
      state = 4;
      for (let k = j + 2; k < n; k++, state--) if (HEX[piece[k]!] === 0) return k;
      if (j + 1 >= n) state = 0;
      break;
    }
  }
  out.escape = state;
  return -1;
};

// ── WebAssembly ──────────────────────────────────────────────────────────────────────────────

/** Bytes scanned per call: the window at address 0 of the module's memory. */
const WINDOW = 65536;
/** Addresses of the ESCAPE and HEX tables in the module's memory (written from JavaScript). */
const ESC_AT = WINDOW;
const HEX_AT = WINDOW + 256;

type Op = [string, (number | string)?];
const LOCALS = ['len', 'st', 'i', 'ws', 'c', 'm', 'v'];
const get = (x: string): Op => ['local.get', x];
const set = (x: string): Op => ['local.set', x];
const tee = (x: string): Op => ['local.tee', x];
const k = (n: number): Op => ['i32.const', n];
const inc = (x: string, n: number): Op[] => [get(x), k(n), ['i32.add'], set(x)];
const fault: Op[] = [get('i'), ['return']];
const finish: Op[] = [get('st'), ['global.set', 0], get('ws'), ['global.set', 1]];

/**
 * scan(len, st) -> the index of the first fault in memory[0, len), or -1; then globals 0 and 1
 * hold the escape state at the end and the index of the first tab, LF or CR (-1: none).
 */
const PROGRAM: Op[] = [
  k(-1), set('ws'),
  // The rest of an escape cut by the previous window's end, byte by byte.
  ['block', 'pendDone'], ['loop', 'pend'],
    get('st'), k(0), ['i32.lt_s'], ['br_if', 'pendDone'],
    get('i'), get('len'), ['i32.ge_u'], ['if'], ...finish, k(-1), ['return'], ['end'],
    get('i'), ['i32.load8_u'], set('c'),
    get('st'), ['i32.eqz'], ['if'],
      get('c'), ['i32.load8_u', ESC_AT], tee('m'), ['i32.eqz'], ['if'], ...fault, ['end'],
      k(4), k(-1), get('m'), k(2), ['i32.eq'], ['select'], set('st'),
    ['else'],
      get('c'), ['i32.load8_u', HEX_AT], ['i32.eqz'], ['if'], ...fault, ['end'],
      get('st'), k(1), ['i32.sub'], tee('st'), ['i32.eqz'], ['if'], k(-1), set('st'), ['end'],
    ['end'],
    ...inc('i', 1),
    ['br', 'pend'],
  ['end'], ['end'],
  ['block', 'done'], ['loop', 'main'],
    // Find the next byte below 0x20 or backslash: 16 bytes a step, byte by byte for the last 15.
    ['block', 'hit'], ['loop', 'simd'],
      get('i'), k(16), ['i32.add'], get('len'), ['i32.gt_u'], ['if'],
        ['loop', 'tail'],
          get('i'), get('len'), ['i32.ge_u'], ['br_if', 'done'],
          get('i'), ['i32.load8_u'], tee('c'), k(0x20), ['i32.lt_u'], get('c'), k(BACKSLASH), ['i32.eq'], ['i32.or'], ['br_if', 'hit'],
          ...inc('i', 1),
          ['br', 'tail'],
        ['end'],
      ['end'],
      get('i'), ['v128.load'], tee('v'), k(0x20), ['i8x16.splat'], ['i8x16.lt_u'],
      get('v'), k(BACKSLASH), ['i8x16.splat'], ['i8x16.eq'], ['v128.or'], ['i8x16.bitmask'], tee('m'),
      ['if'], get('i'), get('m'), ['i32.ctz'], ['i32.add'], set('i'), ['br', 'hit'], ['end'],
      ...inc('i', 16),
      ['br', 'simd'],
    ['end'], ['end'],
    get('i'), ['i32.load8_u'], tee('c'), k(BACKSLASH), ['i32.eq'], ['if'],
      // An escape: its letter (or the window ends: pending)...
      get('i'), k(1), ['i32.add'], get('len'), ['i32.ge_u'], ['if'], k(0), set('st'), ['br', 'done'], ['end'],
      get('i'), ['i32.load8_u', 1], ['i32.load8_u', ESC_AT], tee('m'), ['i32.eqz'], ['if'], ...fault, ['end'],
      get('m'), k(1), ['i32.eq'], ['if'], ...inc('i', 2), ['br', 'main'], ['end'],
      // ...and after \u, 4 hex digits,
      get('i'), k(6), ['i32.add'], get('len'), ['i32.le_u'], ['if'],
        get('i'), ['i32.load8_u', 2], ['i32.load8_u', HEX_AT], get('i'), ['i32.load8_u', 3], ['i32.load8_u', HEX_AT], ['i32.and'],
        get('i'), ['i32.load8_u', 4], ['i32.load8_u', HEX_AT], ['i32.and'], get('i'), ['i32.load8_u', 5], ['i32.load8_u', HEX_AT], ['i32.and'],
        ['i32.eqz'], ['if'], ...fault, ['end'],
        ...inc('i', 6), ['br', 'main'],
      ['end'],
      // or those the window still has, the rest pending.
      k(4), set('st'),
      ...inc('i', 2),
      ['loop', 'cut'],
        get('i'), get('len'), ['i32.lt_u'], ['if'],
          get('i'), ['i32.load8_u'], ['i32.load8_u', HEX_AT], ['i32.eqz'], ['if'], ...fault, ['end'],
          get('st'), k(1), ['i32.sub'], set('st'),
          ...inc('i', 1),
          ['br', 'cut'],
        ['end'],
      ['end'],
      ['br', 'done'],
    ['end'],
    // A control character: tab, LF and CR are noted, any other is a fault.
    get('c'), k(9), ['i32.eq'], get('c'), k(10), ['i32.eq'], ['i32.or'], get('c'), k(13), ['i32.eq'], ['i32.or'], ['i32.eqz'], ['if'], ...fault, ['end'],
    get('ws'), k(0), ['i32.lt_s'], ['if'], get('i'), set('ws'), ['end'],
    ...inc('i', 1),
    ['br', 'main'],
  ['end'], ['end'],
  ...finish, k(-1),
];

const OPCODES: Record<string, number> = {
  block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, br_if: 0x0d, return: 0x0f, select: 0x1b,
  'local.get': 0x20, 'local.set': 0x21, 'local.tee': 0x22, 'global.set': 0x24,
  'i32.load8_u': 0x2d, 'i32.const': 0x41, 'i32.eqz': 0x45, 'i32.eq': 0x46, 'i32.lt_s': 0x48, 'i32.lt_u': 0x49,
  'i32.gt_u': 0x4b, 'i32.le_u': 0x4d, 'i32.ge_u': 0x4f, 'i32.ctz': 0x68, 'i32.add': 0x6a, 'i32.sub': 0x6b, 'i32.and': 0x71, 'i32.or': 0x72,
};
const SIMD_OPCODES: Record<string, number> = { 'v128.load': 0x00, 'i8x16.splat': 0x0f, 'i8x16.eq': 0x23, 'i8x16.lt_u': 0x26, 'v128.or': 0x50, 'i8x16.bitmask': 0x64 };

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
}

/** The function body's instructions, branch labels resolved to depths. */
function assemble(program: Op[]): number[] {
  const labels: (string | undefined)[] = [];
  const out: number[] = [];
  for (const [op, arg] of program) {
    const simd = SIMD_OPCODES[op];
    if (simd !== undefined) {
      out.push(0xfd, ...uleb(simd));
      if (op === 'v128.load') out.push(0, 0); // memarg: alignment, offset
      continue;
    }
    const code = OPCODES[op];
    if (code === undefined) throw new Error(`unknown op ${op}`);
    out.push(code);
    if (op === 'block' || op === 'loop' || op === 'if') {
      labels.push(arg as string | undefined);
      out.push(0x40); // no result
    } else if (op === 'end') {
      labels.pop();
    } else if (op === 'br' || op === 'br_if') {
      const at = labels.lastIndexOf(arg as string);
      if (at < 0) throw new Error(`no label ${String(arg)}`);
      out.push(...uleb(labels.length - 1 - at));
    } else if (op.startsWith('local.')) {
      out.push(...uleb(LOCALS.indexOf(arg as string)));
    } else if (op === 'global.set') {
      out.push(...uleb(arg as number));
    } else if (op === 'i32.const') {
      out.push(...sleb(arg as number));
    } else if (op === 'i32.load8_u') {
      out.push(0, ...uleb((arg as number | undefined) ?? 0)); // memarg: alignment, offset
    }
  }
  if (labels.length) throw new Error('unbalanced blocks');
  return out;
}

function moduleBytes(): Uint8Array {
  const section = (id: number, bytes: number[]) => [id, ...uleb(bytes.length), ...bytes];
  const name = (s: string) => [...uleb(s.length), ...Buffer.from(s)];
  const I32 = 0x7f;
  // Locals after the two parameters: i, ws, c, m (i32) and v (v128).
  const body = [2, 4, I32, 1, 0x7b, ...assemble(PROGRAM), 0x0b];
  const globalI32 = [I32, 1, 0x41, 0x7f, 0x0b]; // mutable i32, initially -1
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 2, I32, I32, 1, I32]), // type: (i32, i32) -> i32
    ...section(3, [1, 0]), // one function of that type
    ...section(5, [1, 0x00, 2]), // memory: 2 pages (the window, then the tables)
    ...section(6, [2, ...globalI32, ...globalI32]),
    ...section(7, [4, ...name('scan'), 0, 0, ...name('mem'), 2, 0, ...name('state'), 3, 0, ...name('ws'), 3, 1]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

// The little of the WebAssembly API used here (the project's TypeScript libraries do not declare it).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
};

interface Exports {
  scan(len: number, st: number): number;
  mem: { buffer: ArrayBuffer };
  state: { value: number };
  ws: { value: number };
}

/** The WebAssembly scanner, or undefined where it cannot be built (no WebAssembly, no SIMD). */
export function buildWasmScanner(): Scanner | undefined {
  let ex: Exports;
  try {
    ex = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes())).exports as unknown as Exports;
  } catch {
    return undefined;
  }
  const mem = new Uint8Array(ex.mem.buffer);
  mem.set(ESCAPE, ESC_AT);
  mem.set(HEX, HEX_AT);
  return (piece, escape, out) => {
    let st = escape;
    out.whitespace = -1;
    for (let o = 0; o < piece.length; o += WINDOW) {
      const w = piece.subarray(o, o + WINDOW);
      mem.set(w, 0);
      const r = ex.scan(w.length, st);
      if (r >= 0) return o + r;
      st = ex.state.value;
      const ws = ex.ws.value;
      if (out.whitespace < 0 && ws >= 0) out.whitespace = o + ws;
    }
    out.escape = st;
    return -1;
  };
}

let chosen: Scanner | undefined;

/** The scanner to use: WebAssembly where it can be built, JavaScript otherwise. */
export function scanner(): Scanner {
  chosen ??= buildWasmScanner() ?? scanJs;
  return chosen;
}
