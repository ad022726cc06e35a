// The inside of a JSON string, scanned for its closing quote and checked on the way, for long lines
// that are re-sent as they came (skim.ts, long-line.ts): what a full parse would refuse there is
// a raw control character (0x00-0x1F, tab, LF and CR included) and a backslash that does not
// start a valid escape (`\"` `\\` `\/` `\b` `\f` `\n` `\r` `\t`, or `\u` and 4 hex digits).
//
// The skim's own loop looks at every byte outside strings; inside them, where a long line has
// nearly all its bytes, it hands over to this scan, which stops only at the closing quote, at a
// fault, or at the end of what it was given. An escape cut there is carried in a state:
//   0: nothing pending; 1: the next byte is an escape's letter; 2, 6, 14, 30: 1 to 4 hex
//   digits of a \u escape still to come (bit k+1 set: byte k from here must be a hex digit).
// (That is the WebAssembly scanner's own carry, kept as it is so both scanners share it.)
//
// Two scanners with the same results, fault positions included (test/wire/string-scan.test.ts
// holds them to each other and to JSON's grammar). The WebAssembly one (SIMD) reads 64 bytes a
// step, and how long a step takes does not depend on where the escapes are in it: a step with no
// quote, backslash or control character is skipped after a few compares; any other is classified
// whole and the escape rules are applied to bit masks (runs of backslashes paired off by one
// subtraction, as simdjson does), so text with an escape every 20 bytes costs about twice what
// plain text does (copy into its memory included) instead of a call and a branch missed per
// escape. Its module (~1.5 KB) is assembled here from the listing below when the first long line
// comes. The JavaScript one serves wherever WebAssembly or its SIMD is not available (node
// --jitless, for one). Why both are kept, with figures: bench/README.md, "The string scanner".
// (About 430 lines: two scanners held to the same results, one of them a WebAssembly listing;
// bench/README.md has the figures that keep it.)

/**
 * Scans `piece` from index `from`, inside a string, from escape `state` (see above). Returns the
 * closing quote's index in `piece`; or -1 when the piece ends first (`out.state` is then the
 * state to go on with); or -2 - i when byte i is the first fault. A scanner remembers the last
 * piece it saw (what it worked out about it, or a copy): a piece must not change once scanned.
 */
export type StringScanner = (piece: Buffer, from: number, state: number, out: { state: number }) => number;

/** What may follow a backslash: 1 for one of `"\/bfnrt`, 2 for `u`; and the hex digits. */
const ESCAPE = new Uint8Array(256);
for (const c of '"\\/bfnrt') ESCAPE[c.charCodeAt(0)] = 1;
ESCAPE[117] = 2;
const HEX = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;

const QUOTE = 34;
const BACKSLASH = 92;

// ── JavaScript ───────────────────────────────────────────────────────────────────────────────

/**
 * The rest of an escape (state `st`, see above) from piece[i]: the index after it; -1 at the
 * piece's end (out.state then says what is still due); or -2 - the index of a bad byte.
 */
function finishEscape(piece: Buffer, i: number, st: number, out: { state: number }): number {
  const n = piece.length;
  for (; st !== 0; i++) {
    if (i === n) {
      out.state = st;
      return -1;
    }
    const c = piece[i]!;
    if (st === 1) {
      const e = ESCAPE[c]!;
      if (e === 0) return -2 - i;
      st = e === 2 ? 30 : 0;
    } else {
      if (HEX[c] === 0) return -2 - i;
      st = (st >> 1) - 1; // one hex digit fewer due
    }
  }
  return i;
}

/** The rules byte by byte, from piece[i] (no escape pending) to the piece's end. */
function scanBytes(piece: Buffer, i: number, out: { state: number }): number {
  const n = piece.length;
  for (; i < n; i++) {
    const c = piece[i]!;
    if (c === QUOTE) return i;
    if (c === BACKSLASH) {
      const r = finishEscape(piece, i + 1, 1, out);
      if (r < 0) return r;
      i = r - 1;
    } else if (c < 0x20) {
      return -2 - i;
    }
  }
  out.state = 0;
  return -1;
}

const CONTROLS = Array.from({ length: 0x20 }, (_, b) => b);
// Whether the piece last seen has a control character anywhere (it is kept until the next one).
let seen: Buffer | undefined;
let seenControl = false;

/**
 * Where WebAssembly is missing, the JIT may be too (node --jitless): native searches do the
 * skipping. In a piece without control characters (32 searches, once per piece, tell) only the
 * quotes and backslashes need a look; any other piece goes byte by byte.
 */
export const scanStringJs: StringScanner = (piece, from, state, out) => {
  if (piece !== seen) {
    seen = piece;
    seenControl = CONTROLS.some((b) => piece.includes(b));
  }
  let i = from;
  if (state !== 0) {
    i = finishEscape(piece, i, state, out);
    if (i < 0) return i;
  }
  if (seenControl) return scanBytes(piece, i, out);
  let q = piece.indexOf(QUOTE, i);
  for (;;) {
    const b = piece.indexOf(BACKSLASH, i);
    if (b === -1 || (q !== -1 && q < b)) {
      if (q === -1) out.state = 0;
      return q;
    }
    i = finishEscape(piece, b + 1, 1, out);
    if (i < 0) return i;
    if (q !== -1 && q < i) q = piece.indexOf(QUOTE, i);
  }
};

// ── WebAssembly ──────────────────────────────────────────────────────────────────────────────

/** Bytes scanned per call: the window at address 0 of the module's memory. */
const WINDOW = 65536;
/** Bytes per step: bit k of a step's masks (i64) is byte i + k. */
const STEP = 64;

/**
 * A byte's classes, as the AND of a table entry for each of its nibbles (i8x16.swizzle):
 * bits 0-3: an escape letter (one bit per high nibble 2, 5, 6, 7: `"` `/`, `\`, `b` `f` `n`,
 * `r` `t` `u`); bit 4: a digit; bit 5: a hex letter (high nibble 4 or 6, low 1-6); bit 7: `u`
 * (read by i8x16.bitmask as it is).
 */
const LOW_NIBBLE = [0x10, 0x30, 0x3d, 0x30, 0x38, 0xb8, 0x34, 0x10, 0x10, 0x10, 0, 0, 0x02, 0, 0x04, 0x01];
const HIGH_NIBBLE = [0, 0, 0x01, 0x10, 0x20, 0x02, 0x24, 0x88, 0, 0, 0, 0, 0, 0, 0, 0];
/**
 * For the quick check of escapes: the letters but `u` (which needs the full check) by a hash
 * that gives each its own slot, ((c >> 2) + (c >> 4)) & 15; a byte is one of them if the slot
 * its hash points at holds it. Free slots hold a byte that hashes elsewhere.
 */
const quickHash = (c: number) => ((c >> 2) + (c >> 4)) & 15;
const LETTERS_QUICK = Array.from({ length: 16 }, (_, slot) => [...'"\\/bfnrt'].map((c) => c.charCodeAt(0)).find((c) => quickHash(c) === slot) ?? (quickHash(0xff) === slot ? 0xfe : 0xff));
/** Odd bit positions: how runs of backslashes are told odd from even (see the program). */
const ODD = -0x5555555555555556n; // 0xAAAA_AAAA_AAAA_AAAA as a signed i64

type Arg = number | string | bigint | number[];
type Op = [string, Arg?];
const PARAMS = ['i', 'len', 'st'];
const LOCALS: Array<[string, 'i32' | 'i64' | 'v128']> = [
  ['n', 'i32'],
  ['p', 'i32'],
  ['quiet', 'i32'],
  ...(['valid', 'bs', 'qc', 'x', 'escd', 'flt', 'stops', 'u', 'req'] as const).map((x): [string, 'i64'] => [x, 'i64']),
  ...(['v0', 'v1', 'v2', 'v3', 'kB', 'k02', 'k20', 'k0F', 'kHX', 'tLo', 'tHi', 'tQ', 'zero'] as const).map((x): [string, 'v128'] => [x, 'v128']),
];
const NAMES = [...PARAMS, ...LOCALS.map(([x]) => x)];
const VECTORS = ['v0', 'v1', 'v2', 'v3'];

const get = (x: string): Op => ['local.get', x];
const set = (x: string): Op => ['local.set', x];
const tee = (x: string): Op => ['local.tee', x];
const k = (n: number): Op => ['i32.const', n];
const k64 = (n: bigint): Op => ['i64.const', n];
const splat = (b: number, x: string): Op[] => [k(b), ['i8x16.splat'], set(x)];
const not64: Op[] = [k64(-1n), ['i64.xor']];
/** The step's 64 bytes (v0-v3) through `f`, as a mask (bit k: byte k's top bit after `f`). */
const mask = (f: (v: string) => Op[]): Op[] => [
  ...f('v0'), ['i8x16.bitmask'], ...f('v1'), ['i8x16.bitmask'], k(16), ['i32.shl'], ['i32.or'], ['i64.extend_i32_u'],
  ...f('v2'), ['i8x16.bitmask'], ...f('v3'), ['i8x16.bitmask'], k(16), ['i32.shl'], ['i32.or'], ['i64.extend_i32_u'],
  k64(32n), ['i64.shl'], ['i64.or'],
];
const backslash = (v: string): Op[] => [get(v), get('kB'), ['i8x16.eq']];
/** A quote or a control character: x ^ 2 <= 0x20 (`"` is 0x22; 0x00-0x1F stay below 0x20). */
const quoteOrControl = (v: string): Op[] => [get(v), get('k02'), ['v128.xor'], get('k20'), ['i8x16.min_u'], get(v), get('k02'), ['v128.xor'], ['i8x16.eq']];
// x64 has no byte shift: i8x16.shr_u costs several instructions there, a 16-bit shift and a mask
// one each (the bits shifted in from the next byte are masked off, or above those added up).
/** Classes (LOW_NIBBLE) of the vector in `v`. */
const classes = (v: string): Op[] => [
  get('tLo'), get(v), get('k0F'), ['v128.and'], ['i8x16.swizzle'],
  get('tHi'), get(v), k(4), ['i16x8.shr_u'], get('k0F'), ['v128.and'], ['i8x16.swizzle'],
  ['v128.and'],
];
/** Bytes that are an escape letter but `u` (see LETTERS_QUICK). */
const quickLetter = (v: string): Op[] => [
  get('tQ'), get(v), k(2), ['i16x8.shr_u'], get(v), k(4), ['i16x8.shr_u'], ['i8x16.add'], get('k0F'), ['v128.and'], ['i8x16.swizzle'], get(v), ['i8x16.eq'],
];
/** Bytes whose classes (full tables) have none of `bits`. */
const lacks = (bits: string) => (v: string): Op[] => [...classes(v), get(bits), ['v128.and'], get('zero'), ['i8x16.eq']];
/** Return the stop at byte p: the closing quote, or a control character (a fault). */
const stopAt: Op[] = [
  get('p'), ['i32.load8_u'], k(QUOTE), ['i32.eq'], ['if'], get('p'), ['return'], ['end'],
  k(-2), get('p'), ['i32.sub'], ['return'],
];
/** p = i + the lowest bit of the i64 on the stack. */
const at: Op[] = [['i64.ctz'], ['i32.wrap_i64'], get('i'), ['i32.add'], set('p')];

/**
 * string(i, len, st) -> the index of the closing quote in memory[i, len); -2 - index of the
 * first fault; or -1 at len, global 0 then holding the state to go on with.
 */
const PROGRAM: Op[] = [
  ...splat(BACKSLASH, 'kB'), ...splat(0x02, 'k02'), ...splat(0x20, 'k20'), ...splat(0x0f, 'k0F'), ...splat(0x30, 'kHX'),
  ['v128.const', LOW_NIBBLE], set('tLo'), ['v128.const', HIGH_NIBBLE], set('tHi'),
  ['v128.const', LETTERS_QUICK], set('tQ'),
  ['loop', 'step'],
    // n: bytes in this step (STEP, fewer at the window's end).
    get('len'), get('i'), ['i32.sub'], tee('n'), k(0), ['i32.le_s'], ['if'], get('st'), ['global.set', 0], k(-1), ['return'], ['end'],
    k(STEP), get('n'), get('n'), k(STEP), ['i32.gt_s'], ['select'], set('n'),
    ...VECTORS.flatMap((v, j): Op[] => [get('i'), ['v128.load', 16 * j], set(v)]),
    // Nothing to look at (no quote, backslash or control character, no escape carried in): skip.
    // Tried only after a step that had nothing either: in text dense with escapes it never skips.
    get('st'), ['i32.eqz'], get('n'), k(STEP), ['i32.eq'], ['i32.and'], get('quiet'), ['i32.and'], ['if'],
      ...VECTORS.flatMap((v, j): Op[] => [...quoteOrControl(v), ...backslash(v), ['v128.or'], ...(j > 0 ? [['v128.or'] as Op] : [])]),
      ['v128.any_true'], ['i32.eqz'], ['if'], get('i'), k(STEP), ['i32.add'], set('i'), ['br', 'step'], ['end'],
    ['end'],
    // Bytes past n are stale: every mask is cut to `valid`.
    k64(-1n), k(64), get('n'), ['i32.sub'], ['i64.extend_i32_u'], ['i64.shr_u'], set('valid'),
    ...mask(backslash), get('valid'), ['i64.and'], set('bs'),
    ...mask(quoteOrControl), get('valid'), ['i64.and'], set('qc'),
    get('bs'), get('qc'), ['i64.or'], ['i64.eqz'], set('quiet'),
    get('bs'), get('st'), ['i64.extend_i32_u'], ['i64.or'], ['i64.eqz'], ['if'],
      // No escape: the first quote or control character is the end or a fault.
      get('qc'), ['i64.eqz'], ['i32.eqz'], ['if'], get('qc'), ...at, ...stopAt, ['end'],
      get('i'), get('n'), ['i32.add'], set('i'), ['br', 'step'],
    ['end'],
    // The escaped bytes (simdjson's way): a backslash not itself escaped starts a run (x); with the
    // odd bits added in, subtracting the runs borrows through each, leaving a 1 just past those
    // of odd length (the XORs clear what else changed). x then holds the escaping backslashes and
    // the escaped bytes; a step's last byte escaping the next one's first is carried in st's bit 0.
    get('bs'), get('st'), k(1), ['i32.and'], ['i64.extend_i32_u'], ...not64, ['i64.and'], tee('x'),
    k64(1n), ['i64.shl'], k64(ODD), ['i64.or'], get('x'), ['i64.sub'], k64(ODD), ['i64.xor'], set('x'),
    get('x'), get('bs'), get('st'), k(1), ['i32.and'], ['i64.extend_i32_u'], ['i64.or'], ['i64.xor'], get('valid'), ['i64.and'], set('escd'),
    // A quote or control character that is not escaped stops the string.
    get('qc'), get('escd'), ...not64, ['i64.and'], set('stops'),
    // Quick check: every escaped byte one of `"\/bfnrt`, no hex digit due.
    get('escd'), ...mask(quickLetter), ...not64, ['i64.and'],
    get('st'), k(1), ['i32.shr_u'], ['i64.extend_i32_u'], ['i64.or'], ['i64.eqz'], ['if'],
      get('stops'), ['i64.eqz'], ['i32.eqz'], ['if'], get('stops'), ...at, ...stopAt, ['end'],
      get('x'), get('bs'), ['i64.and'], get('n'), k(1), ['i32.sub'], ['i64.extend_i32_u'], ['i64.shr_u'], ['i32.wrap_i64'], k(1), ['i32.and'], set('st'),
      get('i'), get('n'), ['i32.add'], set('i'), ['br', 'step'],
    ['end'],
    // Full check: \u escapes and the 4 hex digits due after each (those past the step carried on).
    get('escd'), ...mask(classes), ['i64.and'], set('u'),
    get('st'), k(1), ['i32.shr_u'], ['i64.extend_i32_u'],
    ...[1n, 2n, 3n, 4n].flatMap((s): Op[] => [get('u'), k64(s), ['i64.shl'], ['i64.or']]), set('req'),
    get('escd'), ...mask(lacks('k0F')), ['i64.and'],
    get('req'), get('valid'), ['i64.and'], ...mask(lacks('kHX')), ['i64.and'], ['i64.or'], set('flt'),
    // A fault before the string's end, or on it (a quote where a hex digit is due).
    get('flt'), ['i64.eqz'], ['i32.eqz'], ['if'],
      get('flt'), ['i64.ctz'], get('stops'), ['i64.ctz'], ['i64.le_u'], ['if'],
        k(-2), get('flt'), ...at, get('p'), ['i32.sub'], ['return'],
      ['end'],
    ['end'],
    get('stops'), ['i64.eqz'], ['i32.eqz'], ['if'], get('stops'), ...at, ...stopAt, ['end'],
    // What the next step starts with: bit 0, its first byte is escaped; bits 1-4, hex digits due
    // at its bytes 0-3 (from req, and from \u escapes in bytes 60-63, whose digits req has lost).
    get('u'), k64(60n), ['i64.shr_u'], set('u'),
    get('u'), get('u'), k64(1n), ['i64.shr_u'], ['i64.or'], get('u'), k64(2n), ['i64.shr_u'], ['i64.or'], get('u'), k64(3n), ['i64.shr_u'], ['i64.or'],
    k(64), get('n'), ['i32.sub'], ['i64.extend_i32_u'], ['i64.shl'],
    get('req'), get('n'), k(1), ['i32.sub'], ['i64.extend_i32_u'], ['i64.shr_u'], k64(1n), ['i64.shr_u'], ['i64.or'],
    k64(15n), ['i64.and'], k64(1n), ['i64.shl'],
    get('x'), get('bs'), ['i64.and'], get('n'), k(1), ['i32.sub'], ['i64.extend_i32_u'], ['i64.shr_u'], k64(1n), ['i64.and'],
    ['i64.or'], ['i32.wrap_i64'], set('st'),
    get('i'), get('n'), ['i32.add'], set('i'),
    ['br', 'step'],
  ['end'],
  k(-1),
];

const OPCODES: Record<string, number> = {
  loop: 0x03, if: 0x04, end: 0x0b, br: 0x0c, return: 0x0f, select: 0x1b,
  'local.get': 0x20, 'local.set': 0x21, 'local.tee': 0x22, 'global.set': 0x24, 'i32.load8_u': 0x2d,
  'i32.const': 0x41, 'i64.const': 0x42, 'i32.eqz': 0x45, 'i32.eq': 0x46, 'i32.le_s': 0x4c, 'i32.gt_s': 0x4a,
  'i64.eqz': 0x50, 'i64.le_u': 0x58,
  'i32.add': 0x6a, 'i32.sub': 0x6b, 'i32.and': 0x71, 'i32.or': 0x72, 'i32.shl': 0x74, 'i32.shr_u': 0x76,
  'i64.ctz': 0x7a, 'i64.sub': 0x7d, 'i64.and': 0x83, 'i64.or': 0x84, 'i64.xor': 0x85, 'i64.shl': 0x86, 'i64.shr_u': 0x88,
  'i32.wrap_i64': 0xa7, 'i64.extend_i32_u': 0xad,
};
const SIMD_OPCODES: Record<string, number> = {
  'v128.load': 0x00, 'v128.const': 0x0c, 'i8x16.swizzle': 0x0e, 'i8x16.splat': 0x0f, 'i8x16.eq': 0x23, 
  'v128.and': 0x4e, 'v128.or': 0x50, 'v128.xor': 0x51, 'v128.any_true': 0x53, 'i8x16.bitmask': 0x64, 'i8x16.add': 0x6e, 'i8x16.min_u': 0x77, 'i16x8.shr_u': 0x8d,
};

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

function sleb(n: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const b = Number(n & 0x7fn);
    n >>= 7n;
    if ((n === 0n && !(b & 0x40)) || (n === -1n && b & 0x40)) return [...out, b];
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
      if (op === 'v128.load') out.push(0, ...uleb(arg as number)); // memarg: alignment, offset
      else if (op === 'v128.const') out.push(...(arg as number[]));
      continue;
    }
    const code = OPCODES[op];
    if (code === undefined) throw new Error(`unknown op ${op}`);
    out.push(code);
    if (op === 'loop' || op === 'if') {
      labels.push(arg as string | undefined);
      out.push(0x40); // no result
    } else if (op === 'end') {
      labels.pop();
    } else if (op === 'br' || op === 'br_if') {
      const at = labels.lastIndexOf(arg as string);
      if (at < 0) throw new Error(`no label ${String(arg)}`);
      out.push(...uleb(labels.length - 1 - at));
    } else if (op.startsWith('local.')) {
      const at = NAMES.indexOf(arg as string);
      if (at < 0) throw new Error(`no local ${String(arg)}`);
      out.push(...uleb(at));
    } else if (op === 'global.set') {
      out.push(...uleb(arg as number));
    } else if (op === 'i32.const') {
      out.push(...sleb(BigInt(arg as number)));
    } else if (op === 'i64.const') {
      out.push(...sleb(arg as bigint));
    } else if (op === 'i32.load8_u') {
      out.push(0, 0); // memarg: alignment, offset
    }
  }
  if (labels.length) throw new Error('unbalanced blocks');
  return out;
}

function moduleBytes(): Uint8Array {
  const section = (id: number, bytes: number[]) => [id, ...uleb(bytes.length), ...bytes];
  const name = (s: string) => [...uleb(s.length), ...Buffer.from(s)];
  const TYPE = { i32: 0x7f, i64: 0x7e, v128: 0x7b };
  // Locals in runs of one type.
  const runs: number[][] = [];
  for (const [, t] of LOCALS) {
    const last = runs[runs.length - 1];
    if (last && last[1] === TYPE[t]) last[0]!++;
    else runs.push([1, TYPE[t]]);
  }
  const body = [runs.length, ...runs.flat(), ...assemble(PROGRAM), 0x0b];
  const I32 = TYPE.i32;
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, PARAMS.length, ...PARAMS.map(() => I32), 1, I32]), // type: (i32, i32, i32) -> i32
    ...section(3, [1, 0]), // one function of that type
    ...section(5, [1, 0x00, 2]), // memory: 2 pages (the window, and room for reads past its end)
    ...section(6, [1, I32, 1, 0x41, 0x00, 0x0b]), // global 0: mutable i32, initially 0
    ...section(7, [3, ...name('string'), 0, 0, ...name('mem'), 2, 0, ...name('state'), 3, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

// The little of the WebAssembly API used here (the project's TypeScript libraries do not declare it).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
};

interface Exports {
  string(i: number, len: number, st: number): number;
  mem: { buffer: ArrayBuffer };
  state: { value: number };
}

/** The WebAssembly scanner, or undefined where it cannot be built (no WebAssembly, no SIMD). */
export function buildWasmStringScanner(): StringScanner | undefined {
  let ex: Exports;
  try {
    ex = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes())).exports as unknown as Exports;
  } catch {
    return undefined;
  }
  const mem = new Uint8Array(ex.mem.buffer);
  // The window last copied in: a piece is copied once per window however many strings it holds.
  let held: Buffer | undefined;
  let heldAt = 0;
  return (piece, from, state, out) => {
    let at = from;
    let st = state;
    for (;;) {
      const w = at - (at % WINDOW);
      if (held !== piece || heldAt !== w) {
        mem.set(piece.subarray(w, w + WINDOW), 0);
        held = piece;
        heldAt = w;
      }
      const len = Math.min(WINDOW, piece.length - w);
      const r = ex.string(at - w, len, st);
      if (r >= 0) return w + r;
      if (r < -1) return r - w;
      st = ex.state.value;
      at = w + len;
      if (at >= piece.length) {
        // Let go of the piece: a held one would keep its whole chunk alive.
        held = undefined;
        out.state = st;
        return -1;
      }
    }
  };
}

let chosen: StringScanner | undefined;

/** The scanner to use: WebAssembly where it can be built, JavaScript otherwise. */
export function stringScanner(): StringScanner {
  chosen ??= buildWasmStringScanner() ?? scanStringJs;
  return chosen;
}
