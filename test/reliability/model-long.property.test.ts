// The core against its reference model over long random runs (issue 7): the same model and
// commands as test/core/interleavings.property.test.ts (test/core/model.ts), but long-lived
// sessions: no child exit in the middle of a run, so hundreds of steps pile up requests in flight,
// reused ids, deep queues, overlapping timeouts, heartbeats and server-to-client requests. The
// model checks, after every output and every step: exactly one answer per request unless
// cancelled; none after a cancel; timeouts exactly once, at their deadline; progress strictly
// increasing and within its total; FIFO queue order and concurrency limits; and at the end, no
// state left (inFlight 0, no deadline, silence for an hour of virtual time).
//
// Seeded and bounded in `npm test` (MODEL_SEED, default 4242). MODEL_RUNS and MODEL_STEPS scale it
// for a longer soak, e.g. MODEL_RUNS=2000 MODEL_STEPS=1000.

import fc from 'fast-check';
import { describe, it } from 'vitest';
import { cmdArb, configArb, Model, type Cmd } from '../core/model.js';

const SEED = Number(process.env.MODEL_SEED ?? 4242);
const RUNS = Number(process.env.MODEL_RUNS ?? 100);
const STEPS = Number(process.env.MODEL_STEPS ?? 400);

/** The model's commands without the rare child exit, so that a run stays a long-lived session. */
const liveCmdArb: fc.Arbitrary<Cmd> = cmdArb.filter((c) => c.k !== 'exit');

describe('property, long runs: the core keeps every invariant over long-lived sessions', () => {
  it(`holds over ${RUNS} runs of ${STEPS} steps (${RUNS * STEPS} steps), no exit until the end`, () => {
    fc.assert(
      fc.property(configArb, fc.array(liveCmdArb, { minLength: STEPS, maxLength: STEPS }), fc.boolean(), (cfg, cmds, endByExit) => {
        const m = new Model(cfg);
        for (const cmd of cmds) m.run(cmd);
        m.finish(endByExit);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  }, 120_000);

  it(`holds over ${Math.ceil(RUNS / 2)} runs of ${STEPS} steps with the original mix (child exits included)`, () => {
    fc.assert(
      fc.property(configArb, fc.array(cmdArb, { minLength: STEPS, maxLength: STEPS }), fc.boolean(), (cfg, cmds, endByExit) => {
        const m = new Model(cfg);
        for (const cmd of cmds) m.run(cmd);
        m.finish(endByExit);
      }),
      { seed: SEED + 1, numRuns: Math.ceil(RUNS / 2) },
    );
  }, 120_000);
});
