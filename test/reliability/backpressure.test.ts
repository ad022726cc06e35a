// Backpressure both ways (issue 7, CONTRACT §8 "a slow reader on one side slows the other side
// down; memory stays bounded whatever the sizes"), through real processes:
//
//   child -> client: the child (test/fixtures/stream-server.mjs, which itself waits for 'drain')
//     answers a stream of `big` calls with 1 MB responses, while the client reads mcp-leash's
//     stdout at a limited rate;
//   client -> child: the client writes 1 MB requests as fast as mcp-leash's stdin takes them,
//     to a child that reads its stdin at a limited rate (--read-rate).
//
// In both, mcp-leash's RSS (VmRSS from /proc/PID/status, sampled every 25 ms) must stay under
// 150 MB. `npm test` moves BACKPRESSURE_MB=160 each way; `npm run soak` moves 1024 (1 GB).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, cleanupProcesses, NODE, ROOT, trackGroup, trackPid } from '../helpers/proxy.js';
import { isAlive, tmpDir, waitFor, within } from '../helpers/procs.js';
import { bufferLines } from '../fixtures/lib/lines.mjs';

const MB = 1024 * 1024;
/**
 * 160 MB in `npm test`: more than the limit, so that a proxy that does not push back at all fails
 * the smoke run too (checked against a copy of mcp-leash with the pause() calls taken out: peaks of
 * 200-500 MB).
 */
const TOTAL_MB = Number(process.env.BACKPRESSURE_MB ?? 160);
const LIMIT_MB = 150;
/** How fast the slow side goes: well below what mcp-leash and the fast side can do. */
const CLIENT_RATE = Number(process.env.BACKPRESSURE_CLIENT_MBPS ?? 40) * MB;
const CHILD_RATE = Number(process.env.BACKPRESSURE_CHILD_MBPS ?? 80) * MB;
const STREAM_SERVER = join(ROOT, 'test/fixtures/stream-server.mjs');

afterEach(() => cleanupProcesses());

function rssKb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Samples a process's RSS until stopped; reports the peak and a few points on the way. */
function sampleRss(pid: number, everyMs = 25) {
  const samples: number[] = [];
  const timer = setInterval(() => {
    const kb = rssKb(pid);
    if (kb !== undefined) samples.push(kb);
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      const peak = Math.max(0, ...samples);
      const pick = (f: number) => samples[Math.min(samples.length - 1, Math.floor(samples.length * f))] ?? 0;
      return { peakMb: peak / 1024, startMb: pick(0) / 1024, midMb: pick(0.5) / 1024, endMb: pick(1) / 1024, samples: samples.length };
    },
  };
}

function startLeash(childArgs: string[], leashArgs: string[] = [], onStderr?: (text: string) => void): ChildProcess {
  const proc = spawn(NODE, [BIN, '--log-level', 'warn', ...leashArgs, '--', NODE, STREAM_SERVER, ...childArgs], { stdio: ['pipe', 'pipe', 'pipe'], cwd: ROOT });
  trackPid(proc.pid!);
  proc.stderr!.on('data', (c: Buffer) => {
    onStderr?.(c.toString('utf8'));
    if (process.env.BACKPRESSURE_VERBOSE) process.stderr.write(c);
  });
  proc.stdin!.on('error', () => {});
  return proc;
}

/** Reads stdout lines, calling `onLine` for each (the Buffer of the line, without \n). */
function readLines(proc: ChildProcess, onLine: (line: Buffer) => void, rateBytesPerS = 0): { bytes: () => number } {
  const splitLines = bufferLines(onLine);
  let total = 0;
  const started = Date.now();
  const out = proc.stdout!;
  out.on('data', (chunk: Buffer) => {
    total += chunk.length;
    splitLines(chunk);
    if (rateBytesPerS > 0) {
      // A slow reader: when ahead of the allowed rate, stop reading until the rate catches up.
      const aheadMs = (total / rateBytesPerS) * 1000 - (Date.now() - started);
      if (aheadMs > 1) {
        out.pause();
        setTimeout(() => out.resume(), aheadMs);
      }
    }
  });
  return { bytes: () => total };
}

const send = (proc: ChildProcess, msg: unknown): boolean => proc.stdin!.write(JSON.stringify(msg) + '\n');
const drained = (proc: ChildProcess) => new Promise<void>((r) => proc.stdin!.once('drain', () => r()));

function initialize(proc: ChildProcess): void {
  send(proc, { jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bp', version: '0' } } });
  send(proc, { jsonrpc: '2.0', method: 'notifications/initialized' });
}

describe(`backpressure: ${TOTAL_MB} MB each way, mcp-leash's RSS stays under ${LIMIT_MB} MB`, () => {
  it(`a slow client (${CLIENT_RATE / MB} MB/s) reading ${TOTAL_MB} MB of 1 MB responses`, async () => {
    const proc = startLeash([]);
    const rss = sampleRss(proc.pid!);
    const calls = TOTAL_MB;
    let answered = 0;
    let bad = 0;
    let done!: () => void;
    const allAnswered = new Promise<void>((r) => (done = r));
    const reader = readLines(
      proc,
      (line) => {
        const msg = JSON.parse(line.toString('utf8')) as { id?: unknown; result?: { content?: Array<{ text: string }> } };
        if (typeof msg.id === 'number') {
          if (msg.result?.content?.[0]?.text.length !== MB) bad++;
          if (++answered === calls) done();
        }
      },
      CLIENT_RATE,
    );
    initialize(proc);
    // Every request up front: the child has ~TOTAL_MB of answers to give at once.
    for (let i = 0; i < calls; i++) {
      if (!send(proc, { jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'big', arguments: { bytes: MB } } })) await drained(proc);
    }
    await within(allAnswered, 30_000 + (TOTAL_MB * MB * 3000) / CLIENT_RATE, `${calls} answers`);
    const r = rss.stop();
    proc.stdin!.end();
    await within(new Promise((res) => proc.once('exit', res)), 10_000, 'mcp-leash to exit');
    console.log(`child -> slow client: ${(reader.bytes() / MB).toFixed(0)} MB read; mcp-leash RSS start ${r.startMb.toFixed(1)} MB, mid ${r.midMb.toFixed(1)}, end ${r.endMb.toFixed(1)}, peak ${r.peakMb.toFixed(1)} (${r.samples} samples)`);
    expect(bad).toBe(0);
    expect(r.peakMb).toBeLessThan(LIMIT_MB);
  }, 600_000);

  it(`a slow child (${CHILD_RATE / MB} MB/s) reading ${TOTAL_MB} MB of 1 MB requests`, async () => {
    const proc = startLeash(['--read-rate', String(CHILD_RATE)]);
    const rss = sampleRss(proc.pid!);
    const calls = TOTAL_MB;
    let answered = 0;
    let done!: () => void;
    const allAnswered = new Promise<void>((r) => (done = r));
    const sizes: number[] = [];
    readLines(proc, (line) => {
      const msg = JSON.parse(line.toString('utf8')) as { id?: unknown; result?: { content?: Array<{ text: string }> } };
      if (typeof msg.id === 'number') {
        sizes.push(Number(msg.result?.content?.[0]?.text));
        if (++answered === calls) done();
      }
    });
    initialize(proc);
    const data = 'y'.repeat(MB - 200);
    let writtenAt = Date.now();
    let maxBlockedMs = 0;
    for (let i = 0; i < calls; i++) {
      if (!send(proc, { jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'sink', arguments: { data } } })) {
        await drained(proc);
        maxBlockedMs = Math.max(maxBlockedMs, Date.now() - writtenAt);
      }
      writtenAt = Date.now();
    }
    await within(allAnswered, 30_000 + (TOTAL_MB * MB * 3000) / CHILD_RATE, `${calls} answers`);
    const r = rss.stop();
    proc.stdin!.end();
    await within(new Promise((res) => proc.once('exit', res)), 10_000, 'mcp-leash to exit');
    console.log(`client -> slow child: ${TOTAL_MB} MB written (longest wait for 'drain' ${maxBlockedMs} ms); mcp-leash RSS start ${r.startMb.toFixed(1)} MB, mid ${r.midMb.toFixed(1)}, end ${r.endMb.toFixed(1)}, peak ${r.peakMb.toFixed(1)} (${r.samples} samples)`);
    expect(sizes.every((s) => s === data.length)).toBe(true);
    expect(r.peakMb).toBeLessThan(LIMIT_MB);
  }, 600_000);
});

// ── bugs found here, pinned (it.fails while open; flip to `it` once src/shell/proxy.ts is fixed) ──

describe('backpressure: known bugs (minimal reproductions)', () => {
  /**
   * A child that stops reading (stream-server --stall-once: on its first tools/call it never reads
   * stdin again) while the client sends more than the pipe holds: mcp-leash's write to the child
   * returns false, so flush() pauses the client's stdin and waits for the child's 'drain'. That
   * 'drain' never comes when the child dies, and nothing else resumes stdin.
   */
  async function stallTheChild(leashArgs: string[]) {
    const dir = tmpDir('mcp-leash-stall-');
    const stall = join(dir, 'stalled.pid');
    let err = '';
    const proc = startLeash(['--stall-once', stall], leashArgs, (t) => (err += t));
    const lines: Array<{ id?: unknown; error?: { code: number } }> = [];
    readLines(proc, (l) => lines.push(JSON.parse(l.toString('utf8'))));
    initialize(proc);
    // More than mcp-leash's backlog for a child that does not read (1 MiB) and the pipes hold.
    const data = 'y'.repeat(1024 * 1024);
    for (let i = 0; i < 8; i++) send(proc, { jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'sink', arguments: { data } } });
    const childPid = await waitFor(() => (existsSync(stall) ? Number(readFileSync(stall, 'utf8')) || undefined : undefined), 10_000, 'the child to stall');
    // A stalled child never reads its stdin, so it would not notice mcp-leash's end: clean-up kills it.
    trackPid(childPid);
    trackGroup(childPid);
    // 8 MB sent; mcp-leash stopped reading us (if it read on, it would hold it all and our buffer would empty).
    await waitFor(() => proc.stdin!.writableLength > 0, 10_000, 'mcp-leash to stop reading the client');
    return { proc, childPid, lines, stderr: () => err, dir };
  }

  it('bug 4: after a restart of a child that had stopped reading, mcp-leash reads the client again', async () => {
    const config = join(tmpDir('mcp-leash-bp-'), 'leash.json');
    writeFileSync(config, JSON.stringify({ restart: { policy: 'on-failure', maxRestarts: 5, window: '1m', initialBackoff: '50ms' } }));
    const s = await stallTheChild(['--config', config]);
    process.kill(s.childPid, 'SIGKILL'); // or the health check kills it as hung: the same path
    await waitFor(() => s.stderr().includes('server restarted'), 10_000, 'the restart');
    send(s.proc, { jsonrpc: '2.0', id: 'after-restart', method: 'ping' });
    // Never answered: the ping and requests 2..7 sit unread in the client's pipe for good.
    await waitFor(() => s.lines.some((m) => m.id === 'after-restart'), 4_000, 'the ping after the restart to be answered');
  }, 30_000);

  // Known limitation (README, "The server process"): past the backlog mcp-leash must stop reading
  // the client, and a paused stdin cannot see EOF. It was pinned as it.fails, but whether it shows
  // depends on how much the pipes had taken when the child stalled, so the pin was flaky; the
  // case mcp-leash does handle is pinned here instead.
  it('bug 5, mitigated: a client that sent less than the backlog and closes stdin while the child is not reading gets the ladder', async () => {
    const config = join(tmpDir('mcp-leash-bp-'), 'leash.json');
    writeFileSync(config, JSON.stringify({ shutdown: { stdinGrace: '200ms', termGrace: '200ms' } }));
    const dir = tmpDir('mcp-leash-stall-');
    const stall = join(dir, 'stalled.pid');
    const proc = startLeash(['--stall-once', stall], ['--config', config], () => undefined);
    initialize(proc);
    // 768 KB: under mcp-leash's backlog for a child that does not read (1 MiB).
    const data = 'y'.repeat(256 * 1024);
    for (let i = 0; i < 3; i++) send(proc, { jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'sink', arguments: { data } } });
    const childPid = await waitFor(() => (existsSync(stall) ? Number(readFileSync(stall, 'utf8')) || undefined : undefined), 10_000, 'the child to stall');
    trackPid(childPid);
    trackGroup(childPid);
    proc.stdin!.end();
    await waitFor(() => !isAlive(proc.pid!) && !isAlive(childPid), 10_000, 'mcp-leash and the stalled child to be gone');
  }, 30_000);

  it('bug 6: a slow client plus heartbeats does not pile up drain listeners (MaxListenersExceededWarning on stderr)', async () => {
    // Every flush() whose write returns false adds another stdout.once('drain'); while the client
    // does not read, each heartbeat adds one. Harmless in memory (all go at the next drain), but
    // Node prints a MaxListenersExceededWarning into the host's log.
    let err = '';
    const proc = startLeash([], ['--heartbeat', '10ms'], (t) => (err += t));
    proc.stdout!.pause(); // a client that does not read for now
    initialize(proc);
    for (let i = 0; i < 30; i++) send(proc, { jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'big', arguments: { bytes: 4 * MB }, _meta: { progressToken: i } } });
    const warned = await waitFor(() => err.includes('MaxListenersExceededWarning'), 3_000, 'the warning').then(
      () => true,
      () => false,
    );
    proc.stdout!.resume();
    expect(warned).toBe(false);
  }, 30_000);
});
