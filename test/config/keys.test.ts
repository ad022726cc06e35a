import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, RULE_KEYS, defaultOf, rowOfFlag, type KeyRow } from '../../src/config/keys.js';
import { OPTIONS } from '../../src/config/options.js';
import { DEFAULT_POLICY } from '../../src/policy/types.js';

const rows: KeyRow[] = CONFIG_KEYS.flatMap((row) => (row.type === 'group' ? [...row.keys] : row.type === 'key' ? [row] : []));

/** Every path to a plain value in an object; lists of strings are values, rules (their own table) are left out. */
function leaves(value: object, prefix = ''): string[] {
  return Object.entries(value).flatMap(([k, v]) =>
    Array.isArray(v) ? (k === 'rules' ? [] : [`${prefix}${k}`]) : typeof v === 'object' && v !== null ? leaves(v as object, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

describe('the key table', () => {
  it('fills every field of the Policy, each from one key', () => {
    const landed = rows.flatMap((row) => ('policy' in row.lands ? [row.lands.policy] : []));
    expect([...landed].sort()).toEqual(leaves(DEFAULT_POLICY).sort());
  });

  it('fills every field a rule can have, each from one key', () => {
    const landed = RULE_KEYS.map((row) => ('rule' in row.lands ? row.lands.rule : ''));
    expect(landed).toEqual(['tool', 'method', 'idleTimeoutMs', 'totalTimeoutMs', 'onTimeout', 'heartbeatMs', 'maxConcurrency', 'maxResultBytes', 'onLargeResult', 'detachAfterMs']);
  });

  it('documents every key, and names keys once per object', () => {
    for (const row of [...CONFIG_KEYS, ...rows, ...RULE_KEYS]) expect(row.doc, row.name).toMatch(/\S/);
    expect(new Set(CONFIG_KEYS.map((r) => r.name)).size).toBe(CONFIG_KEYS.length);
  });

  it('gives each policy key a default, written as a file would', () => {
    for (const row of rows) if ('policy' in row.lands) expect(defaultOf(row), row.name).toMatch(/\S/);
    expect(defaultOf(rowOfFlag('--heartbeat')!)).toBe('10s');
    expect(defaultOf(rowOfFlag('--max-concurrency')!)).toBe('off');
  });

  it('names only flags the parser knows', () => {
    const names = new Set(OPTIONS.flatMap((o) => o.names));
    for (const row of rows) if (row.flag !== undefined) expect(names.has(row.flag), row.flag).toBe(true);
  });

  it('has a row in the README\'s "Every key" table for each key', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('### Every key'), readme.indexOf('## Progress and heartbeats'));
    const paths = CONFIG_KEYS.flatMap((row) => (row.type === 'group' ? row.keys.map((k) => `${row.name}.${k.name}`) : row.type === 'rules' ? ['rules[]'] : [row.name]));
    for (const path of paths.filter((p) => p !== '$schema')) expect(table, path).toContain(`\`${path}\``);
  });
});
