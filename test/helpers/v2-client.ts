// The official SDK v2 client (`@modelcontextprotocol/client`) connected through mcp-leash, in one
// of its version-negotiation modes: shared by the era and bridge end-to-end tests.

import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { BIN, NODE, ROOT, configFile, trackPid, type Json } from './proxy.js';
import { within } from './procs.js';

export type Mode = 'legacy' | 'auto' | 'pin';

/** A subclass probes in place (the SDK spawns a probe sibling only for its own base class). */
export class InPlaceStdio extends StdioClientTransport {}

export interface V2Session {
  client: Client;
  connectMs: number;
  stderr(): string;
  close(): Promise<void>;
}

export interface V2Options {
  /** The mcp-leash config (written to a temp file). */
  config: object;
  trace?: string;
  /** Payloads in the trace too (--trace-payloads). */
  payloads?: boolean;
  inPlace?: boolean;
  capabilities?: Record<string, unknown>;
  /** Handlers set before connect (the SDK wants the capability declared first). */
  setup?: (client: Client) => void;
}

/** The SDK v2 client, connected through mcp-leash to `child`. */
export async function v2Client(mode: Mode, child: string[], o: V2Options): Promise<V2Session> {
  const cfg = configFile(o.config);
  const args = [BIN, '--config', cfg, ...(o.trace ? ['--trace', o.trace, ...(o.payloads ? ['--trace-payloads'] : [])] : []), '--', ...child];
  const Transport = o.inPlace ? InPlaceStdio : StdioClientTransport;
  const transport = new Transport({ command: NODE, args, cwd: ROOT, stderr: 'pipe' });
  let err = '';
  transport.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const versionNegotiation = mode === 'pin' ? { mode: { pin: '2026-07-28' } } : { mode };
  const client = new Client({ name: 'v2-e2e', version: '1.0.0' }, { versionNegotiation, capabilities: o.capabilities ?? {} } as ConstructorParameters<typeof Client>[1]);
  o.setup?.(client);
  const t0 = Date.now();
  try {
    await within(client.connect(transport), 30_000, 'the v2 client to connect');
  } catch (e) {
    if (transport.pid) trackPid(transport.pid);
    throw new Error(`connect (${mode}) failed: ${(e as Error).message}\nmcp-leash stderr:\n${err}`);
  }
  const connectMs = Date.now() - t0;
  if (transport.pid) trackPid(transport.pid);
  return { client, connectMs, stderr: () => err, close: () => client.close() };
}

/**
 * The whole lines of an mcp-leash --trace file, parsed. A test may read while mcp-leash writes:
 * the text after the last newline is a line still being written, and is left for the next read.
 */
export const traceLines = (file: string): Json[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .slice(0, -1)
    .filter(Boolean)
    .map((l) => JSON.parse(l));
