/*
 * Protocol eras: theory of operation.
 *
 * MCP 2026-07-28 ("modern") has no initialize and no ping: every request carries its protocol
 * version and client capabilities in `params._meta` (the envelope), and every result carries
 * `resultType`. Earlier revisions ("legacy", 2024-11-05 to 2025-11-25) open with initialize.
 * mcp-leash relays both; it only needs to know the era for what it writes or sends itself:
 *
 *   - a result of its own (a timeout's tool result, a task handle) gets `resultType: "complete"`
 *     when the request it answers was modern (ownResult);
 *   - health checks are `ping` in the legacy era and `server/discover` with the envelope in the
 *     modern one (healthRequest), and start only once the era is known from the traffic;
 *   - `server/discover` is bounded by the startup limit, never by request timeouts, and, while
 *     the child's era is not known, by the probe wait too (probeRule).
 *
 * The era is learnt from the traffic, never guessed: a request with the envelope is modern, an
 * initialize is legacy (requestEra). The client's era is that of its first marked request; the
 * child's is learnt from its answers (a discover result: modern; an initialize result: legacy),
 * unless the user states it (`serverEra`).
 *
 * The probe. A client that speaks both eras sends `server/discover` first and falls back to
 * initialize on any error that is not a modern one, or on silence. A legacy child may answer
 * with an error (fine: it is relayed), stay silent (the client would stall for its whole request
 * timeout: mcp-leash answers -32601 itself after PROBE_WAIT_MS), or exit (mcp-leash answers the
 * probe with the exit error and restarts the child at once, outside the restart policy, so that
 * the fallback initialize finds a child). mcp-leash never answers a probe with a discover result
 * or -32022: those would claim a modern server it does not have.
 */

import type { ResolvedRule, ServerEra } from '../policy/types.js';
import { errorResponse, isObject, type JsonObject, type RequestId } from './message.js';

export type Era = 'legacy' | 'modern';
export type { ServerEra };

export const DISCOVER = 'server/discover';
export const META_PROTOCOL_VERSION = 'io.modelcontextprotocol/protocolVersion';
export const META_CLIENT_CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';

/**
 * How long an unanswered probe waits before mcp-leash answers it, when the child's era is not
 * known. A running server answers server/discover in milliseconds, and a node or python server
 * starts in one or two seconds, so 5 s misses only slow starts (a cold `npx`/`uvx` download),
 * for which `serverEra: "2026"` is the cure. It is far below the 60 s an SDK client would
 * otherwise stall on a legacy server that ignores the probe, and still leaves that client's own
 * probe timeout (its request timeout) room to get mcp-leash's answer.
 */
export const PROBE_WAIT_MS = 5_000;

/** Marks the rule of a call in its probe wait (its first `from` entry). */
export const PROBE_WAIT_RULE = 'probeWait';

/** JSON-RPC "Method not found": what a legacy server itself answers to a method it lacks. */
const METHOD_NOT_FOUND = -32601;

/** The era a client request declares: modern with the envelope, legacy for initialize, else none. */
export function requestEra(method: string, params: JsonObject | undefined): Era | undefined {
  if (method === 'initialize') return 'legacy';
  return protocolVersionOf(params) !== undefined ? 'modern' : undefined;
}

/** The protocol version a request's envelope names, if it has one. */
export function protocolVersionOf(params: JsonObject | undefined): string | undefined {
  const meta = params?._meta;
  if (!isObject(meta)) return undefined;
  const v = meta[META_PROTOCOL_VERSION];
  return typeof v === 'string' ? v : undefined;
}

/** A result mcp-leash writes itself: modern requests get `resultType: "complete"` (required in 2026). */
export function ownResult(result: JsonObject, modern: boolean): JsonObject {
  return modern ? { resultType: 'complete', ...result } : result;
}

/** A whole response carrying ownResult(result). */
export function resultResponse(id: RequestId, result: JsonObject, modern: boolean): JsonObject {
  return { jsonrpc: '2.0', id, result: ownResult(result, modern) };
}

/** What mcp-leash knows of both ends' eras. */
export class Eras {
  readonly configured: ServerEra;
  #client: Era | undefined;
  #child: Era | undefined;
  /** The protocol version the client's latest modern request named (health checks speak it). */
  #version: string | undefined;
  /** The bridge serves a 2026 client with this legacy child (bridge/bridge.ts): health checks are pings. */
  bridged = false;
  /** Probes mcp-leash answered itself, by call key: a late discover result from them is worth a warning. */
  #answeredProbes = new Set<number>();

  constructor(configured: ServerEra) {
    this.configured = configured;
    this.#child = configured === '2026' ? 'modern' : configured === 'legacy' ? 'legacy' : undefined;
  }

  get client(): Era | undefined {
    return this.#client;
  }

  /** The child's era: stated by the user, or learnt from its answers. */
  get child(): Era | undefined {
    return this.#child;
  }

  /**
   * A client request arrived; returns whether it is modern (its results then need resultType).
   * The client's era is its session's: an initialize makes it legacy even after a probe (that is
   * the fallback), and a probe alone does not undo a legacy session.
   */
  fromClient(method: string, params: JsonObject | undefined): boolean {
    const era = requestEra(method, params);
    if (era === 'legacy') this.#client = 'legacy';
    else if (era === 'modern') {
      this.#version = protocolVersionOf(params);
      if (method !== DISCOVER || this.#client === undefined) this.#client = 'modern';
    }
    return era === 'modern';
  }

  /** The child answered a client request: its answers tell its era, when the user did not. */
  childAnswered(method: string, msg: JsonObject): void {
    if (this.configured !== 'auto') return;
    if (method === DISCOVER && isObject(msg.result)) this.#child = 'modern';
    else if (method === 'initialize' && isObject(msg.result)) this.#child ??= 'legacy';
  }

  /** The bridge's own probe told the child's era. */
  learnChild(era: Era): void {
    this.#child = era;
  }

  /** A probe mcp-leash must answer at once without the child: the user said the child is legacy. */
  get refusesProbe(): boolean {
    return this.configured === 'legacy';
  }

  /** The limits of a server/discover call: the startup limit, and the probe wait while the child's era is unknown. */
  probeRule(rule: ResolvedRule, startupTimeoutMs: number): ResolvedRule {
    if (this.#child === 'modern') return rule;
    const wait = startupTimeoutMs > 0 ? Math.min(PROBE_WAIT_MS, startupTimeoutMs) : PROBE_WAIT_MS;
    return { ...rule, totalTimeoutMs: wait, idleTimeoutMs: 0, onTimeout: 'error', from: [PROBE_WAIT_RULE, ...rule.from] };
  }

  /** Whether a child exit while this probe ran means "a legacy child that dies on the probe". */
  diedOnProbe(method: string): boolean {
    return method === DISCOVER && this.configured !== '2026' && this.#child !== 'modern';
  }

  /** mcp-leash answered a probe itself; remembers it (a few) to explain a late discover result. */
  probeAnswered(key: number): void {
    if (this.#answeredProbes.size >= 16) this.#answeredProbes.clear();
    this.#answeredProbes.add(key);
  }

  /** A late answer came for call `key`: true (and forgotten) when it answered a probe mcp-leash had answered. */
  lateProbeAnswer(key: number): boolean {
    return this.#answeredProbes.delete(key);
  }

  /**
   * The health check request in the child's era, once known: `ping` (legacy), or, in 2026, where
   * ping is gone, `server/discover` with the envelope, the one request every 2026 server must
   * implement, without arguments or side effects. Undefined while the era is not known.
   */
  healthRequest(id: string): JsonObject | undefined {
    if (this.#client === 'legacy' || this.bridged) return { jsonrpc: '2.0', id, method: 'ping' };
    if (this.#client !== 'modern' || this.#version === undefined) return undefined;
    return { jsonrpc: '2.0', id, method: DISCOVER, params: { _meta: { [META_PROTOCOL_VERSION]: this.#version, [META_CLIENT_CAPABILITIES]: {} } } };
  }
}

/** The answer to a probe the child left unanswered for `waitedMs` (non-modern: the client falls back). */
export function probeUnanswered(id: RequestId, waitedMs: number): JsonObject {
  return errorResponse(
    id,
    METHOD_NOT_FOUND,
    `Method not found: the MCP server did not answer server/discover within ${waitedMs}ms, so mcp-leash takes it for a pre-2026-07-28 server; use initialize (set "serverEra" in the mcp-leash config to skip this wait)`,
    { method: DISCOVER, waitedMs, by: 'mcp-leash' },
  );
}

/** The answer to a probe when the user said the child is legacy (`serverEra: "legacy"`). */
export function probeRefused(id: RequestId): JsonObject {
  return errorResponse(id, METHOD_NOT_FOUND, 'Method not found: this MCP server speaks MCP 2025-11-25 and earlier (serverEra "legacy" in the mcp-leash config); use initialize', {
    method: DISCOVER,
    by: 'mcp-leash',
  });
}
