// --help: usage, every option (from the same table the parser uses) with its default, and the
// config file's keys in brief. Defaults are computed from DEFAULT_POLICY so the text cannot lie.

import { DEFAULT_POLICY } from '../policy/types.js';
import { formatDuration as d } from './duration.js';
import { OPTIONS } from './options.js';

const p = DEFAULT_POLICY;

function optionLines(): string[] {
  const left = OPTIONS.map((o) => `${o.names.join(', ')}${o.value !== undefined ? ` ${o.value}` : ''}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  return OPTIONS.map((o, n) => `  ${left[n]!.padEnd(width)}${o.help}${o.default !== undefined ? ` [default: ${o.default}]` : ''}`);
}

export const HELP_TEXT = `mcp-leash: a stdio MCP proxy with timeouts, cancellation, heartbeats and a well-kept child.

Usage:
  mcp-leash [options] [--] <command> [args...]

  Use it in an MCP client's config in place of the server command, e.g.
    "command": "npx", "args": ["-y", "mcp-leash", "--config", "/abs/leash.json", "--", "python", "server.py"]
  The first argument that is not an mcp-leash option starts the server command; everything after
  it goes to the server untouched. "--" is optional, and needed only if the command starts with "-".

Options:
${optionLines().join('\n')}

Reports:
  mcp-leash report TRACE [--html OUT]
                           a table per method and tool (calls, latency, timeouts, cancellations,
                           errors, heartbeats) from a --trace file; --html writes a self-contained
                           page with a timeline. Run a server named "report" as: mcp-leash -- report

Durations: 250ms, 30s, 5m, 1h, 1h30m, or a number of milliseconds; 0 or off disables.
Precedence: flags override the config file; the config file overrides the defaults.

Config file: JSON, every key optional, an unknown key is an error; relative --config paths are
resolved against the working directory, which MCP hosts often set to "/", so prefer an absolute
one. JSON Schema for editors: schema/leash.schema.json in the package. Keys:
  defaults          {idleTimeout, totalTimeout, onTimeout, heartbeat, detachAfter} for requests
                    no rule names [default: idleTimeout ${d(p.defaults.idleTimeoutMs)}, totalTimeout ${d(p.defaults.totalTimeoutMs)},
                    onTimeout ${p.defaults.onTimeout}, heartbeat ${d(p.defaults.heartbeatMs)}, detachAfter ${d(p.defaults.detachAfterMs)}]
  rules             [{tool | method, idleTimeout, totalTimeout, onTimeout, heartbeat,
                      maxConcurrency, detachAfter}]
                    tool: a tool name or glob (* and ?), for tools/call;
                    method: a JSON-RPC method or glob. Exact beats glob beats defaults,
                    field by field. idleTimeout restarts on every progress from the
                    server; totalTimeout never does. onTimeout "result": tools/call
                    gets an isError result the model can read; "error": JSON-RPC -32001.
  startupTimeout    time allowed for initialize [default: ${d(p.startupTimeoutMs)}]
  progressInterval  minimum gap between forwarded progress notifications [default: ${d(p.progressIntervalMs)}]
  maxConcurrency    requests in flight at the server, 0 or "off" = unlimited [default: off]
  maxMessageBytes   longest accepted line [default: ${p.maxMessageBytes}]
  restart           {policy: never | on-failure, initialBackoff, maxBackoff, maxRestarts, window,
                    onGiveUp: error | exit}: what to do when the server exits unexpectedly
                    [default: ${p.restart.policy}, ${d(p.restart.initialBackoffMs)}, ${d(p.restart.maxBackoffMs)}, ${p.restart.maxRestarts}, ${d(p.restart.windowMs)}, ${p.restart.onGiveUp}]
  healthCheck       {interval, misses}: ping the server; K misses in a row = hung
                    [default: interval ${d(p.healthCheck.intervalMs)}, misses ${p.healthCheck.misses}]
  shutdown          {stdinGrace, termGrace}: close stdin, wait, SIGTERM, wait, SIGKILL
                    [default: ${d(p.shutdown.stdinGraceMs)}, ${d(p.shutdown.termGraceMs)}]
  tasks             off | auto: task-augmented requests [default: ${p.tasks}]
  jobs              {awaitMax, ttl, max, maxBytes}: tool calls answered early by detachAfter
                    [default: awaitMax ${p.jobs.awaitMaxMs ? d(p.jobs.awaitMaxMs) : 'the job\'s detachAfter'}, ttl ${d(p.jobs.ttlMs)}, max ${p.jobs.max}, maxBytes ${p.jobs.maxBytes}]
  logLevel, logFile, trace
                    as the flags; relative paths are relative to the config file's directory

Exit status: the server's; 2 for a usage or config error; 127 if the command cannot start.
`;
