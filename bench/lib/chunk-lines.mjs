// Newline framing for the bench's checking relays (json-relay.mjs, id-relay.mjs): each complete
// line of a chunk as a range of it, and a flush every LINES_PER_WRITE lines and at the chunk's
// end, as mcp-leash does: the next process starts on the first lines while the rest are read.

export const LINES_PER_WRITE = 64;

/**
 * A 'data' handler. `line(buf, start, end)`: bytes [start, end) of `buf` are one line, and
 * buf[end] is its '\n'; `buf` is the chunk, or, for a line cut between chunks, that line joined
 * once. `flush()`: pass on what the lines so far produced. Bytes after the last '\n' wait for the
 * next chunk.
 * @param {(buf: Buffer, start: number, end: number) => void} line
 * @param {() => void} flush
 * @returns {(chunk: Buffer) => void}
 */
export function eachLine(line, flush) {
  let held = [];
  return (chunk) => {
    let nl = chunk.indexOf(10);
    if (nl === -1) {
      held.push(chunk);
      return;
    }
    let start = 0;
    if (held.length) {
      held.push(chunk.subarray(0, nl + 1));
      const joined = Buffer.concat(held);
      held = [];
      line(joined, 0, joined.length - 1);
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    let n = 0;
    for (; nl !== -1; nl = chunk.indexOf(10, start)) {
      line(chunk, start, nl);
      start = nl + 1;
      if (++n === LINES_PER_WRITE) {
        flush();
        n = 0;
      }
    }
    if (start < chunk.length) held.push(chunk.subarray(start));
    flush();
  };
}
