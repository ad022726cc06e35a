// §1 Invocation: `--` optional, usage errors exit 2 before anything is spawned, a command that
// cannot be started exits 127, --help and --version.

import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, FIXTURE, NODE, ROOT, cleanupProcesses, isResponseTo, spawnLineClient, startRawProxy, startSdkProxy, finish } from '../helpers/proxy.js';
import { tmpDir, tmpFile, waitForStart, within } from '../helpers/procs.js';

afterEach(() => cleanupProcesses());

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

/** Runs mcp-leash with these arguments and an immediately closed stdin. */
async function runLeash(args: string[]) {
  const c = spawnLineClient(NODE, [BIN, ...args]);
  c.close();
  const { code, signal } = await within(c.exited, 15_000, `mcp-leash ${args.join(' ')} to exit`);
  return { code, signal, stdout: c.lines.join('\n'), stderr: c.stderr() };
}

describe('§1 invocation', () => {
  it('§1 invocation: without `--`, the first non-option starts the server command and the rest is not parsed', async () => {
    const log = tmpFile('fixture.jsonl');
    const c = startRawProxy({ noDoubleDash: true, leashArgs: ['--log-level', 'info'], fixtureArgs: ['--log', log, '--banner'] });
    await c.initialize();
    c.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'no dashes' } } });
    expect((await c.next(isResponseTo(1))).result.content[0].text).toBe('no dashes');
    // The fixture got its own flags (--log, --banner), untouched.
    expect((await waitForStart(log)).argv).toEqual(['--log', log, '--banner']);
    c.close();
    expect((await within(c.exited, 15_000, 'the proxy to exit')).code).toBe(0);
    c.assertCleanStdout();
  });

  it('§1 invocation: without `--`, an SDK client works as with it', async () => {
    const p = await startSdkProxy({ noDoubleDash: true });
    try {
      const { tools } = await p.client.listTools();
      expect(tools.map((t) => t.name)).toContain('echo');
    } finally {
      await p.close();
    }
  });

  it('§1 invocation: options after the server command belong to the server even when they look like ours', async () => {
    const log = tmpFile('fixture.jsonl');
    const c = startRawProxy({ fixtureArgs: ['--log', log, '--timeout', '--help'] });
    await c.initialize();
    expect((await waitForStart(log)).argv).toEqual(['--log', log, '--timeout', '--help']);
    await finish(c);
  });

  it('§1 invocation: a command that does not exist exits 127 with a clear message', async () => {
    const r = await runLeash(['--', '/nonexistent/dir/no-such-mcp-server', '--flag']);
    expect(r.code).toBe(127);
    expect(r.stderr).toContain('/nonexistent/dir/no-such-mcp-server');
    expect(r.stdout).toBe('');
    // Said once, in words (issue 21: it also came as a JSON log line on the same stderr).
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toContain('"level"');
  });

  it('§1 invocation: a command on no PATH entry exits 127', async () => {
    const r = await runLeash(['--', 'no-such-mcp-server-xyz']);
    expect(r.code).toBe(127);
    expect(r.stderr).toContain('no-such-mcp-server-xyz');
  });

  it('§1 invocation: a file that is not executable exits 127 with a clear message', async () => {
    const file = join(tmpDir(), 'server.sh');
    writeFileSync(file, '#!/bin/sh\necho hi\n');
    chmodSync(file, 0o644);
    const r = await runLeash(['--', file]);
    expect(r.code).toBe(127);
    expect(r.stderr).toContain(file);
  });

  it('§1 invocation: an unknown option exits 2 naming it, before anything is spawned', async () => {
    const log = tmpFile('fixture.jsonl');
    const r = await runLeash(['--bogus', '--', NODE, FIXTURE, '--log', log]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--bogus');
    expect(r.stdout).toBe('');
    expect(existsSync(log)).toBe(false);
  });

  it('§1 invocation: a log file that cannot be opened exits 2 naming it, before anything is spawned', async () => {
    const log = tmpFile('fixture.jsonl');
    const notADir = tmpFile('a-file');
    writeFileSync(notADir, '');
    const r = await runLeash(['--log-file', join(notADir, 'leash.log'), '--', NODE, FIXTURE, '--log', log]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(join(notADir, 'leash.log'));
    expect(r.stdout).toBe('');
    expect(existsSync(log)).toBe(false);
  });

  it('§1 invocation: no server command at all exits 2 with a message', async () => {
    const r = await runLeash([]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).not.toBe('');
  });

  it('§1 invocation: a bad option value exits 2 quoting it', async () => {
    const r = await runLeash(['--log-level', 'loud', '--', NODE, FIXTURE]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('loud');
  });

  it('§1 invocation: --help prints usage and exits 0; --version prints the version', async () => {
    const help = await runLeash(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout + help.stderr).toMatch(/usage/i);
    expect(help.stdout + help.stderr).toContain('--log-file');
    const v = await runLeash(['--version']);
    expect(v.code).toBe(0);
    expect((v.stdout + v.stderr).trim()).toBe(pkg.version);
  });
});
