#!/usr/bin/env node
// The server is started first, so that it boots while the rest of mcp-leash loads
// (src/early-start.ts); the static import below is the only module loaded before it.
import { startEarly } from '../dist/early-start.js';

const argv = process.argv.slice(2);
const early = startEarly(argv);
const { main } = await import('../dist/cli.js');
main(argv, early);
