// The config file, as zod sees it. This is the single description of the file: the loader
// validates with it, and schema/leash.schema.json is generated from it (descriptions included),
// so editors, docs and mcp-leash cannot drift apart. Every object is strict: a misspelt key is
// an error, never a silently ignored setting.

import { z } from 'zod';
import { globError } from '../policy/glob.js';
import { DURATION_PATTERN, MAX_DURATION_MS, durationProblem, parseDuration, show } from './duration.js';

import { LOG_LEVELS, type LogLevel } from './log-levels.js';

export { LOG_LEVELS, type LogLevel };

/** One message for every way a duration can be wrong, whichever branch of the union zod tried. */
const durationError = (issue: { input?: unknown }): string =>
  durationProblem(issue.input) ?? 'expected a duration like "30s"';

function duration(description: string) {
  return z
    .union(
      [
        z.string().regex(DURATION_PATTERN, { error: durationError }),
        z.int({ error: durationError }).min(0, { error: durationError }).max(MAX_DURATION_MS, { error: durationError }),
      ],
      { error: durationError },
    )
    .superRefine((value, ctx) => {
      // The pattern cannot bound a string like "1000h"; this can.
      const problem = durationProblem(value);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, input: value });
    })
    .transform((value) => parseDuration(value))
    .describe(`${description} A duration: "250ms", "30s", "5m", "1h", "1h30m", a number of milliseconds, or 0/"off".`);
}

const positiveIntError = (): string => 'expected a positive integer';

function positiveInt(description: string) {
  return z.int({ error: positiveIntError }).min(1, { error: positiveIntError }).describe(description);
}

function glob(description: string) {
  return z.string().superRefine((value, ctx) => {
    const problem = globError(value);
    if (problem !== undefined) {
      const message = problem.includes(', got ') ? problem : `${problem}, got ${show(value)}`;
      ctx.addIssue({ code: 'custom', message, input: value });
    }
  }).meta({
    description,
    // Mirrors globError for editors: non-empty, and none of the glob syntax mcp-leash refuses.
    pattern: String.raw`^[^\[\]{}]+$`,
  });
}

const onTimeout = z
  .enum(['result', 'error'])
  .describe(
    'What the client gets when a request times out. "result": for tools/call, a normal tool result with isError: true ' +
      'whose text tells the model what happened (other methods still get an error). "error": a JSON-RPC error -32001.',
  );

const idleTimeout = (): ReturnType<typeof duration> =>
  duration('Cancel the request when the server sends no progress for it for this long (restarted by every progress notification).');
const totalTimeout = (): ReturnType<typeof duration> =>
  duration('Hard cap on the whole request, from the moment mcp-leash received it (time queued included); never extended.');
const heartbeat = (): ReturnType<typeof duration> =>
  duration('While a request with a progress token waits, the client hears about it at least this often.');
const detachAfter = (): ReturnType<typeof duration> =>
  duration(
    'tools/call only: a call still unanswered this long after receipt (queue time included) is answered at once with a job the model ' +
      'can wait for with leash_await (or stop with leash_cancel), and goes on at the server under its own limits. Set it a little below ' +
      "the host's hard limit on tool calls.",
  );

export const defaultsSchema = z
  .strictObject({
    idleTimeout: idleTimeout().optional(),
    totalTimeout: totalTimeout().optional(),
    onTimeout: onTimeout.optional(),
    heartbeat: heartbeat().optional(),
    detachAfter: detachAfter().optional(),
  })
  .describe('Limits for every client request that no rule names.');

export const ruleSchema = z
  .strictObject({
    tool: glob('Tool name for tools/call: exact ("index_repo") or a glob with * and ? ("search_*"). Exact beats glob; more literal characters beat fewer; a later rule beats an earlier one.').optional(),
    method: glob('JSON-RPC method, exact or glob ("resources/read", "prompts/*"). With "tool", it may only be "tools/call".').optional(),
    idleTimeout: idleTimeout().optional(),
    totalTimeout: totalTimeout().optional(),
    onTimeout: onTimeout.optional(),
    heartbeat: heartbeat().optional(),
    maxConcurrency: positiveInt('At most this many calls of the matching tools at once (only on a rule with "tool"); the top-level maxConcurrency still applies.').optional(),
    detachAfter: detachAfter().optional(),
  })
  .superRefine((rule, ctx) => {
    if (rule.tool === undefined && rule.method === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected "tool" or "method" (a rule must say what it applies to)', input: rule });
    }
    if (rule.tool !== undefined && rule.method !== undefined && rule.method !== 'tools/call') {
      ctx.addIssue({
        code: 'custom',
        path: ['method'],
        message: `expected "tools/call" on a rule with "tool", got ${show(rule.method)} (drop "tool" or "method")`,
        input: rule.method,
      });
    }
    if (rule.tool === undefined && rule.maxConcurrency !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxConcurrency'],
        message: 'per-rule maxConcurrency is only for tools: add "tool", or use the top-level "maxConcurrency"',
        input: rule.maxConcurrency,
      });
    }
  })
  .describe('A timeout rule for a tool (tools/call) or a method. Fields it leaves out fall through to less specific rules, then to "defaults".');

const countError = (): string => 'expected an integer of at least 0';
const concurrencyError = (): string => 'expected a positive integer, or 0 or "off" for unlimited';

export const configSchema = z
  .strictObject({
    $schema: z.string().describe('Path or URL of the JSON Schema, for editors; ignored by mcp-leash.').optional(),
    defaults: defaultsSchema.optional(),
    rules: z.array(ruleSchema).describe('Timeout rules. The most specific match wins, field by field.').optional(),
    startupTimeout: duration('Time the server has to answer "initialize"; past it the client gets an error and the server is stopped.').optional(),
    progressInterval: duration('Minimum time between two progress notifications forwarded for one request (a flooding server is throttled, newest state kept).').optional(),
    maxConcurrency: z
      .union([z.literal('off', { error: concurrencyError }), z.int({ error: concurrencyError }).min(0, { error: concurrencyError })], {
        error: concurrencyError,
      })
      .transform((n) => (n === 'off' || n === 0 ? Infinity : n))
      .describe('At most this many client requests in flight at the server; the rest wait in a FIFO queue. 0 or "off": unlimited.')
      .optional(),
    maxMessageBytes: positiveInt('Longest JSON-RPC line accepted, in bytes; longer ones are discarded.').optional(),
    restart: z
      .strictObject({
        policy: z.enum(['never', 'on-failure']).describe('"never": exit when the server exits. "on-failure": restart it after a crash, replaying initialize.').optional(),
        initialBackoff: duration('Delay before the first restart; doubles after each consecutive failure.').optional(),
        maxBackoff: duration('Longest delay between restarts.').optional(),
        maxRestarts: z.int({ error: countError }).min(0, { error: countError }).describe('At most this many restarts within "window"; past that, give up.').optional(),
        window: duration('The sliding window that maxRestarts counts in.').optional(),
        onGiveUp: z.enum(['error', 'exit']).describe('After too many restarts: keep answering every request with an error, or exit.').optional(),
      })
      .describe('What to do when the server exits unexpectedly.')
      .optional(),
    healthCheck: z
      .strictObject({
        interval: duration('Send the server a ping of mcp-leash\'s own this often; "off" disables health checks.').optional(),
        misses: positiveInt('Treat the server as hung after this many unanswered pings in a row.').optional(),
      })
      .describe('Optional liveness pings.')
      .optional(),
    shutdown: z
      .strictObject({
        stdinGrace: duration('After closing the server\'s stdin, wait this long before SIGTERM.').optional(),
        termGrace: duration('After SIGTERM, wait this long before SIGKILL.').optional(),
      })
      .describe('The shutdown ladder: close stdin, SIGTERM, SIGKILL (to the whole process group).')
      .optional(),
    tasks: z.enum(['off', 'auto']).describe('Task-augmented requests (MCP 2025-11-25).').optional(),
    jobs: z
      .strictObject({
        awaitMax: duration('Longest one leash_await call blocks before it answers "still running"; 0/"off": the job\'s own detachAfter.').optional(),
        ttl: duration('How long a finished job\'s result is kept for leash_await after it ended.').optional(),
        max: positiveInt('At most this many jobs (running or finished) are kept; the oldest finished ones make room.').optional(),
        maxBytes: positiveInt('At most this many bytes of finished jobs\' results are kept; the oldest go first, and a larger result by itself fails its job.').optional(),
      })
      .describe('Jobs: calls detached by detachAfter.')
      .optional(),
    logLevel: z.enum(LOG_LEVELS).describe('Log level (logs go to stderr, or to logFile).').optional(),
    logFile: z.string().min(1, { error: 'expected a file path' }).describe('Write logs here instead of stderr. Relative to this file\'s directory.').optional(),
    trace: z.string().min(1, { error: 'expected a file path' }).describe('Write every frame in both directions to this JSONL file (mode 0600). Relative to this file\'s directory.').optional(),
  })
  .meta({
    title: 'mcp-leash configuration',
    description: 'Timeout policy and process settings for mcp-leash. Command-line flags override this file; this file overrides the built-in defaults.',
  });

/** The config file after validation: durations already in milliseconds. */
export type ConfigFile = z.output<typeof configSchema>;
export type RuleInput = z.output<typeof ruleSchema>;
