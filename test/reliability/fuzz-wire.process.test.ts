// Wire fuzzing through real processes (issue 7): random bytes into a real mcp-leash, from the
// client side (written to its stdin, in front of the legacy fixture) and from the child side (a
// child that writes them to its stdout: test/fixtures/stream-server.mjs, tool `spew`). After each
// case: mcp-leash is alive, every line it wrote to stdout is one JSON-RPC message, and a normal
// echo call still works. Fewer runs than the unit level: each case starts two processes.
//
// FUZZ_SEED (default 7) and FUZZ_PROCESS_RUNS (default 20 client-side, 12 child-side) change the run.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProcesses, NODE, ROOT, startRawProxy, type LineClient } from '../helpers/proxy.js';
import { isAlive, tmpDir, within } from '../helpers/procs.js';
import { chunkedStream, nested, rpcProblem } from './wire-arbitraries.js';
import { duplicateKey } from './wire-rig.js';

const SEED = Number(process.env.FUZZ_SEED ?? 7);
const RUNS = Number(process.env.FUZZ_PROCESS_RUNS ?? 20);
const STREAM_SERVER = join(ROOT, 'test/fixtures/stream-server.mjs');
const MAX_BYTES = 4096;

afterEach(() => cleanupProcesses());

function leashConfig(): string {
  const dir = tmpDir('mcp-leash-fuzz-');
  const file = join(dir, 'leash.json');
  writeFileSync(file, JSON.stringify({ maxMessageBytes: MAX_BYTES, progressInterval: '10ms', defaults: { heartbeat: '50ms', totalTimeout: '5s' } }));
  return file;
}

/** Every stdout line so far is one JSON-RPC message (ids: any string or finite number; null on errors). */
function expectCleanStdout(c: LineClient): void {
  const bad: string[] = [];
  c.lines.forEach((line, i) => {
    let m: unknown;
    try {
      m = JSON.parse(line);
    } catch {
      bad.push(`line ${i + 1}: not JSON: ${line.slice(0, 200)}`);
      return;
    }
    const problem = rpcProblem(m) ?? (duplicateKey(line) !== undefined ? `the key ${JSON.stringify(duplicateKey(line))} twice in one object` : null);
    if (problem) bad.push(`line ${i + 1}: ${problem}: ${line.slice(0, 200)}`);
  });
  expect(bad, 'stdout carried lines that are not JSON-RPC messages').toEqual([]);
}

async function expectEchoWorks(c: LineClient, tag: string): Promise<void> {
  const res = await c.request('tools/call', { name: 'echo', arguments: { text: `after ${tag}` } }, `after-${tag}`);
  expect(res.result?.content?.[0]?.text, JSON.stringify(res)).toBe(`after ${tag}`);
}

async function writeChunks(c: LineClient, chunks: Buffer[]): Promise<void> {
  for (const chunk of chunks) {
    c.write(chunk);
    // Let the event loop turn so that chunks tend to arrive in separate reads.
    await new Promise((r) => setImmediate(r));
  }
}

async function finish(c: LineClient): Promise<void> {
  expect(isAlive(c.pid), 'mcp-leash is alive').toBe(true);
  expectCleanStdout(c);
  c.close();
  await within(c.exited, 10_000, 'mcp-leash to exit after stdin EOF');
  expectCleanStdout(c);
}

describe('wire fuzz, process level', () => {
  it(`client side: ${RUNS} random byte streams into mcp-leash's stdin`, async () => {
    const config = leashConfig();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(chunkedStream(MAX_BYTES, 'client', 25), async (chunks) => {
        const tag = `c${++n}`;
        const c = startRawProxy({ leashArgs: ['--config', config, '--log-level', 'error'] });
        try {
          await c.initialize();
          await writeChunks(c, chunks);
          c.write('\n'); // ends a trailing partial line, which would otherwise swallow the next request
          await expectEchoWorks(c, tag);
          await finish(c);
        } finally {
          cleanupProcesses();
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
  }, 120_000);

  it(`child side: ${Math.ceil((RUNS * 3) / 5)} random byte streams from the child's stdout`, async () => {
    const config = leashConfig();
    const dir = tmpDir('mcp-leash-spew-');
    let n = 0;
    await fc.assert(
      fc.asyncProperty(chunkedStream(MAX_BYTES, 'child', 25), async (chunks) => {
        const tag = `s${++n}`;
        const junk = join(dir, `junk-${n}.bin`);
        writeFileSync(junk, Buffer.concat(chunks));
        const c = startRawProxy({ leashArgs: ['--config', config, '--log-level', 'error'], child: [NODE, STREAM_SERVER] });
        try {
          await c.initialize();
          // The junk may answer the spew call itself (its child id is small): either way, exactly one answer.
          await c.request('tools/call', { name: 'spew', arguments: { file: junk } }, `spew-${tag}`);
          await expectEchoWorks(c, tag);
          expect(c.messages().filter((m) => m && m.id === `spew-${tag}` && !('method' in m))).toHaveLength(1);
          await finish(c);
        } finally {
          cleanupProcesses();
        }
      }),
      { seed: SEED, numRuns: Math.ceil((RUNS * 3) / 5), endOnFailure: true },
    );
  }, 120_000);

  it('bug 8, through the real process: a 1 MB answer with a control character in its text is not written to the client as it came', async () => {
    const junk = join(tmpDir('mcp-leash-spew-'), 'long.bin');
    const text = Buffer.alloc(1200 * 1024, 'z');
    text[4096] = 0x01; // JSON forbids raw control characters in strings
    // Child id 2 is the spew call itself (initialize was 1): the junk answers it.
    writeFileSync(junk, Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"'), text, Buffer.from('"}]}}\n')]));
    const c = startRawProxy({ leashArgs: ['--log-level', 'error'], child: [NODE, STREAM_SERVER] });
    try {
      await c.initialize();
      c.send({ jsonrpc: '2.0', id: 'spew', method: 'tools/call', params: { name: 'spew', arguments: { file: junk } } });
      await expectEchoWorks(c, 'long');
      // The 1.2 MB line reached the client raw; its JSON.parse fails ("Bad control character").
      expectCleanStdout(c);
    } finally {
      cleanupProcesses();
    }
  });

  it('bug 1, through the real process: one line nested 10,000 deep does not kill mcp-leash', async () => {
    const c = startRawProxy({ leashArgs: ['--log-level', 'error'] });
    try {
      await c.initialize();
      // With a progress token (or the id anywhere but first or last) mcp-leash re-serialises the
      // request, and dies with "RangeError: Maximum call stack size exceeded" in encode(), exit code 1.
      c.write(`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"},"_meta":{"progressToken":"t"},"deep":${nested(10_000, true, 'array')}}}\n`);
      await expectEchoWorks(c, 'deep');
      expect(isAlive(c.pid)).toBe(true);
    } finally {
      cleanupProcesses();
    }
  });
});
