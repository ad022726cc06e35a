#!/usr/bin/env node
// The mcp-leash demo: `npm run demo` (it builds first). A scripted MCP SDK client talks to the
// legacy server in ./server.mjs twice: through mcp-leash with the policy in ./leash.json, then
// directly, for contrast. It writes a trace and ends with `mcp-leash report` of it.
//
// Exits 0 when every behaviour it demonstrates happened as described, 1 otherwise.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const LEASH = join(ROOT, 'bin/mcp-leash.js');
const SERVER = join(HERE, 'server.mjs');
const POLICY = join(HERE, 'leash.json');
const rel = (p) => relative(process.cwd(), p) || '.';

if (!existsSync(join(ROOT, 'dist/cli.js'))) {
  console.error('mcp-leash is not built yet: run `npm run demo` (it builds first) or `npm run build`.');
  process.exit(1);
}

// ── output ───────────────────────────────────────────────────────────────────────────────────

const started = Date.now();
const tty = process.stdout.isTTY === true;
const useColor = tty && !process.env.NO_COLOR;
const paint = (code) => (s) => (useColor ? `\x1b[${code}m${s}\x1b[0m` : s);
const c = { bold: paint('1'), dim: paint('2'), green: paint('32'), red: paint('31'), yellow: paint('33'), cyan: paint('36'), magenta: paint('35') };
const OK = c.green('✔');
const NO = c.red('✘');

/** The live progress line (TTY only): server lines are printed above it without garbling it. */
let liveLine;
function print(text = '') {
  if (liveLine !== undefined) process.stdout.write('\r\x1b[2K');
  process.stdout.write(fit(text) + '\n');
  if (liveLine !== undefined) process.stdout.write(liveLine);
}

/** Lines of at most 80 columns: a longer one wraps at spaces, indented under its own text. */
function fit(text, width = 80) {
  return text
    .split('\n')
    .flatMap((line) => {
      const plain = line.replace(/\x1b\[[0-9;]*m/g, '');
      if (plain.length <= width) return [line];
      const color = /^(\x1b\[[0-9;]*m)+/.exec(line)?.[0] ?? '';
      const indent = /^ */.exec(plain)[0];
      const lead = indent + '    ';
      // Wrapped to the continuation's width, so that no row (the first has less indent) is longer.
      const rows = wrap(plain.trimStart(), width - lead.length).split('\n');
      return rows.map((r, i) => color + (i === 0 ? indent : lead) + r + (color ? '\x1b[0m' : ''));
    })
    .join('\n');
}
function live(text) {
  if (!tty) return print(text);
  liveLine = text;
  process.stdout.write('\r\x1b[2K' + text);
}
function endLive() {
  if (liveLine === undefined) return;
  liveLine = undefined;
  process.stdout.write('\n');
}
const section = (title) => print(`\n${c.bold(c.cyan(`── ${title} `.padEnd(78, '─')))}`);
const step = (title) => print(`\n${c.bold(title)}`);
const indent = (text, by = '      ') => text.split('\n').map((l) => by + l).join('\n');
const secs = (ms) => `${(ms / 1000).toFixed(1)}s`;
/** A moment as seconds since the demo started, for ordering lines from different pipes. */
const stamp = (epochMs) => `[+${((epochMs - started) / 1000).toFixed(1).padStart(4)}s]`;
/** A shell command, broken into lines of at most 78 columns with a trailing backslash. */
function command(line) {
  const out = [];
  let cur = '$';
  for (const word of line.split(' ')) {
    if (cur.length + 1 + word.length > 76) {
      out.push(`${cur} \\`);
      cur = `   ${word}`;
    } else cur = `${cur} ${word}`;
  }
  out.push(cur);
  return out.join('\n');
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** The hard limit of the host in part (e): Claude Desktop, Cowork and Copilot CLI have one at 60s. */
const HARD_LIMIT_MS = 10_000;

function wrap(text, width = 74) {
  const out = [];
  let line = '';
  const indent = /^ */.exec(text)[0].length;
  width -= indent;
  text = text.trimStart();
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out.join('\n');
}

const failures = [];
function expect(ok, what) {
  if (!ok) failures.push(what);
  return ok;
}

// ── a client, with the server's stderr shown as it arrives ───────────────────────────────────

async function connect(label, command, args) {
  const transport = new StdioClientTransport({ command, args, stderr: 'pipe', cwd: ROOT });
  const stderrLines = [];
  const waiters = [];
  let buf = '';
  transport.stderr?.on('data', (chunk) => {
    buf += chunk.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      stderrLines.push(line);
      // The server's own time for the line (server.mjs stamps it): stderr and stdout are two
      // pipes, so a line may arrive after a heartbeat that was sent later; the stamp tells.
      const m = /^\[demo-server (\d+)\] /.exec(line);
      const at = m ? stamp(Number(m[1])) : stamp(Date.now());
      print(c.dim(`      ${at} server stderr │ ${m ? line.slice(m[0].length) : line}`));
      for (const w of [...waiters]) {
        if (w.re.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  const client = new Client({ name: `mcp-leash-demo (${label})`, version: '1.0.0' });
  const unexpected = [];
  client.onerror = (err) => unexpected.push(err);
  await client.connect(transport);
  /** Resolves with the first stderr line matching `re` (also one already seen), or undefined after `ms`. */
  const waitFor = (re, ms, since = 0) => {
    const seen = stderrLines.slice(since).find((l) => re.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolveLine) => {
      const w = { re, resolve: resolveLine };
      waiters.push(w);
      setTimeout(() => {
        const i = waiters.indexOf(w);
        if (i >= 0) waiters.splice(i, 1);
        resolveLine(undefined);
      }, ms);
    });
  };
  return { client, transport, waitFor, stderrLines, unexpected };
}

const textOf = (result) => (result.content ?? []).filter((p) => p.type === 'text').map((p) => p.text).join('\n');

// ── 1. through mcp-leash ─────────────────────────────────────────────────────────────────────

const work = mkdtempSync(join(tmpdir(), 'mcp-leash-demo-'));
const TRACE = join(work, 'trace.jsonl');
const LOG = join(work, 'mcp-leash.log');
const HTML = join(work, 'report.html');
// Messages for trying it by hand (printed at the end): one per line, as mcp-leash reads them.
const HAND = join(work, 'by-hand.jsonl');
writeFileSync(
  HAND,
  [
    { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'by hand', version: '1' } } },
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'hang', arguments: {}, _meta: { progressToken: 'by-hand' } } },
  ]
    .map((m) => JSON.stringify(m) + '\n')
    .join(''),
);

print(c.bold('mcp-leash demo'));
print(wrap(
  `The server in ${rel(SERVER)} is a legacy MCP server: it never sends progress, ` +
    `and only one of its tools listens to cancellation. First a scripted MCP SDK client uses it ` +
    `through mcp-leash with the policy in ${rel(POLICY)} (heartbeat every 1s; hang limited to 3s, ` +
    `stubborn to 2s; index_repo becomes a job after 8s), then directly.`,
  78,
));

section('1. through mcp-leash');
const leashArgs = ['--config', POLICY, '--trace', TRACE, '--log-file', LOG, '--', process.execPath, SERVER];
print(c.dim(command(`mcp-leash --config ${rel(POLICY)} --trace ${TRACE} --log-file ${LOG} -- node ${rel(SERVER)}`)));
const leashed = await connect('through mcp-leash', process.execPath, [LEASH, ...leashArgs]);
{
  const { tools } = await leashed.client.listTools();
  const info = leashed.client.getServerVersion();
  print(`connected to ${info?.name} ${info?.version}; tools: ${tools.map((t) => t.name).join(', ')}`);
}

// (a) heartbeats during a silent call
step('(a) slow_report: the server is silent for 8s; the client times out after 2s without progress');
print(c.dim('    callTool(..., { timeout: 2000, resetTimeoutOnProgress: true, onprogress })'));
{
  const t0 = Date.now();
  let beats = 0;
  const result = await leashed.client.callTool({ name: 'slow_report', arguments: { topic: 'Q3' } }, undefined, {
    timeout: 2000,
    resetTimeoutOnProgress: true,
    onprogress: (p) => {
      // Only what the progress notification says: the server sends none, so these are all
      // mcp-leash's heartbeats, and their message is mcp-leash's own words.
      beats++;
      const head = `      ${stamp(Date.now())} ♥ heartbeat ${beats}  `;
      // One terminal row, or redrawing it in place would leave pieces behind.
      const room = Math.max(10, Math.min(80, process.stdout.columns ?? 80) - head.length - 1);
      const message = p.message ?? '';
      const shown = message.length > room ? `${message.slice(0, room - 1)}…` : message;
      live(`      ${stamp(Date.now())} ${c.magenta('♥')} heartbeat ${beats}  ${c.dim(shown)}`);
    },
  });
  const took = Date.now() - t0;
  endLive();
  await leashed.waitFor(/slow_report .*done/, 500); // the server's own line, which may lag its answer
  const ok = expect(!result.isError && beats >= 3, '(a) slow_report through mcp-leash should succeed, kept alive by heartbeats');
  print(`    ${ok ? OK : NO} result after ${secs(took)}: "${textOf(result)}"`);
  print(`      ${beats} heartbeats from mcp-leash reset the client's 2s timeout each time, so the call lived to see its answer.`);
}

// (b) a hang becomes a result the model can read
step('(b) hang: the server never answers; the policy gives it 3s');
{
  const since = leashed.stderrLines.length;
  const t0 = Date.now();
  const result = await leashed.client.callTool({ name: 'hang', arguments: {} });
  const took = Date.now() - t0;
  const ok = expect(result.isError === true && /hang/.test(textOf(result)), '(b) hang through mcp-leash should give an isError result');
  print(`    ${ok ? OK : NO} after ${secs(took)}, a normal tool result with isError: true, which the model reads:`);
  print(c.yellow(indent(wrap(textOf(result), 70))));
  // mcp-leash also sent notifications/cancelled to the server, which this one ignores.
  await leashed.waitFor(/notifications\/cancelled/, 1000, since);
}

// (c) a cancellation that reaches the server
step('(c) cancellable_work: the user gives up after 1.5s (AbortController)');
{
  const since = leashed.stderrLines.length;
  const controller = new AbortController();
  const t0 = Date.now();
  const call = leashed.client.callTool({ name: 'cancellable_work', arguments: {} }, undefined, { signal: controller.signal });
  setTimeout(() => controller.abort('the user pressed Stop'), 1500);
  let outcome;
  try {
    await call;
    outcome = 'was answered';
  } catch {
    outcome = 'was aborted';
  }
  print(`    the client's call ${outcome} after ${secs(Date.now() - t0)}, and the SDK sent notifications/cancelled`);
  const stopped = await leashed.waitFor(/stopped work/, 3000, since);
  const ok = expect(stopped !== undefined, '(c) the server should log "stopped work" after the cancellation');
  print(`    ${ok ? OK : NO} ${ok ? 'mcp-leash forwarded the cancellation with the server\'s own request id, and the server stopped its work' : 'the server did not report that it stopped'}`);
}

// (d) a server that ignores cancellation
step('(d) stubborn: works for 6s and ignores cancellation; the policy gives it 2s');
{
  const since = leashed.stderrLines.length;
  const errorsBefore = leashed.unexpected.length;
  const t0 = Date.now();
  const result = await leashed.client.callTool({ name: 'stubborn', arguments: {} });
  const ok = expect(result.isError === true, '(d) stubborn through mcp-leash should give an isError result at 2s');
  print(`    ${ok ? OK : NO} after ${secs(Date.now() - t0)} the client has its answer (isError: true); the server carries on regardless:`);
  const late = await leashed.waitFor(/answering anyway/, 8000, since);
  await sleep(300);
  const dropped = expect(late !== undefined && leashed.unexpected.length === errorsBefore, '(d) the late answer should be dropped by mcp-leash');
  print(`    ${dropped ? OK : NO} the server's late answer never reached the client: mcp-leash dropped it (the trace records it)`);
}

// (e) a host with a hard limit: a job the model awaits
step('(e) index_repo: 20s of work; the host cuts every tool call at 10s, progress or not; detachAfter 8s');
print(c.dim('    callTool(..., { timeout: 10000 }), then leash_await in a loop, as a model would'));
{
  const t0 = Date.now();
  const first = await leashed.client.callTool({ name: 'index_repo', arguments: {} }, undefined, { timeout: HARD_LIMIT_MS });
  const job = first._meta?.['mcp-leash/job']?.id;
  const detached = expect(typeof job === 'string' && Date.now() - t0 < HARD_LIMIT_MS, '(e) index_repo should be answered with a job before the 10s limit');
  print(`    ${detached ? OK : NO} after ${secs(Date.now() - t0)}, before the host's limit, the model reads:`);
  print(c.yellow(indent(wrap(textOf(first), 70))));
  let result = first;
  for (let i = 0; typeof job === 'string' && i < 5; i++) {
    const t1 = Date.now();
    result = await leashed.client.callTool({ name: 'leash_await', arguments: { job } }, undefined, { timeout: HARD_LIMIT_MS });
    const state = result._meta?.['mcp-leash/job']?.state;
    print(`    leash_await {"job": "${job}"} answered after ${secs(Date.now() - t1)}: ${state === 'running' ? c.dim(textOf(result)) : `"${textOf(result)}"`}`);
    if (state !== 'running') break;
  }
  const ok = expect(/Indexed 1,204 files/.test(textOf(result)) && !result.isError, '(e) leash_await should bring back the real result of index_repo');
  print(`    ${ok ? OK : NO} after ${secs(Date.now() - t0)} in all, the model has the real result; no call ever reached the 10s limit.`);
}

await leashed.client.close();

// ── 2. without mcp-leash ─────────────────────────────────────────────────────────────────────

section('2. the same server without mcp-leash');
print(c.dim(`$ node ${rel(SERVER)}`));
const direct = await connect('direct', process.execPath, [SERVER]);

step('(a) slow_report, client timeout 2s, reset on progress: but no progress ever comes');
{
  const t0 = Date.now();
  try {
    await direct.client.callTool({ name: 'slow_report', arguments: { topic: 'Q3' } }, undefined, {
      timeout: 2000,
      resetTimeoutOnProgress: true,
      onprogress: () => {},
    });
    expect(false, '(a, direct) slow_report should time out on the client');
    print(`    ${NO} unexpectedly answered`);
  } catch (err) {
    print(`    ${NO} after ${secs(Date.now() - t0)}: ${c.red(err instanceof Error ? err.message : String(err))}`);
    await direct.waitFor(/notifications\/cancelled/, 1000);
    print('      The model gets an exception instead of a report, and the server goes on working for nobody.');
  }
}

step('(b) hang, client timeout 3s');
{
  const t0 = Date.now();
  try {
    await direct.client.callTool({ name: 'hang', arguments: {} }, undefined, { timeout: 3000 });
    expect(false, '(b, direct) hang should time out on the client');
  } catch (err) {
    print(`    ${NO} after ${secs(Date.now() - t0)}: ${c.red(err instanceof Error ? err.message : String(err))}`);
    print('      Only because this client set its own timeout; many hosts wait minutes, or forever.');
  }
}
step('(e) index_repo, with a host that cuts tool calls at 10s');
{
  const t0 = Date.now();
  try {
    await direct.client.callTool({ name: 'index_repo', arguments: {} }, undefined, { timeout: HARD_LIMIT_MS });
    expect(false, '(e, direct) index_repo should be cut at the 10s limit');
  } catch (err) {
    print(`    ${NO} after ${secs(Date.now() - t0)}: ${c.red(err instanceof Error ? err.message : String(err))}`);
    print('      20 seconds of work, and the model gets nothing; asking again starts it over.');
  }
}
await direct.client.close();

// ── 3. the report ────────────────────────────────────────────────────────────────────────────

section('3. mcp-leash report of the trace');
// mcp-leash writes the last trace lines as it exits; give it a moment if needed.
for (let i = 0; i < 30 && !/"event":"end"/.test(existsSync(TRACE) ? readFileSync(TRACE, 'utf8') : ''); i++) await sleep(100);
print(c.dim(command(`mcp-leash report ${TRACE} --html ${HTML}`)));
const report = spawnSync(process.execPath, [LEASH, 'report', TRACE, '--html', HTML], { encoding: 'utf8' });
print(report.stdout.trimEnd());
if (report.status !== 0) print(c.red(report.stderr));
expect(report.status === 0, 'mcp-leash report should succeed');
const trace = readFileSync(TRACE, 'utf8');
expect(/"event":"late-answer"/.test(trace), 'the trace should record the dropped late answer');

print('');
print(`Trace: ${TRACE}`);
print('  (mode 0600; run with --trace-payloads to include message bodies)');
print(`HTML report: ${HTML}`);
print('  (open it in a browser; it loads nothing from the network)');
print(`mcp-leash's own log: ${LOG}`);
print('');
print(wrap(
  `Try it by hand: mcp-leash reads JSON-RPC messages on stdin, one per line. The lines in ${HAND} ` +
    'start a session and call "hang"; the command below sends them, then lets you type more. ' +
    'Watch the heartbeats, then the timeout; Ctrl-D ends it.',
  78,
));
print(c.dim(command(`cat ${HAND} - | node bin/mcp-leash.js --config ${rel(POLICY)} -- node ${rel(SERVER)}`)));

if (failures.length) {
  print(`\n${NO} the demo did not go as described:`);
  for (const f of failures) print(`  - ${f}`);
  process.exit(1);
}
print(`\n${OK} demo finished in ${secs(Date.now() - started)}`);
process.exit(0);
