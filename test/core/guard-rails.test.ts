// CONTRACT §12, the visibility half: tools.allow / tools.deny, prompts.deny, resources.deny, on
// the core alone.

import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/core/message.js';
import { DEFAULT_POLICY } from '../../src/policy/types.js';
import { Link, call, ok, policy, req, requestsOf, responsesOf } from './link.js';

const guarded = (over: { allow?: string[]; deny?: string[]; prompts?: string[]; resources?: string[] }) =>
  new Link(
    policy({
      tools: { allow: over.allow ?? DEFAULT_POLICY.tools.allow, deny: over.deny ?? [] },
      prompts: { deny: over.prompts ?? [] },
      resources: { deny: over.resources ?? [] },
    }),
  );

const tools = (...names: string[]): JsonObject => ({ tools: names.map((name) => ({ name, inputSchema: { type: 'object' } })) });
const namesIn = (m: JsonObject | undefined): string[] => ((m?.result as { tools: { name: string }[] }).tools ?? []).map((t) => t.name);

describe('§12 tools.allow and tools.deny', () => {
  it('a call to a denied tool never reaches the server; the client gets an isError result naming the rule', () => {
    const l = guarded({ deny: ['delete_*'] });
    l.client(call(1, 'delete_repo', undefined, { really: true }));
    expect(requestsOf(l.toChild)).toStrictEqual([]);
    const [answer] = responsesOf(l.toClient);
    expect(answer).toMatchObject({ id: 1, result: { isError: true } });
    const text = (answer!.result as { content: { text: string }[] }).content[0]!.text;
    expect(text).toContain('"delete_repo" is disabled by the mcp-leash policy (tools.deny["delete_*"])');
    expect(l.events.filter((e) => e.type === 'guard')).toMatchObject([{ action: 'refused', what: 'tool', name: 'delete_repo', rule: 'tools.deny["delete_*"]' }]);
    // The refusal is a call opened and ended like any other, by mcp-leash.
    expect(l.events.find((e) => e.type === 'call-ended')).toMatchObject({ outcome: 'tool-error', by: 'leash' });
    expect(l.session.inFlight).toBe(0);
  });

  it('removes hidden tools from every tools/list page, and leaves other answers as they are', () => {
    const l = guarded({ allow: ['read_*', 'search'], deny: ['read_secret*'] });
    l.client(req(1, 'tools/list')).child(ok(1, { ...tools('read_file', 'write_file', 'read_secrets'), nextCursor: 'p2' }));
    l.client(req(2, 'tools/list', { cursor: 'p2' })).child(ok(2, tools('search', 'shell')));
    const [page1, page2] = responsesOf(l.toClient);
    expect(namesIn(page1)).toStrictEqual(['read_file']);
    expect((page1!.result as JsonObject).nextCursor).toBe('p2');
    expect(namesIn(page2)).toStrictEqual(['search']);
    expect(l.events.filter((e) => e.type === 'guard').map((e) => (e.type === 'guard' ? e.names : undefined))).toStrictEqual([
      ['write_file', 'read_secrets'],
      ['shell'],
    ]);
    // allow without a match hides too, and says so.
    l.client(call(3, 'shell'));
    expect((responsesOf(l.toClient)[2]!.result as { content: { text: string }[] }).content[0]!.text).toContain('tools.allow (no entry matches it)');
  });

  it('deny wins over allow', () => {
    const l = guarded({ allow: ['*'], deny: ['x'] });
    l.client(call(1, 'x')).client(call(2, 'y'));
    expect(requestsOf(l.toChild).map((m) => (m.params as JsonObject).name)).toStrictEqual(['y']);
  });

  it('costs nothing by default: a tools/list answer passes as it came', () => {
    const l = new Link();
    l.client(req(1, 'tools/list')).child(ok(1, tools('a', 'b')));
    expect(namesIn(responsesOf(l.toClient)[0])).toStrictEqual(['a', 'b']);
    expect(l.events.some((e) => e.type === 'guard')).toBe(false);
  });
});

describe('§12 prompts.deny and resources.deny', () => {
  it('hides prompts from prompts/list and refuses prompts/get of one', () => {
    const l = guarded({ prompts: ['internal_*'] });
    l.client(req(1, 'prompts/list')).child(ok(1, { prompts: [{ name: 'internal_x' }, { name: 'summary' }] }));
    expect((responsesOf(l.toClient)[0]!.result as { prompts: unknown[] }).prompts).toStrictEqual([{ name: 'summary' }]);
    l.client(req(2, 'prompts/get', { name: 'internal_x' }));
    expect(requestsOf(l.toChild).map((m) => m.method)).toStrictEqual(['prompts/list']);
    expect(responsesOf(l.toClient)[1]).toMatchObject({ id: 2, error: { code: -32602 } });
  });

  it('hides resources by URI glob and refuses resources/read of one', () => {
    const l = guarded({ resources: ['file:///secrets/*'] });
    l.client(req(1, 'resources/list')).child(ok(1, { resources: [{ uri: 'file:///secrets/a/key.pem', name: 'k' }, { uri: 'file:///docs/a.md', name: 'a' }] }));
    expect((responsesOf(l.toClient)[0]!.result as { resources: { uri: string }[] }).resources.map((r) => r.uri)).toStrictEqual(['file:///docs/a.md']);
    l.client(req(2, 'resources/read', { uri: 'file:///secrets/a/key.pem' }));
    expect(responsesOf(l.toClient)[1]).toMatchObject({ id: 2, error: { code: -32002 } });
    l.client(req(3, 'resources/read', { uri: 'file:///docs/a.md' }));
    expect(requestsOf(l.toChild).map((m) => m.method)).toStrictEqual(['resources/list', 'resources/read']);
  });
});

describe('issue 20: refusals for a 2026-07-28 request', () => {
  const ENVELOPE = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };

  it('a denied tool is an isError result with resultType "complete"; a hidden resource is -32602, as 2026 says "not found"', () => {
    const l = guarded({ deny: ['delete_*'], resources: ['secret://*'] });
    l.client(req(1, 'tools/call', { name: 'delete_repo', arguments: {}, _meta: ENVELOPE }));
    l.client(req(2, 'resources/read', { uri: 'secret://key', _meta: ENVELOPE }));
    const [tool, resource] = responsesOf(l.toClient);
    expect(tool).toMatchObject({ id: 1, result: { resultType: 'complete', isError: true } });
    expect(resource).toMatchObject({ id: 2, error: { code: -32602 } });
    expect(requestsOf(l.toChild)).toStrictEqual([]);
  });
});
