// CONTRACT §8 (the child process): the run's end is decided by the core. Client EOF and signals
// are core inputs; the shutdown ladder (close stdin, SIGTERM, SIGKILL) runs on core timers; the
// exit code is the core's last output.

import { describe, expect, it } from 'vitest';
import { Link, call, policy } from './link.js';

const kinds = (l: Link) => l.take().map((s) => (s.out.type === 'signal-child' ? `signal-child:${s.out.signal}` : s.out.type)).filter((k) => k !== 'log');
const grace = { shutdown: { stdinGraceMs: 2000, termGraceMs: 2000 } };

describe('§8 shutdown ladder', () => {
  it('client EOF: stdin closed; a child that leaves by itself gives its own exit code', () => {
    const l = new Link(policy(grace));
    l.eof();
    expect(kinds(l)).toStrictEqual(['close-child-stdin']);
    l.advance(500).childExit({ code: 3 });
    expect(l.stops).toMatchObject([{ type: 'exit', code: 3 }]);
  });

  it('client EOF: a child that ignores stdin gets SIGTERM after stdinGrace, SIGKILL after termGrace; exit 0', () => {
    const l = new Link(policy(grace));
    l.eof();
    l.advance(1999);
    expect(kinds(l)).toStrictEqual(['close-child-stdin']);
    l.advance(1);
    expect(kinds(l)).toStrictEqual(['signal-child:SIGTERM']);
    l.advance(2000);
    expect(kinds(l)).toStrictEqual(['signal-child:SIGKILL']);
    l.childExit({ code: null, signal: 'SIGKILL', signalNumber: 9 });
    expect(l.stops).toMatchObject([{ type: 'exit', code: 0, graceMs: 2000 }]);
    expect(l.session.nextDeadline()).toBeUndefined();
  });

  it('a signal: short waits, and exit 128+N once the child is made to stop', () => {
    const l = new Link(policy(grace));
    l.signal('SIGTERM', 15);
    l.advance(499);
    expect(kinds(l)).toStrictEqual(['close-child-stdin']);
    l.advance(1);
    expect(kinds(l)).toStrictEqual(['signal-child:SIGTERM']);
    l.childExit({ code: null, signal: 'SIGTERM', signalNumber: 15 });
    expect(l.stops).toMatchObject([{ type: 'exit', code: 143, graceMs: 1000 }]);
  });

  it('a signal while the ladder runs hurries it to the next rung at once', () => {
    const l = new Link(policy(grace));
    l.eof();
    l.advance(100).take();
    l.signal('SIGTERM', 15);
    expect(kinds(l)).toStrictEqual(['signal-child:SIGTERM']);
    l.signal('SIGINT', 2);
    expect(kinds(l)).toStrictEqual(['signal-child:SIGKILL']);
  });

  it('calls in flight at EOF get nothing more (the client is gone), and the child exit fails none', () => {
    const l = new Link(policy(grace));
    l.client(call(1, 'a')).take();
    l.eof().childExit({ code: 0 });
    expect(l.take().filter((s) => s.out.type === 'send')).toStrictEqual([]);
    expect(l.stops).toMatchObject([{ code: 0 }]);
  });

  it('a request during the ladder is refused at once (no child will answer)', () => {
    const l = new Link(policy(grace));
    l.signal('SIGTERM', 15);
    l.client(call(7, 'a'));
    expect(l.toClient).toMatchObject([{ id: 7, error: { code: -32000 } }]);
    expect(l.toChild).toStrictEqual([]);
  });

  it('EOF after the child is gone for good (onGiveUp "error") exits 0 at once', () => {
    const l = new Link(policy({ restart: { ...policy().restart, policy: 'on-failure', maxRestarts: 0, onGiveUp: 'error' } }));
    l.childExit({ code: 1 });
    expect(l.stops).toStrictEqual([]);
    l.eof();
    expect(l.stops).toMatchObject([{ type: 'exit', code: 0 }]);
  });

  it('EOF while a restart is being spawned: the new child gets the ladder once it runs', () => {
    const l = new Link(policy({ restart: { ...policy().restart, policy: 'on-failure', initialBackoffMs: 100 } }));
    l.childExit({ code: 1 }).advance(100);
    expect(l.outputs.filter((s) => s.out.type === 'spawn')).toHaveLength(1);
    l.take();
    l.eof();
    expect(kinds(l)).toStrictEqual([]);
    l.childStarted();
    expect(kinds(l)).toStrictEqual(['close-child-stdin']);
  });

  it('nothing follows the exit output', () => {
    const l = new Link(policy(grace));
    l.eof().childExit({ code: 0 }).take();
    l.signal('SIGTERM', 15);
    l.eof();
    l.advance(60_000);
    expect(l.take().filter((s) => s.out.type !== 'log')).toStrictEqual([]);
  });
});
