#!/usr/bin/env node
// Issue 19, memory of kept job results: JOBS calls (default 1,000) become jobs and finish with a
// RESULT_BYTES (default 1 MB) result each; mcp-leash may keep only jobs.maxBytes of them. Its peak
// RSS (VmHWM) must stay within jobs.maxBytes plus a fixed margin, whatever the number of jobs.
// For scale, the same calls are also run as plain calls (no detachAfter), their 1 MB answers
// passing through to the client: the margin should be about what passing them costs anyway.
//
// Run by hand after `npm run build` (about a minute; too slow and too machine-dependent for CI):
//   node test/reliability/jobs-memory.mjs
//   JOBS=1000 RESULT_BYTES=1000000 MAX_BYTES=16777216,67108864 MARGIN_MB=160 PLAIN=0 node test/reliability/jobs-memory.mjs
// (PLAIN=0 leaves out the plain-calls run, the slowest: the script's own client reads 1 GB then.)
// Prints one JSON line per run and exits 1 when a run's peak passes maxBytes + MARGIN_MB.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const JOBS = Number(process.env.JOBS ?? 1000);
const RESULT_BYTES = Number(process.env.RESULT_BYTES ?? 1_000_000);
const MAX_BYTES = (process.env.MAX_BYTES ?? `${16 << 20},${64 << 20}`).split(',').map(Number);
const MARGIN_MB = Number(process.env.MARGIN_MB ?? 160);
const WINDOW = 16;

function status(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? NaN);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return { rss: NaN, hwm: NaN };
  }
}

/** One run: `detach` (jobs) or plain calls; resolves with mcp-leash's peak RSS and counts. */
async function run({ detach, maxBytes }) {
  const dir = mkdtempSync(join(tmpdir(), 'leash-jobs-mem-'));
  try {
    const config = join(dir, 'leash.json');
    const jobs = { max: JOBS * 2, maxBytes, ttl: '10m' };
    // maxConcurrency: the legacy fixture writes its answers without backpressure, and 1,000 answers
    // of 1 MB at once make its own stdout fail (ENOBUFS), which mcp-leash rightly reports as the
    // server's exit. With it, the handles still come at once; the jobs queue (parked) and run 16 at a time.
    writeFileSync(config, JSON.stringify(detach ? { defaults: { detachAfter: '20ms' }, maxConcurrency: WINDOW, jobs } : { maxConcurrency: WINDOW, jobs }));
    const leash = spawn(process.execPath, [join(ROOT, 'bin/mcp-leash.js'), '--config', config, '--log-level', 'info', '--', process.execPath, join(ROOT, 'test/fixtures/legacy-server.mjs')], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let ended = 0;
    let dropped = 0;
    let errText = '';
    leash.stderr.setEncoding('utf8');
    leash.stderr.on('data', (chunk) => {
      errText = (errText + chunk).slice(-100_000);
      for (const line of chunk.split('\n')) {
        if (line.includes('"msg":"job ended"')) ended++;
      }
    });
    let exited;
    const exitedP = new Promise((r) => leash.on('exit', (code, signal) => r((exited = { code, signal }))));
    leash.stdin.on('error', () => {}); // a dead mcp-leash is reported below, with its stderr
    const pending = new Map();
    let buf = '';
    let answered = 0;
    leash.stdout.setEncoding('utf8');
    leash.stdout.on('data', (chunk) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const msg = JSON.parse(line);
        if ('id' in msg && pending.has(msg.id)) {
          const resolveIt = pending.get(msg.id);
          pending.delete(msg.id);
          resolveIt(msg);
        }
      }
    });
    let nextId = 0;
    const request = (method, params) =>
      new Promise((res) => {
        const id = nextId++;
        pending.set(id, res);
        leash.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
      });
    let peak = 0;
    let ticks = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, status(leash.pid).rss || 0);
      // Every 10 s, where it stands (stderr), so that a slow or stuck run shows where.
      if (++ticks % 500 === 0) console.error(`  … ${answered} handles, ${ended} jobs ended, RSS ${status(leash.pid).rss.toFixed(0)} MB`);
    }, 20);
    await request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'mem', version: '0' } });
    leash.stdin.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
    const idle = status(leash.pid).rss;
    const t0 = Date.now();
    let sent = 0;
    let handles = 0;
    await new Promise((done) => {
      const one = () => {
        if (sent >= JOBS) return;
        sent++;
        request('tools/call', { name: 'index_repo', arguments: { ms: 60, steps: 1, bytes: RESULT_BYTES } }).then((msg) => {
          answered++;
          if (msg.result?._meta?.['mcp-leash/job']) handles++;
          if (answered === JOBS) done();
          else one();
        });
      };
      for (let i = 0; i < WINDOW; i++) one();
      exitedP.then(() => done());
    });
    if (exited) throw new Error(`mcp-leash exited early (${JSON.stringify(exited)}) after ${answered} answers; stderr tail:\n${errText.slice(-3000)}`);
    // Jobs finish after their handles: wait (bounded) for the last 'job ended'.
    const deadline = Date.now() + 120_000;
    while (detach && ended < JOBS && !exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    if (exited) throw new Error(`mcp-leash exited early (${JSON.stringify(exited)}) after ${ended} jobs ended; stderr tail:\n${errText.slice(-3000)}`);
    let check;
    if (detach) {
      // The newest result is kept whole; the oldest were dropped to stay within maxBytes.
      const last = await request('tools/call', { name: 'leash_await', arguments: { job: `j${JOBS}` } });
      const first = await request('tools/call', { name: 'leash_await', arguments: { job: 'j1' } });
      check = { lastResultChars: last.result?.content?.[0]?.text?.length, firstJob: first.result?.content?.[0]?.text?.slice(0, 60) };
      dropped = JOBS - Math.floor(maxBytes / RESULT_BYTES);
    }
    const { hwm } = status(leash.pid);
    clearInterval(sampler);
    leash.stdin.end();
    await exitedP;
    if (detach && ended < JOBS) throw new Error(`only ${ended} of ${JOBS} jobs ended; stderr tail:\n${errText.slice(-2000)}`);
    return {
      mode: detach ? 'jobs' : 'plain calls',
      jobs: JOBS,
      resultBytes: RESULT_BYTES,
      maxBytesMB: +(maxBytes / 2 ** 20).toFixed(1),
      handles,
      jobsEnded: ended,
      expectedDropped: detach ? dropped : undefined,
      idleRssMB: +idle.toFixed(1),
      peakRssMB: +Math.max(peak, hwm).toFixed(1),
      marginOverMaxBytesMB: +(Math.max(peak, hwm) - maxBytes / 2 ** 20).toFixed(1),
      seconds: +((Date.now() - t0) / 1000).toFixed(1),
      ...check,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let failed = false;
if (process.env.PLAIN !== '0') console.log(JSON.stringify(await run({ detach: false, maxBytes: MAX_BYTES[0] })));
for (const maxBytes of MAX_BYTES) {
  const r = await run({ detach: true, maxBytes });
  console.log(JSON.stringify(r));
  if (!(r.peakRssMB <= maxBytes / 2 ** 20 + MARGIN_MB)) failed = true;
  if (r.lastResultChars !== undefined && r.lastResultChars < RESULT_BYTES) failed = true;
}
if (failed) {
  console.error(`FAILED: a run's peak RSS passed jobs.maxBytes + ${MARGIN_MB} MB, or the newest result was not kept whole`);
  process.exit(1);
}
