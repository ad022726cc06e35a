// The request life-cycle table (src/core/call-life.ts): what it allows, and what an illegal
// input does (a loud failure in tests, a logged -32603 in production).

import { describe, expect, it } from 'vitest';
import { TRANSITIONS, dispatch, end, newCall, type CallInput } from '../../src/core/call-life.js';
import type { MessageFrame } from '../../src/core/frame.js';
import { Session } from '../../src/core/session.js';
import { DEFAULT_POLICY } from '../../src/policy/types.js';
import { createResolver } from '../../src/policy/resolve.js';

const frame: MessageFrame = { kind: 'request', id: 1, method: 'tools/call', msg: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 't' } } };
const rule = createResolver(DEFAULT_POLICY)('tools/call', 't', 'client');
const fresh = () =>
  newCall({ key: 1, clientId: 1, method: 'tools/call', tool: 't', rule, receivedAt: 0, clientToken: undefined, progress: undefined, taskId: undefined, unslotted: false, hadCursor: false }, frame);

describe('the request life-cycle table', () => {
  it('an ended call accepts nothing', () => {
    expect(TRANSITIONS.ended).toStrictEqual({});
  });

  it('only a running call can be answered by the child, and only a queued one dispatched', () => {
    expect(TRANSITIONS.queued.answer).toBeUndefined();
    expect(TRANSITIONS.running.dispatch).toBeUndefined();
    expect(TRANSITIONS.queued.dispatch).toBe('running');
    expect(TRANSITIONS.running.answer).toBe('ended');
  });

  it('dispatch hands over the request once and forgets it', () => {
    const c = fresh();
    const illegal: Array<[string, CallInput]> = [];
    const hook = (call: { phase: string }, input: CallInput) => illegal.push([call.phase, input]);
    expect(dispatch(c, 5, 1, hook)).toBe(frame);
    expect(c.phase).toBe('running');
    expect(c.frame).toBeUndefined();
    expect(c.startedAt).toBe(5);
    // A second dispatch is a bug: the hook hears of it with the phase and input, and nothing changes.
    expect(dispatch(c, 6, 1, hook)).toBeUndefined();
    expect(illegal).toStrictEqual([['running', 'dispatch']]);
    expect(c.startedAt).toBe(5);
  });

  it('ending twice is reported, not applied twice', () => {
    const c = fresh();
    const seen: CallInput[] = [];
    expect(end(c, 'cancel', (_c, i) => seen.push(i))).toBe(true);
    expect(end(c, 'timeout', (_c, i) => seen.push(i))).toBe(false);
    expect(seen).toStrictEqual(['timeout']);
  });

  it('the IllegalTransition error names the call, the input and the phase', () => {
    const c = fresh();
    end(c, 'cancel', () => undefined);
    const session = new Session(DEFAULT_POLICY, { strict: true });
    // Reach the session's hook through a real path: nothing legal produces one, so call the table directly.
    expect(() => dispatch(c, 1, 1, (call, input) => {
      throw new Error(`call ${call.id} got "${input}" while ${call.phase}`);
    })).toThrow('call c1 got "dispatch" while ended');
    expect(session.inFlight).toBe(0);
  });
});

describe('issue 19: the phases of a job', () => {
  it('detach leads running to detached and queued to parked; a parked job dispatches to detached', () => {
    expect(TRANSITIONS.running.detach).toBe('detached');
    expect(TRANSITIONS.queued.detach).toBe('parked');
    expect(TRANSITIONS.parked.dispatch).toBe('detached');
  });

  it('a client cancel cannot end a job (its request is over); leash_cancel, timeouts and exits can', () => {
    for (const phase of ['parked', 'detached'] as const) {
      expect(TRANSITIONS[phase].cancel).toBeUndefined();
      expect(TRANSITIONS[phase]['task-cancel']).toBeUndefined();
      expect(TRANSITIONS[phase].detach).toBeUndefined();
      for (const input of ['job-cancel', 'timeout', 'child-exit', 'illegal'] as const) expect(TRANSITIONS[phase][input]).toBe('ended');
    }
    expect(TRANSITIONS.detached.answer).toBe('ended');
    expect(TRANSITIONS.parked.answer).toBeUndefined();
    expect(TRANSITIONS.running['job-cancel']).toBeUndefined();
  });
});
