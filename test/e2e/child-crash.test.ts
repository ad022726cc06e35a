// §8 The child exits unexpectedly: every request in flight gets -32000 at once, naming the exit
// code and the last stderr line, and mcp-leash exits with the child's code.

import { afterEach, describe, expect, it } from 'vitest';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { NODE, cleanupProcesses, isResponseTo, startRawProxy, startSdkProxy, toolCall as call } from '../helpers/proxy.js';
import { receivedMessages, tmpFile, waitFor, within } from '../helpers/procs.js';

afterEach(() => cleanupProcesses());

describe('§8 child crash', () => {
  it('§8 child crash: every request in flight gets -32000 at once with the exit code and last stderr line; mcp-leash exits 3', async () => {
    const log = tmpFile('fixture.jsonl');
    const c = startRawProxy({ fixtureArgs: ['--crash-on-call', '3', '--log', log] });
    await c.initialize();
    c.send(call('a', 'sleep', { ms: 120_000 }));
    c.send(call(0, 'sleep', { ms: 120_000 }));
    await waitFor(() => receivedMessages(log, 'tools/call').length === 2, 10_000, 'the child to receive both sleeps');
    const t0 = Date.now();
    c.send(call('boom', 'echo', { text: 'third call crashes' }));
    // Each is answered well before any sleep would end (120 s): no hang.
    const answers = [await c.next(isResponseTo('a')), await c.next(isResponseTo(0)), await c.next(isResponseTo('boom'))];
    expect(Date.now() - t0).toBeLessThan(10_000);
    for (const a of answers) {
      expect(a.error.code).toBe(-32000);
      expect(a.error.message).toMatch(/^MCP server exited/);
      expect(a.error.message).toMatch(/\b3\b/);
      expect(a.error.message).toContain('fatal: crashed on call 3');
    }
    const { code } = await within(c.exited, 15_000, 'the proxy to exit');
    expect(code).toBe(3);
    c.assertCleanStdout();
    // Each request was answered exactly once.
    for (const id of ['a', 0, 'boom']) expect(c.messages().filter((m) => m?.id === id)).toHaveLength(1);
  });

  it('§8 child crash: an SDK client gets an McpError -32000 for a call that crashes the server', async () => {
    const p = await startSdkProxy({ fixtureArgs: [] });
    try {
      const err = await p.client.callTool({ name: 'crash', arguments: {} }).then(
        () => {
          throw new Error('callTool resolved, but the server crashed');
        },
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(McpError);
      expect((err as McpError).code).toBe(-32000);
      expect((err as McpError).message).toMatch(/MCP server exited.*3/);
      expect((err as McpError).message).toContain('fatal: crash tool called');
      await within(p.closed, 15_000, 'the transport to close after the proxy exits');
      expect(p.stderr()).toContain('fatal: crash tool called');
    } finally {
      await p.close();
    }
  });

  it('§8 child crash: a child that exits on its own with code 5 makes mcp-leash exit 5', async () => {
    const c = startRawProxy({ child: [NODE, '-e', 'process.stderr.write("bye\\n"); setTimeout(() => process.exit(5), 50)'] });
    const { code } = await within(c.exited, 15_000, 'the proxy to exit');
    expect(code).toBe(5);
    expect(c.stderr()).toContain('bye');
    c.assertCleanStdout();
  });

  it('§8 child crash: a child killed by a signal mcp-leash did not send makes it exit 128+signal', async () => {
    const c = startRawProxy({ child: [NODE, '-e', 'setTimeout(() => process.kill(process.pid, "SIGKILL"), 50)'] });
    const { code } = await within(c.exited, 15_000, 'the proxy to exit');
    expect(code).toBe(128 + 9);
    c.assertCleanStdout();
  });
});
