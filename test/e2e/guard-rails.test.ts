// CONTRACT §12 end to end: the real SDK Client, mcp-leash, the legacy fixture.

import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, waitFor } from '../helpers/procs.js';
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

describe('§12 maxResultBytes through the SDK Client', () => {
  it('cuts a 5 MB answer to the budget, with a note naming the tool and the sizes', async () => {
    const dir = folder();
    const p = await startSdkProxy({ leashArgs: ['--config', config(dir, { rules: [{ tool: 'big', maxResultBytes: '200kB' }] })] });
    const r = (await p.client.callTool({ name: 'big', arguments: { bytes: 5_000_000 } })) as TextResult;
    // What the client got, as a whole answer line, is within the budget.
    expect(Buffer.byteLength(JSON.stringify({ jsonrpc: '2.0', id: 1, result: r }))).toBeLessThanOrEqual(200_000);
    expect(r.content[0]!.text).toMatch(/^x{190000,}$/);
    expect(r.content.at(-1)!.text).toBe('mcp-leash cut this result from 5 MB to 200 kB (the limit for "big") (the last text was cut short); ask for a smaller part.');
    // Other tools are not limited.
    const cwd = (await p.client.callTool({ name: 'cwd', arguments: {} })) as TextResult;
    expect(cwd.content).toHaveLength(1);
    await p.close();
  });

  it('refuses it with onLargeResult "error"', async () => {
    const dir = folder();
    const p = await startSdkProxy({ leashArgs: ['--config', config(dir, { defaults: { maxResultBytes: '1MB', onLargeResult: 'error' } })] });
    const r = (await p.client.callTool({ name: 'big', arguments: { bytes: 3_000_000 } })) as TextResult;
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toMatch(/^The result of the tool "big" was 3 MB, over the limit of 1 MB/);
    await p.close();
  });
});

describe('§12 onLargeResult "spill" through the SDK Client', () => {
  const savedTo = (r: TextResult): string => /as JSON to the file (.+?\.json)\./.exec(r.content.at(-1)!.text)![1]!;

  it('writes the whole result, as the direct answer has it, and answers with its beginning and the path', async () => {
    const dir = folder();
    const spillDir = join(dir, 'spilled');
    const p = await startSdkProxy({
      leashArgs: ['--config', config(dir, { defaults: { maxResultBytes: '200kB', onLargeResult: 'spill' }, spill: { folder: 'spilled', keep: true } })],
    });
    const r = (await p.client.callTool({ name: 'big', arguments: { bytes: 5_000_000 } })) as TextResult;
    expect(Buffer.byteLength(JSON.stringify({ jsonrpc: '2.0', id: 1, result: r }))).toBeLessThanOrEqual(200_000);
    expect(r.content[0]!.text).toMatch(/^x{190000,}$/);
    const file = savedTo(r);
    expect(file.startsWith(`${spillDir}/`)).toBe(true);
    expect(statSync(spillDir).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await p.close();
    // The same call without a budget: the file holds exactly its result.
    const direct = await startSdkProxy({ leashArgs: [] });
    const whole = await direct.client.callTool({ name: 'big', arguments: { bytes: 5_000_000 } });
    await direct.close();
    expect(readFileSync(file, 'utf8')).toBe(JSON.stringify(whole));
  });

  it('deletes the files and its own folder at exit unless kept', async () => {
    const dir = folder();
    const p = await startSdkProxy({ leashArgs: ['--config', config(dir, { rules: [{ tool: 'big', maxResultBytes: '10kB', onLargeResult: 'spill' }] })] });
    const r = (await p.client.callTool({ name: 'big', arguments: { bytes: 50_000 } })) as TextResult;
    const file = savedTo(r);
    expect(file.startsWith(tmpdir())).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(JSON.stringify({ content: [{ type: 'text', text: 'x'.repeat(50_000) }] }));
    await p.close();
    // The proxy removes them as it exits: once its process is gone, so must they be.
    await waitFor(() => !isAlive(p.pid), 10_000, 'mcp-leash to exit');
    expect(existsSync(file)).toBe(false);
    expect(existsSync(dirname(file))).toBe(false);
  });
});
