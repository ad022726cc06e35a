// CONTRACT §12 end to end: the real SDK Client, mcp-leash, the legacy fixture.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProcesses, startSdkProxy } from '../helpers/proxy.js';

const dirs: string[] = [];
afterEach(() => {
  cleanupProcesses();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh folder, removed after the test. */
function folder(): string {
  const d = mkdtempSync(join(tmpdir(), 'leash-guard-e2e-'));
  dirs.push(d);
  return d;
}

function config(dir: string, content: unknown): string {
  const file = join(dir, 'leash.json');
  writeFileSync(file, JSON.stringify(content));
  return file;
}

/** The messages the fixture received (its --log), as parsed lines. */
function serverLog(file: string): { method?: string; params?: { name?: string } }[] {
  return readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { method?: string; params?: { name?: string } });
}

type TextResult = { content: { type: string; text: string }[]; isError?: boolean };

describe('§12 tools.deny through the SDK Client', () => {
  it('a denied tool is absent from tools/list, and a call to it never reaches the server', async () => {
    const dir = folder();
    const log = join(dir, 'server.jsonl');
    const p = await startSdkProxy({
      leashArgs: ['--config', config(dir, { tools: { deny: ['echo', 'slow_*'] } })],
      fixtureArgs: ['--log', log],
    });
    const { tools } = await p.client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toContain('sleep');
    expect(names).not.toContain('echo');
    expect(names).not.toContain('slow_ignore_cancel');

    const refused = (await p.client.callTool({ name: 'echo', arguments: { text: 'hi' } })) as TextResult;
    expect(refused.isError).toBe(true);
    expect(refused.content[0]!.text).toMatch(/^The tool "echo" is disabled by the mcp-leash policy \(tools\.deny\["echo"\]\)/);
    // A visible tool still works, and is the only call the server saw.
    const cwd = (await p.client.callTool({ name: 'cwd', arguments: {} })) as TextResult;
    expect(cwd.isError).toBeFalsy();
    await p.close();
    const calls = serverLog(log).filter((m) => m.method === 'tools/call');
    expect(calls.map((m) => m.params?.name)).toStrictEqual(['cwd']);
  });
});
