// The keys mcp-leash gives the requests it forwards (the child's ids for client calls, the
// client's ids for the child's own requests): integers from 1, handed out in order, never reused.

/**
 * Whether `key` was handed out (below `next`) and is no longer in `live`: an answer for it is
 * late, not a stray. Keys are never reused, so no memory of finished keys is needed.
 */
export function isFinishedKey(key: number, next: number, live: ReadonlyMap<number, unknown>): boolean {
  return Number.isInteger(key) && key >= 1 && key < next && !live.has(key);
}
