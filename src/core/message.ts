// Peeking at JSON-RPC messages: the hot path looks at `id`, `method`, `params` and nothing else.
// No schema validation here: the SDK's envelope schemas are .strict() and would reject the extra
// fields a transparent proxy must keep (shared/MCP-NOTES.md).

import type { ProgressToken, RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { RawLine } from './frame.js';

export type { ProgressToken, RequestId };

/** A parsed JSON-RPC object, kept as the peer sent it so that unknown fields survive. */
export type JsonObject = Record<string, unknown>;

export type Peeked =
  | { kind: 'request'; id: RequestId; method: string; msg: JsonObject; raw?: RawLine | undefined }
  | { kind: 'notification'; method: string; msg: JsonObject; raw?: RawLine | undefined }
  | { kind: 'response'; id: RequestId; msg: JsonObject; raw?: RawLine | undefined }
  | { kind: 'invalid'; reason: string; id: RequestId | null };

function isId(v: unknown): v is RequestId {
  return typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Classifies a parsed JSON value. Arrays (batches) are handled by the caller before this. `raw`,
 * the codec's record of the line (frame.ts), is put in the frame as it is built: added later, it
 * would change every frame's shape after the fact (an extra allocation per message).
 */
export function peek(value: unknown, repairVersion = false, raw?: RawLine): Peeked {
  if (!isObject(value)) {
    return { kind: 'invalid', reason: 'expected a JSON-RPC message object', id: null };
  }
  if (value.jsonrpc !== '2.0') {
    if (repairVersion && value.jsonrpc === undefined) value.jsonrpc = '2.0';
    else {
      const id = value.id;
      return { kind: 'invalid', reason: `expected "jsonrpc": "2.0", got ${JSON.stringify(value.jsonrpc ?? null)}`, id: isId(id) ? id : null };
    }
  }
  const method = value.method;
  const hasId = 'id' in value;
  const id = value.id;
  if (typeof method === 'string') {
    const reqId = hasId && isId(id) ? id : null;
    if ('params' in value && !isObject(value.params) && !Array.isArray(value.params)) {
      return { kind: 'invalid', reason: 'params must be an object', id: reqId };
    }
    if ('result' in value || 'error' in value) {
      return { kind: 'invalid', reason: 'a request or notification must not carry result or error', id: reqId };
    }
    if (!hasId) return { kind: 'notification', method, msg: value, raw };
    if (id === null) return { kind: 'invalid', reason: 'request id must not be null', id: null };
    if (!isId(id)) return { kind: 'invalid', reason: 'request id must be a string or a number', id: null };
    return { kind: 'request', id, method, msg: value, raw };
  }
  if (method !== undefined) {
    return { kind: 'invalid', reason: 'method must be a string', id: isId(id) ? id : null };
  }
  if (hasId && ('result' in value || 'error' in value)) {
    if (!isId(id)) return { kind: 'invalid', reason: 'response id must be a string or a number', id: null };
    const problem = responseProblem(value);
    if (problem) return { kind: 'invalid', reason: problem, id };
    return { kind: 'response', id, msg: value, raw };
  }
  return { kind: 'invalid', reason: 'not a JSON-RPC request, notification or response', id: isId(id) ? id : null };
}

/** JSON-RPC 2.0: exactly one of result and error; an error is {code: integer, message: string}. */
function responseProblem(value: JsonObject): string | undefined {
  if ('result' in value && 'error' in value) return 'a response must not carry both result and error';
  if (!('error' in value)) return undefined;
  const e = value.error;
  if (!isObject(e) || !Number.isInteger(e.code) || typeof e.message !== 'string') {
    return 'a response error must be an object with an integer code and a string message';
  }
  return undefined;
}

export function paramsOf(msg: JsonObject): JsonObject | undefined {
  const p = msg.params;
  return isObject(p) ? p : undefined;
}

export function progressTokenOf(params: JsonObject | undefined): ProgressToken | undefined {
  const meta = params?._meta;
  if (!isObject(meta)) return undefined;
  const t = meta.progressToken;
  return typeof t === 'string' || (typeof t === 'number' && Number.isFinite(t)) ? t : undefined;
}

export function errorResponse(id: RequestId | null, code: number, message: string, data?: unknown): JsonObject {
  const error: JsonObject = { code, message };
  if (data !== undefined) error.data = data;
  return { jsonrpc: '2.0', id, error };
}

export function notification(method: string, params: JsonObject): JsonObject {
  return { jsonrpc: '2.0', method, params };
}
