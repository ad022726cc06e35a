import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { renderJsonSchema } from '../../src/config/json-schema.js';
import { loadConfigFile, parseConfigText } from '../../src/config/load.js';
import { DEFAULT_POLICY } from '../../src/policy/types.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const committed = readFileSync(`${root}schema/leash.schema.json`, 'utf8');
// ajv comes with @modelcontextprotocol/sdk; it checks that editors and mcp-leash agree.
const validate = new Ajv2020.default({ strict: false }).compile(JSON.parse(committed) as object);

describe('schema/leash.schema.json', () => {
  it('is what the zod schema generates now (run `npm run build && npm run schema` after changing it)', () => {
    expect(committed).toBe(renderJsonSchema());
  });

  it('carries a title and a description on every key, for editors', () => {
    const schema = JSON.parse(committed) as { title?: string; properties: Record<string, { description?: string }> };
    expect(schema.title).toBe('mcp-leash configuration');
    for (const [key, value] of Object.entries(schema.properties)) expect(value.description, key).toBeTruthy();
  });

  it.each([
    {},
    { defaults: { totalTimeout: '1h30m', idleTimeout: 0, heartbeat: 'off' } },
    { rules: [{ tool: 'search_*', totalTimeout: '20s' }, { method: 'resources/read', onTimeout: 'error' }] },
    { maxConcurrency: 'off', restart: { policy: 'on-failure' }, logLevel: 'silent' },
  ])('accepts what mcp-leash accepts: %j', (config) => {
    expect(() => parseConfigText(JSON.stringify(config), 'x.json', '/')).not.toThrow();
    expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each([
    { timout: '5s' },
    { defaults: { totalTimeout: 'fast' } },
    { defaults: { totalTimeout: '30 s' } },
    { defaults: { totalTimeout: -1 } },
    { defaults: { totalTimeout: 30 } },
    { defaults: { totalTimeout: '30' } },
    { rules: [{ tool: 'a', tol: 'b' }] },
    { rules: [{ tool: 'search_[ab]' }] },
    { rules: [{ tool: '' }] },
    { maxConcurrency: -1 },
    { logLevel: 'loud' },
  ])('refuses what mcp-leash refuses: %j', (config) => {
    expect(() => parseConfigText(JSON.stringify(config), 'x.json', '/')).toThrow();
    expect(validate(config)).toBe(false);
  });
});

describe('config.example.json', () => {
  const path = `${root}config.example.json`;
  const example = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

  it('loads without error, and sets a real policy', () => {
    const { policy } = loadConfigFile(path);
    expect(policy.rules.length).toBeGreaterThanOrEqual(4);
    expect(policy.rules.some((r) => r.tool !== undefined && !/[*?]/.test(r.tool))).toBe(true);
    expect(policy.rules.some((r) => r.tool !== undefined && /[*?]/.test(r.tool))).toBe(true);
    expect(policy.rules.some((r) => r.method !== undefined && r.tool === undefined)).toBe(true);
    expect(policy.rules.some((r) => r.onTimeout !== undefined)).toBe(true);
    expect(policy.defaults.totalTimeoutMs).not.toBe(DEFAULT_POLICY.defaults.totalTimeoutMs);
  });

  it('points editors at the shipped schema, and validates against it', () => {
    expect(example.$schema).toBe('./schema/leash.schema.json');
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
  });
});
