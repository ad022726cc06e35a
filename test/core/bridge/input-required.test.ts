// Issue 20 part 3, the server's requests as 2026-07-28 multi round-trip requests
// (bridge/input-required.ts, mrtr.mdx): what the client and the legacy server see.

import { describe, expect, it } from 'vitest';
import { INPUT_WAIT_MS } from '../../../src/core/bridge/input-required.js';
import type { JsonObject, RequestId } from '../../../src/core/message.js';
import { cancel, Link, note, ok, req, responsesOf } from '../link.js';
import { DEFAULT_POLICY, engaged, mcall, mreq, SERVER_INFO, SI } from './helpers.js';

const SAMPLING = { sampling: {} };
const ASK = { messages: [{ role: 'user', content: { type: 'text', text: 'why?' } }], maxTokens: 10 };
const ANSWER = { role: 'assistant', content: { type: 'text', text: 'because' }, model: 'm' };

/** A retry: the same tool, a new id, the responses and the requestState. */
function retry(id: RequestId, tool: string, requestState: unknown, inputResponses: JsonObject = {}, caps: JsonObject = SAMPLING): JsonObject {
  const m = mcall(id, tool, caps);
  return { ...m, params: { ...(m.params as JsonObject), inputResponses, requestState } };
}

/** A bridged session with tools/call `ask` (id 40) running at the child; returns the child's id for it. */
function running(caps: JsonObject = SAMPLING, over: Parameters<typeof engaged>[0] = {}): { l: Link; callId: RequestId } {
  const l = engaged(over);
  l.client(mcall(40, 'ask', caps));
  const callId = l.takeTo('child').find((m) => m.method === 'tools/call')!.id as RequestId;
  return { l, callId };
}

/** The input_required answer the client got, checked, with its one key and requestState. */
function inputRequired(msg: JsonObject | undefined, id: RequestId, method = 'sampling/createMessage', params: JsonObject = ASK): { key: string; state: string } {
  expect(msg).toMatchObject({ jsonrpc: '2.0', id, result: { resultType: 'input_required' } });
  const result = msg!.result as { inputRequests: Record<string, unknown>; requestState: string };
  const keys = Object.keys(result.inputRequests);
  expect(keys).toHaveLength(1);
  expect(result.inputRequests[keys[0]!]).toStrictEqual({ method, params });
  expect(typeof result.requestState).toBe('string');
  return { key: keys[0]!, state: result.requestState };
}

const onlyResponses = (msgs: JsonObject[]) => msgs.filter((m) => !('method' in m));

describe('bridge: the server asks the client (input_required)', () => {
  it('the whole round trip: input_required, the retry answers the server under its own id, the final answer goes to the retry', () => {
    const { l, callId } = running();
    l.child(req(100, 'sampling/createMessage', ASK));
    const [first] = l.takeTo('client');
    const { key, state } = inputRequired(first, 40);
    expect(l.toChild.filter((m) => m.id === 100)).toStrictEqual([]); // the server waits
    l.client(retry(41, 'ask', state, { [key]: ANSWER }));
    expect(l.takeTo('child')).toStrictEqual([{ jsonrpc: '2.0', id: 100, result: ANSWER }]);
    expect(l.takeTo('client')).toStrictEqual([]);
    l.child(ok(callId, { content: [{ type: 'text', text: 'done' }] }));
    expect(l.takeTo('client')).toStrictEqual([{ jsonrpc: '2.0', id: 41, result: { content: [{ type: 'text', text: 'done' }], resultType: 'complete', _meta: { [SI]: SERVER_INFO } } }]);
    // Nothing of the server's request or of a cancel ever reached the client.
    expect(l.toClient.some((m) => 'method' in m && m.method !== 'notifications/progress')).toBe(false);
  });

  it('a final answer before the retry is kept and given to the retry at once', () => {
    const { l, callId } = running();
    l.child(req(100, 'sampling/createMessage', ASK));
    const { key, state } = inputRequired(l.takeTo('client')[0], 40);
    l.child(ok(callId, { content: [] }));
    expect(l.takeTo('client')).toStrictEqual([]);
    l.client(retry(41, 'ask', state, { [key]: ANSWER }));
    expect(l.takeTo('client')).toStrictEqual([{ jsonrpc: '2.0', id: 41, result: { content: [], resultType: 'complete', _meta: { [SI]: SERVER_INFO } } }]);
  });

  it('a second server request while a retry waits: the retry gets another input_required with a new requestState', () => {
    const { l, callId } = running();
    l.child(req(100, 'sampling/createMessage', ASK));
    const a = inputRequired(l.takeTo('client')[0], 40);
    l.client(retry(41, 'ask', a.state, { [a.key]: ANSWER }));
    l.take();
    const ASK2 = { ...ASK, maxTokens: 20 };
    l.child(req(101, 'sampling/createMessage', ASK2));
    const b = inputRequired(l.takeTo('client')[0], 41, 'sampling/createMessage', ASK2);
    expect(b.state).not.toBe(a.state);
    l.client(retry(42, 'ask', b.state, { [b.key]: { ...ANSWER, model: 'n' } }));
    expect(l.takeTo('child')).toStrictEqual([{ jsonrpc: '2.0', id: 101, result: { ...ANSWER, model: 'n' } }]);
    l.child(ok(callId, { content: [] }));
    expect(responsesOf(l.takeTo('client')).map((m) => m.id)).toStrictEqual([42]);
  });

  it('a reused, unknown or forged requestState, or one presented on another tool, is -32602 and reaches nobody', () => {
    const { l } = running();
    l.child(req(100, 'sampling/createMessage', ASK));
    const { key, state } = inputRequired(l.takeTo('client')[0], 40);
    l.client(retry(50, 'other-tool', state, { [key]: ANSWER }));
    l.client(retry(51, 'ask', 'forged', { [key]: ANSWER }));
    l.client(retry(52, 'ask', undefined, { [key]: ANSWER }));
    expect(l.takeTo('child')).toStrictEqual([]);
    l.client(retry(53, 'ask', state, { [key]: ANSWER })); // the real one
    expect(l.takeTo('child')).toMatchObject([{ id: 100, result: ANSWER }]);
    l.client(retry(54, 'ask', state, { [key]: ANSWER })); // used already
    const got = l.toClient.filter((m) => typeof m.id === 'number' && m.id >= 50);
    expect(got.map((m) => [m.id, (m.error as { code?: number } | undefined)?.code])).toStrictEqual([
      [50, -32602],
      [51, -32602],
      [52, -32602],
      [54, -32602],
    ]);
    expect(l.takeTo('child')).toStrictEqual([]);
  });

  it('a cancel of the waiting retry cancels the call at the child', () => {
    const { l, callId } = running();
    l.child(req(100, 'sampling/createMessage', ASK));
    const { key, state } = inputRequired(l.takeTo('client')[0], 40);
    l.client(retry(41, 'ask', state, { [key]: ANSWER }));
    l.take();
    l.client(cancel(41, 'user gave up'));
    expect(l.takeTo('child')).toMatchObject([{ method: 'notifications/cancelled', params: { requestId: callId } }]);
    expect(l.takeTo('client')).toStrictEqual([]);
  });

  it(`a call whose client never retries is cancelled at the child after ${INPUT_WAIT_MS / 60_000} minutes`, () => {
    const { l, callId } = running(SAMPLING, { defaults: { ...DEFAULT_POLICY.defaults, totalTimeoutMs: 0, idleTimeoutMs: 0 } });
    l.child(req(100, 'sampling/createMessage', ASK));
    l.take();
    l.advance(INPUT_WAIT_MS - 1);
    expect(l.takeTo('child').filter((m) => m.method === 'notifications/cancelled')).toStrictEqual([]);
    l.advance(1);
    expect(l.takeTo('child').filter((m) => m.method === 'notifications/cancelled')).toMatchObject([{ params: { requestId: callId } }]);
    expect(l.logs.some((g) => g.level === 'warn' && g.msg.includes('never retried'))).toBe(true);
  });

  it("the server's question no retry came for gets an error when its call is given up, and nothing stays in flight", () => {
    const { l, callId } = running();
    l.child(req(100, 'sampling/createMessage', ASK));
    l.take();
    l.advance(INPUT_WAIT_MS);
    expect(l.toChild.filter((m) => m.id === 100)).toMatchObject([{ jsonrpc: '2.0', id: 100, error: { code: -32001 } }]);
    l.child(ok(callId, { content: [] })); // the server's late answer to the cancelled call
    expect(l.session.inFlight).toBe(0);
    expect(l.toClient.filter((m) => m.id !== 'first' && m.id !== 40)).toStrictEqual([]);
  });

  it('a request the call did not declare the capability for: -32021 to the client, an error to the server', () => {
    const { l, callId } = running({});
    l.child(req(100, 'sampling/createMessage', ASK));
    const client = l.takeTo('client');
    expect(onlyResponses(client)).toStrictEqual([{ jsonrpc: '2.0', id: 40, error: { code: -32021, message: expect.any(String), data: { requiredCapabilities: { sampling: {} } } } }]);
    const child = l.toChild;
    expect(child.find((m) => m.id === 100)).toMatchObject({ error: { code: expect.any(Number) } });
    expect(child.some((m) => m.method === 'notifications/cancelled' && (m.params as JsonObject).requestId === callId)).toBe(true);
  });

  it('a capability missing while the client has not retried yet: its later retry gets the -32021, not an unknown requestState', () => {
    const { l, callId } = running({ sampling: {} });
    l.child(req(100, 'sampling/createMessage', ASK));
    const { state } = inputRequired(l.takeTo('client')[0], 40);
    l.child(req(101, 'elicitation/create', { message: 'name?', requestedSchema: { type: 'object', properties: {} } }));
    expect(l.takeTo('client')).toStrictEqual([]);
    expect(l.toChild.some((m) => m.method === 'notifications/cancelled' && (m.params as JsonObject).requestId === callId)).toBe(true);
    expect(l.toChild.find((m) => m.id === 101)).toMatchObject({ error: { code: expect.any(Number) } });
    l.client(retry(41, 'ask', state, {}));
    expect(onlyResponses(l.takeTo('client'))).toMatchObject([{ id: 41, error: { code: -32021, data: { requiredCapabilities: { elicitation: {} } } } }]);
  });

  it('a server request with no call in flight is refused to the server; ping is answered by mcp-leash', () => {
    const l = engaged();
    l.child(req(100, 'sampling/createMessage', ASK)).child(req(101, 'roots/list')).child(req(102, 'ping'));
    expect(l.takeTo('client')).toStrictEqual([]);
    const child = l.toChild;
    expect(child.find((m) => m.id === 100)).toMatchObject({ error: { code: -32601 } });
    expect(child.find((m) => m.id === 101)).toMatchObject({ error: { code: -32601 } });
    expect(child.find((m) => m.id === 102)).toStrictEqual({ jsonrpc: '2.0', id: 102, result: {} });
  });

  it("the server's withdrawal of its request (notifications/cancelled) never reaches the client", () => {
    const { l } = running();
    l.child(req(100, 'sampling/createMessage', ASK));
    l.take();
    l.child(note('notifications/cancelled', { requestId: 100 }));
    expect(l.takeTo('client')).toStrictEqual([]);
  });

  it('a call timing out while it waits for its retry: the retry gets the readable timeout result', () => {
    const { l } = running(SAMPLING, { rules: [{ tool: 'ask', totalTimeoutMs: 5000 }] });
    l.child(req(100, 'sampling/createMessage', ASK));
    const { key, state } = inputRequired(l.takeTo('client')[0], 40);
    l.advance(1000).client(retry(41, 'ask', state, { [key]: ANSWER }));
    l.take();
    l.advance(4000);
    expect(onlyResponses(l.takeTo('client'))).toMatchObject([{ id: 41, result: { isError: true, resultType: 'complete', content: [{ type: 'text' }] } }]);
  });
});

describe('bridge: input_required, the less travelled paths', () => {
  it('a retry without the response the server waits for is asked again (same question, new requestState)', () => {
    const { l, callId } = running();
    l.child(req(100, 'sampling/createMessage', ASK));
    const a = inputRequired(l.takeTo('client')[0], 40);
    l.client(retry(41, 'ask', a.state, { unrelated: { x: 1 } }));
    const b = inputRequired(l.takeTo('client')[0], 41);
    expect(b.key).toBe(a.key);
    expect(b.state).not.toBe(a.state);
    expect(l.toChild.some((m) => m.id === 100)).toBe(false);
    l.client(retry(42, 'ask', b.state, { [b.key]: ANSWER }));
    expect(l.takeTo('child')).toStrictEqual([{ jsonrpc: '2.0', id: 100, result: ANSWER }]);
    l.child(ok(callId, { content: [] }));
    expect(responsesOf(l.takeTo('client')).map((m) => m.id)).toStrictEqual([42]);
  });

  it('a question the call lacks the capability for while a retry waits: the retry gets -32021, the server an error and a cancel', () => {
    const { l, callId } = running();
    l.child(req(100, 'sampling/createMessage', ASK));
    const a = inputRequired(l.takeTo('client')[0], 40);
    l.client(retry(41, 'ask', a.state, { [a.key]: ANSWER }));
    l.take();
    l.child(req(101, 'elicitation/create', { message: 'name?', requestedSchema: { type: 'object', properties: {} } }));
    const toClient = responsesOf(l.toClient).filter((m) => m.id === 41);
    expect(toClient).toMatchObject([{ id: 41, error: { code: -32021, data: { requiredCapabilities: { elicitation: {} } } } }]);
    expect(l.toChild.find((m) => m.id === 101)).toMatchObject({ error: { code: expect.any(Number) } });
    expect(l.toChild.some((m) => m.method === 'notifications/cancelled' && (m.params as JsonObject).requestId === callId)).toBe(true);
    // The call's late answer goes nowhere.
    l.take();
    l.child(ok(callId, { content: [] }));
    expect(l.takeTo('client')).toStrictEqual([]);
  });

  it('prompts/get carries an elicitation the request declared', () => {
    const l = engaged();
    l.client(mreq(60, 'prompts/get', { name: 'greet' }, { elicitation: {} }));
    const getId = l.takeTo('child').find((m) => m.method === 'prompts/get')!.id as RequestId;
    const ELICIT = { message: 'name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } };
    l.child(req('e1', 'elicitation/create', ELICIT));
    const a = inputRequired(l.takeTo('client')[0], 60, 'elicitation/create', ELICIT);
    const again = mreq(61, 'prompts/get', { name: 'greet', inputResponses: { [a.key]: { action: 'accept', content: { name: 'Ada' } } }, requestState: a.state }, { elicitation: {} });
    l.client(again);
    expect(l.takeTo('child')).toStrictEqual([{ jsonrpc: '2.0', id: 'e1', result: { action: 'accept', content: { name: 'Ada' } } }]);
    l.child(ok(getId, { messages: [] }));
    expect(l.takeTo('client')).toStrictEqual([{ jsonrpc: '2.0', id: 61, result: { messages: [], resultType: 'complete', _meta: { [SI]: SERVER_INFO } } }]);
  });
});

describe('bridge: which call carries a server request', () => {
  it('a newer call that did not declare sampling is not ended for a sampling request: the call that declared it carries it', () => {
    const { l, callId } = running();
    l.client(mcall(41, 'plain', {}));
    const plainId = l.takeTo('child').find((m) => m.method === 'tools/call')!.id as RequestId;
    l.child(req(100, 'sampling/createMessage', ASK));
    const a = inputRequired(l.takeTo('client')[0], 40);
    expect(l.toChild.some((m) => m.method === 'notifications/cancelled' || m.id === 100)).toBe(false);
    l.child(ok(plainId, { content: [] }));
    expect(l.takeTo('client')).toMatchObject([{ id: 41, result: { content: [], resultType: 'complete' } }]);
    l.client(retry(42, 'ask', a.state, { [a.key]: ANSWER }));
    expect(l.takeTo('child')).toStrictEqual([{ jsonrpc: '2.0', id: 100, result: ANSWER }]);
    l.child(ok(callId, { content: [] }));
    expect(responsesOf(l.takeTo('client')).map((m) => m.id)).toStrictEqual([42]);
  });
});
