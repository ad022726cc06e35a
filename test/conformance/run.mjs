#!/usr/bin/env node
// The official MCP conformance suite (@modelcontextprotocol/conformance), run against our own
// scenario server (scenario-server.mjs: an SDK McpServer over stdio, written from the suite's
// scenario descriptions; its header lists what it implements) twice: directly, and through
// mcp-leash. The suite speaks Streamable HTTP only, so both go through test/conformance/bridge.mjs
// (HTTP on 127.0.0.1 -> one stdio child per session); the children are
// `node scenario-server.mjs` and `node bin/mcp-leash.js -- node scenario-server.mjs`. Every server
// scenario (suite "all") runs once each way, and tools-call-with-progress PROGRESS_RUNS times each
// way (default 20: the throttle once lost its 50 only sometimes). Every scenario must give the same
// checks with the same statuses both ways; the run exits 1 on any difference, 0 otherwise, and
// prints a table. A scenario the server does not satisfy still counts: it must fail the same way.
//
//   node test/conformance/run.mjs [--progress-runs N] [--scenario NAME]...
//
// Needs Node >= 22 (the suite's engines) and a build (npm run build). On an older Node it says
// why and exits 0, so that CI can call it on every Node version. Environment: LEASH_BIN runs
// another build of mcp-leash (e.g. an older one, to compare).
//
// The client scenarios that do not test HTTP itself (initialize, tools_call,
// elicitation-sep1034-client-defaults) run too, the other way round: the suite starts its test
// server and runs client.mjs, an SDK client over stdio to stdio-to-http.mjs (a stdio server that
// relays to the suite's URL), directly or through mcp-leash. The auth and SSE scenarios test an
// HTTP client's own behaviour, which a stdio client behind mcp-leash does not have.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBridge } from './bridge.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const SUITE = join(ROOT, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
const SERVER = join(HERE, 'scenario-server.mjs');
const LEASH = process.env.LEASH_BIN ? resolve(process.env.LEASH_BIN) : join(ROOT, 'bin/mcp-leash.js');
const PROGRESS = 'tools-call-with-progress';
const CLIENT_SCENARIOS = ['initialize', 'tools_call', 'elicitation-sep1034-client-defaults'];

function parseArgs(argv) {
  const o = { progressRuns: 20, scenarios: [], clients: true };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--progress-runs') o.progressRuns = Number(argv[++i]);
    else if (argv[i] === '--scenario') o.scenarios.push(argv[++i]);
    else if (argv[i] === '--no-client') o.clients = false;
    else throw new Error(`unknown argument ${argv[i]} (expected --progress-runs N, --scenario NAME or --no-client)`);
  }
  if (!Number.isInteger(o.progressRuns) || o.progressRuns < 1) throw new Error('--progress-runs takes a whole number from 1');
  return o;
}

/** Runs a script with node; resolves with its exit code and output. */
function node(args) {
  return new Promise((resolvePromise) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (c) => (out += c));
    p.stderr.on('data', (c) => (out += c));
    p.on('close', (code) => resolvePromise({ code, out }));
  });
}

/** The suite's CLI against `url`, once; its results land in `outDir`. */
const suite = (args, url, outDir) => node([SUITE, 'server', '--url', url, '-o', outDir, ...args]);

/** One way of running: the whole suite, then the progress scenario until it ran `progressRuns` times. */
async function runMode(name, command, opts, work) {
  const dir = join(work, name);
  const log = [];
  const bridge = await startBridge({ command, onStderr: (c) => log.push(String(c)) });
  try {
    const outputs = [];
    const phases = [];
    let t = performance.now();
    const lap = (what) => {
      const now = performance.now();
      phases.push(`${what} ${((now - t) / 1000).toFixed(1)} s`);
      t = now;
    };
    const args = opts.scenarios.length ? [] : ['--suite', 'all'];
    const first = opts.scenarios.length ? opts.scenarios : [undefined];
    for (const s of first) outputs.push(await suite(s ? [...args, '--scenario', s] : args, bridge.url, join(dir, 'suite')));
    lap('suite');
    const ranProgress = opts.scenarios.length === 0 || opts.scenarios.includes(PROGRESS);
    const more = opts.progressRuns - (ranProgress ? 1 : 0);
    // The same CLI, repeated in one process (suite-repeat.mjs says why).
    if (more > 0) outputs.push(await node([join(HERE, 'suite-repeat.mjs'), bridge.url, PROGRESS, String(more), join(dir, 'progress')]));
    if (more > 0) lap(`${PROGRESS} x${more}`);
    // Client scenarios: the suite runs `node client.mjs [--leash] URL` against its own server.
    if (opts.clients && opts.scenarios.length === 0) {
      const command = `${process.execPath} ${join(HERE, 'client.mjs')}${name === 'mcp-leash' ? ' --leash' : ''}`;
      for (const s of CLIENT_SCENARIOS) outputs.push(await node([SUITE, 'client', '--command', command, '--scenario', s, '-o', join(dir, 'client')]));
      lap('client scenarios');
    }
    return { name, results: collect(dir), outputs, log, phases };
  } finally {
    await bridge.close();
  }
}

/** scenario -> list of runs, each { signature, failed, progressCount } from the checks.json files. */
function collect(dir) {
  const by = new Map();
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'checks.json') {
        const [, side, name] = /^(server-)?(.+)-\d{4}-\d\d-\d\dT[\d-]+Z$/.exec(dirname(p).split('/').at(-1)) ?? [, '', dirname(p)];
        const scenario = side ? name : `client: ${name}`;
        const checks = JSON.parse(readFileSync(p, 'utf8'));
        const signature = checks.map((c) => `${c.id}:${c.status}`).sort().join(' ');
        const failed = checks.filter((c) => c.status === 'FAILURE').length;
        const progressCount = checks.find((c) => c.details?.progressCount !== undefined)?.details.progressCount;
        if (!by.has(scenario)) by.set(scenario, []);
        by.get(scenario).push({ signature, failed, checks: checks.length, progressCount });
      }
    }
  };
  if (existsSync(dir)) walk(dir);
  return by;
}

function cell(runs) {
  if (!runs?.length) return 'missing';
  const passed = runs.filter((r) => r.failed === 0).length;
  const checks = runs[0].checks;
  const what = passed === runs.length ? 'pass' : passed === 0 ? 'FAIL' : 'MIXED';
  const counts = runs.map((r) => r.progressCount).filter((c) => c !== undefined);
  const progress = counts.length ? `, progress seen ${Math.min(...counts)}-${Math.max(...counts)}` : '';
  return runs.length > 1 ? `${what} ${passed}/${runs.length} runs (${checks} checks${progress})` : `${what} (${checks} check${checks === 1 ? '' : 's'}${progress})`;
}

async function main() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) {
    console.log(`conformance: skipped, the MCP conformance suite needs Node >= 22 (this is ${process.version})`);
    return 0;
  }
  if (!existsSync(SUITE)) throw new Error(`${SUITE} is missing: run npm ci`);
  if (!existsSync(join(ROOT, 'dist/cli.js')) && !process.env.LEASH_BIN) throw new Error('dist/ is missing: run npm run build first');
  const opts = parseArgs(process.argv.slice(2));
  const work = mkdtempSync(join(tmpdir(), 'mcp-leash-conformance-'));
  const t0 = performance.now();
  try {
    const node = process.execPath;
    // Both ways at once: they share nothing but the machine, and it halves the wall time.
    const [direct, leashed] = await Promise.all([
      runMode('direct', [node, SERVER], opts, work),
      runMode('mcp-leash', [node, LEASH, '--', node, SERVER], opts, work),
    ]);
    const scenarios = [...new Set([...direct.results.keys(), ...leashed.results.keys()])].sort();
    const rows = [];
    let differ = 0;
    for (const s of scenarios) {
      const a = direct.results.get(s) ?? [];
      const b = leashed.results.get(s) ?? [];
      const sigs = new Set([...a, ...b].map((r) => r.signature));
      const same = a.length > 0 && a.length === b.length && sigs.size === 1;
      if (!same) differ++;
      rows.push([s, cell(a), cell(b), same ? 'same' : 'DIFFERENT']);
    }
    if (scenarios.length === 0) differ++;
    const widths = [0, 1, 2, 3].map((i) => Math.max(...[['scenario', 'direct', 'through mcp-leash', ''], ...rows].map((r) => r[i].length)));
    const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
    console.log(line(['scenario', 'direct', 'through mcp-leash', '']));
    console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
    for (const r of rows) console.log(line(r));
    const secs = ((performance.now() - t0) / 1000).toFixed(0);
    console.log(`\n${scenarios.length} scenarios, ${differ} different; ${PROGRESS} ${opts.progressRuns}x each way; ${secs} s (Node ${process.version})`);
    for (const m of [direct, leashed]) console.log(`  ${m.name}: ${m.phases.join(', ')}`);
    if (differ) {
      for (const m of [direct, leashed]) {
        console.log(`\n── ${m.name}: suite output ──\n${m.outputs.map((o) => o.out).join('\n').slice(-6000)}`);
        console.log(`── ${m.name}: server stderr (tail) ──\n${m.log.join('').slice(-3000)}`);
      }
    }
    return differ ? 1 : 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`conformance: ${err.message}`);
    process.exit(2);
  },
);
