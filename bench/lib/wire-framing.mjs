// The wire layer alone, in process: a child's response of N bytes arrives in 64 KB chunks and
// goes the way the shell sends it: split, decoded, given a new id (as the core does), encoded.
// No pipes, no other process: this is the framing cost that must stay linear in size.

import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './subjects.mjs';

const CHUNK = 64 * 1024;

function responseLine(bytes) {
  const unit = 'lorem ipsum "dolor" sit amet,\nconsectetur adipiscing elit; ';
  const text = unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);
  return Buffer.from(`{"jsonrpc":"2.0","id":7,"result":${JSON.stringify({ content: [{ type: 'text', text }] })}}\n`);
}

/** A line cut into the pipe-sized chunks it would arrive in. */
function chunksOf(line) {
  const chunks = [];
  for (let i = 0; i < line.length; i += CHUNK) chunks.push(Buffer.from(line.subarray(i, i + CHUNK)));
  return chunks;
}

export async function wireFraming(sizes) {
  const imp = (p) => import(pathToFileURL(join(ROOT, 'dist', p)).href);
  const codec = await imp('wire/codec.js').catch(() => undefined);
  if (!codec) return legacyWireFraming(imp, sizes);
  const out = [];
  for (const bytes of sizes) {
    const chunks = chunksOf(responseLine(bytes));
    const times = [];
    for (let rep = 0; rep < 3; rep++) {
      let encoded = 0;
      // The core forwards the answer with the client's id (a 'forward' output, core/outputs.ts).
      const send = (frame) => {
        const e = codec.encode({ type: 'forward', to: 'client', frame, id: 42 });
        encoded = typeof e === 'string' ? Buffer.byteLength(e) : e.reduce((n, b) => n + b.length, 0);
      };
      const t0 = process.hrtime.bigint();
      const decoder = new codec.Decoder({ from: 'child', maxMessageBytes: Infinity });
      for (const c of chunks) decoder.push(c, send);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (encoded < bytes) throw new Error('wire framing produced no line');
      times.push(ms);
    }
    out.push(Math.min(...times));
  }
  return out;
}

/** Builds from before the codec (issue 18): the wire modules one by one. */
async function legacyWireFraming(imp, sizes) {
  const { LineSplitter } = await imp('wire/line-splitter.js');
  const { decodeLine, encode } = await imp('wire/decode.js');
  const { withId } = await imp('core/message.js');
  const longLine = await imp('wire/long-line.js').catch(() => undefined);
  const out = [];
  for (const bytes of sizes) {
    const chunks = chunksOf(responseLine(bytes));
    const times = [];
    for (let rep = 0; rep < 3; rep++) {
      let encoded = 0;
      const send = (frame) => {
        const msg = withId(frame.msg, 42);
        const raw = longLine?.encodeRaw(msg);
        encoded = raw ? raw.reduce((n, b) => n + b.length, 0) : Buffer.byteLength(encode(msg));
      };
      const sink = {
        lineAt: (b, start, end) => send(decodeLine(b, true, start, end)),
        oversize() {
          throw new Error('oversize');
        },
      };
      if (longLine) sink.longLine = (pieces, n, skim) => send(longLine.decodeLongLine(pieces, n, skim, true));
      const t0 = process.hrtime.bigint();
      const splitter = new LineSplitter(Infinity, sink);
      for (const c of chunks) splitter.push(c);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (encoded < bytes) throw new Error('wire framing produced no line');
      times.push(ms);
    }
    out.push(Math.min(...times));
  }
  return out;
}
