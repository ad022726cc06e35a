// The shell's drain (src/shell/wiring.ts): outputs performed in order, and a message that cannot
// be encoded handed back to the core once its batch is done, never in the middle of it.

import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/core/message.js';
import type { Output, Side } from '../../src/core/outputs.js';
import { drainOutputs, type Drainable } from '../../src/shell/wiring.js';
import { nested } from '../reliability/wire-arbitraries.js';

const deep = JSON.parse(nested(10_000, true, 'array')) as unknown;

/** A core that gives out scripted batches and records what it is told. */
class FakeCore implements Drainable {
  log: string[] = [];
  #batches: Output[][];
  constructor(batches: Output[][]) {
    this.#batches = batches;
  }
  poll(): Output[] {
    this.log.push('poll');
    return this.#batches.shift() ?? [];
  }
  handleUnencodable(out: { to: Side; msg: JsonObject }, why: string, now: number): void {
    this.log.push(`unencodable ${out.to} ${String(out.msg.id)} at ${now} (${why.slice(0, 20)})`);
    this.#batches.push([{ type: 'send', to: out.to, msg: { jsonrpc: '2.0', id: out.msg.id as number, error: { code: -32603, message: 'no' } } }]);
  }
}

describe('drainOutputs', () => {
  it('performs a batch in order, then hands back what could not be encoded, then drains what the core answers', () => {
    const core = new FakeCore([
      [
        { type: 'send', to: 'client', msg: { jsonrpc: '2.0', id: 1, result: { deep } } },
        { type: 'log', level: 'info', msg: 'between' },
        { type: 'send', to: 'child', msg: { jsonrpc: '2.0', id: 2, method: 'ping' } },
      ],
    ]);
    drainOutputs(core, {
      write: (o, data) => core.log.push(`write ${o.to} ${typeof data === 'string' ? data.trim() : 'views'}`),
      other: (o) => core.log.push(`other ${o.type}`),
      now: () => 42,
    });
    expect(core.log).toStrictEqual([
      'poll',
      'other log',
      'write child {"jsonrpc":"2.0","id":2,"method":"ping"}',
      'unencodable client 1 at 42 (Maximum call stack s)',
      'poll',
      'write client {"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"no"}}',
      'poll',
    ]);
  });
});
