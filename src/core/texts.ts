// Every sentence mcp-leash says to a client or a model, in one place so that they stay consistent.

/**
 * A span for people, in messages and limits alike: 250 -> "250ms", 1500 -> "1.5s", 40213 ->
 * "40s", 312000 -> "5m12s". Under 10 s it keeps up to two decimals, so a limit of 1.5 s reads as
 * "1.5s" (config spellings such as "1s500ms" are for --print-config, not for a model to read),
 * and a call cut 1.5 s after it started is not said to have run 2 s.
 */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 10_000) return `${Number((ms / 1000).toFixed(2))}s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  const rs = s % 60;
  if (m < 60) return rs ? `${m}m${rs}s` : `${m}m`;
  const h = Math.floor(m / 60);
  const rm = m % 60;
  return rm ? `${h}h${rm}m` : `${h}h`;
}

export type TimeoutKind = 'total' | 'idle';

export function what(method: string, tool: string | undefined): string {
  return tool !== undefined ? `tool "${tool}"` : `"${method}"`;
}

/** Reason sent to the child in notifications/cancelled. */
export function cancelReason(kind: TimeoutKind, limitMs: number): string {
  return kind === 'total'
    ? `timed out after ${formatMs(limitMs)}`
    : `timed out: no progress for ${formatMs(limitMs)}`;
}

/** Text of the isError tool result a model reads when a tool call timed out. */
export function toolTimeoutText(tool: string, kind: TimeoutKind, limitMs: number, elapsedMs: number): string {
  const why =
    kind === 'total'
      ? `did not finish within its time limit of ${formatMs(limitMs)}`
      : `reported no progress for ${formatMs(limitMs)} (its idle limit), ${formatMs(elapsedMs)} after it was called`;
  return (
    `The tool "${tool}" ${why}, so mcp-leash stopped it and cancelled the call on the server. ` +
    `No result is available. You may retry with a smaller or simpler request, or ask the user to raise ` +
    `the limit in the mcp-leash policy.`
  );
}

export function heartbeatText(
  method: string,
  tool: string | undefined,
  elapsedMs: number,
  queue: { position: number } | undefined,
  lastChildProgressAgoMs: number | undefined,
): string {
  const target = what(method, tool);
  // Tenths are enough for a running clock (and read better than "2.01s").
  elapsedMs = Math.round(elapsedMs / 100) * 100;
  if (queue) {
    return `mcp-leash: ${target} is queued (position ${queue.position}), waiting ${formatMs(elapsedMs)} for a free slot`;
  }
  const tail =
    lastChildProgressAgoMs === undefined
      ? 'no progress from server'
      : `last progress from server ${formatMs(lastChildProgressAgoMs)} ago`;
  return `mcp-leash: waiting for ${target}: ${formatMs(elapsedMs)}, ${tail}`;
}

export function childExitText(code: number | null, signal: string | null, stderrTail: string[]): string {
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  const last = stderrTail.length ? `; last stderr: ${stderrTail.join(' | ')}` : '';
  return `MCP server ${how} before answering${last}`;
}

export function giveUpText(restarts: number, windowMs: number, lastExit: string): string {
  return `MCP server is not running: it failed ${restarts + 1} times within ${formatMs(windowMs)} and mcp-leash stopped restarting it (${lastExit})`;
}

/** Text of the isError tool result for a call that ran out of time before the server saw it. */
export function queuedTimeoutText(tool: string, limitMs: number): string {
  return (
    `The tool "${tool}" did not start within its time limit of ${formatMs(limitMs)}: it was still waiting in ` +
    `mcp-leash's queue behind other calls, and the server never saw it. No result is available. You may retry ` +
    `later, when fewer calls are running, or ask the user to raise the limit or maxConcurrency in the mcp-leash policy.`
  );
}

// ── jobs (jobs.ts) ─────────────────────────────────────────────────────────────────────────

/** `(progress 40/100: "indexing src/")`, or that none came yet. */
export function jobProgressText(p: { progress: number; total: number | undefined; message: string | undefined } | undefined): string {
  if (!p) return 'no progress reported yet';
  const value = p.total === undefined ? `progress ${p.progress}` : `progress ${p.progress}/${p.total}`;
  return p.message === undefined ? value : `${value}: ${JSON.stringify(p.message)}`;
}

/** What the model reads when a slow call is answered with a job handle. */
export function jobDetachedText(tool: string, elapsedMs: number, progress: string, job: string, awaitName: string, cancelName: string): string {
  return (
    `The tool "${tool}" is still running after ${formatMs(elapsedMs)} (${progress}). mcp-leash keeps it running as job "${job}". ` +
    `Call ${awaitName} with {"job": "${job}"} to wait for its result, or ${cancelName} with {"job": "${job}"} to stop it.`
  );
}

/** A leash_await that waited as long as it may, while the job still runs. */
export function jobStillRunningText(tool: string, elapsedMs: number, progress: string, job: string, awaitName: string, cancelName: string): string {
  return (
    `The job "${job}" (tool "${tool}") is still running after ${formatMs(elapsedMs)} (${progress}). ` +
    `Call ${awaitName} with {"job": "${job}"} again to keep waiting, or ${cancelName} with {"job": "${job}"} to stop it.`
  );
}

export function jobFailedText(job: string, tool: string, why: string): string {
  return `The job "${job}" (tool "${tool}") failed: ${why}`;
}

export function jobCancelledText(job: string, tool: string): string {
  return `The job "${job}" (tool "${tool}") was cancelled with leash_cancel, and the server was told to stop it. No result is available.`;
}

export function jobExitedText(exitText: string): string {
  return `${exitText}. Jobs do not survive the server's exit (nor a restart); call the tool again if its result is still needed.`;
}

export function jobTooBigText(tool: string, bytes: number, maxBytes: number): string {
  return (
    `the tool "${tool}" finished, but its result (${bytes} bytes) is larger than mcp-leash keeps for jobs ` +
    `(jobs.maxBytes = ${maxBytes}). Ask the tool for less, or ask the user to raise jobs.maxBytes in the mcp-leash policy.`
  );
}

export function jobUnknownText(job: unknown, gone: 'expired' | 'evicted' | undefined, ttlMs: number, known: string[]): string {
  const name = typeof job === 'string' ? `"${job}"` : JSON.stringify(job ?? null);
  const why =
    gone === 'expired'
      ? `The job ${name} has expired: its result was kept for ${formatMs(ttlMs)} after it finished, and is gone now.`
      : gone === 'evicted'
        ? `The job ${name} was dropped to make room for newer jobs (mcp-leash keeps at most jobs.max jobs and jobs.maxBytes of results).`
        : typeof job === 'string'
          ? `There is no job ${name}.`
          : `Expected {"job": "<id>"} with a job id from an earlier tool answer, got ${name}.`;
  const list = known.length ? ` Jobs mcp-leash keeps now: ${known.join(', ')}.` : ' mcp-leash keeps no jobs now.';
  return why + list;
}

export function jobCancelNothingText(job: string, tool: string, state: string): string {
  return `The job "${job}" (tool "${tool}") had already ended (${state}); there was nothing to cancel.`;
}
