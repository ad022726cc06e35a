// Shared pieces of the bridge tests (protocol "bridge", bridge/bridge.ts): a 2026-07-28 client
// in front of a legacy server, on the fake link.

import { DEFAULT_POLICY, type Policy } from '../../../src/policy/types.js';
import type { JsonObject, RequestId } from '../../../src/core/message.js';
import { Link, ok, policy, req } from '../link.js';

export const V = '2026-07-28';
export const PV = 'io.modelcontextprotocol/protocolVersion';
export const CC = 'io.modelcontextprotocol/clientCapabilities';
export const LL = 'io.modelcontextprotocol/logLevel';
export const SI = 'io.modelcontextprotocol/serverInfo';
export const SUB = 'io.modelcontextprotocol/subscriptionId';

export const CLIENT_INFO = { name: 'modern-client', version: '3' };
export const SERVER_INFO = { name: 'old-server', version: '0.9' };
export const INIT_RESULT = {
  protocolVersion: '2025-11-25',
  capabilities: { tools: { listChanged: true }, prompts: {}, resources: { subscribe: true, listChanged: true }, logging: {}, tasks: { list: {} } },
  serverInfo: SERVER_INFO,
  instructions: 'be kind',
};

/** A 2026 envelope: `_meta` with the version and the client's capabilities (and more). */
export function meta(caps: JsonObject = {}, extra: JsonObject = {}): JsonObject {
  return { [PV]: V, [CC]: caps, 'io.modelcontextprotocol/clientInfo': CLIENT_INFO, ...extra };
}

/** A 2026 request: params with the envelope. */
export function mreq(id: RequestId, method: string, params: JsonObject = {}, caps: JsonObject = {}, extra: JsonObject = {}): JsonObject {
  return req(id, method, { ...params, _meta: meta(caps, extra) });
}

/** A 2026 tools/call. */
export function mcall(id: RequestId, tool: string, caps: JsonObject = {}, extra: JsonObject = {}, args: JsonObject = {}): JsonObject {
  return mreq(id, 'tools/call', { name: tool, arguments: args }, caps, extra);
}

export function bridge(over: Parameters<typeof policy>[0] = {}): Policy {
  return policy({ protocol: 'bridge', ...over });
}

export function err(id: RequestId, code: number, message = 'x'): JsonObject {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

/**
 * A bridged session with the handshake done (serverEra "legacy", no probe): the first request
 * (a 2026 tools/list unless given) went to the child after initialize. Outputs so far are taken.
 */
export function engaged(over: Parameters<typeof policy>[0] = {}, first: JsonObject = mreq('first', 'tools/list'), init: JsonObject = INIT_RESULT): Link {
  const l = new Link(bridge({ serverEra: 'legacy', ...over }));
  l.client(first);
  const initReq = l.toChild.find((m) => m.method === 'initialize')!;
  l.child(ok(initReq.id as RequestId, init));
  const held = l.toChild.find((m) => m.method === first.method);
  if (held) l.child(ok(held.id as RequestId, {}));
  l.take();
  return l;
}

export { DEFAULT_POLICY };
