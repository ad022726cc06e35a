// Completing a legacy server's answers for a 2026-07-28 client (changelog: resultType, serverInfo,
// caching hints, -32002). Only what the spec requires or asks for is added, never overwritten.

import { ERR } from '../errors.js';
import { isObject, type JsonObject } from '../message.js';
import { META_SERVER_INFO } from './envelope.js';

/** Results that carry caching hints (server/utilities/caching.mdx). */
const CACHEABLE: ReadonlySet<string> = new Set(['server/discover', 'tools/list', 'prompts/list', 'resources/list', 'resources/templates/list', 'resources/read']);

/** 2025-11-25 "resource not found", replaced by -32602 (changelog, minor change 6). */
const LEGACY_RESOURCE_NOT_FOUND = -32002;

/**
 * The hints a legacy server cannot give: it knows nothing of caching, so its results are
 * "immediately stale" (ttlMs 0) and "private" (never shared across users by an intermediary):
 * the two values that can never make a client serve something it should not.
 */
export const CACHE_HINTS = { ttlMs: 0, cacheScope: 'private' } as const;

/** The whole response, completed; `serverInfo` is the server's own, from its initialize result. */
export function completeResponse(method: string, msg: JsonObject, serverInfo: JsonObject | undefined): JsonObject {
  if (isObject(msg.result)) return { ...msg, result: completeResult(method, msg.result, serverInfo) };
  const error = msg.error;
  if (isObject(error) && error.code === LEGACY_RESOURCE_NOT_FOUND) return { ...msg, error: { ...error, code: ERR.invalidParams } };
  return msg;
}

export function completeResult(method: string, result: JsonObject, serverInfo: JsonObject | undefined): JsonObject {
  const out: JsonObject = { ...result };
  if (out.resultType === undefined) out.resultType = 'complete';
  if (CACHEABLE.has(method) && out.resultType === 'complete') {
    if (typeof out.ttlMs !== 'number') out.ttlMs = CACHE_HINTS.ttlMs;
    if (typeof out.cacheScope !== 'string') out.cacheScope = CACHE_HINTS.cacheScope;
  }
  if (serverInfo !== undefined) {
    const meta = isObject(out._meta) ? out._meta : undefined;
    if (meta?.[META_SERVER_INFO] === undefined) out._meta = { ...meta, [META_SERVER_INFO]: serverInfo };
  }
  return out;
}
