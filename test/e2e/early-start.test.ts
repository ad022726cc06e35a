// §1, §8 and the early start (src/early-start.ts): bin/ starts the server before loading the
// rest of mcp-leash. These check what that must not change: the config file is read once (a FIFO
// gives its text once), and a server started early is not orphaned by a signal that arrives
// while mcp-leash is still loading.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, FIXTURE, NODE, cleanupProcesses, isResponseTo, spawnLineClient, trackGroup } from '../helpers/proxy.js';
import { fixtureEvents, groupAlive, tmpDir, tmpFile, waitFor, waitForStart, within } from '../helpers/procs.js';

afterEach(() => cleanupProcesses());

describe('§1 invocation: the early start', () => {
  it('§1 invocation: a config file that can be read only once (a shell process substitution) works', async () => {
    const log = tmpFile('fixture.jsonl');
    const config = JSON.stringify({ defaults: { totalTimeout: '30s' } }).replace(/"/g, '\\"');
    // bash gives the config as /dev/fd/N, a pipe: a second read of it finds nothing.
    const c = spawnLineClient('bash', ['-c', `exec "${NODE}" "${BIN}" --config <(echo "${config}") -- "${NODE}" "${FIXTURE}" --log "${log}"`]);
    await c.initialize();
    c.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'once' } } });
    expect((await c.next(isResponseTo(1))).result.content[0].text).toBe('once');
    c.close();
    const { code } = await within(c.exited, 15_000, 'mcp-leash to exit');
    expect(c.stderr()).not.toContain('invalid JSON');
    expect(code).toBe(0);
  });

  it('§8 shutdown: SIGTERM while mcp-leash is still loading stops the server it started early', async () => {
    // A module hook holds back the loading of dist/cli.js, so that the signal surely comes
    // between the early start and the proxy's own handlers.
    const dir = tmpDir();
    writeFileSync(
      join(dir, 'slow-hooks.mjs'),
      "export async function load(url, context, next) {\n  if (url.endsWith('/dist/cli.js')) await new Promise((r) => setTimeout(r, 60_000));\n  return next(url, context);\n}\n",
    );
    writeFileSync(join(dir, 'register.mjs'), "import { register } from 'node:module';\nregister('./slow-hooks.mjs', import.meta.url);\n");
    const log = tmpFile('fixture.jsonl');
    const c = spawnLineClient(NODE, ['--import', join(dir, 'register.mjs'), BIN, '--', NODE, FIXTURE, '--log', log, '--ignore-eof', '--grandchild']);
    const start = await waitForStart(log);
    const pgid = start.pgid as number;
    trackGroup(pgid);
    await waitFor(() => fixtureEvents(log, 'grandchild').length > 0, 10_000, 'the grandchild');
    c.proc.kill('SIGTERM');
    const { code } = await within(c.exited, 15_000, 'mcp-leash to exit');
    expect(code).toBe(143);
    await waitFor(() => !groupAlive(pgid), 10_000, 'the server group to be gone');
  });
});
