// §1, §8 and the early start (src/early-start.ts): bin/ starts the server before loading the
// rest of mcp-leash. These check what that must not change: the config file is read once (a FIFO
// gives its text once), and a server started early is not orphaned by a signal that arrives
// while mcp-leash is still loading.

import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
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
    // The signal must surely come between the early start and the proxy's own handlers, i.e.
    // while bin/ awaits `import('../dist/cli.js')`. A copy of bin/ next to a stand-in dist/
    // holds that import back: dist/early-start.js re-exports the real one, and dist/cli.js says
    // it has been reached, then waits on a timer (top-level await). That wait keeps the event
    // loop free, as real loading does between modules, so the signal handlers can run. (A
    // module.register() load hook that waits does not: on Node 24 the main thread blocks on the
    // hooks thread while the hook waits, and no handler runs until it is done.)
    const dir = tmpDir();
    const realDist = join(dirname(BIN), '..', 'dist');
    const loading = join(dir, 'loading');
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    copyFileSync(BIN, join(dir, 'bin', basename(BIN)));
    writeFileSync(join(dir, 'dist', 'early-start.js'), `export * from ${JSON.stringify(pathToFileURL(join(realDist, 'early-start.js')).href)};\n`);
    writeFileSync(
      join(dir, 'dist', 'cli.js'),
      [
        "import { writeFileSync } from 'node:fs';",
        `writeFileSync(${JSON.stringify(loading)}, String(process.pid));`,
        'await new Promise((r) => setTimeout(r, 60_000));',
        "throw new Error('stand-in dist/cli.js: the test never sent its signal');",
        '',
      ].join('\n'),
    );
    const log = tmpFile('fixture.jsonl');
    const c = spawnLineClient(NODE, [join(dir, 'bin', basename(BIN)), '--', NODE, FIXTURE, '--log', log, '--ignore-eof', '--grandchild']);
    const start = await waitForStart(log);
    const pgid = start.pgid as number;
    trackGroup(pgid);
    await waitFor(() => fixtureEvents(log, 'grandchild').length > 0, 10_000, 'the grandchild');
    await waitFor(() => existsSync(loading), 10_000, 'mcp-leash to reach the import of dist/cli.js');
    c.proc.kill('SIGTERM');
    const { code } = await within(c.exited, 15_000, 'mcp-leash to exit');
    expect(code).toBe(143);
    await waitFor(() => !groupAlive(pgid), 10_000, 'the server group to be gone');
  });
});
