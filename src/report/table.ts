// The plain-text report: a table per method and tool, then the calls worth a look.

import { TRACE_FORMAT_VERSION } from '../trace/format.js';
import { cancelText, formatLatency, timeoutText, type Analysis, type GroupStats } from './analyze.js';

interface Column {
  title: string;
  get: (g: GroupStats) => string;
  left?: boolean;
}

const COLUMNS: Column[] = [
  { title: 'method / tool', get: (g) => g.label, left: true },
  { title: 'calls', get: (g) => String(g.calls) },
  { title: 'ok', get: (g) => String(g.ok) },
  { title: 'errors', get: (g) => String(g.errors) },
  { title: 'timeouts', get: (g) => String(g.timeouts) },
  { title: 'cancelled', get: (g) => String(g.cancellations) },
  { title: 'heartbeats', get: (g) => String(g.heartbeats) },
  { title: 'p50', get: (g) => formatLatency(g.p50) },
  { title: 'p95', get: (g) => formatLatency(g.p95) },
  { title: 'max', get: (g) => formatLatency(g.max) },
];

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function renderTable(rows: GroupStats[], totals: GroupStats): string {
  const extra: Column[] = [];
  if (totals.unfinished > 0) extra.push({ title: 'unfinished', get: (g) => String(g.unfinished) });
  if (totals.lateResponses > 0) extra.push({ title: 'late answers', get: (g) => String(g.lateResponses) });
  const cols = [...COLUMNS.slice(0, 7), ...extra, ...COLUMNS.slice(7)];
  const all = [...rows, totals];
  const cells = all.map((g) => cols.map((c) => c.get(g)));
  const widths = cols.map((c, i) => Math.max(c.title.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]): string =>
    values.map((v, i) => (cols[i]!.left ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd();
  const out = [line(cols.map((c) => c.title)), line(widths.map((w) => '-'.repeat(w)))];
  cells.forEach((row, i) => {
    if (i === rows.length) out.push(line(widths.map((w) => '-'.repeat(w))));
    out.push(line(row));
  });
  return out.join('\n');
}

export function renderText(a: Analysis, file: string): string {
  const out: string[] = [];
  out.push(`mcp-leash report: ${file}`);
  const when = a.startedAt ? `started ${a.startedAt}, ` : '';
  const cmd = a.command ? `, server ${a.command}` : '';
  const sessions = a.sessions > 1 ? `${a.sessions} sessions, ` : '';
  out.push(
    `${when}${sessions}${formatLatency(a.duration)} long, ${a.calls.length} request${a.calls.length === 1 ? '' : 's'}, ` +
      `${a.frames} frames (in ${formatBytes(a.bytes.in)}, out ${formatBytes(a.bytes.out)})${cmd}`,
  );
  out.push('');
  if (a.calls.length === 0) {
    out.push('No requests in this trace.');
  } else {
    out.push(renderTable(a.groups, { ...a.totals, label: 'all' }));
    out.push('');
    out.push('Latency: from the request reaching mcp-leash to the answer leaving it, over answered requests');
    out.push('(timeouts included, cancelled ones excluded). "errors" counts JSON-RPC errors, isError results');
    out.push('and requests failed because the server exited.');
  }
  const notable = a.calls.filter((c) => c.outcome !== 'ok' || c.lateResponse !== undefined);
  if (notable.length) {
    out.push('');
    out.push('Requests that did not simply succeed:');
    for (const c of notable) {
      const what = c.tool !== undefined ? `${c.method} "${c.tool}"` : c.method;
      const at = `started at ${formatLatency(c.start)}`;
      const took = c.end !== undefined ? `, after ${formatLatency(c.ms ?? c.end - c.start)}` : '';
      let how: string = c.outcome;
      if (c.outcome === 'timeout') how = timeoutText(c);
      else if (c.outcome === 'cancelled') how = cancelText(c);
      else if (c.outcome === 'tool-error') how = 'isError result from the server';
      else if (c.outcome === 'server-exited') how = 'failed: the server exited';
      else if (c.outcome === 'unfinished') how = 'no answer before the trace ended';
      const late = c.lateResponse !== undefined ? `; the server answered anyway ${formatLatency(c.lateResponse - c.start)} in, answer dropped` : '';
      out.push(`  #${c.n} ${what} ${at}: ${how}${took}${late}`);
    }
  }
  if (a.otherFormat !== undefined) {
    out.push('', `This trace is in format ${a.otherFormat}; this mcp-leash reads format ${TRACE_FORMAT_VERSION}, so its calls may be missing.`);
  }
  if (a.badLines > 0) out.push('', `${a.badLines} line(s) of the trace could not be read and were skipped.`);
  if (a.droppedLines > 0) out.push('', `${a.droppedLines} line(s) were left out of the trace because the disk could not keep up.`);
  return out.join('\n') + '\n';
}
