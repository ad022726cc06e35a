// Valid config files shared by the config tests (the loader's, the argv parser's, and the fast
// validator's, which must accept every valid file the others use).

/** Every key of the file, each set. */
export const FULL_CONFIG = {
  $schema: './schema/leash.schema.json',
  defaults: { idleTimeout: 'off', totalTimeout: 'off', onTimeout: 'result', heartbeat: '10s', maxResultBytes: '2MB', onLargeResult: 'truncate' },
  rules: [
    { tool: 'index_repo', idleTimeout: '2m', totalTimeout: '30m', maxConcurrency: 1, maxResultBytes: '200kB', onLargeResult: 'error' },
    { tool: 'search_*', totalTimeout: '20s' },
    { method: 'resources/read', totalTimeout: '30s', onTimeout: 'error' },
    { tool: 'x', heartbeat: '2500ms' },
  ],
  startupTimeout: '60s',
  progressInterval: '100ms',
  maxConcurrency: 8,
  maxMessageBytes: 67108864,
  restart: { policy: 'on-failure', initialBackoff: '500ms', maxBackoff: '30s', maxRestarts: 5, window: '1m', onGiveUp: 'error' },
  healthCheck: { interval: '30s', misses: 3 },
  shutdown: { stdinGrace: '2s', termGrace: '2s' },
  tasks: 'off',
  tools: { allow: ['read_*', 'search'], deny: ['read_secret*'] },
  prompts: { deny: ['internal_*'] },
  resources: { deny: ['file:///secrets/*'] },
  spill: { folder: 'spilled', keep: true },
  redactKeys: ['session_id', 'X-Internal-Auth'],
  logLevel: 'debug',
  logFile: 'logs/leash.log',
  trace: '/var/tmp/trace.jsonl',
};

/** The file args.test.ts layers flags on. */
export const FLAGS_BASE_CONFIG = {
  defaults: { totalTimeout: '1m', heartbeat: '5s', idleTimeout: '20s' },
  rules: [{ tool: 'search_*', totalTimeout: '20s' }],
  maxConcurrency: 4,
  logLevel: 'warn',
  logFile: 'from-file.log',
  trace: 'from-file.jsonl',
};
