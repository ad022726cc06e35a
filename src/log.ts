// The only place that knows where logs go. stdout belongs to the protocol, so pino writes to
// stderr (fd 2) or to --log-file, never to fd 1.

import pino, { type Logger } from 'pino';
import { createRedactor } from './trace/redact.js';

export type { Logger };

export interface LogOptions {
  level: string;
  file?: string;
  /** Key names to redact on top of the built-in ones (the config's redactKeys). */
  redactKeys?: readonly string[];
}

export function createLogger(opts: LogOptions): Logger {
  const dest = opts.file
    ? // No mkdir: a missing folder is refused up front (src/config/output-folder.ts), as for --trace.
      pino.destination({ dest: opts.file, mkdir: false, sync: true })
    : pino.destination({ dest: 2, sync: true });
  // Every line's fields pass through the redactor (src/trace/redact.ts): a line preview, a
  // child's stderr or a debug summary may hold a secret. pino's own `redact` takes fixed paths
  // only, so it cannot match keys at any depth, without regard to case, or by their values.
  const redact = createRedactor(opts.redactKeys);
  return pino(
    {
      level: opts.level,
      base: { name: 'mcp-leash', pid: process.pid },
      formatters: { log: (fields) => redact(fields) as Record<string, unknown> },
    },
    dest,
  );
}
