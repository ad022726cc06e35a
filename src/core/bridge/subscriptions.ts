// subscriptions/listen for a legacy server (basic/patterns/subscriptions.mdx). A legacy server
// sends list-changed notifications to whoever initialized it, and resource updates for what was
// subscribed with resources/subscribe; a 2026 client gets only what a listen asked for, each
// notification tagged with that listen's id. The bridge acknowledges a listen at once with what
// the server's capabilities can honour, subscribes at the server to the resources a listen
// names (again after every restart), and passes on each notification to the listens that want it.

import { isObject, notification, paramsOf, type JsonObject, type RequestId } from '../message.js';
import type { Outbox } from '../outbox.js';
import { META_SUBSCRIPTION_ID } from './envelope.js';

type ListKind = 'tools' | 'prompts' | 'resources';

const LIST_FILTER: Readonly<Record<ListKind, string>> = { tools: 'toolsListChanged', prompts: 'promptsListChanged', resources: 'resourcesListChanged' };

interface Listen {
  id: RequestId;
  lists: Set<ListKind>;
  uris: string[];
}

export class Subscriptions {
  #out: Outbox;
  #listens = new Map<RequestId, Listen>();
  /** Resources subscribed at the current server. */
  #atServer = new Set<string>();
  #ownId: () => string;

  constructor(out: Outbox, ownId: () => string) {
    this.#out = out;
    this.#ownId = ownId;
  }

  /** A listen request: acknowledged at once with the part the server can honour. */
  listen(id: RequestId, params: JsonObject | undefined, serverCaps: JsonObject | undefined, serverUp: boolean): void {
    const asked = isObject(params?.notifications) ? params.notifications : {};
    const honoured: JsonObject = {};
    const lists = new Set<ListKind>();
    for (const kind of ['tools', 'prompts', 'resources'] as const) {
      const cap = serverCaps?.[kind];
      if (asked[LIST_FILTER[kind]] === true && isObject(cap) && cap.listChanged === true) {
        lists.add(kind);
        honoured[LIST_FILTER[kind]] = true;
      }
    }
    const resources = serverCaps?.resources;
    const uris = Array.isArray(asked.resourceSubscriptions) && isObject(resources) && resources.subscribe === true ? asked.resourceSubscriptions.filter((u): u is string => typeof u === 'string') : [];
    if (uris.length > 0) honoured.resourceSubscriptions = uris;
    this.#listens.set(id, { id, lists, uris });
    this.#out.send('client', notification('notifications/subscriptions/acknowledged', { _meta: { [META_SUBSCRIPTION_ID]: id }, notifications: honoured }));
    this.#out.log('info', 'subscriptions/listen opened', { id, honoured });
    if (serverUp) this.subscribeAtServer();
  }

  /** notifications/cancelled naming a listen: it ends (no answer follows a cancel). */
  cancelled(requestId: RequestId): boolean {
    const listen = this.#listens.get(requestId);
    if (!listen) return false;
    this.#listens.delete(requestId);
    this.#out.log('info', 'subscriptions/listen closed by the client', { id: requestId });
    const wanted = this.#wanted();
    for (const uri of listen.uris) {
      if (wanted.has(uri) || !this.#atServer.delete(uri)) continue;
      this.#out.send('child', { jsonrpc: '2.0', id: this.#ownId(), method: 'resources/unsubscribe', params: { uri } });
    }
    return true;
  }

  /** A notification from the server: true when it is one a listen may carry (passed on or not). */
  fromServer(method: string, msg: JsonObject): boolean {
    const kind = listKindOf(method);
    if (kind !== undefined) {
      for (const l of this.#listens.values()) if (l.lists.has(kind)) this.#send(l.id, method, paramsOf(msg));
      return true;
    }
    if (method !== 'notifications/resources/updated') return false;
    const params = paramsOf(msg);
    const uri = params?.uri;
    if (typeof uri !== 'string') return true;
    // "might be a sub-resource of the one that the client actually subscribed to": below it in
    // the URI's path (file:///a/b under file:///a), never a sibling that shares a prefix (file:///ab).
    for (const l of this.#listens.values()) if (l.uris.some((u) => uri === u || uri.startsWith(u.endsWith('/') ? u : `${u}/`))) this.#send(l.id, method, params);
    return true;
  }

  /** mcp-leash's own list-changed (a restarted server offers other tools): to the listens that asked. */
  listChanged(kind: ListKind): void {
    for (const l of this.#listens.values()) if (l.lists.has(kind)) this.#send(l.id, `notifications/${kind}/list_changed`, undefined);
  }

  /** A server came up (first start or restart): it holds no subscriptions yet. */
  serverStarted(): void {
    this.#atServer.clear();
    this.subscribeAtServer();
  }

  subscribeAtServer(): void {
    for (const uri of this.#wanted()) {
      if (this.#atServer.has(uri)) continue;
      this.#atServer.add(uri);
      this.#out.send('child', { jsonrpc: '2.0', id: this.#ownId(), method: 'resources/subscribe', params: { uri } });
    }
  }

  #wanted(): Set<string> {
    const all = new Set<string>();
    for (const l of this.#listens.values()) for (const u of l.uris) all.add(u);
    return all;
  }

  #send(id: RequestId, method: string, params: JsonObject | undefined): void {
    const meta = isObject(params?._meta) ? params._meta : {};
    this.#out.send('client', notification(method, { ...params, _meta: { ...meta, [META_SUBSCRIPTION_ID]: id } }));
  }
}

function listKindOf(method: string): ListKind | undefined {
  switch (method) {
    case 'notifications/tools/list_changed':
      return 'tools';
    case 'notifications/prompts/list_changed':
      return 'prompts';
    case 'notifications/resources/list_changed':
      return 'resources';
    default:
      return undefined;
  }
}
