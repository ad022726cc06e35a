// CONTRACT §8: a server's last words say why it died. mcp-leash starts the server before it has
// loaded (src/early-start.ts) and listens to its pipes only afterwards; a server that fails fast
// has exited by then, and Node resumes and drains the pipes of an exited child that nobody
// listens to. Its output must still reach the proxy, in order, with the pipes' end.

import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { spawnChild } from '../../src/shell/child.js';

describe('a child that exits before the proxy listens', () => {
  it('keeps what it wrote to stdout and stderr, and its pipes\' end, for the proxy', async () => {
    const c = await spawnChild('/bin/sh', ['-c', 'echo "missing API_KEY" >&2; echo one; echo two; exit 5']);
    // Listening for 'close' reads nothing: the pipes stay unread until Node drains them on exit.
    const gone = Promise.all([once(c.stdout.stream, 'close'), once(c.stderr.stream, 'close')]);
    expect(await c.exited).toEqual({ code: 5, signal: null });
    await gone;

    const out: string[] = [];
    const err: string[] = [];
    const closed = Promise.all([
      new Promise<void>((close) => c.stdout.read({ data: (b) => out.push(b.toString()), end: () => out.push('<end>'), close })),
      new Promise<void>((close) => c.stderr.read({ data: (b) => err.push(b.toString()), close })),
    ]);
    // The data first, however it was chunked, then the end and the close (both long past).
    expect(out.join('')).toBe('one\ntwo\n<end>');
    expect(err.join('')).toBe('missing API_KEY\n');
    await closed;
  });

  it('hands on what comes after the proxy listens as it comes, and refuses a second reader', async () => {
    const c = await spawnChild(process.execPath, ['-e', 'process.stdin.once("data", (d) => { process.stdout.write("got " + d); process.exit(0); })']);
    const got: Buffer[] = [];
    const closed = new Promise<void>((close) => c.stdout.read({ data: (b) => got.push(b), close }));
    expect(() => c.stdout.read({ data: () => undefined })).toThrow(/read twice/);
    c.stdin.write('ping');
    await closed;
    expect(Buffer.concat(got).toString()).toBe('got ping');
  });

  it('leaves a live child\'s pipe unread until the proxy reads it (the kernel holds the child back), and loses none of it', async () => {
    const size = 1024 * 1024; // more than the pipe and the stream's buffer hold
    const c = await spawnChild('/bin/sh', ['-c', `exec head -c ${size} /dev/zero`]);
    await new Promise((r) => setImmediate(r));
    // Not flowing: nothing drains it into memory while mcp-leash loads.
    expect(c.stdout.stream.readableFlowing).not.toBe(true);
    expect(c.hasExited()).toBe(false);
    let bytes = 0;
    await new Promise<void>((close) => c.stdout.read({ data: (b) => (bytes += b.length), close }));
    expect(bytes).toBe(size);
    expect(await c.exited).toEqual({ code: 0, signal: null });
  });
});
