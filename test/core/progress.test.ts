// CONTRACT §6 (progress), on the core alone with a virtual clock.

import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/core/message.js';
import { ANSWER_GAP_MS, PROGRESS_BURST } from '../../src/core/progress.js';
import { Link, call, cancel, ok, policy, progress, progressOf, responsesOf } from './link.js';

/** Checks the §6 ordering rules on what one client token saw. */
function expectMonotone(ps: JsonObject[]): void {
  let last = -Infinity;
  for (const p of ps) {
    const v = p.progress as number;
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeGreaterThan(last);
    if (p.total !== undefined) expect(v).toBeLessThanOrEqual(p.total as number);
    last = v;
  }
}

describe('§6 progress: tokens', () => {
  it("the child sees mcp-leash's own token (its child id); other _meta fields are kept", () => {
    const l = new Link();
    l.client(call('a', 't', 'client-token')).client({
      jsonrpc: '2.0',
      id: 'b',
      method: 'tools/call',
      params: { name: 't', _meta: { progressToken: 77, 'vendor/trace': 'abc' } },
    });
    expect(l.toChild.map((m) => (m.params as { _meta: unknown })._meta)).toStrictEqual([
      { progressToken: 1 },
      { progressToken: 2, 'vendor/trace': 'abc' },
    ]);
  });

  for (const token of ['tok-A', 42, 0, '', '1'] as const) {
    it(`maps child progress back to the client's exact token: ${JSON.stringify(token)}`, () => {
      const l = new Link();
      l.client(call(1, 't', token)).advance(50);
      l.child(progress(1, 3, 10, 'three of ten'));
      expect(progressOf(l.toClient)).toStrictEqual([{ progressToken: token, progress: 3, total: 10, message: 'three of ten' }]);
    });
  }

  it('keeps unknown fields of child progress (e.g. _meta)', () => {
    const l = new Link();
    l.client(call(1, 't', 'x')).child({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 1, _meta: { a: 1 } } });
    expect(progressOf(l.toClient)).toStrictEqual([{ progressToken: 'x', progress: 1, _meta: { a: 1 } }]);
  });

  it('drops child progress with a token it never gave out', () => {
    const l = new Link();
    l.client(call(1, 't', 'x')).child(progress('1', 1)).child(progress(2, 1)).child(progress('x', 1));
    expect(l.toClient).toStrictEqual([]);
  });

  it('without a client token: no progress at all, neither heartbeats nor child progress', () => {
    const l = new Link(policy({ defaults: { heartbeatMs: 1000 } }));
    l.client(call(1, 't'));
    expect((l.toChild[0]!.params as JsonObject)._meta).toBeUndefined();
    l.advance(5000).child(progress(1, 1)).advance(5000);
    expect(l.toClient).toStrictEqual([]);
  });

  it('without a client token but with an idle rule, the child progress is still not forwarded', () => {
    const l = new Link(policy({ rules: [{ tool: 't', idleTimeoutMs: 60_000 }] }));
    l.client(call(1, 't')).advance(1000).child(progress(1, 1, 2, 'm')).advance(1000);
    expect(l.toClient).toStrictEqual([]);
  });
});

describe('§6 progress: heartbeats', () => {
  it('every heartbeatMs while the child is silent, saying it is mcp-leash and naming the tool', () => {
    const l = new Link(policy({ defaults: { heartbeatMs: 10_000 } }));
    l.client(call(1, 'index_repo', 'tok')).advance(35_000);
    const hb = l.sent('client');
    expect(hb.map((s) => s.t)).toStrictEqual([10_000, 20_000, 30_000]);
    for (const s of hb) {
      const p = s.msg.params as JsonObject;
      expect(s.msg.method).toBe('notifications/progress');
      expect(p.progressToken).toBe('tok');
      expect(p.message).toMatch(/^mcp-leash:/);
      expect(p.message).toContain('tool "index_repo"');
      expect(p.total).toBeUndefined();
    }
    expect((hb[2]!.msg.params as JsonObject).message).toContain('30s');
    expectMonotone(hb.map((s) => s.msg.params as JsonObject));
  });

  it('name the method for a request that is not a tool call', () => {
    const l = new Link(policy({ defaults: { heartbeatMs: 1000 } }));
    l.client({ jsonrpc: '2.0', id: 1, method: 'resources/read', params: { uri: 'x', _meta: { progressToken: 't' } } }).advance(1000);
    expect((progressOf(l.toClient)[0]!.message as string)).toMatch(/^mcp-leash: .*"resources\/read"/);
  });

  it('child progress counts as hearing from the request: the next heartbeat is heartbeatMs after it', () => {
    const l = new Link(policy({ defaults: { heartbeatMs: 10_000 } }));
    l.client(call(1, 'index_repo', 'tok')).advance(12_000).child(progress(1, 5, 100)).advance(20_000);
    const sent = l.sent('client');
    expect(sent.map((s) => s.t)).toStrictEqual([10_000, 12_000, 22_000, 32_000]);
    const ps = sent.map((s) => s.msg.params as JsonObject);
    expectMonotone(ps);
    // Heartbeats echo the total the child gave, so a progress bar does not jump.
    expect(ps[2]!.total).toBe(100);
    expect(ps[2]!.message).toMatch(/^mcp-leash: .*last progress from server 10s ago/);
  });

  it('stop with the response and leave no deadline behind', () => {
    const l = new Link(policy({ defaults: { heartbeatMs: 1000 } }));
    l.client(call(1, 't', 'tok')).advance(3500).child(ok(1, {})).advance(10_000);
    expect(progressOf(l.toClient)).toHaveLength(3);
    expect(l.toClient.at(-1)).toStrictEqual({ jsonrpc: '2.0', id: 1, result: {} });
    expect(l.session.nextDeadline()).toBeUndefined();
  });

  it('stop at a timeout: nothing after the timeout response', () => {
    const l = new Link(policy({ defaults: { heartbeatMs: 1000 }, rules: [{ tool: 't', totalTimeoutMs: 3000 }] }));
    l.client(call(1, 't', 'tok')).advance(10_000);
    const sent = l.sent('client');
    expect(sent.map((s) => [s.t, s.msg.method ?? 'response'])).toStrictEqual([
      [1000, 'notifications/progress'],
      [2000, 'notifications/progress'],
      [3000, 'response'],
    ]);
  });

  it('with heartbeats off (heartbeatMs 0) none are synthesized', () => {
    const l = new Link(policy({ defaults: { heartbeatMs: 0 } }));
    l.client(call(1, 't', 'tok')).advance(3_600_000);
    expect(l.toClient).toStrictEqual([]);
  });

  // Regression (found by this suite, fixed in the core): progress state was only created when
  // heartbeats were on, so the child's own progress was dropped with heartbeats off. CONTRACT §6: mcp-leash maps the child's notifications back to the client's token.
  it('with heartbeats off (heartbeatMs 0) the child progress still reaches the client', () => {
    const l = new Link(policy({ defaults: { heartbeatMs: 0 } }));
    l.client(call(1, 't', 'tok')).advance(1000).child(progress(1, 1, 2, 'half'));
    expect(progressOf(l.toClient)).toStrictEqual([{ progressToken: 'tok', progress: 1, total: 2, message: 'half' }]);
  });

  // Regression (found by this suite, fixed in the core): once the child had sent a total, then a
  // value above it without a total, heartbeats stopped for good: ProgressState.total keeps the old total, so heartbeatParams
  // finds no room under it and #wake "stays quiet". CONTRACT §6: the client hears about the
  // request at least once every heartbeat interval while it is in flight.
  it('keeps heartbeating after the child drops its total and moves past the old one', () => {
    const l = new Link(policy({ defaults: { heartbeatMs: 1000 } }));
    l.client(call(1, 't', 'tok')).child(progress(1, 5, 10)).advance(200).child(progress(1, 20)).take();
    l.advance(5000);
    const ps = progressOf(l.takeTo('client'));
    expect(ps.length).toBeGreaterThanOrEqual(5);
  });

  it('are sent while queued, and then while running', () => {
    const l = new Link(policy({ maxConcurrency: 1, defaults: { heartbeatMs: 1000 } }));
    l.client(call(1, 'busy')).client(call(2, 'wait', 'tok')).advance(1000);
    expect(progressOf(l.toClient)[0]!.message).toMatch(/^mcp-leash: tool "wait" is queued \(position 1\)/);
    l.child(ok(1, {})).advance(1000);
    expect(progressOf(l.toClient)[1]!.message).toMatch(/^mcp-leash: waiting for tool "wait"/);
  });
});

describe('§6 progress: values the client sees', () => {
  const open = () => new Link(policy({ progressIntervalMs: 0, defaults: { heartbeatMs: 1000 } }));

  it('are strictly increasing and never above the total for mixed, decreasing and out-of-range child values', () => {
    const l = open();
    l.client(call(1, 't', 'tok'));
    const script: Array<[number, number?]> = [
      [5], [3], [3], [7, 10], [12, 10], [10, 10], [9, 10], [-1], [1e300], [1e300, 1e300], [2, 1], [50, 100], [-1e308, 5],
      [0.1], [0.1 + 1e-17], [100, 100], [100.5],
    ];
    for (const [v, total] of script) l.child(progress(1, v, total)).advance(300);
    const ps = progressOf(l.toClient);
    expect(ps.length).toBeGreaterThan(3);
    expectMonotone(ps);
  });

  it('drop child values that are not numbers', () => {
    const l = open();
    l.client(call(1, 't', 'tok'));
    l.child({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: '5' } });
    l.child({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1 } });
    l.child({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: null, total: 3 } });
    expect(l.toClient).toStrictEqual([]);
  });

  it('keep the message of a child value that had to be nudged up', () => {
    const l = open();
    l.client(call(1, 't', 'tok')).child(progress(1, 5, undefined, 'a')).child(progress(1, 4, undefined, 'b'));
    const ps = progressOf(l.toClient);
    expect(ps.map((p) => p.message)).toStrictEqual(['a', 'b']);
    expectMonotone(ps);
  });

  it('nothing after the response, even progress the child sends late', () => {
    const l = open();
    l.client(call(1, 't', 'tok')).child(progress(1, 1)).child(ok(1, {})).take();
    l.child(progress(1, 2)).advance(10_000);
    expect(l.take().filter((s) => s.out.type === 'send')).toStrictEqual([]);
  });

  it('nothing after a cancellation', () => {
    const l = open();
    l.client(call(1, 't', 'tok')).child(progress(1, 1)).client(cancel(1)).take();
    l.child(progress(1, 2)).advance(10_000);
    expect(l.takeTo('client')).toStrictEqual([]);
  });

  it('nothing after a timeout', () => {
    const l = new Link(policy({ progressIntervalMs: 0, rules: [{ tool: 't', totalTimeoutMs: 1000 }] }));
    l.client(call(1, 't', 'tok')).advance(1000).take();
    l.child(progress(1, 2)).advance(10_000);
    expect(l.takeTo('client')).toStrictEqual([]);
  });
});

describe('§6 progress: throttle (a token bucket: PROGRESS_BURST at once, then one per progressIntervalMs)', () => {
  const throttled = () => new Link(policy({ progressIntervalMs: 100, defaults: { heartbeatMs: 10_000 } }));
  const sentAt = (l: Link) => l.sent('client').map((s) => [s.t, (s.msg.params as JsonObject).progress, (s.msg.params as JsonObject).message]);

  // Issue 21: the conformance suite's reference server sends 0, 50 and 100 about 50 ms apart; a
  // one-per-interval throttle held the 50 and let the 100 supersede it.
  it("a server's ordinary burst passes untouched: 0, 50 and 100 within 100 ms all arrive when sent", () => {
    const l = throttled();
    l.client(call(1, 't', 'tok')).advance(1000);
    l.child(progress(1, 0, 100, 'a')).advance(50).child(progress(1, 50, 100, 'b')).advance(50).child(progress(1, 100, 100, 'c'));
    expect(sentAt(l)).toStrictEqual([
      [1000, 0, 'a'],
      [1050, 50, 'b'],
      [1100, 100, 'c'],
    ]);
  });

  it('a flood within one interval: the first PROGRESS_BURST at once, then only the newest value and message when a token is back', () => {
    const l = throttled();
    l.client(call(1, 't', 'tok')).advance(1000);
    for (let i = 1; i <= 50; i++) {
      l.child(progress(1, i, 100, `step ${i}`));
      l.advance(1);
    }
    l.advance(500);
    const burst = Array.from({ length: PROGRESS_BURST }, (_, i) => [1000 + i, i + 1, `step ${i + 1}`]);
    expect(sentAt(l)).toStrictEqual([...burst, [1100, 50, 'step 50']]);
  });

  it('the bucket refills at one token per progressIntervalMs, up to PROGRESS_BURST', () => {
    const l = throttled();
    l.client(call(1, 't', 'tok')).advance(1000);
    for (let i = 1; i <= PROGRESS_BURST; i++) l.child(progress(1, i, 100, `a${i}`)).advance(1);
    // 250 ms after the bucket was emptied: two tokens and a half.
    l.advanceTo(1000 + PROGRESS_BURST - 1 + 250);
    for (let i = 1; i <= 4; i++) l.child(progress(1, 10 + i, 100, `b${i}`)).advance(1);
    l.advance(1000);
    const b = sentAt(l).filter(([, , m]) => String(m).startsWith('b'));
    expect(b.map(([, , m]) => m)).toStrictEqual(['b1', 'b2', 'b4']);
    // After a long quiet spell the bucket is full again: a whole burst passes at once.
    l.advance(10_000).take();
    for (let i = 1; i <= PROGRESS_BURST + 1; i++) l.child(progress(1, 20 + i, 100, `c${i}`));
    expect(progressOf(l.takeTo('client'))).toHaveLength(PROGRESS_BURST);
  });

  it('a long flood: never more than PROGRESS_BURST + w / progressIntervalMs forwards in any window of w ms, each the newest state at its time', () => {
    const l = throttled();
    l.client(call(1, 't', 'tok')).take();
    let newest: number | undefined;
    const check = () => {
      for (const p of progressOf(l.takeTo('client'))) {
        expect(p.progress).toBe(newest);
        expect(p.message).toBe(`at ${newest}`);
      }
    };
    for (let t = 0; t < 1000; t += 7) {
      l.advanceTo(t);
      check(); // a timer-driven forward carries the newest value fed before it
      l.child(progress(1, t, 2000, `at ${t}`));
      newest = t;
      check(); // a direct forward carries the value just fed
    }
    l.advance(1000);
    check();
    const sent = l.sent('client');
    for (let i = 0; i < sent.length; i++) {
      for (let j = i; j < sent.length; j++) expect(j - i + 1).toBeLessThanOrEqual(PROGRESS_BURST + (sent[j]!.t - sent[i]!.t) / 100);
    }
    // 143 updates in a second: the burst, then about one per 100 ms.
    expect(sent.length).toBeGreaterThanOrEqual(PROGRESS_BURST + 9);
    expect(sent.length).toBeLessThanOrEqual(PROGRESS_BURST + 11);
    expect((sent.at(-1)!.msg.params as JsonObject).progress).toBe(994);
    expectMonotone(sent.map((s) => s.msg.params as JsonObject));
  });

  it('flushes the newest held-back progress before the response', () => {
    const l = throttled();
    l.client(call(1, 't', 'tok')).advance(1000);
    for (let i = 1; i <= PROGRESS_BURST + 3; i++) l.child(progress(1, i, 10, `step ${i}`)).advance(1);
    l.child(ok(1, { content: [] }));
    const out = l.sent('client').map((s) => [s.t, s.msg.method ?? s.msg.id, (s.msg.params as JsonObject | undefined)?.message]);
    const at = 1000 + PROGRESS_BURST + 3;
    expect(out.slice(PROGRESS_BURST)).toStrictEqual([
      [at, 'notifications/progress', `step ${PROGRESS_BURST + 3}`],
      [at, 1, undefined],
    ]);
  });

  // Regression (found by this suite, fixed in the core): when heartbeatMs < progressIntervalMs (e.g. `--heartbeat 50ms` with the
  // default 100ms throttle), a held-back child progress is never delivered while the request runs:
  // each heartbeat resets ProgressState.lastSentAt, so the throttle's due time
  // (lastSentAt + progressIntervalMs) moves forward forever and #wake keeps sending synthesized
  // heartbeats instead. CONTRACT §6: the newest state is delivered, never a stale one.
  it('delivers held-back child progress even when heartbeats are more frequent than the throttle', () => {
    const l = new Link(policy({ progressIntervalMs: 100, defaults: { heartbeatMs: 50 } }));
    l.client(call(1, 't', 'tok'));
    for (let i = 1; i <= PROGRESS_BURST; i++) l.child(progress(1, i, 100, `burst ${i}`));
    l.advance(10).child(progress(1, 50, 100, 'fifty'));
    l.advance(1000);
    const ps = progressOf(l.toClient);
    expect(ps.map((p) => p.message)).toContain('fifty');
  });

  it('drops held-back progress on cancellation', () => {
    const l = throttled();
    l.client(call(1, 't', 'tok'));
    for (let i = 1; i <= PROGRESS_BURST + 1; i++) l.child(progress(1, i)).advance(1);
    l.client(cancel(1)).advance(1000);
    expect(progressOf(l.toClient).map((p) => p.progress)).toStrictEqual(Array.from({ length: PROGRESS_BURST }, (_, i) => i + 1));
    expect(responsesOf(l.toClient)).toStrictEqual([]);
  });
});

// Issue 21, part B: SDK clients drop a progress notification they read in the same chunk as the
// answer (the notification handler runs a microtask later, the answer retires it at once). The
// core asks the shell to keep the answer ANSWER_GAP_MS behind the last progress of its call.
describe('§6 progress: the answer keeps its distance from the last progress', () => {
  const gapsAndSends = (l: Link) =>
    l.take().flatMap((s) => (s.out.type === 'client-gap' ? [[s.t, 'gap', s.out.ms]] : s.out.type === 'send' && s.out.to === 'client' ? [[s.t, s.out.msg.method ?? 'answer']] : []));

  it('an answer right behind a progress: the progress, a client-gap, then the answer', () => {
    const l = new Link(policy({ defaults: { heartbeatMs: 10_000 } }));
    l.client(call(1, 't', 'tok')).advance(1000).take();
    l.child(progress(1, 1, 3)).advance(5).child(ok(1, {}));
    expect(gapsAndSends(l)).toStrictEqual([
      [1000, 'notifications/progress'],
      [1005, 'gap', ANSWER_GAP_MS - 5],
      [1005, 'answer'],
    ]);
  });

  it('a held-back update flushed by the answer gets the whole gap', () => {
    const l = new Link(policy({ progressIntervalMs: 100, defaults: { heartbeatMs: 10_000 } }));
    l.client(call(1, 't', 'tok')).advance(1000);
    for (let i = 1; i <= PROGRESS_BURST + 1; i++) l.child(progress(1, i));
    l.take();
    l.advance(3).child(ok(1, {}));
    expect(gapsAndSends(l)).toStrictEqual([
      [1003, 'notifications/progress'],
      [1003, 'gap', ANSWER_GAP_MS],
      [1003, 'answer'],
    ]);
  });

  it('a heartbeat counts too: the client may read it with the answer just the same', () => {
    const l = new Link(policy({ defaults: { heartbeatMs: 1000 } }));
    l.client(call(1, 't', 'tok')).advance(1001).take();
    l.child(ok(1, {}));
    expect(gapsAndSends(l)).toStrictEqual([
      [1001, 'gap', ANSWER_GAP_MS - 1],
      [1001, 'answer'],
    ]);
  });

  it('no gap when the last progress is ANSWER_GAP_MS old or more, or there was none', () => {
    const l = new Link(policy({ defaults: { heartbeatMs: 0 } }));
    l.client(call(1, 't', 'tok')).child(progress(1, 1)).advance(ANSWER_GAP_MS).take();
    l.child(ok(1, {}));
    l.client(call(2, 't', 'tok2')).advance(1).child(ok(2, {})).client(call(3, 't')).child(progress(3, 1)).child(ok(3, {}));
    expect(l.take().filter((s) => s.out.type === 'client-gap')).toStrictEqual([]);
  });
});
