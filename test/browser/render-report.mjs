#!/usr/bin/env node
// `npm run test:browser`: renders the HTML report in headless Chromium and checks what it drew.
// Not part of `npm test` (it needs a browser): on Debian, `apt-get install -y chromium`; or point
// CHROMIUM at another Chromium or Chrome binary.
//
// 1. A real session: mcp-leash --trace in front of the legacy test fixture, with calls that
//    succeed, time out with heartbeats, report progress, and get cancelled.
// 2. `mcp-leash report --html` of that trace.
// 3. Chromium loads the page with networking off: --dump-dom must hold every call's bar;
//    two screenshots (the first screen, and the whole page) must be real pictures: PNG, not
//    blank, and the whole page must show the outcome colours of the bars.
//
// The screenshots stay in the printed directory, for a person to look at.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inflateSync } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = join(ROOT, 'bin/mcp-leash.js');
const FIXTURE = join(ROOT, 'test/fixtures/legacy-server.mjs');
const CHROMIUM = process.env.CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));

const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};

if (!CHROMIUM) {
  console.error('test:browser needs Chromium: on Debian/Ubuntu `sudo apt-get install -y chromium`, or set CHROMIUM=/path/to/chrome');
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), 'mcp-leash-browser-'));
const trace = join(work, 'trace.jsonl');
const html = join(work, 'report.html');

// ── 1. a session with every kind of outcome ────────────────────────────────────────────────

async function session() {
  const proc = spawn(process.execPath, [BIN, '--trace', trace, '--heartbeat', '200ms', '--tool-timeout', 'sleep=900ms', '--log-level', 'error', '--', process.execPath, FIXTURE], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const waiting = new Map();
  let buf = '';
  proc.stdout.on('data', (chunk) => {
    buf += chunk;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const msg = JSON.parse(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      if ('id' in msg && !('method' in msg)) waiting.get(msg.id)?.(msg);
    }
  });
  const send = (m) => proc.stdin.write(JSON.stringify(m) + '\n');
  let next = 1;
  const request = (method, params) => {
    const id = next++;
    return new Promise((res) => {
      waiting.set(id, res);
      send({ jsonrpc: '2.0', id, method, params });
    });
  };
  const tool = (name, args, token) => request('tools/call', { name, arguments: args, ...(token ? { _meta: { progressToken: token } } : {}) });
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  await request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'browser-check', version: '0' } });
  send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  await request('tools/list', {});
  const calls = [];
  for (let i = 0; i < 6; i++) calls.push(tool('echo', { text: `hello ${i}` }));
  calls.push(tool('sleep', { ms: 5000 }, 'hb1')); // times out at 900ms, heartbeats every 200ms
  calls.push(tool('sleep', { ms: 300 }, 'hb2')); // answers, one heartbeat
  calls.push(tool('progress', { steps: 4, intervalMs: 150, total: 4 }, 'pr')); // server progress
  const cancelId = next++;
  send({ jsonrpc: '2.0', id: cancelId, method: 'tools/call', params: { name: 'slow_ignore_cancel', arguments: { ms: 1200 } } });
  await sleep(400);
  send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: cancelId, reason: 'changed my mind' } });
  calls.push(tool('nonexistent_tool', {}));
  for (let i = 0; i < 4; i++) calls.push(tool('sleep', { ms: 50 + i * 120 }));
  await Promise.all(calls);
  // The cancelled call's late answer arrives and is dropped: wait for its line in the trace.
  for (const until = Date.now() + 15_000; !/"event":"late-answer"/.test(readFileSync(trace, 'utf8')); ) {
    if (Date.now() > until) throw new Error('no late-answer line in the trace after 15s');
    await sleep(20);
  }
  proc.stdin.end();
  await new Promise((r) => proc.on('close', r));
}

await session();
const records = readFileSync(trace, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
// Calls are the core's: one call-opened line each (trace format 2), keyed by session and call.
const callCount = new Set(records.filter((r) => r.kind === 'event' && r.event === 'call-opened' && r.from === 'client').map((r) => `${r.s}/${r.call}`)).size;
check(callCount === 17, `the session traced 17 requests (got ${callCount})`);

// ── 2. the report ──────────────────────────────────────────────────────────────────────────

const report = spawnSync(process.execPath, [BIN, 'report', trace, '--html', html], { encoding: 'utf8' });
check(report.status === 0, 'mcp-leash report --html exits 0');
process.stdout.write(report.stdout);

// ── 3. Chromium ────────────────────────────────────────────────────────────────────────────

const url = pathToFileURL(html).href;
function chromium(extra, height) {
  const profile = mkdtempSync(join(tmpdir(), 'mcp-leash-chromium-'));
  return spawnSync(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--hide-scrollbars',
      `--user-data-dir=${profile}`,
      `--window-size=1280,${height}`,
      ...extra,
      url,
    ],
    { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
}

const dom = chromium(['--dump-dom'], 900);
check(dom.status === 0, 'chromium --dump-dom exits 0');
const bars = new Set([...dom.stdout.matchAll(/<g class="call" data-call="(\d+)"/g)].map((m) => m[1]));
check(bars.size === callCount, `the rendered page has a timeline bar for every request (${bars.size} of ${callCount})`);
check(/data-outcome="timeout"/.test(dom.stdout) && /data-outcome="cancelled"/.test(dom.stdout) && /data-outcome="ok"/.test(dom.stdout), 'ok, timeout and cancelled bars are all there');

const shots = [
  { file: join(work, 'report-top.png'), height: 900 },
  { file: join(work, 'report-full.png'), height: 2000 },
];
for (const shot of shots) {
  const r = chromium([`--screenshot=${shot.file}`], shot.height);
  check(r.status === 0 && existsSync(shot.file), `screenshot ${shot.file} written`);
}

// A PNG decoder just big enough for Chromium's screenshots (8-bit RGB or RGBA, not interlaced).
function decodePng(buf) {
  if (buf.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let pos = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[12] !== 0) throw new Error('unsupported PNG');
      colorType = data[9];
    } else if (type === 'IDAT') idat.push(data);
    pos += 12 + len;
  }
  const bpp = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
  if (!bpp) throw new Error(`unsupported PNG colour type ${colorType}`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const px = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? px[y * stride + i - bpp] : 0;
      const b = y > 0 ? px[(y - 1) * stride + i] : 0;
      const c = i >= bpp && y > 0 ? px[(y - 1) * stride + i - bpp] : 0;
      let v = line[i];
      if (f === 1) v += a;
      else if (f === 2) v += b;
      else if (f === 3) v += (a + b) >> 1;
      else if (f === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      px[y * stride + i] = v & 0xff;
    }
  }
  return { width, height, bpp, px };
}

function colours(png) {
  const counts = new Map();
  for (let i = 0; i < png.px.length; i += png.bpp) {
    const key = (png.px[i] << 16) | (png.px[i + 1] << 8) | png.px[i + 2];
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

for (const shot of shots) {
  if (!existsSync(shot.file)) continue;
  const size = statSync(shot.file).size;
  const png = decodePng(readFileSync(shot.file));
  const counts = colours(png);
  const total = png.width * png.height;
  const commonest = Math.max(...counts.values());
  check(png.width === 1280 && png.height === shot.height, `${shot.file}: ${png.width}x${png.height}, ${size} bytes`);
  check(counts.size > 200 && commonest / total < 0.9, `${shot.file}: a real picture (${counts.size} colours, the commonest covers ${Math.round((100 * commonest) / total)}%)`);
  if (shot.height === 2000) {
    // Bar colours (html.ts): ok, timeout, cancelled; each must fill at least a few bars' worth.
    for (const [name, rgb] of [['ok (green)', 0x2f9e5f], ['timeout (orange)', 0xe8890c], ['cancelled (purple)', 0x7b6fd0]]) {
      const n = counts.get(rgb) ?? 0;
      check(n > 500, `${shot.file}: ${name} bars drawn (${n} pixels)`);
    }
  }
}

console.log(`\nscreenshots and page in ${work}`);
if (failures.length) {
  console.log(`\n${failures.length} check(s) failed`);
  process.exit(1);
}
console.log('\nall browser checks passed');
