// The string scanners alone, in process: the inside of one 48 MB JSON string (a typical long
// answer's text) in 64 KB pieces, as the long-line skim hands them over, through the JavaScript
// scanner and, where it can be built, the WebAssembly one. Then the whole skim of a 48 MB answer
// line with each. Prints ms per MB, best of several passes. Run after `npm run build`:
//   node bench/scan.mjs [MB]

import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { existsSync } from 'node:fs';
import { ROOT } from './lib/subjects.mjs';

const MB = 1024 * 1024;
const PIECE = 64 * 1024;
const PASSES = 7;
const size = Number(process.argv[2] ?? 48) * MB;

const dist = (p) => join(ROOT, 'dist', p);
const scanPath = dist('wire/string-scan.js');
if (!existsSync(scanPath)) {
  console.log('dist/wire/string-scan.js is not there (no scanner to compare): nothing to do');
  process.exit(0);
}
const scan = await import(pathToFileURL(scanPath).href);
const { Skim } = await import(pathToFileURL(dist('wire/skim.js')).href);

/**
 * `bytes` of string content as it is on the wire: plain ASCII prose, or the text of the bench's
 * `big` answer (bench/fast-server.mjs), whose JSON has an escape every ~19 bytes.
 */
function content(bytes, escapes) {
  const unit = escapes ? JSON.stringify('lorem ipsum "dolor" sit amet,\nconsectetur adipiscing elit; ').slice(1, -1) : 'lorem ipsum dolor sit amet, consectetur adipiscing elit; ';
  return Buffer.from(unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes), 'latin1');
}

function pieces(buf) {
  const out = [];
  for (let i = 0; i < buf.length; i += PIECE) out.push(Buffer.from(buf.subarray(i, i + PIECE)));
  return out;
}

/** ms to scan the pieces as the inside of one string (none of them holds its end). */
function scanOnce(scanner, ps) {
  const out = { state: 0 };
  let state = 0;
  const t0 = process.hrtime.bigint();
  for (const p of ps) {
    const r = scanner(p, 0, state, out);
    if (r !== -1) throw new Error(`scanner stopped at ${r}`);
    state = out.state;
  }
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** ms to skim a whole answer line held as pieces. */
function skimOnce(scanner, ps) {
  const t0 = process.hrtime.bigint();
  const s = new Skim(scanner);
  for (const p of ps) s.feed(p);
  const r = s.end();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!r.ok) throw new Error(`skim failed: ${r.problem}`);
  return ms;
}

const best = (f) => {
  const times = [];
  for (let i = 0; i < PASSES; i++) times.push(f());
  return Math.min(...times);
};

const wasm = scan.buildWasmStringScanner?.();
const scanners = [['js', scan.scanStringJs], ...(wasm ? [['wasm', wasm]] : [])];
console.log(`node ${process.version}; ${size / MB} MB in ${PIECE / 1024} KB pieces; best of ${PASSES}; ms/MB (total ms)`);
for (const escapes of [false, true]) {
  const inside = content(size, escapes);
  const line = Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"'), inside, Buffer.from('"}]}}')]);
  const insidePieces = pieces(inside);
  const linePieces = pieces(line);
  const label = escapes ? "bench's big answer" : 'plain ASCII';
  for (const [name, scanner] of scanners) {
    const s = best(() => scanOnce(scanner, insidePieces));
    const k = best(() => skimOnce(scanner, linePieces));
    console.log(`${label.padEnd(24)} ${name.padEnd(5)} scan ${(s / (size / MB)).toFixed(3)} ms/MB (${s.toFixed(1)})   whole skim ${(k / (size / MB)).toFixed(3)} ms/MB (${k.toFixed(1)})`);
  }
}
