// The plain-text report: a table per method and tool, then the calls worth a look.

import { TRACE_FORMAT_VERSION } from '../trace/format.js';
import { cancelText, formatLatency, timeoutText, type Analysis, type GroupStats } from './analyze.js';

/** What the latency columns measure (the text report and the HTML page say it alike). */
export const LATENCY_LEGEND =
  'Latency: from the request reaching mcp-leash to the answer leaving it, over answered requests (timeouts included, cancelled ones excluded).';

/**
 * What "errors" counts, as add() in analyze.ts counts it: the outcomes error, tool-error and
 * server-exited. A timeout is answered by mcp-leash with an isError result (tools/call) or a
 * JSON-RPC error, and counts only as a timeout.
 */
export const ERRORS_LEGEND =
  '"errors" counts JSON-RPC errors, isError results from the server, and requests failed because the server exited; a timeout counts under "timeouts" only, though mcp-leash answers it with an isError result or a JSON-RPC error.';

/** The text report fits a terminal this wide. */
export const WIDTH = 80;

interface Column {
  title: string;
  get: (g: GroupStats) => string;
}

const count = (title: string, get: (g: GroupStats) => number): Column => ({ title, get: (g) => String(get(g)) });

/** Outcomes: every call once. Unfinished and late answers only when there are any. */
function outcomeColumns(totals: GroupStats): Column[] {
  const cols = [
    count('calls', (g) => g.calls),
    count('ok', (g) => g.ok),
    count('errors', (g) => g.errors),
    count('timeouts', (g) => g.timeouts),
    count('cancelled', (g) => g.cancellations),
  ];
  if (totals.unfinished > 0) cols.push(count('unfinished', (g) => g.unfinished));
  if (totals.lateResponses > 0) cols.push(count('late', (g) => g.lateResponses));
  return cols;
}

/** Latency over answered calls, and what mcp-leash did meanwhile. Queued only when any waited. */
function latencyColumns(totals: GroupStats): Column[] {
  const cols = [
    count('answered', (g) => g.latencies.length),
    { title: 'p50', get: (g: GroupStats) => formatLatency(g.p50) },
    { title: 'p95', get: (g: GroupStats) => formatLatency(g.p95) },
    { title: 'max', get: (g: GroupStats) => formatLatency(g.max) },
    count('heartbeats', (g) => g.heartbeats),
  ];
  if (totals.queued > 0) cols.push(count('queued', (g) => g.queued));
  return cols;
}

/** Shortens to at most `max` characters, keeping the end (where a tool's own name is). */
function fitLabel(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `…${chars.slice(chars.length - max + 1).join('')}`;
}

/** Words of `text` in lines of at most `width` characters, every line after the first indented by `indent`. */
export function wrap(text: string, width = WIDTH, indent = ''): string[] {
  const lines: string[] = [];
  const lead = /^ */.exec(text)![0];
  let line = lead;
  for (const word of text.slice(lead.length).split(' ')) {
    const next = line.trim() === '' ? `${line}${word}` : `${line} ${word}`;
    if ([...next].length <= width || line.trim() === '') line = next;
    else {
      lines.push(line);
      line = `${indent}${word}`;
    }
  }
  lines.push(line);
  return lines;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** A table, label column first, shortened so that no line is wider than `width`. */
export function renderTable(cols: Column[], rows: GroupStats[], totals: GroupStats, width = WIDTH): string {
  const all = [...rows, totals];
  const cells = all.map((g) => cols.map((c) => c.get(g)));
  const widths = cols.map((c, i) => Math.max(c.title.length, ...cells.map((row) => row[i]!.length)));
  const rest = widths.reduce((sum, w) => sum + w + 2, 0);
  const title = 'method / tool';
  const labelMax = Math.max(title.length, width - rest);
  const labels = all.map((g) => fitLabel(g.label, labelMax));
  const labelW = Math.max(title.length, ...labels.map((l) => [...l].length));
  const pad = (l: string): string => l + ' '.repeat(Math.max(0, labelW - [...l].length));
  const line = (label: string, values: string[]): string => [pad(label), ...values.map((v, i) => v.padStart(widths[i]!))].join('  ').trimEnd();
  const rule = line('-'.repeat(labelW), widths.map((w) => '-'.repeat(w)));
  const out = [line(title, cols.map((c) => c.title)), rule];
  cells.forEach((row, i) => {
    if (i === rows.length) out.push(rule);
    out.push(line(labels[i]!, row));
  });
  return out.join('\n');
}

export function renderText(a: Analysis, file: string): string {
  const out: string[] = [];
  out.push(...wrap(`mcp-leash report: ${file}`));
  const when = a.startedAt ? `started ${a.startedAt}, ` : '';
  const cmd = a.command ? `, server ${a.command}` : '';
  const sessions = a.sessions > 1 ? `${a.sessions} sessions, ` : '';
  out.push(
    ...wrap(
      `${when}${sessions}${formatLatency(a.duration)} long, ${a.calls.length} request${a.calls.length === 1 ? '' : 's'}, ` +
        `${a.frames} frames (in ${formatBytes(a.bytes.in)}, out ${formatBytes(a.bytes.out)})${cmd}`,
    ),
  );
  out.push('');
  if (a.calls.length === 0) {
    out.push('No requests in this trace.');
  } else {
    const totals = { ...a.totals, label: 'all' };
    out.push('Requests by outcome:');
    out.push(renderTable(outcomeColumns(totals), a.groups, totals));
    out.push('');
    out.push('Latency of answered requests, and heartbeats sent:');
    out.push(renderTable(latencyColumns(totals), a.groups, totals));
    out.push('');
    out.push(
      ...wrap(
        `${LATENCY_LEGEND} ${ERRORS_LEGEND}` +
          (a.totals.lateResponses > 0 ? ' "late" counts answers the server sent after the request had ended (dropped).' : ''),
      ),
    );
  }
  const notable = a.calls.filter((c) => c.outcome !== 'ok' || c.lateResponse !== undefined || c.guard !== undefined);
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
      else if (c.outcome === 'tool-error') how = c.by === 'leash' ? 'isError result from mcp-leash' : 'isError result from the server';
      else if (c.outcome === 'server-exited') how = 'failed: the server exited';
      else if (c.outcome === 'unfinished') how = 'no answer before the trace ended';
      const late = c.lateResponse !== undefined ? `; the server answered anyway ${formatLatency(c.lateResponse - c.start)} in, answer dropped` : '';
      const session = a.sessions > 1 ? ` (session ${c.session})` : '';
      const guard = c.guard !== undefined ? `; ${c.guard}` : '';
      out.push(...wrap(`  #${c.n}${session} ${what} ${at}: ${how}${took}${late}${guard}`, WIDTH, '      '));
    }
  }
  if (a.otherFormat !== undefined) {
    out.push('', ...wrap(`This trace is in format ${a.otherFormat}; this mcp-leash reads format ${TRACE_FORMAT_VERSION}, so its calls may be missing.`));
  }
  if (a.badLines > 0) out.push('', ...wrap(`${a.badLines} line(s) of the trace could not be read and were skipped.`));
  if (a.droppedLines > 0) out.push('', ...wrap(`${a.droppedLines} line(s) were left out of the trace because the disk could not keep up.`));
  return out.join('\n') + '\n';
}
