import { describe, expect, it } from 'vitest';
import { HELP_TEXT } from '../../src/config/help.js';
import { OPTIONS } from '../../src/config/options.js';
import { configSchema } from '../../src/config/schema.js';

describe('--help', () => {
  it('lists every option the parser knows, with its value and default', () => {
    for (const option of OPTIONS) {
      for (const name of option.names) expect(HELP_TEXT).toContain(name);
      const line = HELP_TEXT.split('\n').find((l) => l.startsWith(`  ${option.names[0]!}`));
      if (option.value !== undefined) expect(line).toContain(`${option.names.join(', ')} ${option.value}`);
      if (option.default !== undefined) expect(line).toContain(`[default: ${option.default}]`);
    }
  });

  it('lists every top-level config key', () => {
    for (const key of Object.keys(configSchema.shape).filter((k) => k !== '$schema')) expect(HELP_TEXT).toMatch(new RegExp(`\\b${key}\\b`));
  });

  it('states the defaults, the precedence and the "--" convention', () => {
    expect(HELP_TEXT).toContain('mcp-leash [options] [--] <command> [args...]');
    expect(HELP_TEXT).toContain('"--" is optional');
    expect(HELP_TEXT).toContain('Precedence: flags override the config file; the config file overrides the defaults.');
    expect(HELP_TEXT).toContain('--heartbeat DUR');
    expect(HELP_TEXT).toContain('[default: 10s]');
    expect(HELP_TEXT).toContain('startupTimeout    time allowed for the first answer (initialize or server/discover) [default: 1m]');
    expect(HELP_TEXT.endsWith('\n')).toBe(true);
  });

  it('keeps its lines short, except for the example', () => {
    const long = HELP_TEXT.split('\n').filter((l) => l.length > 100 && !l.includes('"command"'));
    expect(long).toEqual([]);
  });
});
