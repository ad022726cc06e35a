// The shell's wiring of the codec to the core, without streams, processes or clocks, so that the
// shell (proxy.ts) and the wire tests (test/reliability/wire-rig.ts) run the same code.
//
// In: one Decoder per side, made by sideDecoder(). Out, one drain: poll the core, encode every
// message output in order and hand the others on. A message that cannot be encoded is not sent;
// once the batch it came in has been performed, the core hears of it (handleUnencodable), and
// what it answers instead comes in the next batch. The core is never re-entered while one of its
// batches is being performed.

import type { Output, Side } from '../core/outputs.js';
import { Decoder, encode, isUnencodable, type MessageOutput } from '../wire/codec.js';

/**
 * Whether the core is given long answers without their result (`partial` frames, core/frame.ts).
 * The core forwards them from their bytes, and parses one only where it must look inside (an
 * initialize or tools/list answer, a task's result): a 48 MB answer is never parsed whole.
 */
export const PARTIAL_ANSWERS = true;

/** One side's decoder as the shell makes it. `longLineBytes`: tests lower it to reach the long-line path with small lines. */
export function sideDecoder(from: Side, maxMessageBytes: number, longLineBytes?: number): Decoder {
  return new Decoder({ from, maxMessageBytes, longLineBytes, partial: PARTIAL_ANSWERS });
}

/** The part of the core a drain talks to. handleUnencodable is told of a message output that was not sent. */
export interface Drainable {
  poll(): Output[];
  handleUnencodable(out: MessageOutput, why: string, now: number): void;
}

export interface DrainHooks {
  /** One encoded message for `out.to`, in order: a line as a string, or as Buffer views. */
  write(out: MessageOutput, data: string | Buffer[]): void;
  /** Any other output, in order. */
  other(out: Output): void;
  /** The time to give the core with an unencodable message. */
  now(): number;
  /**
   * Writes a spilled result (a 'spill' output) and says whether it was written: then the
   * answer that names the file is sent, else the one that does not. Without it: never written.
   */
  spill?(out: Extract<Output, { type: 'spill' }>): boolean;
}

/** Performs everything the core has to do, batch after batch, until it has nothing more. */
export function drainOutputs(core: Drainable, hooks: DrainHooks): void {
  for (let batch = core.poll(); batch.length > 0; batch = core.poll()) {
    let failed: Array<[MessageOutput, string]> | undefined;
    for (let o of batch) {
      if (o.type === 'spill') {
        const written = hooks.spill?.(o) ?? false;
        o = { type: 'send', to: o.to, msg: written ? o.written : o.unwritten, call: o.call };
      }
      if (o.type !== 'send' && o.type !== 'forward') {
        hooks.other(o);
        continue;
      }
      const e = encode(o);
      if (isUnencodable(e)) (failed ??= []).push([o, e.why]);
      else hooks.write(o, e);
    }
    if (failed) {
      for (const [o, why] of failed) core.handleUnencodable(o, why, hooks.now());
    }
  }
}
