// `mcp-leash report FILE [--html OUT]`: read a --trace file, print a table, optionally write a page.
// Not a proxy session, so stdout is a person's terminal here.

import { readFileSync, writeFileSync } from 'node:fs';
import { analyze, parseTrace } from './analyze.js';
import { renderHtml } from './html.js';
import { renderText } from './table.js';

export const REPORT_HELP = `Usage:
  mcp-leash report FILE [--html OUT]

  Reads a trace written with --trace FILE and prints, per method and tool: calls, ok, errors,
  timeouts, cancellations, heartbeats sent, and p50/p95/max latency; then the requests that did
  not simply succeed.

Options:
  --html OUT   also write a self-contained HTML page (timeline of every request, latency
               distribution per tool) to OUT; it makes no network requests
  --help, -h   show this help and exit
`;

export interface ReportIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

export function runReport(argv: string[], io: ReportIo): number {
  let file: string | undefined;
  let html: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      io.stdout.write(REPORT_HELP);
      return 0;
    }
    if (arg === '--html' || arg.startsWith('--html=')) {
      const value = arg === '--html' ? argv[++i] : arg.slice('--html='.length);
      if (value === undefined || value === '') return usage(io, '--html needs a file name (OUT)');
      html = value;
      continue;
    }
    if (arg.startsWith('-') && arg !== '-') return usage(io, `unknown option "${arg}"`);
    if (file !== undefined) return usage(io, `one trace file at a time, got "${file}" and "${arg}"`);
    file = arg;
  }
  if (file === undefined) return usage(io, 'no trace file given');

  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    io.stderr.write(`mcp-leash report: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return 1;
  }
  const { records, badLines } = parseTrace(text);
  if (records.length === 0) {
    io.stderr.write(`mcp-leash report: ${file} holds no trace lines (is it a file written with --trace?)\n`);
    return 1;
  }
  const analysis = analyze(records, badLines);
  io.stdout.write(renderText(analysis, file));
  if (html !== undefined) {
    try {
      writeFileSync(html, renderHtml(analysis, file));
    } catch (e) {
      io.stderr.write(`mcp-leash report: cannot write ${html}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      return 1;
    }
    io.stdout.write(`\nHTML report written to ${html}\n`);
  }
  return 0;
}

function usage(io: ReportIo, message: string): number {
  io.stderr.write(`mcp-leash report: ${message}; usage: mcp-leash report FILE [--html OUT]\n`);
  return 2;
}
