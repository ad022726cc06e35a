// The only place that knows where logs go. stdout belongs to the protocol, so pino writes to
// stderr (fd 2) or to --log-file, never to fd 1.

import pino, { type Logger } from 'pino';

export type { Logger };

export interface LogOptions {
  level: string;
  file?: string;
}

export function createLogger(opts: LogOptions): Logger {
  const dest = opts.file
    ? // No mkdir: a missing folder is refused up front (src/config/output-folder.ts), as for --trace.
      pino.destination({ dest: opts.file, mkdir: false, sync: true })
    : pino.destination({ dest: 2, sync: true });
  return pino({ level: opts.level, base: { name: 'mcp-leash', pid: process.pid } }, dest);
}
