// Property test: random interleavings of client requests and cancels, child answers and progress
// (single or in bursts), server-to-client requests with their answers and cancels, clock jumps and
// (rarely) a child exit, driven through the core on virtual time. A reference
// model follows along and checks the contract's invariants after every output and every step:
//
//   §3  each client request gets at most one response, under its exact id; child ids never reused;
//   §4  nothing for a request after its cancellation; the cancel reaches the child only when the
//       child saw the request, with the child id and the client's reason;
//   §5  a timeout answers exactly at its deadline (total from receipt, idle from the last child
//       progress or the dispatch), never later and never earlier;
//   §6  per client token: progress strictly increasing, never above the total in the same
//       notification, never after the response / cancel / timeout; a forwarded child value is the
//       newest one; heartbeats keep the gap under heartbeatMs; the throttle keeps forwards apart;
//   §7  never more than maxConcurrency (or the per-tool limit) at the child; FIFO; no idle slot
//       while a request that fits is queued;
//   §8  a child exit fails everything in flight, then stops;
//   s2c server-to-client requests get fresh ids of mcp-leash's; answers and cancels map back exactly;
//       only an exact method rule times them, at exactly the limit;
//   end every request not cancelled got exactly one response; inFlight 0; no deadline left.
//   §11 jobs: handles at detachAfter, then silence; leash_await/leash_cancel answered once; every job ends once.

import fc from 'fast-check';
import { describe, it } from 'vitest';
import { cmdArb, configArb, Model } from './model.js';

describe('property: random interleavings keep every invariant (§3–§8)', () => {
  it('holds over 200 runs of up to 200 steps', () => {
    fc.assert(
      fc.property(configArb, fc.array(cmdArb, { minLength: 20, maxLength: 200, size: 'max' }), fc.boolean(), (cfg, cmds, endByExit) => {
        const m = new Model(cfg);
        for (const cmd of cmds) m.run(cmd);
        m.finish(endByExit);
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});
