// CONTRACT §9 (bad input) and §3's id: null rule, on the core alone.

import { describe, expect, it } from 'vitest';
import { ERR } from '../../src/core/session.js';
import { Link, call, ok, responsesOf } from './link.js';

/** The session goes on: a normal request still round-trips. */
function expectAlive(l: Link): void {
  const before = l.toChild.length;
  l.client(call('alive', 't'));
  const fwd = l.toChild[before]!;
  l.child(ok(fwd.id as number, { ok: true }));
  expect(l.toClient.at(-1)).toStrictEqual({ jsonrpc: '2.0', id: 'alive', result: { ok: true } });
}

describe('§9 bad input from the client', () => {
  it('a line that is not JSON gets -32700 with id null, is not forwarded, and the session goes on', () => {
    const l = new Link();
    l.clientLine('{"jsonrpc": "2.0", "id": 1, "method": ');
    expect(l.toClient).toMatchObject([{ jsonrpc: '2.0', id: null, error: { code: ERR.parse } }]);
    expect(l.toChild).toStrictEqual([]);
    expect(l.logs.some((o) => o.level === 'warn')).toBe(true);
    expectAlive(l);
  });

  it('a batch gets one -32600 saying batches are not supported', () => {
    const l = new Link();
    l.clientLine('[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"}]');
    expect(l.toClient).toHaveLength(1);
    expect(l.toClient[0]).toMatchObject({ id: null, error: { code: ERR.invalidRequest, message: expect.stringMatching(/batch/i) } });
    expect(l.toChild).toStrictEqual([]);
    expectAlive(l);
  });

  it('a request with id null gets -32600 and is not forwarded', () => {
    const l = new Link();
    l.clientLine('{"jsonrpc":"2.0","id":null,"method":"tools/call","params":{"name":"t"}}');
    expect(l.toClient).toMatchObject([{ id: null, error: { code: -32600 } }]);
    expect(l.toChild).toStrictEqual([]);
    expectAlive(l);
  });

  for (const line of ['42', 'null', '"a string"', 'true', '{}', '{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}', '{"jsonrpc":"2.0","id":1,"method":7}', '{"jsonrpc":"2.0","id":1,"method":"x","params":5}']) {
    it(`a JSON value that is not a JSON-RPC message gets -32600: ${line}`, () => {
      const l = new Link();
      l.clientLine(line);
      const resps = responsesOf(l.toClient);
      expect(resps).toHaveLength(1);
      expect(resps[0]).toMatchObject({ jsonrpc: '2.0', error: { code: ERR.invalidRequest } });
      expect(l.toChild).toStrictEqual([]);
      expectAlive(l);
    });
  }

  it('keeps the id of an invalid request when it has a usable one', () => {
    const l = new Link();
    l.clientLine('{"jsonrpc":"2.0","id":5,"method":"x","params":"nope"}');
    expect(l.toClient).toMatchObject([{ id: 5, error: { code: -32600 } }]);
  });

  it('an oversize line gets -32600 and is not forwarded', () => {
    const l = new Link();
    l.client({ kind: 'unparsable', problem: 'oversize', detail: 'message of 70000000 bytes exceeds maxMessageBytes (67108864); it was discarded' });
    expect(l.toClient).toMatchObject([{ id: null, error: { code: -32600, message: expect.stringContaining('maxMessageBytes') } }]);
    expect(l.toChild).toStrictEqual([]);
    expectAlive(l);
  });
});

describe('§9 bad input from the child', () => {
  for (const line of ['Server listening on port 8080', '{"half": ', '[1,2,3]', '{}', '42', '{"jsonrpc":"2.0","id":null,"result":{}}']) {
    it(`junk on the child's stdout is a warn log, nothing reaches the client: ${line}`, () => {
      const l = new Link();
      l.client(call(1, 't')).take();
      l.childLine(line);
      const out = l.take().map((s) => s.out);
      expect(out).toHaveLength(1);
      expect(out[0]).toMatchObject({ type: 'log', level: 'warn' });
      expect(l.toClient).toStrictEqual([]);
      // The request in flight is untouched.
      l.child(ok(1, { fine: 1 }));
      expect(l.toClient).toStrictEqual([{ jsonrpc: '2.0', id: 1, result: { fine: 1 } }]);
    });
  }

  it('the warning carries the start of the line (at most 200 characters)', () => {
    const l = new Link();
    const banner = 'B'.repeat(500);
    l.childLine(banner);
    const [log] = l.logs;
    const shown = (log!.fields as { line: string }).line;
    expect(banner.startsWith(shown)).toBe(true);
    expect(shown.length).toBeLessThanOrEqual(200);
    expect(shown.length).toBeGreaterThan(0);
  });

  it('an oversize line from the child is logged and nothing reaches the client', () => {
    const l = new Link();
    l.child({ kind: 'unparsable', problem: 'oversize', detail: 'too big' });
    expect(l.toClient).toStrictEqual([]);
    expect(l.logs).toHaveLength(1);
  });
});
