// The guard rails' visibility half (CONTRACT §12): tools, prompts and resources hidden by policy.
//
// A hidden tool is removed from every tools/list answer (each page on its own), and a call to it
// never reaches the server: mcp-leash answers it at once with an isError result the model can
// read. prompts/get of a hidden prompt and resources/read of a hidden resource get a JSON-RPC
// error, and prompts/list and resources/list answers lose them. What is hidden and why comes
// from src/policy/visibility.ts; this module only applies it and says so in 'guard' events.
//
// Cost: nothing when no list is set (`filters` is false for every method and `refuses` checks
// one flag); otherwise one cached lookup per call and one pass over each list answer.

import { createVisibility, type Hideable, type HiddenBy } from '../policy/visibility.js';
import type { Policy } from '../policy/types.js';
import { ERR } from './errors.js';
import type { MessageFrame } from './frame.js';
import { errorResponse, isObject, type JsonObject } from './message.js';
import type { Outbox } from './outbox.js';
import type { CallId } from './events.js';
import { resultResponse } from './era.js';

/** The list answers that may lose items, what they hold, and the key that names an item. */
const LISTS: Record<string, { what: Hideable; member: string; key: string }> = {
  'tools/list': { what: 'tool', member: 'tools', key: 'name' },
  'prompts/list': { what: 'prompt', member: 'prompts', key: 'name' },
  'resources/list': { what: 'resource', member: 'resources', key: 'uri' },
};

export function hiddenToolText(tool: string, rule: string): string {
  return (
    `The tool "${tool}" is disabled by the mcp-leash policy (${rule}), so it was not run. ` +
    'Do not call it again; use another tool, or ask the user to allow it in the mcp-leash config.'
  );
}

export class GuardRails {
  readonly #out: Outbox;
  readonly #hiddenBy: HiddenBy;
  readonly #any: boolean;
  readonly #active: Record<Hideable, boolean>;
  /** Requests refused so far, to name them in events (`g<n>`). */
  #refused = 0;

  constructor(policy: Policy, out: Outbox) {
    this.#out = out;
    const v = createVisibility(policy);
    this.#hiddenBy = v.hiddenBy;
    this.#any = v.any;
    this.#active = {
      tool: !policy.tools.allow.includes('*') || policy.tools.deny.length > 0,
      prompt: policy.prompts.deny.length > 0,
      resource: policy.resources.deny.length > 0,
    };
  }

  /**
   * A client request for something hidden is answered here, and true returned: it must go no
   * further. `tool` is the tools/call's tool name, when it has one.
   */
  /** `modern`: a 2026-07-28 request, whose answers carry resultType and say -32602 where 2025 said -32002. */
  refuses(frame: MessageFrame & { kind: 'request' }, tool: string | undefined, params: JsonObject | undefined, now: number, modern = false): boolean {
    if (!this.#any) return false;
    const { id, method } = frame;
    let what: Hideable;
    let name: unknown;
    if (tool !== undefined) [what, name] = ['tool', tool];
    else if (method === 'prompts/get') [what, name] = ['prompt', params?.name];
    else if (method === 'resources/read') [what, name] = ['resource', params?.uri];
    else return false;
    if (typeof name !== 'string' || !this.#active[what]) return false;
    const rule = this.#hiddenBy(what, name);
    if (rule === undefined) return false;

    const call: CallId = `g${++this.#refused}`;
    let answer: JsonObject;
    if (what === 'tool') {
      answer = resultResponse(id, { content: [{ type: 'text', text: hiddenToolText(name, rule) }], isError: true }, modern);
    } else if (what === 'prompt') {
      answer = errorResponse(id, ERR.invalidParams, `The prompt "${name}" is disabled by the mcp-leash policy (${rule})`, { name });
    } else {
      // 2026-07-28 replaced "resource not found" -32002 with -32602 (changelog, minor change 6).
      answer = errorResponse(id, modern ? ERR.invalidParams : ERR.resourceNotFound, `Resource not found: "${name}" is hidden by the mcp-leash policy (${rule})`, { uri: name });
    }
    const out = this.#out;
    out.log('info', `request for a hidden ${what} refused`, { method, [what]: name, rule });
    if (out.events) out.event({ type: 'call-opened', call, from: 'client', method, ...(tool !== undefined && { tool }), id, at: now });
    out.send('client', answer, call);
    if (out.events) {
      out.event({ type: 'guard', action: 'refused', call, what, name, rule, at: now });
      const ended = what === 'tool' ? { outcome: 'tool-error' as const } : { outcome: 'error' as const, errorCode: (answer.error as { code: number }).code };
      out.event({ type: 'call-ended', call, ...ended, by: 'leash', ms: 0, at: now, phase: 'queued' });
    }
    return true;
  }

  /** Whether answers to `method` are list answers that may have to lose hidden items. */
  filters(method: string): boolean {
    // Asked for every answer: with no list set (the usual case), one field read.
    if (!this.#any) return false;
    const list = LISTS[method];
    return list !== undefined && this.#active[list.what];
  }

  /** The list answer without its hidden items (the same object when nothing is hidden). */
  filterList(call: CallId, method: string, msg: JsonObject, now: number): JsonObject {
    const list = LISTS[method];
    if (list === undefined || !this.#active[list.what]) return msg;
    const result = msg.result;
    if (!isObject(result) || !Array.isArray(result[list.member])) return msg;
    const items = result[list.member] as unknown[];
    const hidden: string[] = [];
    const kept = items.filter((item) => {
      const name = isObject(item) ? item[list.key] : undefined;
      if (typeof name !== 'string' || this.#hiddenBy(list.what, name) === undefined) return true;
      hidden.push(name);
      return false;
    });
    if (hidden.length === 0) return msg;
    this.#out.log('debug', `${list.member} hidden by policy`, { method, count: hidden.length });
    if (this.#out.events) this.#out.event({ type: 'guard', action: 'hidden', call, what: list.what, names: hidden, at: now });
    return { ...msg, result: { ...result, [list.member]: kept } };
  }
}
