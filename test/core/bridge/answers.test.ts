// Issue 20 part 3, what a bridged 2026-07-28 client receives of a legacy server's answers and
// notifications (bridge/complete.ts, subscriptions.ts, bridge.ts log levels).

import { describe, expect, it } from 'vitest';
import type { Frame } from '../../../src/core/frame.js';
import { peek, type JsonObject } from '../../../src/core/message.js';
import { cancel, Link, note, ok, responsesOf } from '../link.js';
import { bridge, DEFAULT_POLICY, engaged, err, INIT_RESULT, LL, mcall, mreq, SERVER_INFO, SI, SUB } from './helpers.js';

/** The child's copy of the last request it got with `method`. */
const lastAtChild = (l: Link, method: string) => l.toChild.filter((m) => m.method === method).at(-1)!;

describe('bridge: results completed for the 2026 client', () => {
  const CACHEABLE = [
    ['tools/list', {}, { tools: [] }],
    ['prompts/list', {}, { prompts: [] }],
    ['resources/list', {}, { resources: [] }],
    ['resources/templates/list', {}, { resourceTemplates: [] }],
    ['resources/read', { uri: 'file:///a' }, { contents: [] }],
  ] as const;
  for (const [method, params, result] of CACHEABLE) {
    it(`${method}: resultType, serverInfo and the caching hints ttlMs 0, cacheScope "private"`, () => {
      const l = engaged();
      l.client(mreq(10, method, { ...params }));
      l.child(ok(lastAtChild(l, method).id as number, { ...result }));
      expect(l.takeTo('client')).toStrictEqual([{ jsonrpc: '2.0', id: 10, result: { ...result, resultType: 'complete', ttlMs: 0, cacheScope: 'private', _meta: { [SI]: SERVER_INFO } } }]);
    });
  }

  it('tools/call: resultType and serverInfo, no caching hints', () => {
    const l = engaged();
    l.client(mcall(11, 'echo'));
    l.child(ok(lastAtChild(l, 'tools/call').id as number, { content: [{ type: 'text', text: 'hi' }] }));
    expect(l.takeTo('client')).toStrictEqual([{ jsonrpc: '2.0', id: 11, result: { content: [{ type: 'text', text: 'hi' }], resultType: 'complete', _meta: { [SI]: SERVER_INFO } } }]);
  });

  it("what the server set itself is kept: its resultType, its hints, its _meta", () => {
    const l = engaged();
    l.client(mreq(12, 'tools/list'));
    l.child(ok(lastAtChild(l, 'tools/list').id as number, { tools: [], resultType: 'complete', ttlMs: 60_000, cacheScope: 'public', _meta: { mine: 1 } }));
    expect(responsesOf(l.toClient).at(-1)!.result).toStrictEqual({ tools: [], resultType: 'complete', ttlMs: 60_000, cacheScope: 'public', _meta: { mine: 1, [SI]: SERVER_INFO } });
    l.client(mcall(13, 'echo'));
    l.child(ok(lastAtChild(l, 'tools/call').id as number, { content: [], resultType: 'something-else' }));
    expect(responsesOf(l.toClient).at(-1)!.result).toMatchObject({ resultType: 'something-else' });
  });

  it('the legacy "resource not found" -32002 becomes -32602; other errors pass unchanged', () => {
    const l = engaged();
    l.client(mreq(14, 'resources/read', { uri: 'file:///gone' }));
    l.child(err(lastAtChild(l, 'resources/read').id as number, -32002, 'Resource not found'));
    l.client(mcall(15, 'echo'));
    l.child(err(lastAtChild(l, 'tools/call').id as number, -32603, 'boom'));
    expect(l.takeTo('client')).toStrictEqual([
      { jsonrpc: '2.0', id: 14, error: { code: -32602, message: 'Resource not found' } },
      { jsonrpc: '2.0', id: 15, error: { code: -32603, message: 'boom' } },
    ]);
  });

  it("mcp-leash's own timeout result carries resultType", () => {
    const l = engaged({ rules: [{ tool: 'slow', totalTimeoutMs: 1000 }] });
    l.client(mcall(16, 'slow')).advance(1000);
    expect(responsesOf(l.takeTo('client'))).toMatchObject([{ id: 16, result: { isError: true, resultType: 'complete' } }]);
  });
});

describe('bridge: the result budget still holds', () => {
  /** A frame as the codec makes it: the message and its size on the wire (result-budget.ts reads raw.bytes). */
  function wireFrame(msg: JsonObject): Frame {
    const text = JSON.stringify(msg);
    return { ...(peek(JSON.parse(text)) as Frame & { kind: 'response' }), raw: { bytes: Buffer.byteLength(text), parse: () => JSON.parse(text) as JsonObject } };
  }

  it('an answer over maxResultBytes is cut as in a relay session, with resultType; one within it is completed', () => {
    const l = engaged({ defaults: { ...DEFAULT_POLICY.defaults, maxResultBytes: 2_000 } });
    l.client(mcall(30, 'read_file'));
    const id = l.takeTo('child').find((m) => m.method === 'tools/call')!.id as number;
    l.child(wireFrame({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: 'x'.repeat(50_000) }] } }));
    const [cut] = responsesOf(l.takeTo('client'));
    expect(cut).toMatchObject({ id: 30, result: { resultType: 'complete' } });
    expect(Buffer.byteLength(JSON.stringify(cut))).toBeLessThanOrEqual(2_000);
    expect(JSON.stringify(cut)).toContain('mcp-leash cut this result');
    l.client(mcall(31, 'read_file'));
    const id2 = l.takeTo('child').find((m) => m.method === 'tools/call')!.id as number;
    l.child(wireFrame({ jsonrpc: '2.0', id: id2, result: { content: [{ type: 'text', text: 'small' }] } }));
    expect(responsesOf(l.takeTo('client'))).toMatchObject([{ id: 31, result: { resultType: 'complete', _meta: { [SI]: SERVER_INFO }, content: [{ text: 'small' }] } }]);
  });
});

describe('bridge: subscriptions/listen', () => {
  const listen = (id: number, notifications: object) => mreq(id, 'subscriptions/listen', { notifications });

  it('acknowledged at once with the listen id and only what the server honours; never sent to the child', () => {
    const l = engaged({}, undefined, { ...INIT_RESULT, capabilities: { tools: { listChanged: true }, prompts: {}, resources: { subscribe: false } } });
    l.client(listen(20, { toolsListChanged: true, promptsListChanged: true, resourcesListChanged: true, resourceSubscriptions: ['file:///a'] }));
    expect(l.takeTo('client')).toStrictEqual([
      { jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { _meta: { [SUB]: 20 }, notifications: { toolsListChanged: true } } },
    ]);
    expect(l.toChild.some((m) => m.method === 'subscriptions/listen' || m.method === 'resources/subscribe')).toBe(false);
  });

  it('a listen sent before the handshake is done is acknowledged after it, with what the server honours', () => {
    const l = new Link(bridge({ serverEra: 'legacy' }));
    l.client(mreq('d', 'server/discover')).client(listen(6, { toolsListChanged: true, resourceSubscriptions: ['file:///a'] }));
    expect(l.toClient).toStrictEqual([]);
    l.child(ok(l.toChild[0]!.id as string, INIT_RESULT));
    expect(l.toClient.filter((m) => m.method === 'notifications/subscriptions/acknowledged')).toStrictEqual([
      { jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { _meta: { [SUB]: 6 }, notifications: { toolsListChanged: true, resourceSubscriptions: ['file:///a'] } } },
    ]);
    expect(l.toChild.filter((m) => m.method === 'resources/subscribe')).toMatchObject([{ params: { uri: 'file:///a' } }]);
    l.take();
    l.child(note('notifications/tools/list_changed'));
    expect(l.takeTo('client')).toStrictEqual([{ jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: { [SUB]: 6 } } }]);
  });

  it('a listen held by the probe is acknowledged with what the server honours once the handshake is done', () => {
    const l = new Link(bridge());
    l.client(listen(6, { toolsListChanged: true }));
    l.child(err(l.toChild[0]!.id as string, -32601, 'Method not found'));
    expect(l.toClient).toStrictEqual([]);
    l.child(ok(l.toChild.find((m) => m.method === 'initialize')!.id as string, INIT_RESULT));
    expect(l.toClient).toMatchObject([{ method: 'notifications/subscriptions/acknowledged', params: { notifications: { toolsListChanged: true } } }]);
  });

  it('a listen cancelled before the handshake is done is never acknowledged', () => {
    const l = new Link(bridge({ serverEra: 'legacy' }));
    l.client(mreq('d', 'server/discover')).client(listen(6, { toolsListChanged: true })).client(cancel(6));
    l.child(ok(l.toChild[0]!.id as string, INIT_RESULT));
    l.child(note('notifications/tools/list_changed'));
    expect(l.toClient.map((m) => m.method ?? m.id)).toStrictEqual(['d']);
  });

  it('two listens on one resource: cancelling one keeps the subscription at the server for the other', () => {
    const l = engaged();
    l.client(listen(25, { resourceSubscriptions: ['file:///a'] })).client(listen(26, { resourceSubscriptions: ['file:///a'] }));
    expect(l.takeTo('child').filter((m) => m.method === 'resources/subscribe')).toHaveLength(1);
    l.client(cancel(25));
    expect(l.takeTo('child')).toStrictEqual([]);
    l.child(note('notifications/resources/updated', { uri: 'file:///a' }));
    expect(l.takeTo('client')).toStrictEqual([{ jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'file:///a', _meta: { [SUB]: 26 } } }]);
    l.client(cancel(26));
    expect(l.takeTo('child')).toMatchObject([{ method: 'resources/unsubscribe', params: { uri: 'file:///a' } }]);
  });

  it('list_changed goes only to the listens that asked, tagged with their id', () => {
    const l = engaged();
    l.client(listen(21, { toolsListChanged: true })).client(listen(22, { promptsListChanged: true }));
    l.take();
    l.child(note('notifications/tools/list_changed'));
    l.child(note('notifications/resources/list_changed')); // nobody asked
    expect(l.takeTo('client')).toStrictEqual([{ jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: { [SUB]: 21 } } }]);
  });

  it('without a listen, a list_changed from the server reaches nobody', () => {
    const l = engaged();
    l.child(note('notifications/tools/list_changed'));
    expect(l.takeTo('client')).toStrictEqual([]);
  });

  it('resourceSubscriptions: resources/subscribe at the server, updates tagged for matching listens, again after a restart', () => {
    const l = engaged({ restart: { ...DEFAULT_POLICY.restart, policy: 'on-failure', initialBackoffMs: 0 } });
    l.client(listen(23, { resourceSubscriptions: ['file:///dir/'] }));
    expect(l.takeTo('child')).toStrictEqual([{ jsonrpc: '2.0', id: expect.stringMatching(/^mcp-leash:/), method: 'resources/subscribe', params: { uri: 'file:///dir/' } }]);
    l.child(ok(l.toChild.at(-1)!.id as string, {}));
    l.child(note('notifications/resources/updated', { uri: 'file:///dir/x' }));
    l.child(note('notifications/resources/updated', { uri: 'file:///other' }));
    expect(l.takeTo('client')).toStrictEqual([{ jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'file:///dir/x', _meta: { [SUB]: 23 } } }]);
    l.childExit({ code: 1 }).advance(0).childStarted();
    const init = lastAtChild(l, 'initialize');
    l.take();
    l.child(ok(init.id as string, INIT_RESULT));
    expect(l.takeTo('child').filter((m) => m.method === 'resources/subscribe')).toMatchObject([{ params: { uri: 'file:///dir/' } }]);
  });

  it('resource updates below the subscribed URI in its path reach the listen; a sibling sharing its prefix does not', () => {
    const l = engaged();
    l.client(listen(27, { resourceSubscriptions: ['file:///a'] }));
    l.take();
    l.child(note('notifications/resources/updated', { uri: 'file:///ab' })).child(note('notifications/resources/updated', { uri: 'file:///a/b' }));
    expect(l.takeTo('client')).toStrictEqual([{ jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'file:///a/b', _meta: { [SUB]: 27 } } }]);
  });

  it('a cancelled listen gets nothing more, and its resources are unsubscribed', () => {
    const l = engaged();
    l.client(listen(24, { toolsListChanged: true, resourceSubscriptions: ['file:///a'] }));
    l.take();
    l.client(cancel(24));
    expect(l.takeTo('child')).toMatchObject([{ method: 'resources/unsubscribe', params: { uri: 'file:///a' } }]);
    l.child(note('notifications/tools/list_changed')).child(note('notifications/resources/updated', { uri: 'file:///a' }));
    expect(l.takeTo('client')).toStrictEqual([]);
  });
});

describe('bridge: log messages only while a request asked for their level', () => {
  const log = (level: string) => note('notifications/message', { level, data: level });

  it('a message at or above the level of a request in flight reaches the client; below it, or with none in flight, it does not', () => {
    const l = engaged();
    l.child(log('error'));
    expect(l.takeTo('client')).toStrictEqual([]);
    l.client(mcall(30, 'plain')); // asked for no log level
    l.child(log('error'));
    expect(l.takeTo('client')).toStrictEqual([]);
    l.client(mcall(31, 'chatty', {}, { [LL]: 'warning' }));
    l.take();
    l.child(log('info')).child(log('warning')).child(log('error'));
    expect(l.takeTo('client')).toStrictEqual([log('warning'), log('error')]);
    l.child(ok(lastAtChild(l, 'tools/call').id as number, { content: [] }));
    l.take();
    l.child(log('emergency'));
    expect(l.takeTo('client')).toStrictEqual([]);
  });
});
