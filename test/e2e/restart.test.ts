// §8 The child process, restart and health parts (issue 5): a crashed child is restarted with the
// client's own initialize replayed and its answer kept from the client; a hung child is found by
// health pings, killed and restarted; a crash loop hits the cap and stops. mcp-leash's own
// requests (pings, replayed initialize) and their answers never reach the client.
//
// Fixtures append to one log across restarts; its start events (pid, life) tell the processes
// apart.

import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NODE, ROOT, cleanupProcesses, isResponseTo, startRawProxy, trackGroup, type Json, type LineClient, configFile, toolCall as call, finish } from '../helpers/proxy.js';
import { fixtureEvents, isAlive, readFixtureLog, receivedMessages, tmpFile, waitFor, waitForStart, within } from '../helpers/procs.js';

afterEach(() => cleanupProcesses());

const FRAGILE = join(ROOT, 'test/fixtures/fragile-server.mjs');

/** Responses the client got (no method; a result or an error), as their ids in arrival order. */
const responseIds = (c: LineClient) =>
  c.messages()
    .filter((m) => m && typeof m === 'object' && !('method' in m) && ('result' in m || 'error' in m))
    .map((m) => m.id);

/** Anything mcp-leash sent on its own account that leaked to the client. */
const ownLeaks = (c: LineClient) =>
  c.messages().filter((m) => (typeof m?.id === 'string' && m.id.startsWith('mcp-leash:')) || m?.method === 'ping');

/** The fixture log split per process: the entries after each start event. */
function lives(log: string): { start: Json; entries: Json[] }[] {
  const out: { start: Json; entries: Json[] }[] = [];
  for (const e of readFixtureLog(log)) {
    if (e.event === 'start') out.push({ start: e, entries: [] });
    else out[out.length - 1]?.entries.push(e);
  }
  return out;
}
const messagesOf = (entries: Json[]) => entries.filter((e) => e.jsonrpc !== undefined);

function trackStarts(log: string) {
  for (const s of fixtureEvents(log, 'start')) if (typeof s.pgid === 'number') trackGroup(s.pgid);
}

describe('§8 restart and health checks (issue 5)', () => {
  it('§8 restart (issue 5): a child that crashes on its third call: one -32000, the next call succeeds on a new child that got the client\'s own initialize replayed; the client never sees the replay', async () => {
    const log = tmpFile('fixture.jsonl');
    const cfg = configFile({ restart: { policy: 'on-failure', initialBackoff: '100ms' } });
    const c = startRawProxy({ leashArgs: ['--config', cfg], fixtureArgs: ['--crash-on-call', '3', '--log', log] });
    const initParams = {
      protocolVersion: '2025-06-18',
      capabilities: { roots: { listChanged: true }, sampling: {}, experimental: { 'e2e.example/flag': { n: 1 } } },
      clientInfo: { name: 'restart-e2e', version: '4.5.6', title: 'Restart test client' },
    };
    const init = await c.request('initialize', initParams, 'init-1');
    expect(init.result.serverInfo.name).toBe('legacy-server');
    c.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    const first = await waitForStart(log);
    trackGroup(first.pgid);

    expect((await c.request('tools/call', { name: 'echo', arguments: { text: 'one' } }, 'c1')).result.content[0].text).toBe('one');
    expect((await c.request('tools/call', { name: 'echo', arguments: { text: 'two' } }, 'c2')).result.content[0].text).toBe('two');
    const crashed = await c.request('tools/call', { name: 'echo', arguments: { text: 'three' } }, 'c3');
    expect(crashed.error.code).toBe(-32000);
    expect(crashed.error.message).toMatch(/^MCP server exited with code 3/);
    expect(crashed.error.message).toContain('fatal: crashed on call 3');
    // No new initialize from the client: the next call simply works, on a new child.
    const after = await c.request('tools/call', { name: 'echo', arguments: { text: 'four' } }, 'c4');
    expect(after.error).toBeUndefined();
    expect(after.result.content[0].text).toBe('four');
    await c.barrier();
    trackStarts(log);

    const [one, two, more] = lives(log);
    expect(more).toBeUndefined();
    expect(two, 'a second process should have started').toBeDefined();
    expect(two!.start.pid).not.toBe(one!.start.pid);
    expect(two!.start.ppid).toBe(c.pid); // restarted by this mcp-leash
    expect(isAlive(one!.start.pid)).toBe(false);
    // The new child got the client's initialize, parameters exactly as the client sent them, under
    // an id of mcp-leash's own, then notifications/initialized, then the call.
    // (The client's barrier ping is forwarded too; it is the client's own, not part of the replay.)
    const got = messagesOf(two!.entries).filter((m) => m.method !== 'ping');
    expect(got.map((m) => m.method)).toEqual(['initialize', 'notifications/initialized', 'tools/call']);
    expect(got[0]!.params).toEqual(initParams);
    expect(got[0]!.params.protocolVersion).toBe(initParams.protocolVersion);
    expect(got[0]!.params.capabilities).toEqual(initParams.capabilities);
    expect(got[0]!.params.clientInfo).toEqual(initParams.clientInfo);
    expect(String(got[0]!.id)).toMatch(/^mcp-leash:/);
    expect(got[2]!.params.arguments).toEqual({ text: 'four' });
    // The client saw one answer per request of its own, and nothing of the replay.
    expect(responseIds(c)).toEqual(['init-1', 'c1', 'c2', 'c3', 'c4', 'barrier-1']);
    expect(c.messages().filter((m) => m?.error !== undefined).map((m) => m.id)).toEqual(['c3']);
    expect(c.messages().filter((m) => m?.result?.serverInfo !== undefined)).toHaveLength(1);
    expect(ownLeaks(c)).toEqual([]);
    await finish(c);
  });

  it('§7/§8 restart (issue 5): requests still queued when the child crashes wait for the new child; one cancelled meanwhile never reaches it', async () => {
    const log = tmpFile('fragile.jsonl');
    const cfg = configFile({ maxConcurrency: 1, restart: { policy: 'on-failure', initialBackoff: '300ms' } });
    const c = startRawProxy({ leashArgs: ['--config', cfg], child: [NODE, FRAGILE, '--crash-on-call', '1', '--first-life-only', '--log', log] });
    await c.initialize();
    c.send(call('a', 'echo', { text: 'crashes', tag: 'a' }));
    c.send(call('b', 'sleep', { ms: 200, tag: 'b' }));
    c.send(call('c', 'echo', { text: 'cancelled', tag: 'c' }));
    c.send(call('d', 'echo', { text: 'd ran', tag: 'd' }));
    const a = await c.next(isResponseTo('a'), 10_000, 'the crashed call to fail');
    expect(a.error.code).toBe(-32000);
    c.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'c', reason: 'no longer needed' } });
    expect((await c.next(isResponseTo('b'), 10_000, 'b on the new child')).result.content[0].text).toBe('slept 200ms');
    expect((await c.next(isResponseTo('d'), 10_000, 'd on the new child')).result.content[0].text).toBe('d ran');
    await c.barrier();
    trackStarts(log);
    const [one, two] = lives(log);
    expect(messagesOf(one!.entries).filter((m) => m.method === 'tools/call').map((m) => m.params.arguments.tag)).toEqual(['a']);
    expect(messagesOf(two!.entries).filter((m) => m.method === 'tools/call').map((m) => m.params.arguments.tag)).toEqual(['b', 'd']);
    expect(responseIds(c).filter((id) => id === 'c')).toEqual([]);
    await finish(c);
  });

  // Regression: an initialize the dead child never answered used to be replayed to the new child,
  // which then got the client's own retry too (initialize twice in one session).
  it('§8 restart (issue 5): a child that dies before answering the first initialize: the restarted child gets exactly one initialize', async () => {
    const log = tmpFile('fragile.jsonl');
    const cfg = configFile({ restart: { policy: 'on-failure', initialBackoff: '100ms' } });
    const c = startRawProxy({ leashArgs: ['--config', cfg], child: [NODE, FRAGILE, '--exit-at-start', '4', '--first-life-only', '--log', log] });
    const params = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'early', version: '1' } };
    const first = await c.request('initialize', params, 'i1');
    if (first.error) {
      // The child died with the initialize in flight: the client starts over, as a host would.
      expect(first.error.code).toBe(-32000);
      const retry = await c.request('initialize', params, 'i2');
      expect(retry.result.serverInfo.name).toBe('fragile-server');
    }
    c.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    expect((await c.request('tools/call', { name: 'echo', arguments: { text: 'ok' } }, 'x')).result.content[0].text).toBe('ok');
    trackStarts(log);
    const [, two] = lives(log);
    expect(messagesOf(two!.entries).filter((m) => m.method === 'initialize').length).toBe(1);
    await finish(c);
  });

  it('§8 health check (issue 5): a child that stops reading stdin is found by pings within interval x (misses+1), killed, and restarted; pings never reach the client', async () => {
    const log = tmpFile('fragile.jsonl');
    const interval = 300;
    const misses = 2;
    const cfg = configFile({
      restart: { policy: 'on-failure', initialBackoff: '100ms' },
      healthCheck: { interval: `${interval}ms`, misses },
    });
    const c = startRawProxy({ leashArgs: ['--config', cfg], child: [NODE, FRAGILE, '--hang-on-call', '1', '--first-life-only', '--log', log] });
    await c.initialize();
    const first = await waitForStart(log);
    trackGroup(first.pgid);
    c.send(call('stuck', 'echo', { text: 'never answered' }));
    const hang = await waitFor(() => fixtureEvents(log, 'hang')[0], 10_000, 'the child to hang');
    const answer = await c.next(isResponseTo('stuck'), 10_000, 'the hung call to be failed');
    const detectedAfter = Date.now() - hang.t;
    expect(answer.error.code).toBe(-32000);
    // The first ping after the hang goes out within one interval, and `misses` intervals after it
    // the child counts as hung: so between misses x interval and (misses + 1) x interval (+ slack).
    expect(detectedAfter).toBeLessThan(interval * (misses + 1) + 1_000);
    expect(detectedAfter).toBeGreaterThanOrEqual(interval * misses - 150); // less the time a ping takes to arrive
    await waitFor(() => !isAlive(first.pid), 5_000, 'the hung child to be gone');
    const second = await waitFor(() => fixtureEvents(log, 'start')[1], 10_000, 'a new child to start');
    trackGroup(second.pgid);
    expect(second.pid).not.toBe(first.pid);
    expect(second.life).toBe(2);
    const r = await c.request('tools/call', { name: 'pid', arguments: {} }, 'after');
    expect(JSON.parse(r.result.content[0].text)).toEqual({ pid: second.pid, life: 2 });
    expect(c.stderr()).toMatch(/health pings/);
    expect(ownLeaks(c)).toEqual([]);
    await finish(c);
  });

  it('§8 health check (issue 5): a child that reads but never answers is killed after exactly `misses` unanswered pings, misses x interval after the first', async () => {
    const log = tmpFile('fragile.jsonl');
    const interval = 300;
    const misses = 2;
    const cfg = configFile({
      restart: { policy: 'on-failure', initialBackoff: '100ms' },
      healthCheck: { interval: `${interval}ms`, misses },
    });
    const c = startRawProxy({ leashArgs: ['--config', cfg], child: [NODE, FRAGILE, '--mute-on-call', '1', '--first-life-only', '--log', log] });
    await c.initialize();
    const first = await waitForStart(log);
    trackGroup(first.pgid);
    c.send(call('muted', 'echo', { text: 'never answered' }));
    const answer = await c.next(isResponseTo('muted'), 10_000, 'the muted call to be failed');
    const answeredAt = Date.now();
    expect(answer.error.code).toBe(-32000);
    const second = await waitFor(() => fixtureEvents(log, 'start')[1], 10_000, 'a new child to start');
    trackGroup(second.pgid);
    // What the muted child read and left unanswered: the pings, `misses` of them, then it was killed.
    const unanswered = lives(log)[0]!.entries.filter((e) => e.event === 'unanswered');
    expect(unanswered.map((e) => e.method)).toEqual(Array(misses).fill('ping'));
    for (const e of unanswered) expect(String(e.id)).toMatch(/^mcp-leash:ping:/);
    const sinceFirstMiss = answeredAt - unanswered[0]!.t;
    expect(sinceFirstMiss).toBeGreaterThanOrEqual(interval * misses - 150); // less the time a ping takes to arrive
    expect(sinceFirstMiss).toBeLessThan(interval * misses + 1_000);
    expect(isAlive(first.pid)).toBe(false);
    expect((await c.request('tools/call', { name: 'echo', arguments: { text: 'back' } }, 'after')).result.content[0].text).toBe('back');
    expect(ownLeaks(c)).toEqual([]);
    await finish(c);
  });

  it('§8 health check (issue 5): a busy child that answers pings is left alone; pings and their answers never reach the client', async () => {
    const log = tmpFile('fixture.jsonl');
    const cfg = configFile({ healthCheck: { interval: '100ms', misses: 2 } });
    const c = startRawProxy({ leashArgs: ['--config', cfg], fixtureArgs: ['--log', log] });
    await c.initialize();
    const r = await c.request('tools/call', { name: 'sleep', arguments: { ms: 1_000 } }, 'slow');
    expect(r.result.content[0].text).toBe('slept 1000ms');
    const pings = receivedMessages(log, 'ping');
    expect(pings.length).toBeGreaterThanOrEqual(3); // ~9 in a second; 3 leaves room for a slow machine
    for (const p of pings) expect(String(p.id)).toMatch(/^mcp-leash:/);
    expect(fixtureEvents(log, 'start')).toHaveLength(1);
    expect(ownLeaks(c)).toEqual([]);
    expect(responseIds(c)).toEqual([expect.stringMatching(/^init-/), 'slow']);
    await finish(c);
  });

  it('§8 restart cap (issue 5): a child that crashes on every call is restarted maxRestarts times, then every request gets -32000 saying mcp-leash stopped restarting it', async () => {
    const log = tmpFile('fixture.jsonl');
    const cfg = configFile({
      restart: { policy: 'on-failure', initialBackoff: '50ms', maxRestarts: 2, window: '1m', onGiveUp: 'error' },
    });
    const c = startRawProxy({ leashArgs: ['--config', cfg], fixtureArgs: ['--crash-on-call', '1', '--log', log] });
    await c.initialize();
    for (let i = 1; i <= 3; i++) {
      const r = await c.request('tools/call', { name: 'echo', arguments: { text: `try ${i}` } }, `crash-${i}`);
      expect(r.error?.code, JSON.stringify(r)).toBe(-32000);
      expect(r.error.message).toMatch(/^MCP server exited with code 3/);
    }
    trackStarts(log);
    const given = await c.request('tools/call', { name: 'echo', arguments: { text: 'after the cap' } }, 'after-cap');
    expect(given.error.code).toBe(-32000);
    expect(given.error.message).toMatch(/mcp-leash stopped restarting it/);
    expect(given.error.message).toContain('code 3');
    // No restart is pending: another request is refused at once, and no new child started.
    const again = await c.request('tools/list', {}, 'list-after-cap');
    expect(again.error.message).toMatch(/mcp-leash stopped restarting it/);
    const starts = fixtureEvents(log, 'start');
    expect(starts).toHaveLength(3); // the first child and two restarts
    // Each restarted child got the replayed initialize.
    expect(lives(log).map((l) => messagesOf(l.entries).filter((m) => m.method === 'initialize').length)).toEqual([1, 1, 1]);
    expect(isAlive(c.pid)).toBe(true); // onGiveUp "error": mcp-leash stays up
    expect(c.stderr()).toMatch(/too many restarts/);
    expect(ownLeaks(c)).toEqual([]);
    await finish(c);
  });

  it('§8 restart cap (issue 5): a child that exits at once on every start hits the cap, and with onGiveUp "exit" mcp-leash exits with the child\'s code', async () => {
    const log = tmpFile('fragile.jsonl');
    const cfg = configFile({
      restart: { policy: 'on-failure', initialBackoff: '50ms', maxRestarts: 2, window: '1m', onGiveUp: 'exit' },
    });
    const c = startRawProxy({ leashArgs: ['--config', cfg], child: [NODE, FRAGILE, '--exit-at-start', '4', '--log', log] });
    const { code } = await within(c.exited, 15_000, 'mcp-leash to give up and exit');
    expect(code).toBe(4);
    const starts = fixtureEvents(log, 'start');
    expect(starts.map((s) => s.life)).toEqual([1, 2, 3]);
    expect(new Set(starts.map((s) => s.pid)).size).toBe(3);
    for (const s of starts) expect(isAlive(s.pid)).toBe(false);
    expect(c.stderr()).toContain('fatal: cannot start (life 3)');
    c.assertCleanStdout();
  });
});
