// The package as a user gets it: `npm pack`, installed globally into a temporary prefix, and the
// installed `mcp-leash` run in front of the legacy fixture. A broken `bin`, shebang, `files` list
// or a missing build fails here, and so does a runtime dependency that grows the install (the MCP
// SDK is a devDependency: dist/ only uses its types). (npm test builds first: pretest.)
//
// Dependencies come from the npm cache when it has them (--prefer-offline), else the registry.

import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE, NODE, ROOT } from '../helpers/proxy.js';

const run = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; bin: Record<string, string> };

let work: string;
let tarball: string;
let installed: string;
let files: string[];
let prefix: string;
/** Every package the global install added, mcp-leash itself included. */
let added: { name: string }[];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mcp-leash-pack-'));
  // --ignore-scripts: package what `npm test` just built, and never rebuild dist/ under the
  // feet of the other test files running in parallel.
  const packed = await run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, info[0]!.filename);
  files = info[0]!.files.map((f) => f.path).sort();
  prefix = join(work, 'prefix');
  const install = await run(NPM, ['install', '--global', '--prefix', prefix, tarball, '--prefer-offline', '--no-audit', '--no-fund', '--json', '--loglevel', 'error'], {
    cwd: work,
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  added = (JSON.parse(install.stdout.slice(install.stdout.indexOf('{'))) as { add: { name: string }[] }).add;
  installed = join(prefix, 'bin', 'mcp-leash');
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('holds what a global install needs and nothing else', () => {
    const allowed = (f: string) =>
      f === 'package.json' ||
      f === 'README.md' ||
      /^LICEN[CS]E(\.md|\.txt)?$/.test(f) ||
      f === 'config.example.json' ||
      f.startsWith('bin/') ||
      f.startsWith('dist/') ||
      f.startsWith('schema/');
    expect(files.filter((f) => !allowed(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.map') || f.endsWith('.ts') || /(^|\/)test(s)?\//.test(f) || f.includes('fixture'))).toEqual([]);
    for (const needed of ['package.json', 'README.md', 'config.example.json', 'schema/leash.schema.json', 'dist/cli.js', pkg.bin['mcp-leash']!]) {
      expect(files).toContain(needed.replace(/^\.\//, ''));
    }
    // Every module the CLI imports is in the package (a stale or partial dist/ shows up here).
    for (const f of ['dist/shell/proxy.js', 'dist/trace/writer.js', 'dist/report/index.js', 'dist/config/args.js']) expect(files).toContain(f);
  });

  it('installs lean: about 40 packages, and not the MCP SDK', () => {
    // 38, mcp-leash included, with execa, pino and zod (December 2026); with the SDK it was 129.
    expect(added.map((a) => a.name)).toContain(pkg.name);
    expect(added.length).toBeGreaterThan(10);
    expect(added.length).toBeLessThan(60);
    expect(added.map((a) => a.name).filter((n) => n.startsWith('@modelcontextprotocol/'))).toEqual([]);
    expect(existsSync(join(prefix, 'lib', 'node_modules', pkg.name, 'node_modules', '@modelcontextprotocol'))).toBe(false);
  });

  it('installs a working mcp-leash command', async () => {
    expect(existsSync(installed)).toBe(true);
    const { stdout } = await run(installed, ['--version']);
    expect(stdout.trim()).toBe(pkg.version);
    const help = await run(installed, ['--help']);
    expect(help.stdout).toContain('mcp-leash [options] [--] <command> [args...]');
  });

  it('runs in front of a legacy server: initialize and a tool call', async () => {
    const proc = spawn(installed, ['--log-level', 'warn', '--', NODE, FIXTURE], { stdio: ['pipe', 'pipe', 'pipe'], cwd: work });
    let stderr = '';
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const answers = new Map<unknown, (m: { id: unknown; result?: any; error?: any }) => void>();
    let buf = '';
    proc.stdout.on('data', (c: Buffer) => {
      buf += c.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        answers.get(msg.id)?.(msg);
      }
    });
    const request = (id: number, method: string, params: object) =>
      new Promise<{ id: unknown; result?: any; error?: any }>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no answer to ${method}; stderr: ${stderr}`)), 10_000);
        answers.set(id, (m) => {
          clearTimeout(t);
          resolve(m);
        });
        proc.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
      });
    try {
      const init = await request(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'pack-test', version: '0' } });
      expect(init.result.serverInfo.name).toBe('legacy-server');
      proc.stdin.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
      const echo = await request(2, 'tools/call', { name: 'echo', arguments: { text: 'from the installed package' } });
      expect(echo.result.content).toEqual([{ type: 'text', text: 'from the installed package' }]);
    } finally {
      proc.stdin.end();
    }
    const code = await new Promise<number | null>((r) => proc.on('close', (c) => r(c)));
    expect(code).toBe(0);
  });
});
