// When the shell cannot encode a message the core asked it to send (JSON.stringify gives up on a
// value nested past its recursion limit): whoever waits for an answer still gets one.

import type { Admission } from './admission.js';
import type { ClientCalls } from './client-calls.js';
import { ERR } from './errors.js';
import { errorResponse } from './message.js';
import type { Outbox } from './outbox.js';
import type { Output } from './outputs.js';
import type { ServerRequests } from './server-requests.js';

export interface UnencodableDeps {
  out: Outbox;
  calls: ClientCalls;
  admission: Admission;
  server: ServerRequests;
}

export function unencodable(o: Extract<Output, { type: 'forward' | 'send' }>, why: string, now: number, d: UnencodableDeps): void {
  const { to } = o;
  const msg = o.type === 'send' ? o.msg : o.frame.msg;
  const id = o.type === 'forward' && o.id !== undefined ? o.id : msg.id;
  d.out.log('error', 'a message could not be encoded and was not sent', { to, method: msg.method as string | undefined, why });
  if (typeof msg.method === 'string') {
    if (typeof id !== 'number') return; // a notification: nobody waits for it
    if (to === 'client') return d.server.unencodable(id, why, now);
    // A client request the child never got: answer it in the child's place.
    const call = d.calls.get(id);
    if (!call) return;
    const answer = errorResponse(call.clientId, ERR.invalidRequest, `Invalid Request: the message could not be forwarded (${why})`);
    return d.admission.close(call, 'unencodable', { outcome: 'error', by: 'leash' }, { msg: answer }, now);
  }
  // An answer: its request is already finished here, so an error under the same id replaces it.
  if (typeof id === 'string' || typeof id === 'number') {
    d.out.send(to, errorResponse(id, ERR.internal, `Internal error: the answer could not be forwarded (${why})`));
  }
}
