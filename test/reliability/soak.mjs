#!/usr/bin/env node
// The soak run (issue 7): many calls through a real mcp-leash in front of the legacy fixture, with
// random sizes, cancellations at random moments, calls that time out, progress both ways, and the
// child SIGKILLed and restarted a few times under restart "on-failure". It reports:
//
//   - every call accounted for: answered once (payload checked), or cancelled (no answer, or one
//     answer that raced the cancel), or timed out (the isError result), or failed with -32000
//     because the child was killed under it;
//   - zero stray messages: responses for unknown ids, second responses, anything for a cancelled
//     call written after mcp-leash had read the cancel (checked with a ping barrier sent right
//     after each cancel: what comes after the barrier's answer is stray), progress after the
//     answer or for unknown tokens, progress that does not increase or exceeds its total, lines
//     that are not JSON-RPC;
//   - the core's in-flight table empty at the end (leash-with-stats.mjs reads session.inFlight);
//   - mcp-leash's RSS (VmRSS) once warm (20% of the calls), at the middle and at the end: flat
//     within 10%;
//   - a clean exit on stdin EOF, with no process of the run left (by pid and process group).
//
//   node test/reliability/soak.mjs          (after npm run build; `npm run soak` does both)
//   SOAK_CALLS=20000 SOAK_CONCURRENCY=64 SOAK_KILLS=5 SOAK_SEED=1 SOAK_MAX_BYTES=65536
//   SOAK_QUIET_KILLS=1 (kill only when one call is at the child: sidesteps bug 4, see below)
//   LEASH_DIST=/path/to/dist (run another build, through leash-with-stats.mjs)
//
// It prints the figures and a JSON report, and exits 1 if any check failed. The smoke test in
// soak.test.ts runs it in-process with a few thousand calls.

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bufferLines } from '../fixtures/lib/lines.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURE = join(ROOT, 'test/fixtures/legacy-server.mjs');
const WRAPPER = join(ROOT, 'test/reliability/leash-with-stats.mjs');
const TIMEOUT_TOOL = 'slow_ignore_cancel';
const TIMEOUT_MS = 150;

/** A small seeded PRNG (mulberry32): the same seed gives the same run plan. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rssKb(pid) {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
}
function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return e.code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
  } catch (e) {
    return e.code === 'EPERM';
  }
  for (const name of readdirSafe('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) === pgid && f[0] !== 'Z') return true;
    } catch {}
  }
  return false;
}
function readdirSafe(d) {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}

async function until(cond, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > end) throw new Error(`soak: timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Why a parsed line is not a JSON-RPC message, or null. */
function rpcProblem(m) {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return 'not an object';
  if (m.jsonrpc !== '2.0') return 'jsonrpc';
  const isId = (v) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
  if ('method' in m) return typeof m.method === 'string' && (!('id' in m) || isId(m.id)) && !('result' in m) && !('error' in m) ? null : 'bad request/notification';
  if (!('id' in m) || (m.id !== null && !isId(m.id))) return 'bad id';
  if ('result' in m === 'error' in m) return 'result/error';
  if ('error' in m && (typeof m.error !== 'object' || m.error === null || !Number.isInteger(m.error.code) || typeof m.error.message !== 'string')) return 'bad error';
  return null;
}

export async function runSoak(opts = {}) {
  const calls = opts.calls ?? Number(process.env.SOAK_CALLS ?? 100_000);
  const concurrency = opts.concurrency ?? Number(process.env.SOAK_CONCURRENCY ?? 64);
  const kills = opts.kills ?? Number(process.env.SOAK_KILLS ?? 5);
  const seed = opts.seed ?? Number(process.env.SOAK_SEED ?? 1);
  const maxBytes = opts.maxBytes ?? Number(process.env.SOAK_MAX_BYTES ?? 65_536);
  const say = opts.say ?? ((s) => process.stderr.write(`${s}\n`));
  const rand = prng(seed);
  const t0 = Date.now();

  const dir = mkdtempSync(join(tmpdir(), 'mcp-leash-soak-'));
  const config = join(dir, 'leash.json');
  writeFileSync(
    config,
    JSON.stringify({
      maxConcurrency: 48,
      progressInterval: '20ms',
      defaults: { heartbeat: '40ms' },
      rules: [{ tool: TIMEOUT_TOOL, totalTimeout: `${TIMEOUT_MS}ms` }],
      restart: { policy: 'on-failure', maxRestarts: 1000, window: '1h', initialBackoff: '20ms', maxBackoff: '200ms' },
    }),
  );
  const statsFile = join(dir, 'stats.json');
  const proc = spawn(process.execPath, [WRAPPER, '--config', config, '--log-level', 'info', '--', process.execPath, FIXTURE], {
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: ROOT,
    env: { ...process.env, LEASH_STATS_FILE: statsFile },
  });
  const leashPid = proc.pid;
  proc.stdin.on('error', () => {});

  // ── what mcp-leash logs ──
  const logCounts = new Map();
  const warnings = new Map();
  let errPartial = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (chunk) => {
    errPartial += chunk;
    let nl;
    while ((nl = errPartial.indexOf('\n')) >= 0) {
      const line = errPartial.slice(0, nl);
      errPartial = errPartial.slice(nl + 1);
      let e;
      try {
        e = JSON.parse(line);
      } catch {
        warnings.set(`(not pino) ${line.slice(0, 120)}`, (warnings.get(`(not pino) ${line.slice(0, 120)}`) ?? 0) + 1);
        continue;
      }
      if (typeof e.msg === 'string') logCounts.set(e.msg, (logCounts.get(e.msg) ?? 0) + 1);
      if (e.level >= 40) warnings.set(e.msg, (warnings.get(e.msg) ?? 0) + 1);
    }
  });

  // ── the books ──
  const byId = new Map(); // every request we sent, by id
  const byToken = new Map();
  const strays = { unknownId: 0, duplicate: 0, afterCancel: 0, progressAfterEnd: 0, progressUnknownToken: 0, progressNotIncreasing: 0, progressOverTotal: 0, invalidLine: 0, unexpected: 0 };
  const strayExamples = [];
  const stray = (kind, detail) => {
    strays[kind]++;
    if (strayExamples.length < 20) strayExamples.push(`${kind}: ${detail.slice(0, 300)}`);
  };
  const anomalies = [];
  let lastKillAt = 0;
  let killsDone = 0;
  let lastActivity = Date.now();

  function onMessage(m, line) {
    lastActivity = Date.now();
    const problem = rpcProblem(m);
    if (problem) return stray('invalidLine', `${problem}: ${line}`);
    if ('method' in m) {
      if (m.method !== 'notifications/progress') return stray('unexpected', line);
      const p = m.params ?? {};
      const c = byToken.get(p.progressToken);
      if (!c) return stray('progressUnknownToken', line);
      if (c.responses > 0) return stray('progressAfterEnd', `${line} (call ${String(c.id)} already answered)`);
      if (c.barrierDone) return stray('afterCancel', `${line} (call ${String(c.id)} cancelled; barrier answered)`);
      if (c.lastProgress !== undefined && !(p.progress > c.lastProgress)) stray('progressNotIncreasing', `${c.lastProgress} -> ${line}`);
      if (p.total !== undefined && p.progress > p.total) stray('progressOverTotal', line);
      c.lastProgress = p.progress;
      c.progressSeen++;
      return;
    }
    const c = byId.get(m.id);
    if (!c) return stray('unknownId', line);
    if (c.responses > 0) {
      stray('duplicate', `${line.slice(0, 200)} (first: ${c.firstSummary})`);
      return;
    }
    if (c.barrierDone) {
      stray('afterCancel', `response for cancelled call ${String(c.id)} after its barrier: ${line.slice(0, 200)}`);
      return;
    }
    c.responses++;
    c.receivedAt = Date.now();
    c.response = m;
    c.firstSummary = line.slice(0, 120);
    for (const f of c.onAnswer.splice(0)) f(m);
  }

  proc.stdout.on(
    'data',
    bufferLines((bytes) => {
      const line = bytes.toString('utf8');
      let m;
      try {
        m = JSON.parse(line);
      } catch {
        stray('invalidLine', `not JSON: ${line.slice(0, 200)}`);
        return;
      }
      onMessage(m, line);
    }),
  );
  let exitInfo;
  const exited = new Promise((r) => proc.on('exit', (code, signal) => r((exitInfo = { code, signal }))));

  const send = (msg) => proc.stdin.write(JSON.stringify(msg) + '\n');
  function request(id, method, params, extra = {}) {
    const c = { id, method, params, sentAt: Date.now(), responses: 0, progressSeen: 0, barrierDone: false, onAnswer: [], ...extra };
    byId.set(id, c);
    if (extra.token !== undefined) byToken.set(extra.token, c);
    send({ jsonrpc: '2.0', id, method, params });
    return c;
  }
  const answered = (c) => (c.responses > 0 ? Promise.resolve(c.response) : new Promise((r) => c.onAnswer.push(r)));

  let barrierSeq = 0;
  let pidSeq = 0;
  /** The child's pid, from its `pid` tool. Sent just after a kill, the call may still reach the dying child: ask again. */
  async function childPid() {
    for (let attempt = 0; attempt < 20; attempt++) {
      const c = request(`pid-${++pidSeq}`, 'tools/call', { name: 'pid', arguments: {} }, { kind: 'pid' });
      const res = await answered(c);
      const pid = res.result?.structuredContent?.pid;
      if (typeof pid === 'number') return pid;
      if (res.error?.code !== -32000) throw new Error(`soak: pid call failed: ${JSON.stringify(res)}`);
    }
    throw new Error('soak: the pid call kept failing with -32000');
  }

  // ── start ──
  const init = request('init', 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'soak', version: '0' } }, { kind: 'init' });
  await Promise.race([answered(init), exited.then(() => Promise.reject(new Error('soak: mcp-leash exited during initialize')))]);
  send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  const firstChild = await childPid();
  const childPids = [firstChild];
  const rss = { coldKb: rssKb(leashPid), series: [] };
  say(`soak: ${calls} calls, ${concurrency} in flight, ${kills} kills, seed ${seed}; mcp-leash pid ${leashPid}, child pid ${firstChild}`);

  // ── the plan of one call ──
  const logSize = (max) => Math.max(0, Math.floor(Math.exp(rand() * Math.log(max + 1))) - 1);
  function plan(i) {
    const r = rand();
    const id = i % 3 === 0 ? `c-${i}` : i;
    const withToken = (p) => (p ? (i % 2 ? `t-${i}` : i * 10 + 7) : undefined);
    if (r < 0.1) {
      const progress = rand() < 0.4;
      const tool = progress ? 'progress' : 'sleep';
      const args = progress ? { steps: 3 + Math.floor(rand() * 6), intervalMs: 10 + Math.floor(rand() * 20) } : { ms: 10 + Math.floor(rand() * 190) };
      const token = withToken(progress || rand() < 0.5);
      const cancelAfter = rand() < 0.2 ? 0 : Math.floor(rand() * 150);
      return { id, kind: 'cancel', tool, args, token, cancelAfter };
    }
    if (r < 0.15) return { id, kind: 'timeout', tool: TIMEOUT_TOOL, args: { ms: 2 * TIMEOUT_MS }, token: withToken(rand() < 0.3) };
    const s = rand();
    if (s < 0.45) {
      const text = 'e'.repeat(logSize(maxBytes));
      return { id, kind: 'normal', tool: 'echo', args: { text }, token: withToken(rand() < 0.3), expectLen: text.length };
    }
    if (s < 0.7) {
      const bytes = logSize(4 * maxBytes);
      return { id, kind: 'normal', tool: 'big', args: { bytes }, token: withToken(rand() < 0.3), expectLen: bytes };
    }
    if (s < 0.85) return { id, kind: 'normal', tool: 'sleep', args: { ms: Math.floor(rand() * 20) }, token: withToken(rand() < 0.3) };
    return { id, kind: 'normal', tool: 'progress', args: { steps: 1 + Math.floor(rand() * 3), intervalMs: 2 + Math.floor(rand() * 8) }, token: withToken(true) };
  }

  // ── one call, start to finish ──
  const outcomes = { answered: 0, answeredBeforeCancel: 0, cancelled: 0, timedOut: 0, crashFailed: 0, otherError: 0 };
  async function one(i) {
    const p = plan(i);
    const params = { name: p.tool, arguments: p.args };
    if (p.token !== undefined) params._meta = { progressToken: p.token };
    const c = request(p.id, 'tools/call', params, { kind: p.kind, token: p.token, tool: p.tool, expectLen: p.expectLen });
    if (p.kind === 'cancel') {
      if (p.cancelAfter > 0) await Promise.race([answered(c), new Promise((r) => setTimeout(r, p.cancelAfter))]);
      if (c.responses === 0) {
        c.cancelledAt = Date.now();
        send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: p.id, reason: 'soak: changed my mind' } });
        // Everything mcp-leash writes after answering this ping was written after it read the cancel.
        const b = request(`b-${++barrierSeq}`, 'ping', undefined, { kind: 'barrier' });
        await answered(b);
        if (b.response.error && b.response.error.code !== -32000) anomalies.push(`barrier ping failed: ${JSON.stringify(b.response)}`);
        c.barrierDone = true;
      } else {
        await answered(c);
      }
    } else {
      await answered(c);
    }
    classify(c);
  }

  function classify(c) {
    const m = c.response;
    if (c.cancelledAt !== undefined) {
      if (m === undefined) outcomes.cancelled++;
      else outcomes.answeredBeforeCancel++;
      return;
    }
    if (m.error) {
      if (m.error.code === -32000 && killsDone > 0) {
        // In flight at the child when it died. That includes calls sent just after the kill: until
        // mcp-leash has seen the exit (up to 1 s, while it reads the dead child's last output)
        // it still dispatches to it. Sent later than that, a -32000 is unexplained.
        outcomes.crashFailed++;
        if (c.sentAt > lastKillAt + 2_000) anomalies.push(`-32000 long after the last kill for ${String(c.id)}: ${JSON.stringify(m.error).slice(0, 200)}`);
      } else {
        outcomes.otherError++;
        anomalies.push(`error for ${String(c.id)} (${c.tool}): ${JSON.stringify(m.error).slice(0, 200)}`);
      }
      return;
    }
    const text = m.result?.content?.[0]?.text ?? '';
    if (c.kind === 'timeout') {
      if (m.result?.isError === true && text.includes(`"${TIMEOUT_TOOL}"`)) outcomes.timedOut++;
      else anomalies.push(`call ${String(c.id)} should have timed out: ${JSON.stringify(m).slice(0, 200)}`);
      return;
    }
    if (m.result?.isError === true) anomalies.push(`unexpected isError for ${String(c.id)} (${c.tool}): ${text.slice(0, 200)}`);
    else if (c.expectLen !== undefined && text.length !== c.expectLen) anomalies.push(`payload of ${String(c.id)} (${c.tool}): ${text.length} chars, expected ${c.expectLen}`);
    outcomes.answered++;
  }

  // ── run: `concurrency` workers pull call numbers; kills at even milestones ──
  let nextCall = 1;
  let finished = 0;
  const killAt = new Set(Array.from({ length: kills }, (_, k) => Math.floor(((k + 1) * calls) / (kills + 1))));
  // "Start" is taken once warm: V8 grows its heap over the first calls (JIT, young generation
  // sizing, the first restart's buffers), then stays put; a leak would keep growing from there.
  // At 10% it was sometimes still growing (84.5 MB at 10%, then 101-105 MB from 20% to the end),
  // so the warm point is 20%; every 10% step is printed too, so growth cannot hide.
  const warmAt = Math.max(1, Math.floor(calls * 0.2));
  const midAt = Math.floor(calls * 0.5);
  let killing = Promise.resolve();
  let runFailed;
  const progressEvery = Math.max(1, Math.floor(calls / 10));
  // Quiet kills (opts.quietKills): the calls stop, the ones in flight finish, one long call is
  // left at the child, and only then is it killed. Nothing is being written to the child as it
  // dies, so bug 4 cannot strike; the run still covers the crash error, the restart, the replayed
  // initialize and the session going on. The default kills land at random moments of a busy run.
  let gate;
  let active = 0;
  let victims = 0;
  async function quietKill() {
    await until(() => active === 0, 60_000, 'the calls in flight to finish before a quiet kill');
    const pid = await childPid();
    if (pid !== childPids[childPids.length - 1]) childPids.push(pid);
    const victim = request(`victim-${killsDone + 1}`, 'tools/call', { name: 'sleep', arguments: { ms: 60_000 } }, { kind: 'victim' });
    await answered(request(`b-${++barrierSeq}`, 'ping', undefined, { kind: 'barrier' })); // the victim is at the child
    lastKillAt = Date.now();
    killsDone++;
    process.kill(pid, 'SIGKILL');
    const res = await answered(victim);
    if (res.error?.code === -32000) victims++;
    else anomalies.push(`the call in flight at a quiet kill got ${JSON.stringify(res).slice(0, 200)}`);
    const next = await childPid();
    if (next === pid) anomalies.push(`kill ${killsDone}: the child pid did not change`);
    childPids.push(next);
  }
  const quietKills = opts.quietKills ?? process.env.SOAK_QUIET_KILLS === '1';

  async function worker() {
    for (;;) {
      while (gate) await gate;
      if (nextCall > calls) return;
      const i = nextCall++;
      if (killAt.has(i) && quietKills) {
        gate = quietKill().catch((e) => {
          runFailed = e;
        });
        await gate;
        gate = undefined;
      } else if (killAt.has(i)) {
        killing = killing.then(async () => {
          if (runFailed) return;
          const pid = await childPid();
          if (pid !== childPids[childPids.length - 1]) childPids.push(pid);
          lastKillAt = Date.now();
          killsDone++;
          process.kill(pid, 'SIGKILL');
          const next = await childPid(); // waits in mcp-leash's queue until the restarted child is up
          if (next === pid) anomalies.push(`kill ${killsDone}: the child pid did not change`);
          childPids.push(next);
        }).catch((e) => {
          runFailed = e;
        });
      }
      active++;
      await one(i);
      active--;
      finished++;
      if (finished === warmAt) rss.startKb = rssKb(leashPid);
      if (finished === midAt) rss.midKb = rssKb(leashPid);
      if (finished % progressEvery === 0) rss.series.push(Math.round(((rssKb(leashPid) ?? 0) / 1024) * 10) / 10);
      if (finished % progressEvery === 0) say(`soak: ${finished}/${calls} calls done, ${((Date.now() - t0) / 1000).toFixed(1)} s, RSS ${((rssKb(leashPid) ?? 0) / 1024).toFixed(1)} MB, ${killsDone} kills`);
    }
  }
  let watchdogTimer;
  const watchdog = new Promise((_, reject) => {
    watchdogTimer = setInterval(() => {
      if (Date.now() - lastActivity < 30_000) return;
      const pending = [...byId.values()].filter((c) => c.responses === 0 && !c.barrierDone && c.cancelledAt === undefined);
      reject(new Error(`soak: nothing from mcp-leash for 30 s; ${pending.length} requests unanswered, e.g. ${pending.slice(0, 5).map((c) => `${String(c.id)} (${c.tool ?? c.method})`).join(', ')}`));
    }, 1000);
  });
  const runErr = await Promise.race([Promise.all([...Array.from({ length: concurrency }, worker)]).then(() => killing), watchdog]).then(
    () => runFailed,
    (e) => e,
  );
  clearInterval(watchdogTimer);
  if (runErr) {
    say(String(runErr));
    proc.kill('SIGKILL');
    for (const pid of childPids) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {}
    }
  }
  rss.endKb = rssKb(leashPid);

  // Late answers the fixture still owes (slow_ignore_cancel answers 2 x TIMEOUT_MS after its call)
  // come out before the answer to a longer sleep: after it, every stray would have been seen.
  let stats = { inFlight: undefined, childState: undefined, memory: { heapUsed: NaN } };
  if (!runErr) {
    const settle = request('settle', 'tools/call', { name: 'sleep', arguments: { ms: 2 * TIMEOUT_MS + 100 } }, { kind: 'settle' });
    await answered(settle);

    // The core's table, from the inside.
    const askedAt = Date.now();
    proc.kill('SIGUSR2');
    stats = await until(() => {
      try {
        const s = JSON.parse(readFileSync(statsFile, 'utf8'));
        return s.t >= askedAt ? s : undefined;
      } catch {
        return undefined;
      }
    }, 10_000, 'the stats file');
  }

  proc.stdin.end();
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  if (!exitInfo) {
    anomalies.push('mcp-leash did not exit within 15 s of stdin EOF');
    proc.kill('SIGKILL');
    await exited;
  }
  const lastChild = childPids[childPids.length - 1];
  await until(() => !alive(lastChild) && !groupAlive(lastChild), 10_000, 'the last child and its group to be gone').catch((e) => anomalies.push(e.message));
  const leftover = childPids.filter((p) => alive(p) || groupAlive(p));

  // ── the books, closed ──
  let unaccounted = 0;
  for (const c of byId.values()) {
    if (c.kind === 'barrier' || c.kind === 'pid' || c.kind === 'init' || c.kind === 'settle' || c.kind === 'victim') {
      if (c.responses !== 1) unaccounted++;
      continue;
    }
    if (c.cancelledAt === undefined && c.responses !== 1) unaccounted++;
  }
  const seconds = (Date.now() - t0) / 1000;
  const strayTotal = Object.values(strays).reduce((a, b) => a + b, 0);
  const accounted = outcomes.answered + outcomes.answeredBeforeCancel + outcomes.cancelled + outcomes.timedOut + outcomes.crashFailed + outcomes.otherError;
  const mb = (kb) => (kb === undefined ? undefined : Math.round((kb / 1024) * 10) / 10);
  const rssMb = { cold: mb(rss.coldKb), start: mb(rss.startKb), mid: mb(rss.midKb), end: mb(rss.endKb) };
  const spread = Math.max(rss.startKb, rss.midKb, rss.endKb) / Math.min(rss.startKb, rss.midKb, rss.endKb) - 1;
  const restarts = logCounts.get('child restarted') ?? 0;
  const report = {
    calls,
    concurrency,
    seed,
    seconds: Math.round(seconds * 10) / 10,
    callsPerSecond: Math.round(finished / seconds),
    outcomes,
    cancelsPlanned: [...byId.values()].filter((c) => c.kind === 'cancel').length,
    cancelsSent: [...byId.values()].filter((c) => c.cancelledAt !== undefined).length,
    accounted,
    unaccounted,
    strays,
    strayExamples,
    kills: killsDone,
    quietKills,
    victimsFailedWithCrashError: victims,
    restarts,
    childPids,
    inFlightAtEnd: stats.inFlight,
    childStateAtEnd: stats.childState,
    heapUsedMbAtEnd: mb(stats.memory.heapUsed / 1024),
    rssMb,
    rssEvery10pctMb: rss.series,
    rssSpreadPct: Math.round(spread * 1000) / 10,
    exit: exitInfo,
    leftover,
    anomalies: anomalies.slice(0, 20),
    anomalyCount: anomalies.length,
    warnings: Object.fromEntries([...warnings.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12)),
    runError: runErr ? String(runErr) : undefined,
    callsFinished: finished,
  };
  report.checks = {
    everyCallAccountedFor: accounted === calls && unaccounted === 0,
    noStrays: strayTotal === 0,
    inFlightEmpty: stats.inFlight === 0,
    rssFlatWithin10pct: spread <= 0.1,
    restartedEveryKill: restarts >= killsDone && killsDone === kills,
    cleanExit: exitInfo?.code === 0 && leftover.length === 0,
    noAnomalies: anomalies.length === 0 && !runErr,
  };
  report.ok = Object.values(report.checks).every(Boolean);
  // The config, logs and fixture files were read above; tests remove the files they create.
  rmSync(dir, { recursive: true, force: true });
  return report;
}

export function printReport(r, out = (s) => process.stdout.write(`${s}\n`)) {
  const o = r.outcomes;
  out('');
  out(`mcp-leash soak: ${r.calls} calls in ${r.seconds} s (${r.callsPerSecond}/s), ${r.concurrency} in flight, seed ${r.seed}`);
  if (r.runError) out(`  RUN STOPPED after ${r.callsFinished} calls: ${r.runError}`);
  out(`  answered once          ${o.answered}`);
  out(`  timed out (isError)    ${o.timedOut}`);
  out(`  cancels sent           ${r.cancelsSent}  (of ${r.cancelsPlanned} planned at random moments; the rest were answered first)`);
  out(`  cancelled, no answer   ${o.cancelled}`);
  out(`  cancelled, raced       ${o.answeredBeforeCancel}  (answered before mcp-leash read the cancel)`);
  out(`  failed, crash -32000   ${o.crashFailed}  (in flight when the child was SIGKILLed)`);
  out(`  other errors           ${o.otherError}`);
  out(`  accounted for          ${r.accounted}/${r.calls}, unaccounted ${r.unaccounted}`);
  out(`  stray messages         ${Object.values(r.strays).reduce((a, b) => a + b, 0)}  ${JSON.stringify(r.strays)}`);
  out(`  kills / restarts       ${r.kills} / ${r.restarts}  (${r.quietKills ? `quiet kills: a lone call at the child each time, ${r.victimsFailedWithCrashError} failed with -32000` : 'at random moments of the run'}; child pids ${r.childPids.join(', ')})`);
  out(`  in flight at the end   ${r.inFlightAtEnd}  (session.inFlight; child ${r.childStateAtEnd})`);
  out(`  RSS (MB)               cold ${r.rssMb.cold}, start (warm, 20%) ${r.rssMb.start}, middle ${r.rssMb.mid}, end ${r.rssMb.end}: spread ${r.rssSpreadPct}%`);
  out(`  RSS every 10% (MB)     ${r.rssEvery10pctMb.join(', ')}`);
  out(`  exit                   code ${r.exit?.code}, signal ${r.exit?.signal}; processes left: ${r.leftover.length ? r.leftover.join(', ') : 'none'}`);
  if (r.anomalyCount) out(`  anomalies (${r.anomalyCount}):\n    ${r.anomalies.join('\n    ')}`);
  if (r.strayExamples.length) out(`  strays:\n    ${r.strayExamples.join('\n    ')}`);
  out(`  warnings logged        ${JSON.stringify(r.warnings)}`);
  out(`  checks                 ${Object.entries(r.checks).map(([k, v]) => `${k}: ${v ? 'ok' : 'FAILED'}`).join(', ')}`);
  out(`  => ${r.ok ? 'OK' : 'FAILED'}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const report = await runSoak();
  printReport(report);
  writeFileSync(join(tmpdir(), 'mcp-leash-soak-report.json'), JSON.stringify(report, null, 2));
  process.stdout.write(`(report: ${join(tmpdir(), 'mcp-leash-soak-report.json')})\n`);
  process.exit(report.ok ? 0 : 1);
}
