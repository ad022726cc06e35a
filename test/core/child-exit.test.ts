// CONTRACT §8 (the child process): what the core says when the child exits unexpectedly.

import { describe, expect, it } from 'vitest';
import { ERR } from '../../src/core/session.js';
import { Link, call, cancel, note, ok, policy, progress, req, requestsOf, responsesOf } from './link.js';

describe('§8 child exit', () => {
  it('every in-flight and queued request gets -32000 naming the exit code and stderr tail, then an exit with the code', () => {
    const l = new Link(policy({ maxConcurrency: 1, defaults: { heartbeatMs: 1000 } }));
    l.client(call('run', 'a', 'tok')).client(call('wait', 'b', 'tok2')).client(req(0, 'tools/list')).advance(500).take();
    l.childExit({ code: 3, stderrTail: ['Traceback (most recent call last):', 'ValueError: boom'] });
    const out = l.take().map((s) => s.out);
    const sends = out.filter((o) => o.type === 'send');
    expect(sends.every((o) => o.type === 'send' && o.to === 'client')).toBe(true);
    const resps = responsesOf(sends.map((o) => (o.type === 'send' ? o.msg : {})));
    expect(resps.map((m) => m.id).sort()).toStrictEqual([0, 'run', 'wait'].sort());
    for (const r of resps) {
      const err = r.error as { code: number; message: string; data: { exitCode: number; stderr: string[] } };
      expect(err.code).toBe(ERR.serverExited);
      expect(err.message).toContain('code 3');
      expect(err.message).toContain('ValueError: boom');
      expect(err.data.exitCode).toBe(3);
      expect(err.data.stderr).toStrictEqual(['Traceback (most recent call last):', 'ValueError: boom']);
    }
    const stopAt = out.findIndex((o) => o.type === 'exit');
    expect(out[stopAt]).toMatchObject({ type: 'exit', code: 3 });
    expect(out.slice(stopAt + 1).filter((o) => o.type !== 'log')).toStrictEqual([]);
    expect(out.findLastIndex((o) => o.type === 'send')).toBeLessThan(stopAt);
    // The queued request was not started on the dead child; no timers are left.
    expect(requestsOf(l.toChild)).toHaveLength(1);
    expect(l.session.inFlight).toBe(0);
    expect(l.session.nextDeadline()).toBeUndefined();
    l.advance(60_000);
    expect(l.take()).toStrictEqual([]);
  });

  it('a signal death names the signal and stops with 128+N', () => {
    const l = new Link();
    l.client(call(1, 'a')).childExit({ code: null, signal: 'SIGKILL', signalNumber: 9, stderrTail: [] });
    const [resp] = responsesOf(l.toClient);
    expect((resp!.error as { message: string }).message).toContain('SIGKILL');
    expect(l.stops).toMatchObject([{ type: 'exit', code: 137 }]);
  });

  it('an exit with nothing in flight still stops with the child code', () => {
    const l = new Link();
    l.childExit({ code: 0 });
    expect(l.toClient).toStrictEqual([]);
    expect(l.stops).toMatchObject([{ code: 0 }]);
  });

  it('requests after the exit get -32000 at once and reach nobody else', () => {
    const l = new Link();
    l.childExit({ code: 1 }).take();
    l.client(call('late', 'a', 'tok')).client(req(2, 'initialize', {})).client(req(3, 'ping'));
    expect(responsesOf(l.toClient)).toMatchObject([
      { id: 'late', error: { code: -32000 } },
      { id: 2, error: { code: -32000 } },
      { id: 3, error: { code: -32000 } },
    ]);
    expect(l.toChild).toStrictEqual([]);
    expect(l.session.inFlight).toBe(0);
    expect(l.session.nextDeadline()).toBeUndefined();
  });

  it('after the exit nothing is written to the child: notifications, cancels, answers', () => {
    const l = new Link();
    l.child(req('s', 'roots/list'));
    const [up] = requestsOf(l.toClient);
    l.client(call(1, 'a')).childExit({ code: 2 }).take();
    l.client(note('notifications/initialized')).client(cancel(1)).client(ok(up!.id as number, { roots: [] }));
    expect(l.takeTo('child')).toStrictEqual([]);
    expect(l.session.inFlight).toBe(0);
  });

  it('a second exit report is ignored (one stop only)', () => {
    const l = new Link();
    l.client(call(1, 'a')).childExit({ code: 2 }).childExit({ code: 5 });
    expect(l.stops).toHaveLength(1);
    expect(responsesOf(l.toClient)).toHaveLength(1);
  });

  it('late frames from a dead child are not forwarded as answers', () => {
    const l = new Link();
    l.client(call(1, 'a', 'tok')).childExit({ code: 2 }).take();
    l.child(ok(1, {})).child(progress(1, 1));
    expect(l.takeTo('client')).toStrictEqual([]);
  });
});
