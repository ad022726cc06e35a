// What a client gets for a line that is not a usable request: the JSON-RPC error that says why.

import { ERR } from './errors.js';
import type { Frame } from './frame.js';
import { errorResponse } from './message.js';
import type { Outbox } from './outbox.js';

const BATCH_REFUSED = 'Invalid Request: JSON-RPC batches are not supported (removed from MCP in 2025-06-18); send one message per line';

export function refusal(out: Outbox, frame: Extract<Frame, { kind: 'unparsable' | 'invalid' }>): void {
  if (frame.kind === 'invalid') {
    out.log('warn', 'invalid message from client', { reason: frame.reason });
    return out.send('client', errorResponse(frame.id, ERR.invalidRequest, `Invalid Request: ${frame.reason}`));
  }
  out.log('warn', 'unusable line from client', { problem: frame.problem, detail: frame.detail, line: frame.preview });
  if (frame.problem === 'json') out.send('client', errorResponse(null, ERR.parse, `Parse error: ${frame.detail}`));
  else if (frame.problem === 'batch') out.send('client', errorResponse(null, ERR.invalidRequest, BATCH_REFUSED));
  else out.send('client', errorResponse(null, ERR.invalidRequest, `Invalid Request: ${frame.detail}`));
}
