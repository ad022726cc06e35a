// The one module that owns fd 1. In a proxy session stdout carries JSON-RPC messages and nothing
// else: the shell writes them through `protocolOut`. Only when no session runs (--help,
// --version, --print-config, `report`) may text for a person go there, through `printForPerson`.

import type { Writable } from 'node:stream';

/** The protocol link to the client. Only src/shell/proxy.ts writes here. */
export const protocolOut: Writable = process.stdout;

/** Text for a person at a terminal; never call this while a proxy session runs. */
export function printForPerson(text: string): void {
  process.stdout.write(text);
}
