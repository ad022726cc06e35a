// A bridge, until the shell speaks the Tap of tap.ts (issue 18): the proxy's old tap calls,
// timed here and sized by serialising what was sent. The core does not emit events yet, so a
// trace written through this holds frames and no calls. Delete it with the shell's rewiring.

import { performance } from 'node:perf_hooks';
import type { Output, Side } from '../core/outputs.js';
import type { Frame } from '../core/session.js';
import type { Tap } from './tap.js';

export interface LegacyTap {
  received(from: Side, frame: Frame, bytes: number): void;
  sent(to: Side, out: Extract<Output, { type: 'send' }>): void;
}

export function legacyTap(tap: Tap, clock: () => number = () => performance.now()): LegacyTap {
  return {
    received: (from, frame, bytes) => tap.received(from, frame, bytes, clock()),
    sent: (_to, out) => tap.sent(out, Buffer.byteLength(JSON.stringify(out.msg)), clock()),
  };
}
