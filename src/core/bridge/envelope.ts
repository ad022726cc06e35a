// The 2026-07-28 request envelope, as the bridge checks it (basic/index `_meta`, versioning,
// server/utilities/logging): every request names its protocol version and the client's
// capabilities for this request in `params._meta`, and may ask for log messages with a level.

import { META_CLIENT_CAPABILITIES, META_PROTOCOL_VERSION } from '../era.js';
import { ERR } from '../errors.js';
import { errorResponse, isObject, type JsonObject, type RequestId } from '../message.js';

/** The one modern version the bridge speaks for a legacy server. */
export const BRIDGE_VERSION = '2026-07-28';
export const SUPPORTED_VERSIONS: readonly string[] = [BRIDGE_VERSION];

export const META_CLIENT_INFO = 'io.modelcontextprotocol/clientInfo';
export const META_LOG_LEVEL = 'io.modelcontextprotocol/logLevel';
export const META_SERVER_INFO = 'io.modelcontextprotocol/serverInfo';
export const META_SUBSCRIPTION_ID = 'io.modelcontextprotocol/subscriptionId';

/** MCP 2026-07-28 codes (schema.ts): the request's version is not served; a capability it lacks is needed. */
export const UNSUPPORTED_PROTOCOL_VERSION = -32022;
export const MISSING_REQUIRED_CLIENT_CAPABILITY = -32021;

/** RFC 5424 severities, least severe first: a message goes to a request that asked for its level or a lower one. */
export const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'] as const;

export function logRank(level: unknown): number {
  return LOG_LEVELS.indexOf(level as (typeof LOG_LEVELS)[number]);
}

/** What a call keeps of its envelope (call-life.ts `meta`). */
export interface CallMeta {
  /** The client's capabilities for this request: an input request needs its kind declared here. */
  readonly capabilities: JsonObject;
  /** The level the request asked log messages at; none: it gets none (logging.mdx). */
  readonly logLevel: string | undefined;
  /** The tool, prompt or resource the request names: a retry with its requestState must name the same. */
  readonly subject: string | undefined;
}

export interface Envelope extends Omit<CallMeta, 'subject'> {
  readonly version: string;
  readonly clientInfo: JsonObject | undefined;
}

/**
 * The request's envelope, or the error response it gets: -32602 when the envelope is missing or
 * malformed (or names an unknown log level), -32022 with the supported list when its version is
 * not one the bridge serves.
 */
export function readEnvelope(id: RequestId, method: string, params: JsonObject | undefined): Envelope | { error: JsonObject } {
  const meta = params?._meta;
  const where = `(mcp-leash bridge, ${method})`;
  const version = isObject(meta) ? meta[META_PROTOCOL_VERSION] : undefined;
  if (typeof version !== 'string') {
    return invalid(id, `Invalid params: an MCP 2026-07-28 request must carry params._meta["${META_PROTOCOL_VERSION}"] ${where}`, { missing: META_PROTOCOL_VERSION });
  }
  if (!SUPPORTED_VERSIONS.includes(version)) {
    return { error: errorResponse(id, UNSUPPORTED_PROTOCOL_VERSION, 'Unsupported protocol version', { supported: [...SUPPORTED_VERSIONS], requested: version }) };
  }
  const capabilities = (meta as JsonObject)[META_CLIENT_CAPABILITIES];
  if (!isObject(capabilities)) {
    return invalid(id, `Invalid params: an MCP 2026-07-28 request must carry params._meta["${META_CLIENT_CAPABILITIES}"] as an object ${where}`, { missing: META_CLIENT_CAPABILITIES });
  }
  const logLevel = (meta as JsonObject)[META_LOG_LEVEL];
  if (logLevel !== undefined && logRank(logLevel) < 0) {
    return invalid(id, `Invalid params: unknown log level ${JSON.stringify(logLevel)} in params._meta["${META_LOG_LEVEL}"]; use one of ${LOG_LEVELS.join(', ')} ${where}`, { logLevel });
  }
  const clientInfo = (meta as JsonObject)[META_CLIENT_INFO];
  return { version, capabilities, logLevel: logLevel as string | undefined, clientInfo: isObject(clientInfo) ? clientInfo : undefined };
}

function invalid(id: RequestId, message: string, data: JsonObject): { error: JsonObject } {
  return { error: errorResponse(id, ERR.invalidParams, message, data) };
}
