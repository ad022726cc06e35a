// The official MCP conformance suite, directly and through mcp-leash (issue 21): every server
// scenario must give the same result both ways, and tools-call-with-progress holds 20 times
// each way. test/conformance/run.mjs does the work and prints the table; this runs it. The suite
// needs Node >= 22, so on an older Node the test is skipped and says so.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/proxy.js';

const major = Number(process.versions.node.split('.')[0]);
const needs = `the conformance suite needs Node >= 22, this is ${process.version}`;

describe('MCP conformance suite, directly and through mcp-leash', () => {
  it.skipIf(major < 22)(`every server scenario gives the same result both ways${major < 22 ? ` (skipped: ${needs})` : ''}`, async () => {
    const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const p = spawn(process.execPath, [join(ROOT, 'test/conformance/run.mjs'), '--progress-runs', '20'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      p.stdout.on('data', (c: Buffer) => (text += c.toString('utf8')));
      p.stderr.on('data', (c: Buffer) => (text += c.toString('utf8')));
      p.on('close', (c) => resolve({ code: c, out: text }));
    });
    // The table goes to the test's output (and so to CI's log), pass or fail.
    console.log(out);
    expect(out).toMatch(/tools-call-with-progress +\| pass 20\/20 runs/);
    expect(code, out).toBe(0);
  }, 600_000);
});
