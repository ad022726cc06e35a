import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/config/parse-args.js';
import { loadConfigFile, parseConfigText } from '../../src/config/load.js';
import { explainTool, policyToConfig } from '../../src/config/print.js';
import { DEFAULT_POLICY } from '../../src/policy/types.js';

const example = fileURLToPath(new URL('../../config.example.json', import.meta.url));

describe('policyToConfig (for --print-config)', () => {
  it('writes the defaults in the config file vocabulary', () => {
    expect(policyToConfig(DEFAULT_POLICY)).toEqual({
      defaults: { idleTimeout: 'off', totalTimeout: 'off', onTimeout: 'result', heartbeat: '10s', maxResultBytes: 'off', onLargeResult: 'truncate', detachAfter: 'off' },
      rules: [],
      startupTimeout: '1m',
      serverEra: 'auto',
      protocol: 'relay',
      progressInterval: '100ms',
      maxConcurrency: 'off',
      maxMessageBytes: 67108864,
      restart: { policy: 'never', initialBackoff: '500ms', maxBackoff: '30s', maxRestarts: 5, window: '1m', onGiveUp: 'error' },
      healthCheck: { interval: 'off', misses: 3 },
      shutdown: { stdinGrace: '2s', termGrace: '2s' },
      tasks: 'off',
      jobs: { awaitMax: 'off', ttl: '10m', max: 100, maxBytes: 67108864 },
      tools: { allow: ['*'], deny: [] },
      prompts: { deny: [] },
      resources: { deny: [] },
      spill: { folder: '', keep: false },
      redactKeys: [],
    });
  });

  it('loads back to the same policy, flags included', () => {
    const parsed = parseArgs(['--config', example, '--tool-timeout', 'search_*=1m30s', '--max-concurrency', '2', '--print-config']);
    if (parsed.kind !== 'run') throw new Error('expected a run');
    const printed = JSON.stringify(policyToConfig(parsed.policy, { logLevel: parsed.logLevel }));
    const again = parseConfigText(printed, 'printed.json', '/');
    // Printed, a flag's rule becomes a file rule: the same rule, no longer marked as the flag's.
    const fromFile = { ...parsed.policy, rules: parsed.policy.rules.map(({ flag: _flag, ...rule }) => rule) };
    expect(again.policy).toEqual(fromFile);
    expect(parsed.policy.rules.at(-1)?.flag).toBe('--tool-timeout');
    expect(again.settings.logLevel).toBe('info');
  });
});

describe('explainTool (for --explain-tool)', () => {
  const { policy } = loadConfigFile(example);

  it('shows the limits of an exact rule and where they come from', () => {
    expect(explainTool(policy, 'index_repo')).toBe(
      [
        'tool "index_repo":',
        '  visible:      yes',
        '  totalTimeout: 30m',
        '  idleTimeout:  2m',
        '  onTimeout:    result',
        '  heartbeat:    10s',
        '  detachAfter:  off',
        '  maxResultBytes: 1MB, onLargeResult truncate',
        '  maxConcurrency: 1 for this rule, 4 overall',
        '  from: rules[0] (tool "index_repo"), defaults',
        '',
      ].join('\n'),
    );
  });

  it('names a rule by its index in the file, and a flag\'s rule by its flag (issue 21)', () => {
    const parsed = parseArgs(['--config', example, '--tool-timeout', 'search_*=1m30s', '--tool-timeout', 'get_*=5s', '--explain-tool', 'x']);
    if (parsed.kind !== 'run') throw new Error('expected a run');
    // config.example.json has six rules; the flags' rules come after them in the policy.
    expect(parsed.policy.rules).toHaveLength(8);
    expect(explainTool(parsed.policy, 'search_docs')).toContain('  from: --tool-timeout (tool "search_*"), defaults\n');
    expect(explainTool(parsed.policy, 'get_item')).toContain('  from: --tool-timeout (tool "get_*"), rules[3] (tool "get_*"), defaults\n');
    expect(explainTool(parsed.policy, 'index_repo')).toContain('  from: rules[0] (tool "index_repo"), defaults\n');
    expect(explainTool(parsed.policy, 'run_tests')).toContain('  from: rules[1] (tool "run_tests"), defaults\n');
  });

  it('issue 19: shows when a call becomes a job, how long an await blocks and how long a result is kept', () => {
    const p = parseConfigText(JSON.stringify({ defaults: { detachAfter: '50s' }, rules: [{ tool: 'index_repo', detachAfter: '4m' }], jobs: { ttl: '5m' } }), 'j.json', '/').policy;
    expect(explainTool(p, 'index_repo')).toContain('  detachAfter:  4m; then a job, each leash_await waits up to 4m, a result is kept 5m\n');
    expect(explainTool(p, 'echo')).toContain('  detachAfter:  50s; then a job');
    expect(explainTool(DEFAULT_POLICY, 'echo')).toContain('  detachAfter:  off\n');
  });

  it('falls back on the defaults for a tool no rule names', () => {
    expect(explainTool(policy, 'echo')).toContain('  totalTimeout: 2m\n');
    expect(explainTool(policy, 'echo')).toContain('  from: defaults\n');
  });

  it('says whether a tool is hidden, and by which entry (tools.allow / tools.deny, deny wins)', () => {
    const hiding = { ...policy, tools: { allow: ['read_*'], deny: ['read_secret*'] } };
    expect(explainTool(hiding, 'read_file')).toContain('  visible:      yes\n');
    expect(explainTool(hiding, 'read_secrets')).toContain('  visible:      no, hidden by tools.deny["read_secret*"]');
    expect(explainTool(hiding, 'shell')).toContain('  visible:      no, hidden by tools.allow (no entry matches it)');
  });
});
