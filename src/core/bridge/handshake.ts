// The legacy handshake the bridge performs itself, and the server/discover result it makes of
// the server's initialize result (server/discover.mdx; versioning.mdx).

import { DISCOVER, META_CLIENT_CAPABILITIES, META_PROTOCOL_VERSION } from '../era.js';
import { isObject, type JsonObject } from '../message.js';
import { completeResult } from './complete.js';
import { BRIDGE_VERSION, META_CLIENT_INFO, type Envelope } from './envelope.js';

/** The newest legacy version; a server that speaks an older one answers with it (2025-11-25 lifecycle). */
export const LEGACY_VERSION = '2025-11-25';

/**
 * The initialize mcp-leash sends the server (the id is child-life's). It declares the client
 * capabilities the client's first 2026 request declared, so that the server asks for sampling,
 * elicitation or roots only when the client can give them; and the client's own identity.
 */
export function initializeFor(env: Envelope): JsonObject {
  const { sampling, elicitation, roots, experimental } = env.capabilities;
  const capabilities: JsonObject = {};
  if (isObject(sampling)) capabilities.sampling = sampling;
  if (isObject(elicitation)) capabilities.elicitation = elicitation;
  // No roots list_changed: 2026 has no such notification for the bridge to pass on.
  if (isObject(roots)) capabilities.roots = { listChanged: false };
  if (isObject(experimental)) capabilities.experimental = experimental;
  const clientInfo = env.clientInfo ?? { name: 'mcp-leash bridge', version: '1' };
  return { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: LEGACY_VERSION, capabilities, clientInfo } };
}

export const INITIALIZED: JsonObject = { jsonrpc: '2.0', method: 'notifications/initialized' };

/** The probe the bridge sends when the server's era is not known: the client's own envelope. */
export function probeFor(id: string, env: Envelope): JsonObject {
  const meta: JsonObject = { [META_PROTOCOL_VERSION]: env.version, [META_CLIENT_CAPABILITIES]: env.capabilities };
  if (env.clientInfo) meta[META_CLIENT_INFO] = env.clientInfo;
  return { jsonrpc: '2.0', id, method: DISCOVER, params: { _meta: meta } };
}

/**
 * server/discover answered from the server's initialize result. The capabilities lose `tasks`
 * (2025-11-25 tasks are not wire-compatible with the 2026 tasks extension, which a legacy server
 * cannot speak: the bridge offers no tasks); `logging` stays (2026 asks for it per request).
 */
export function discoverResult(init: JsonObject): JsonObject {
  const { tasks: _legacyTasks, ...capabilities } = isObject(init.capabilities) ? init.capabilities : {};
  const result: JsonObject = { supportedVersions: [BRIDGE_VERSION], capabilities };
  if (typeof init.instructions === 'string') result.instructions = init.instructions;
  return completeResult(DISCOVER, result, serverInfoOf(init));
}

export function serverInfoOf(init: JsonObject | undefined): JsonObject | undefined {
  return isObject(init?.serverInfo) ? init.serverInfo : undefined;
}
