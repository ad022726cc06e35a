// One function per measurement. Each starts its own subject process (so peak-RSS readings belong
// to that measurement alone), runs a load with the raw client, closes the subject and returns
// plain numbers. Nothing here knows which subject it talks to.

import { execFileSync } from 'node:child_process';
import { RawClient, echoLine, holdLine, hrnow, msSince } from './client.mjs';

const MB = 1024 * 1024;

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function summary(samples) {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), n: s.length };
}

async function withClient(argv, fn) {
  const c = new RawClient(argv);
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

/** Spawn -> answer to initialize (written at once, before the subject could read it). */
export async function startup(subject) {
  const t0 = hrnow();
  const c = new RawClient(subject.argv());
  try {
    await c.initialize();
    return { spawnToInitializeMs: msSince(t0) };
  } finally {
    await c.close();
  }
}

/**
 * Sequential round trips, then the same again after `laterAfter` more (not a target: where the
 * scheduler has usually settled which processes share a vCPU, see bench/README.md), then
 * pipelined throughput, then the subject's peak RSS.
 *
 * Around the pipelined block, the CPU time of the subject's own process (all its threads, from
 * /proc/PID/task/TID/schedstat; not the client's, not the server's), per call: what the subject
 * costs per call, with far less of the scheduler's placement in it than the wall-clock figures.
 * Proxies only: the direct subject's process is the server.
 */
export async function small(subject, { warmup, calls, laterAfter, throughputTotal, window }) {
  return withClient(subject.argv(), async (c) => {
    const { rtt, later } = await roundTripWindows(c, { warmup, calls, laterAfter, throughputTotal, window });
    const cpu0 = subject.proxied ? c.cpuNs() : undefined;
    const t = await pipelined(c, throughputTotal, window);
    const cpu1 = cpu0 === undefined ? undefined : c.cpuNs();
    const mem = subject.proxied ? c.mem() : undefined;
    const r = summary(rtt);
    return {
      rttP50Us: r.p50 * 1000,
      rttP99Us: r.p99 * 1000,
      rttLaterP50Us: summary(later).p50 * 1000,
      throughputPerS: t,
      cpuPerCallUs: cpu1 === undefined ? undefined : (cpu1 - cpu0) / throughputTotal / 1000,
      peakRssSmallMB: mem ? mem.hwm / MB : undefined,
    };
  });
}

/**
 * After initialize and the warm-ups (sequential and pipelined, so that both paths are compiled
 * before timing): `calls` timed round trips, `laterAfter` untimed, `calls` timed again (ms each).
 */
async function roundTripWindows(c, { warmup, calls, laterAfter, throughputTotal, window }) {
  await c.initialize();
  for (let i = 0; i < warmup; i++) await roundTrip(c);
  await pipelined(c, Math.min(throughputTotal, warmup * 4), window);
  const rtt = [];
  for (let i = 0; i < calls; i++) rtt.push(await roundTrip(c));
  for (let i = 0; i < laterAfter; i++) await roundTrip(c);
  const later = [];
  for (let i = 0; i < calls; i++) later.push(await roundTrip(c));
  return { rtt, later };
}

/**
 * The round trips of small() with the processes placed by hand: this process (the client) on one
 * CPU, the subject and its server on another (`taskset`, inherited by the server). Unpinned, the
 * scheduler decides which processes share a vCPU and keeps that for seconds; on this VM a wake-up
 * across vCPUs costs 20-35 µs more than one on the same vCPU, so the unpinned p50 measures the
 * placement as much as the proxy (bench/README.md). Pinned, every subject gets the same one.
 * Undefined figures where it cannot be done (see pinCpus).
 */
export async function pinnedRoundTrips(subject, { warmup, calls, laterAfter, throughputTotal, window }) {
  const cpus = pinCpus();
  const restore = cpus && pinSelf(cpus[0]);
  if (!restore) return { rttPinnedP50Us: undefined, rttPinnedLaterP50Us: undefined };
  try {
    return await withClient(['taskset', '-c', String(cpus[1]), ...subject.argv()], async (c) => {
      const { rtt, later } = await roundTripWindows(c, { warmup, calls, laterAfter, throughputTotal, window });
      return { rttPinnedP50Us: summary(rtt).p50 * 1000, rttPinnedLaterP50Us: summary(later).p50 * 1000 };
    });
  } finally {
    restore();
  }
}

/**
 * The two CPUs the pinned round trips use: the first two this process may run on. Undefined
 * unless this is Linux with `taskset` and at least two of them.
 */
export function pinCpus() {
  if (process.platform !== 'linux') return undefined;
  try {
    const out = execFileSync('taskset', ['-c', '-p', String(process.pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const list = /:\s*([\d,-]+)\s*$/.exec(out)?.[1];
    if (!list) return undefined;
    const ids = [];
    for (const part of list.split(',')) {
      const [lo, hi = lo] = part.split('-').map(Number);
      for (let i = lo; i <= hi && ids.length < 2; i++) ids.push(i);
    }
    return ids.length === 2 ? ids : undefined;
  } catch {
    return undefined;
  }
}

/** Pins every thread of this process to `cpu`; returns how to undo it, or undefined if it cannot. */
function pinSelf(cpu) {
  const pid = String(process.pid);
  let was;
  try {
    was = /:\s*([0-9a-f]+)\s*$/i.exec(execFileSync('taskset', ['-p', pid], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))?.[1];
    if (!was) return undefined;
    execFileSync('taskset', ['-a', '-p', '-c', String(cpu), pid], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch {
    if (was) restoreAffinity(was); // some threads may have been pinned before it failed
    return undefined;
  }
  return () => restoreAffinity(was);
}

function restoreAffinity(mask) {
  try {
    execFileSync('taskset', ['-a', '-p', mask, String(process.pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    // Every later figure would be measured with the client pinned: stop rather than report them.
    process.stderr.write(`bench: could not give this process back its CPUs (taskset -a -p ${mask}): ${e instanceof Error ? e.message : e}; stopping\n`);
    process.exit(1);
  }
}

/** One `echo` call, waited for; its time in ms. */
export function roundTrip(c) {
  return new Promise((resolve, reject) => {
    const id = c.nextId++;
    const t0 = hrnow();
    c.pending.set(id, (msg, err) => {
      if (err) return reject(err);
      if (!msg.result) return reject(new Error(`echo failed: ${JSON.stringify(msg)}`));
      resolve(msSince(t0));
    });
    c.write(echoLine(id));
  });
}

/** `total` echo calls with `window` in flight; answers are refilled in one write per chunk. Calls per second. */
export function pipelined(c, total, window) {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let done = 0;
    let batch = [];
    let scheduled = false;
    const t0 = hrnow();
    const flushBatch = () => {
      scheduled = false;
      if (batch.length) c.write(batch.join(''));
      batch = [];
    };
    const onAnswer = (msg, err) => {
      if (err) return reject(err);
      if (!msg.result) return reject(new Error(`echo failed: ${JSON.stringify(msg)}`));
      done++;
      if (done === total) return resolve(total / (msSince(t0) / 1000));
      if (sent < total) {
        batch.push(send());
        if (!scheduled) {
          scheduled = true;
          queueMicrotask(flushBatch);
        }
      }
    };
    const send = () => {
      const id = c.nextId++;
      c.pending.set(id, onAnswer);
      sent++;
      return echoLine(id);
    };
    const first = [];
    while (sent < Math.min(window, total)) first.push(send());
    c.write(first.join(''));
  });
}

/**
 * One response of `bytes` bytes, 1 + `passes` times: RSS after the first (one message passing),
 * and the median time of the others (one pass alone swung with where the scheduler put the
 * processes: the relay's 8 MB pass took 7 to 17 ms from run to run).
 */
export async function big(subject, { bytes, timeoutMs, passes = 1 }) {
  const argv = subject.argv({ prebuild: bytes, maxMessageBytes: bytes > 48 * MB ? 300_000_000 : undefined });
  return withClient(argv, async (c) => {
    await c.initialize();
    const once = async () => {
      const t0 = hrnow();
      const res = await c.request('tools/call', { name: 'big', arguments: { bytes } }, timeoutMs);
      const ms = msSince(t0);
      if (!res.bigLine || res.bytes < bytes) throw new Error(`big response of ${res.bytes ?? '?'} bytes, expected more than ${bytes}`);
      return ms;
    };
    await once();
    const mem = subject.proxied ? c.mem() : undefined;
    const times = [];
    for (let i = 0; i < passes; i++) times.push(await once());
    return { ms: summary(times).p50, peakRssMB: mem ? mem.hwm / MB : undefined };
  });
}

/**
 * Idle RSS: the subject's VmRSS after initialize, `warmup` calls and `idleMs` with nothing to do.
 * Then `n` requests held by the server at once: RSS of the subject with them in flight, and memory per
 * request; then `cancels` of them cancelled one at a time, timing client write -> child arrival.
 * The first `warmCancels` cancels are not timed: like the round trips' warm-up, they let V8
 * optimise the cancel path before timing. Optimising it during the timed run put compile work on
 * the two cores the three processes share and set mcp-leash's p99 (measured: 0.5-1.7 ms with no
 * warm-up, 0.2-0.6 ms with the optimiser off; compile work went on for about 1,000 cancels).
 */
export async function inflight(subject, { n, cancels, warmup, warmCancels, idleMs = 1000 }) {
  return withClient(subject.argv(), async (c) => {
    await c.initialize();
    for (let i = 0; i < warmup; i++) await roundTrip(c);
    await settle(idleMs);
    const before = subject.proxied ? c.mem() : undefined;
    const first = c.nextId;
    const lines = [];
    for (let i = 0; i < n; i++) lines.push(holdLine(c.nextId++));
    c.write(lines.join(''));
    // Barrier: requests are forwarded in order, so this answer means every hold reached the server.
    const held = await c.request('bench/held', {}, 120_000);
    if (held.result?.held !== n) throw new Error(`server holds ${JSON.stringify(held.result)} requests, expected ${n}`);
    await settle();
    const after = subject.proxied ? c.mem() : undefined;

    for (let i = 0; i < warmCancels; i++) await cancelOne(c, first + i);
    const toChild = [];
    const roundTrips = [];
    for (let i = warmCancels; i < warmCancels + cancels; i++) {
      const { childUs, backUs } = await cancelOne(c, first + i);
      toChild.push(childUs);
      roundTrips.push(backUs);
    }
    const tc = summary(toChild);
    const rt = summary(roundTrips);
    return {
      rssIdleMB: before ? before.rss / MB : undefined,
      rssInflightMB: after ? after.rss / MB : undefined,
      perRequestKB: before && after ? (after.rss - before.rss) / n / 1024 : undefined,
      cancelP50Us: tc.p50,
      cancelP99Us: tc.p99,
      cancelEchoP50Us: rt.p50,
    };
  });
}

/** Cancels one request; the server notes the arrival time (same monotonic clock) and echoes it. */
function cancelOne(c, requestId) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cancel of ${requestId} never reached the server`)), 10_000);
    c.onClosed = (err) => reject(err);
    let t0;
    c.onOther = (msg) => {
      if (msg.method !== 'bench/cancelled') return;
      const back = hrnow();
      clearTimeout(timer);
      c.onOther = undefined;
      const at = BigInt(msg.params.at);
      resolve({ childUs: Number(at - t0) / 1000, backUs: Number(back - t0) / 1000 });
    };
    const line = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId, reason: 'bench' } }) + '\n';
    t0 = hrnow();
    c.write(line);
  });
}

const settle = (ms = 200) => new Promise((r) => setTimeout(r, ms));
