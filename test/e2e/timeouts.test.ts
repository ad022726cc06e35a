// §5 Timeouts through real processes (issue 3, "How it will be checked"): a tool past its limit
// is answered at the limit, once, and the child is cancelled; idle and total timeouts with and
// without progress; the startup timeout; the example config; the documented options; and every
// config mistake refused with exit 2 before anything is spawned.
//
// The tests in a file run concurrently (they are mostly waiting on timers), so clean-up is
// afterAll: cleanupProcesses() kills everything started, including other tests' processes.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, FIXTURE, NODE, ROOT, cleanupProcesses, isResponseTo, spawnLineClient, startRawProxy, startSdkProxy, trackPid, type Json, type LineClient, toolCall as call, configFile, progressFor, responseIndex, finish } from '../helpers/proxy.js';
import { fixtureEvents, isAlive, receivedMessages, tmpDir, tmpFile, waitFor, waitForStart, within } from '../helpers/procs.js';

afterAll(() => cleanupProcesses());

const TIMING = join(ROOT, 'test/fixtures/timing-server.mjs');
const timingServer = (...args: string[]) => [NODE, TIMING, ...args];

/** How late after its limit an answer may come and still count as "at the limit". */
const SLACK_MS = 1500;

/** Sends a request and resolves with its response and the ms it took, measured here. */
async function timed(c: LineClient, msg: Json, timeoutMs = 15_000): Promise<{ res: Json; elapsed: number }> {
  const t0 = performance.now();
  c.send(msg);
  const res = await c.next(isResponseTo(msg.id), timeoutMs, `response to ${JSON.stringify(msg.id)}`);
  return { res, elapsed: performance.now() - t0 };
}

/** The id under which the child received the tools/call of this tool (the n-th such call). */
async function childIdOf(log: string, tool: string, n = 0): Promise<unknown> {
  const m = await waitFor(
    () => receivedMessages(log, 'tools/call').filter((x) => x.params?.name === tool)[n],
    10_000,
    `the child to receive tools/call ${tool}`,
  );
  return m.id;
}

/** The child's `cancelled` event for its request id. */
function cancelledEvent(log: string, childId: unknown) {
  return waitFor(
    () => fixtureEvents(log, 'cancelled').find((e) => e.requestId === childId),
    10_000,
    `the child to receive notifications/cancelled for its id ${JSON.stringify(childId)}`,
  );
}


describe.concurrent('§5 timeouts: a tool past its limit', () => {
  it('§5 timeouts: --tool-timeout answers an isError result naming the tool and the limit at the limit, cancels the child under its own id, drops the late answer; a tool without a rule is not timed', async () => {
    const log = tmpFile('fixture.jsonl');
    const c = startRawProxy({ leashArgs: ['--tool-timeout', 'slow_ignore_cancel=1s'], fixtureArgs: ['--log', log] });
    await c.initialize();
    // Both at once: the timed one answers late (2.5 s, even when cancelled); the untimed one
    // runs well past the other's limit.
    const untimedT0 = performance.now();
    c.send(call('untimed', 'sleep', { ms: 2000 }));
    const { res, elapsed } = await timed(c, call('timed', 'slow_ignore_cancel', { ms: 2500 }));

    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(1000 + SLACK_MS);
    expect(res.error).toBeUndefined();
    expect(res.result.isError).toBe(true);
    expect(res.result.content).toHaveLength(1);
    expect(res.result.content[0].type).toBe('text');
    expect(res.result.content[0].text).toContain('"slow_ignore_cancel"');
    expect(res.result.content[0].text).toMatch(/\b1s\b/);

    const childId = await childIdOf(log, 'slow_ignore_cancel');
    const ev = await cancelledEvent(log, childId);
    expect(ev.known).toBe(true);
    expect(ev.reason).toBe('timed out after 1s');

    // The tool without a rule: not cancelled, and its real answer arrives.
    const untimed = await c.next(isResponseTo('untimed'), 15_000, 'the untimed call to answer');
    expect(performance.now() - untimedT0).toBeGreaterThanOrEqual(2000);
    expect(untimed.result).toEqual({ content: [{ type: 'text', text: 'slept 2000ms' }] });
    const sleepId = await childIdOf(log, 'sleep');
    expect(fixtureEvents(log, 'cancelled').filter((e) => e.requestId === sleepId)).toEqual([]);

    // The child's late answer was written, then a ping round trip: it was dropped, not delayed.
    await waitFor(() => fixtureEvents(log, 'late-answer').find((e) => e.id === childId), 10_000, 'the late answer');
    await c.barrier();
    expect(c.messages().filter((m) => m?.id === 'timed')).toHaveLength(1);
    await finish(c);
  });

  it('§5 timeouts: an SDK client gets the isError result as a normal tool result, and the session goes on', async () => {
    const log = tmpFile('fixture.jsonl');
    const p = await startSdkProxy({ leashArgs: ['--tool-timeout', 'sleep=1s'], fixtureArgs: ['--log', log] });
    try {
      const t0 = performance.now();
      const res = await p.client.callTool({ name: 'sleep', arguments: { ms: 10_000 } }, undefined, { timeout: 15_000 });
      const elapsed = performance.now() - t0;
      expect(elapsed).toBeGreaterThanOrEqual(1000);
      expect(elapsed).toBeLessThan(1000 + SLACK_MS);
      expect(res.isError).toBe(true);
      expect((res.content as any)[0].text).toMatch(/"sleep".*\b1s\b/s);
      const ev = await cancelledEvent(log, await childIdOf(log, 'sleep'));
      expect(ev.reason).toBe('timed out after 1s');
      const echo = await p.client.callTool({ name: 'echo', arguments: { text: 'after the timeout' } });
      expect((echo.content as any)[0].text).toBe('after the timeout');
    } finally {
      await p.close();
    }
  });

  it('§5 timeouts: a --tool-timeout flag overrides the config file rule for the same tool', async () => {
    const log = tmpFile('fixture.jsonl');
    const config = configFile({ rules: [{ tool: 'sleep', totalTimeout: '30s' }] });
    const c = startRawProxy({ leashArgs: ['--config', config, '--tool-timeout', 'sleep=1s'], fixtureArgs: ['--log', log] });
    await c.initialize();
    const { res, elapsed } = await timed(c, call(1, 'sleep', { ms: 10_000 }));
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(1000 + SLACK_MS);
    expect(res.result.isError).toBe(true);
    await finish(c);
  });

  it('§5 timeouts: a rule with onTimeout "error" (a glob, from the config file) gives -32001 with data {method, tool, timeoutMs, elapsedMs}', async () => {
    const log = tmpFile('fixture.jsonl');
    const config = configFile({ rules: [{ tool: 'sl*p', totalTimeout: '1s', onTimeout: 'error' }] });
    const c = startRawProxy({ leashArgs: ['--config', config], fixtureArgs: ['--log', log] });
    await c.initialize();
    const { res, elapsed } = await timed(c, call('e', 'sleep', { ms: 10_000 }));
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(1000 + SLACK_MS);
    expect(res.result).toBeUndefined();
    expect(res.error.code).toBe(-32001);
    expect(res.error.message).toMatch(/^Request timed out/);
    expect(res.error.data).toMatchObject({ method: 'tools/call', tool: 'sleep', timeoutMs: 1000 });
    expect(res.error.data.elapsedMs).toBeGreaterThanOrEqual(1000);
    expect(res.error.data.elapsedMs).toBeLessThan(1000 + SLACK_MS);
    const ev = await cancelledEvent(log, await childIdOf(log, 'sleep'));
    expect(ev.reason).toBe('timed out after 1s');
    // echo matches no rule and no default limit: answered normally.
    expect((await c.request('tools/call', { name: 'echo', arguments: { text: 'hi' } })).result.content[0].text).toBe('hi');
    await finish(c);
  });

  it('§5 timeouts: a method rule times out a non-tool request with -32001 and data {method, timeoutMs, elapsedMs}, and cancels it on the child', async () => {
    const log = tmpFile('fixture.jsonl');
    const config = configFile({ rules: [{ method: 'resources/read', totalTimeout: '800ms' }] });
    const c = startRawProxy({ leashArgs: ['--config', config], child: timingServer('--log', log) });
    await c.initialize();
    // Under the limit: answered normally.
    const quick = await c.request('resources/read', { uri: 'slow://100' }, 'quick');
    expect(quick.result.contents[0].text).toBe('read after 100ms');
    const { res, elapsed } = await timed(c, { jsonrpc: '2.0', id: 'r', method: 'resources/read', params: { uri: 'slow://10000' } });
    expect(elapsed).toBeGreaterThanOrEqual(800);
    expect(elapsed).toBeLessThan(800 + SLACK_MS);
    expect(res.error.code).toBe(-32001);
    expect(res.error.data).toMatchObject({ method: 'resources/read', timeoutMs: 800 });
    expect(res.error.data).not.toHaveProperty('tool');
    expect(res.error.data.elapsedMs).toBeGreaterThanOrEqual(800);
    expect(res.error.data.elapsedMs).toBeLessThan(800 + SLACK_MS);
    const childId = receivedMessages(log, 'resources/read').find((m) => m.params?.uri === 'slow://10000')!.id;
    const ev = await cancelledEvent(log, childId);
    expect(ev.known).toBe(true);
    expect(ev.reason).toBe('timed out after 800ms');
    await finish(c);
  });

  // Regression: limits used to be rounded to whole seconds (1500ms was named "2s").
  it('§5 timeouts: the limit named in the result and the cancel reason is the limit itself (1500ms, not "2s")', async () => {
    const log = tmpFile('fixture.jsonl');
    const c = startRawProxy({ leashArgs: ['--tool-timeout', 'sleep=1500ms'], fixtureArgs: ['--log', log] });
    await c.initialize();
    const { res, elapsed } = await timed(c, call(1, 'sleep', { ms: 10_000 }));
    expect(elapsed).toBeGreaterThanOrEqual(1500);
    expect(res.result.isError).toBe(true);
    const ev = await cancelledEvent(log, await childIdOf(log, 'sleep'));
    await finish(c);
    const exact = /1s500ms|1\.5s|1500ms/;
    expect(res.result.content[0].text).toMatch(exact);
    expect(ev.reason).toMatch(exact);
  });
});

describe.concurrent('§5 timeouts: idle and total', () => {
  const idleConfig = () => configFile({ rules: [{ tool: 'progress*', idleTimeout: '700ms' }] });

  it('§5 timeouts: an idle timeout survives a call that reports progress often, even when the client sent no progress token', async () => {
    const log = tmpFile('fixture.jsonl');
    const c = startRawProxy({ leashArgs: ['--config', idleConfig()], fixtureArgs: ['--log', log] });
    await c.initialize();
    // 12 x 200 ms = 2.4 s in all, more than three idle limits, with progress every 200 ms.
    const { res, elapsed } = await timed(c, call('long', 'progress', { steps: 12, intervalMs: 200 }));
    expect(res.result).toEqual({ content: [{ type: 'text', text: 'progress done after 12 steps' }] });
    expect(elapsed).toBeGreaterThanOrEqual(12 * 200);
    // The child got a token of mcp-leash's own so that its progress could keep the call alive...
    expect(receivedMessages(log, 'tools/call')[0]!.params._meta?.progressToken).toBeDefined();
    expect(fixtureEvents(log, 'cancelled')).toEqual([]);
    // ...but the client, which sent none, hears no progress.
    await c.barrier();
    expect(c.messages().filter((m) => m?.method === 'notifications/progress')).toEqual([]);
    await finish(c);
  });

  it('§5 timeouts: an idle timeout fires when the progress stops', async () => {
    const log = tmpFile('fixture.jsonl');
    const c = startRawProxy({ leashArgs: ['--config', idleConfig()], child: timingServer('--log', log) });
    await c.initialize();
    // Progress every 200 ms for 6 steps (1.2 s, longer than the idle limit), then silence.
    const { res, elapsed } = await timed(c, call('idle', 'progress_then_silent', { steps: 6, intervalMs: 200, silentMs: 20_000 }, 'idle-tok'));
    const answeredAt = Date.now();
    // Not before: the last progress left the child no earlier than 6 x 200 ms after the call.
    expect(elapsed).toBeGreaterThanOrEqual(6 * 200 + 700);
    // Not much after the moment the child went silent.
    const silentAt = fixtureEvents(log, 'silent')[0]!.t as number;
    expect(answeredAt - silentAt).toBeGreaterThanOrEqual(700 - 50); // two processes' Date.now()
    expect(answeredAt - silentAt).toBeLessThan(700 + SLACK_MS);
    expect(res.result.isError).toBe(true);
    expect(res.result.content[0].text).toContain('"progress_then_silent"');
    expect(res.result.content[0].text).toContain('700ms');
    const childId = receivedMessages(log, 'tools/call')[0]!.id;
    const ev = await cancelledEvent(log, childId);
    expect(ev.reason).toBe('timed out: no progress for 700ms');
    // The client saw the child's progress up to the silence, and nothing after the answer.
    await c.barrier();
    const seen = progressFor(c, 'idle-tok');
    expect(seen.map((m) => m.params.message)).toEqual([1, 2, 3, 4, 5, 6].map((i) => `step ${i}`));
    expect(c.messages().slice(responseIndex(c, 'idle') + 1).filter((m) => m?.method === 'notifications/progress')).toEqual([]);
    await finish(c);
  });

  it('§5 timeouts: a total timeout fires whatever the progress', async () => {
    const log = tmpFile('fixture.jsonl');
    const config = configFile({ rules: [{ tool: 'progress', idleTimeout: '700ms', totalTimeout: '1s' }] });
    const c = startRawProxy({ leashArgs: ['--config', config], fixtureArgs: ['--log', log] });
    await c.initialize();
    // Progress every 100 ms for 5 s: the idle limit never fires, the total one does.
    const { res, elapsed } = await timed(c, call('tot', 'progress', { steps: 50, intervalMs: 100, total: 50 }, 'tot-tok'));
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(1000 + SLACK_MS);
    expect(res.result.isError).toBe(true);
    expect(res.result.content[0].text).toContain('"progress"');
    expect(res.result.content[0].text).toMatch(/\b1s\b/);
    const ev = await cancelledEvent(log, receivedMessages(log, 'tools/call')[0]!.id);
    expect(ev.reason).toBe('timed out after 1s');
    await c.barrier();
    expect(progressFor(c, 'tot-tok').length).toBeGreaterThan(0);
    expect(c.messages().slice(responseIndex(c, 'tot') + 1).filter((m) => m?.method === 'notifications/progress')).toEqual([]);
    await finish(c);
  });
});

describe.concurrent('§5 timeouts: start-up, the example config, the documented options', () => {
  it('§5 timeouts: a server that never answers initialize: the client gets -32001 at startupTimeout, the child is stopped and mcp-leash exits 1', async () => {
    const log = tmpFile('fixture.jsonl');
    const config = configFile({ startupTimeout: '1s', shutdown: { stdinGrace: '300ms', termGrace: '1s' } });
    // The child also ignores EOF, like a truly hung server: closing its stdin is not enough.
    const c = startRawProxy({ leashArgs: ['--config', config], child: timingServer('--no-initialize', '--ignore-eof', '--log', log) });
    const start = await waitForStart(log);
    // If mcp-leash fails to stop it, clean-up must (it ignores EOF and would outlive the test).
    trackPid(start.pid as number);
    const { res, elapsed } = await timed(c, {
      jsonrpc: '2.0',
      id: 'init',
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw-e2e', version: '0.0.0' } },
    });
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(1000 + SLACK_MS);
    expect(res.error.code).toBe(-32001);
    expect(res.error.data).toMatchObject({ method: 'initialize', timeoutMs: 1000 });
    expect(receivedMessages(log, 'initialize')).toHaveLength(1);
    // mcp-leash ends by itself (the client keeps its stdin open), and the child is gone.
    const { code } = await within(c.exited, 15_000, 'mcp-leash to exit after the startup timeout');
    expect(code).toBe(1);
    await waitFor(() => !isAlive(start.pid as number), 10_000, 'the child to be stopped');
    c.assertCleanStdout();
  });

  it('§5 timeouts: `mcp-leash --config config.example.json -- <fixture>` starts and serves a call', async () => {
    expect(existsSync(join(ROOT, 'config.example.json'))).toBe(true);
    const p = await startSdkProxy({ leashArgs: ['--config', 'config.example.json'], cwd: ROOT });
    try {
      const { tools } = await p.client.listTools();
      expect(tools.map((t) => t.name)).toContain('echo');
      const res = await p.client.callTool({ name: 'echo', arguments: { text: 'example policy' } });
      expect(res.content).toEqual([{ type: 'text', text: 'example policy' }]);
    } finally {
      await p.close();
    }
  });

  /** `mcp-leash --help` as a user sees it. */
  async function helpText(): Promise<string> {
    const c = spawnLineClient(NODE, [BIN, '--help']);
    c.close();
    const { code } = await within(c.exited, 15_000, 'mcp-leash --help to exit');
    expect(code).toBe(0);
    return c.lines.join('\n');
  }
  /** Option names on the lines of the Options: section of --help, e.g. ["--help", "-h"]. */
  function helpOptions(help: string): string[][] {
    const section = help.split(/^Options:$/m)[1]!.split(/^\S/m)[0]!;
    return section
      .split('\n')
      .map((l) => /^ {2}(-[-\w]+(?:, -[-\w]+)*)/.exec(l)?.[1])
      .filter((x): x is string => x !== undefined)
      .map((names) => names.split(', '));
  }
  const README = () => readFileSync(join(ROOT, 'README.md'), 'utf8');
  /** Option names in the README's Options table: rows starting "| `--x ...`". */
  const readmeOptions = (readme: string) =>
    [...readme.matchAll(/^\| (`-[^|]*)\|/gm)].flatMap((m) => [...m[1]!.matchAll(/`(-[-\w]+)/g)].map((x) => x[1]!));

  it('§5 timeouts: every option in --help appears in the README, and every option in the README appears in --help', async () => {
    const help = await helpText();
    const readme = README();
    const fromHelp = helpOptions(help).map((names) => names[0]!);
    // The parse found the options the issue names (it did not silently match nothing).
    expect(fromHelp).toEqual(expect.arrayContaining(['--config', '--timeout', '--tool-timeout', '--heartbeat', '--help', '--version']));
    const missingInReadme = fromHelp.filter((o) => !new RegExp('`' + o + '[ `]').test(readme));
    expect(missingInReadme).toEqual([]);
    const fromReadme = readmeOptions(readme);
    expect(fromReadme.length).toBeGreaterThanOrEqual(fromHelp.length);
    const missingInHelp = fromReadme.filter((o) => !helpOptions(help).some((names) => names.includes(o)));
    expect(missingInHelp).toEqual([]);
    // Config keys: each top-level key of the README's key table is listed by --help.
    const keys = [...readme.matchAll(/^\| `([a-zA-Z]+)[.`[]/gm)].map((m) => m[1]!);
    expect(keys).toEqual(expect.arrayContaining(['defaults', 'rules', 'startupTimeout', 'progressInterval']));
    expect(keys.filter((k) => !new RegExp(`\\b${k}\\b`).test(help))).toEqual([]);
  });

  // Every option --help documents, short aliases included, appears in the README.
  it('§5 timeouts: the short option aliases in --help (-h, -V) appear in the README', async () => {
    const help = await helpText();
    const readme = README();
    const aliases = helpOptions(help).flatMap((names) => names.slice(1));
    expect(aliases.length).toBeGreaterThan(0);
    expect(aliases.filter((a) => !readme.includes('`' + a + '`'))).toEqual([]);
  });
});

// ---------------------------------------------------------------- config mistakes

/** Runs mcp-leash in front of a fixture that logs its start; stdin closed at once. */
async function runLeash(leashArgs: string[]) {
  const log = tmpFile('spawned.jsonl');
  const c = spawnLineClient(NODE, [BIN, ...leashArgs, '--', NODE, FIXTURE, '--log', log]);
  c.close();
  const { code } = await within(c.exited, 15_000, 'mcp-leash to exit');
  return { code, stdout: c.lines.join('\n'), stderr: c.stderr(), spawned: existsSync(log) };
}

const mistakes: { what: string; file?: string; content?: string; args?: (file: string) => string[]; expect: RegExp[] }[] = [
  {
    what: 'bad JSON (with line and column)',
    content: '{\n  "defaults": {\n    "totalTimeout": "1s",\n  }\n}\n',
    expect: [/line 3, column \d+/, /invalid JSON/],
  },
  { what: 'an unknown key', content: '{ "defualts": { "totalTimeout": "1s" } }', expect: [/unknown key "defualts"/] },
  { what: 'a wrong type', content: '{ "maxConcurrency": "four" }', expect: [/maxConcurrency/, /expected .*integer/, /"four"/] },
  {
    what: 'a bad duration',
    content: '{ "rules": [ { "tool": "x" }, { "tool": "y", "totalTimeout": "fast" } ] }',
    expect: [/rules\[1\]\.totalTimeout/, /expected a duration/, /"fast"/],
  },
  {
    what: 'a bad glob',
    content: '{ "rules": [ { "tool": "search_[ab]", "totalTimeout": "1s" } ] }',
    expect: [/rules\[0\]\.tool/, /search_\[ab\]/],
  },
  { what: 'an unreadable file (missing)', file: 'no-such-leash.json', expect: [/cannot read/] },
  { what: 'an unreadable file (a directory)', file: '.', expect: [/cannot read/] },
  { what: 'a bad duration in a flag', args: () => ['--timeout', 'fast'], expect: [/--timeout/, /"fast"/] },
  { what: 'a bad glob in a flag', args: () => ['--tool-timeout', 'search_[ab]=1s'], expect: [/--tool-timeout/, /search_\[ab\]/] },
];

describe.concurrent('§5 timeouts: config mistakes', () => {
  it.each(mistakes)('§5 timeouts: $what is refused with exit 2 and one message (naming the file), before the child is spawned', async (m) => {
    const dir = tmpDir();
    let file = '';
    let args: string[];
    if (m.args) args = m.args(dir);
    else {
      file = m.file === '.' ? dir : join(dir, m.file ?? 'leash.json');
      if (m.content !== undefined) writeFileSync(file, m.content);
      args = ['--config', file];
    }
    const r = await runLeash(args);
    expect(r.code).toBe(2);
    expect(r.spawned).toBe(false);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines).toHaveLength(1);
    if (file) expect(lines[0]).toContain(file);
    for (const re of m.expect) expect(lines[0]).toMatch(re);
  });
});
