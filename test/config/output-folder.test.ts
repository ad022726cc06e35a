// Issue 21: --log-file into a missing folder used to create the folder (bin/'s early start and
// pino both did), while --trace refused. Through the built CLI, both now refuse alike: exit 2,
// one line naming the folder, nothing spawned, nothing created.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/mcp-leash.js');
const built = existsSync(join(root, 'dist/early-start.js'));

describe.skipIf(!built)('a log file or trace in a missing folder, through bin/mcp-leash.js', () => {
  it.each(['--log-file', '--trace'])('%s: exits 2 naming the folder, before the server starts, creating nothing', (flag) => {
    const dir = mkdtempSync(join(tmpdir(), 'leash-folder-'));
    const missing = join(dir, 'missing');
    const marker = join(dir, 'server-started');
    const server = ['-e', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, '')`];
    const r = spawnSync(process.execPath, [bin, flag, join(missing, 'out.txt'), '--', process.execPath, ...server], { encoding: 'utf8', input: '' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`mcp-leash: ${flag} ${join(missing, 'out.txt')}: cannot open for writing: folder ${missing} does not exist; create it first (mcp-leash creates the file, not its folder)\n`);
    expect(r.stdout).toBe('');
    expect(existsSync(missing)).toBe(false);
    expect(existsSync(marker)).toBe(false);
  });
});
