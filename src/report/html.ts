// The HTML report: one self-contained page. Inline CSS and inline SVG, no script, no fonts, no
// images, no links out; a Content-Security-Policy of default-src 'none' makes the browser refuse
// any request the page might still try. Everything from the trace is escaped.
// (About 390 lines: one self-contained page, its CSS and SVG drawing in one place.)

import { cancelText, formatLatency, labelOf, timeoutText, type Analysis, type CallInfo, type CallOutcome, type GroupStats } from './analyze.js';
import { ERRORS_LEGEND, formatBytes, LATENCY_LEGEND } from './table.js';

const COLORS: Record<CallOutcome, string> = {
  ok: '#2f9e5f',
  'tool-error': '#d9485f',
  error: '#d9485f',
  'server-exited': '#8f1d2c',
  timeout: '#e8890c',
  cancelled: '#7b6fd0',
  unfinished: '#a0a8b3',
};

const OUTCOME_NAMES: Record<CallOutcome, string> = {
  ok: 'ok',
  'tool-error': 'isError result',
  error: 'error',
  'server-exited': 'server exited',
  timeout: 'timeout',
  cancelled: 'cancelled',
  unfinished: 'unfinished',
};

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Shortens to at most `max` characters, keeping the end (where a tool's own name is). */
function fit(text: string, max: number): string {
  return text.length <= max ? text : `…${text.slice(text.length - max + 1)}`;
}

const fx = (n: number): string => (Math.round(n * 10) / 10).toString();

/** Round axis steps: 1, 2, 5 × 10^k milliseconds. */
function niceStep(span: number, maxTicks: number): number {
  const raw = span / Math.max(1, maxTicks);
  const p = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1e-3))));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function axisLabel(ms: number): string {
  if (ms === 0) return '0';
  if (ms < 1) return `${+ms.toFixed(3)}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${ms % 60_000 ? `${Math.round((ms % 60_000) / 1000)}s` : ''}`;
}

function describe(c: CallInfo): string {
  const parts = [`#${c.n} ${labelOf(c)}`, `started at ${axisLabel(c.start)}`];
  const took = c.end !== undefined ? formatLatency(c.ms ?? c.end - c.start) : undefined;
  switch (c.outcome) {
    case 'timeout':
      parts.push(`${timeoutText(c)}: answered by mcp-leash after ${took}`);
      break;
    case 'cancelled':
      parts.push(`${cancelText(c)} after ${took}`);
      break;
    case 'unfinished':
      parts.push('no answer before the trace ended');
      break;
    default:
      parts.push(`${OUTCOME_NAMES[c.outcome]} in ${took}`);
  }
  if (c.queuedMs !== undefined && c.queuedMs > 0) parts.push(`waited ${formatLatency(c.queuedMs)} in the queue`);
  if (c.heartbeats.length) parts.push(`${c.heartbeats.length} heartbeat${c.heartbeats.length === 1 ? '' : 's'}`);
  if (c.progress.length) parts.push(`${c.progress.length} progress from the server`);
  if (c.lateResponse !== undefined) parts.push(`the server answered anyway at ${axisLabel(c.lateResponse)}; dropped`);
  if (c.guard !== undefined) parts.push(c.guard);
  return parts.join(' · ');
}

// ── timeline ─────────────────────────────────────────────────────────────────────────────────

/**
 * Three densities: up to 150 calls, rows with labels, marks and notes; up to 500, thinner rows
 * that keep a small label each; beyond, bars only. The time axis is repeated at the bottom once
 * the chart is taller than a screen.
 */
function timeline(a: Analysis): string {
  const calls = a.calls;
  const W = 1160;
  const labelW = 230;
  // Room on the right for the note after a bar that ends late.
  const plotW = W - labelW - 100;
  const full = calls.length <= 150;
  const labelled = calls.length <= 500;
  const rowH = full ? 26 : labelled ? 13 : 7;
  const barH = full ? 14 : labelled ? 8 : 5;
  const labelFont = full ? 12 : 10;
  const top = 30;
  const bottomAxis = calls.length > 30;
  const plotBottom = top + calls.length * rowH + 4;
  const H = plotBottom + (bottomAxis ? 24 : 10);
  const span = Math.max(a.duration, ...calls.map((c) => c.lateResponse ?? c.end ?? 0), 1);
  const x = (t: number): number => labelW + (t / span) * plotW;
  const out: string[] = [];
  out.push(`<svg class="timeline" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="Timeline of ${calls.length} requests">`);
  // Grid and axis.
  const step = niceStep(span, 10);
  for (let t = 0; t <= span + 1e-9; t += step) {
    const gx = fx(x(t));
    out.push(`<line class="grid" x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${plotBottom}"/>`);
    out.push(`<text class="tick" x="${gx}" y="${top - 12}" text-anchor="middle">${axisLabel(t)}</text>`);
    if (bottomAxis) out.push(`<text class="tick" x="${gx}" y="${H - 6}" text-anchor="middle">${axisLabel(t)}</text>`);
  }
  calls.forEach((c, i) => {
    const y = top + i * rowH;
    const mid = y + rowH / 2;
    const end = c.end ?? span;
    const x0 = x(c.start);
    // Time spent waiting for a slot comes first, drawn lighter; a call that ended in the queue has no bar.
    const queued = c.queuedMs !== undefined && c.queuedMs > 0 ? c.queuedMs : 0;
    const endedQueued = c.end !== undefined && c.phase === 'queued';
    const xq = queued > 0 ? Math.min(x(c.start + queued), x(end)) : x0;
    const w = Math.max(2, x(end) - xq);
    const color = COLORS[c.outcome];
    out.push(`<g class="call" data-call="${c.n}" data-outcome="${c.outcome}"><title>${esc(describe(c))}</title>`);
    if (labelled) {
      if (i % 2 === 0) out.push(`<rect class="stripe" x="0" y="${y}" width="${W}" height="${rowH}"/>`);
      // Tools by name; other methods (initialize, tools/list, ...) in a quieter style.
      const name = c.tool ?? labelOf(c);
      const short = fit(name, Math.floor((labelW - 16) / (labelFont * 0.61)) - String(c.n).length - 2);
      const cls = c.tool !== undefined ? 'tool' : 'method';
      const size = full ? '' : ` style="font-size:${labelFont}px"`;
      out.push(`<text class="row-label" x="${labelW - 10}" y="${fx(mid + labelFont / 3)}" text-anchor="end"${size}><tspan class="num">#${c.n}</tspan> <tspan class="${cls}">${esc(short)}</tspan></text>`);
    }
    if (queued > 0) {
      out.push(`<rect class="queued" x="${fx(x0)}" y="${fx(mid - barH / 2)}" width="${fx(Math.max(1, xq - x0))}" height="${barH}" rx="${full ? 3 : 1}" fill="${color}"/>`);
    }
    const unfinished = c.outcome === 'unfinished' ? ' unfinished' : '';
    if (!endedQueued) {
      out.push(`<rect class="bar${unfinished}" x="${fx(xq)}" y="${fx(mid - barH / 2)}" width="${fx(w)}" height="${barH}" rx="${full ? 3 : 1}" fill="${color}"/>`);
    }
    const xe = endedQueued ? xq : xq + w;
    if (c.lateResponse !== undefined && c.end !== undefined) {
      const lx = x(c.lateResponse);
      out.push(`<line class="late-line" x1="${fx(xe)}" y1="${fx(mid)}" x2="${fx(lx)}" y2="${fx(mid)}"/>`);
      out.push(`<path class="late" d="M${fx(lx - 4)} ${fx(mid - 4)}l8 8m0 -8l-8 8"/>`);
    }
    if (full) {
      for (const t of c.progress) out.push(`<circle class="progress" cx="${fx(x(t))}" cy="${fx(mid)}" r="3"/>`);
      for (const t of c.heartbeats) {
        const hx = x(t);
        out.push(`<path class="heartbeat" d="M${fx(hx)} ${fx(mid - 5)}l4 5l-4 5l-4 -5z"/>`);
      }
      if (c.outcome === 'timeout' || c.outcome === 'cancelled') {
        out.push(`<line class="stop" x1="${fx(xe)}" y1="${fx(mid - barH / 2 - 3)}" x2="${fx(xe)}" y2="${fx(mid + barH / 2 + 3)}" stroke="${color}"/>`);
      }
      out.push(barNote(c, x0, xe - x0, c.lateResponse !== undefined && c.end !== undefined ? x(c.lateResponse) + 6 : xe, mid, W));
    }
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('\n');
}

/** "8.01s", "timeout 3.00s": right of the bar, else inside it, else left of it. */
function barNote(c: CallInfo, x0: number, w: number, after: number, mid: number, W: number): string {
  const took = c.end !== undefined ? formatLatency(c.ms ?? c.end - c.start) : 'no answer';
  const prefix = c.outcome === 'ok' || c.outcome === 'unfinished' ? '' : `${OUTCOME_NAMES[c.outcome]} `;
  const text = esc(`${prefix}${took}`);
  const width = text.length * 6.2;
  const y = fx(mid + 4);
  if (after + 8 + width < W - 4) return `<text class="bar-note" x="${fx(after + 8)}" y="${y}">${text}</text>`;
  if (w > width + 12) return `<text class="bar-note inside" x="${fx(x0 + w - 6)}" y="${y}" text-anchor="end">${text}</text>`;
  return `<text class="bar-note" x="${fx(x0 - 6)}" y="${y}" text-anchor="end">${text}</text>`;
}

function legend(): string {
  const outcomes: CallOutcome[] = ['ok', 'error', 'timeout', 'cancelled', 'server-exited', 'unfinished'];
  const items = outcomes.map((o) => `<span class="key"><span class="swatch" style="background:${COLORS[o]}"></span>${OUTCOME_NAMES[o]}</span>`);
  items.push(
    `<span class="key"><svg width="14" height="14" viewBox="0 0 14 14"><rect x="0" y="2" width="14" height="10" rx="2" fill="${COLORS.ok}"/><path class="heartbeat" d="M7 2l4 5l-4 5l-4 -5z"/></svg>heartbeat from mcp-leash</span>`,
    `<span class="key"><svg width="14" height="14" viewBox="0 0 14 14"><rect x="0" y="2" width="14" height="10" rx="2" fill="${COLORS.ok}"/><circle class="progress" cx="7" cy="7" r="3"/></svg>progress from the server</span>`,
    `<span class="key"><svg width="14" height="14" viewBox="0 0 14 14"><path class="late" d="M3 3l8 8m0 -8l-8 8"/></svg>late answer, dropped</span>`,
    `<span class="key"><svg width="22" height="14" viewBox="0 0 22 14"><rect class="queued" x="0" y="2" width="10" height="10" rx="2" fill="${COLORS.ok}"/><rect x="10" y="2" width="12" height="10" rx="2" fill="${COLORS.ok}"/></svg>waiting in the queue, then running</span>`,
  );
  return `<div class="legend">${items.join('')}</div>`;
}

// ── latency distribution ─────────────────────────────────────────────────────────────────────

function distributions(groups: GroupStats[]): string {
  const withData = groups.filter((g) => g.latencies.length > 0);
  if (withData.length === 0) return '<p class="muted">No answered requests.</p>';
  const all = withData.flatMap((g) => g.latencies);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.max(0.1, Math.min(...all)))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(lo * 10, Math.max(...all) * 1.0001))));
  const W = 1160;
  const labelW = 230;
  const statsW = 300;
  const plotW = W - labelW - statsW - 20;
  const rowH = 46;
  const top = 14;
  const H = top + withData.length * rowH + 26;
  const lx = (ms: number): number => labelW + ((Math.log10(Math.max(ms, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotW;
  const binsPerDecade = 5;
  const nBins = Math.round((Math.log10(hi) - Math.log10(lo)) * binsPerDecade);
  const out: string[] = [];
  out.push(`<svg class="dist" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="Latency distribution per method and tool">`);
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    const gx = fx(lx(d));
    out.push(`<line class="grid" x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${H - 22}"/>`);
    out.push(`<text class="tick" x="${gx}" y="${H - 8}" text-anchor="middle">${axisLabel(d)}</text>`);
  }
  withData.forEach((g, i) => {
    const y = top + i * rowH;
    const base = y + rowH - 10;
    const counts = new Array<number>(nBins).fill(0);
    for (const v of g.latencies) {
      const b = Math.floor(((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * nBins);
      counts[Math.min(nBins - 1, Math.max(0, b))]!++;
    }
    const peak = Math.max(...counts);
    out.push(`<g class="dist-row" data-group="${esc(g.label)}">`);
    if (i % 2 === 0) out.push(`<rect class="stripe" x="0" y="${y}" width="${W}" height="${rowH}"/>`);
    const label = fit(g.label, Math.floor((labelW - 16) / 7.3));
    out.push(`<text class="row-label" x="${labelW - 10}" y="${base - 8}" text-anchor="end">${esc(label)}</text>`);
    out.push(`<line class="baseline" x1="${labelW}" y1="${base}" x2="${labelW + plotW}" y2="${base}"/>`);
    const bw = plotW / nBins;
    counts.forEach((n, b) => {
      if (n === 0) return;
      const h = Math.max(3, (n / peak) * (rowH - 18));
      out.push(`<rect class="bin" x="${fx(labelW + b * bw + 1)}" y="${fx(base - h)}" width="${fx(bw - 2)}" height="${fx(h)}" rx="2"><title>${n} request${n === 1 ? '' : 's'}</title></rect>`);
    });
    for (const [name, v] of [['p50', g.p50], ['p95', g.p95]] as const) {
      if (v === undefined) continue;
      const px = fx(lx(v));
      out.push(`<line class="${name}" x1="${px}" y1="${y + 4}" x2="${px}" y2="${base + 3}"><title>${name} ${formatLatency(v)}</title></line>`);
    }
    const stats = `n=${g.latencies.length} · p50 ${formatLatency(g.p50)} · p95 ${formatLatency(g.p95)} · max ${formatLatency(g.max)}`;
    out.push(`<text class="stats" x="${labelW + plotW + 16}" y="${base - 8}">${esc(stats)}</text>`);
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('\n');
}

// ── page ─────────────────────────────────────────────────────────────────────────────────────

function table(a: Analysis): string {
  const head = ['method / tool', 'calls', 'ok', 'errors', 'timeouts', 'cancelled', 'heartbeats', 'p50', 'p95', 'max'];
  const row = (g: GroupStats, cls = ''): string => {
    const cell = (n: number, kind: string): string => `<td class="n${n > 0 ? ` ${kind}` : ' zero'}">${n}</td>`;
    return (
      `<tr${cls ? ` class="${cls}"` : ''}><td class="label">${esc(g.label)}</td><td class="n">${g.calls}</td>` +
      cell(g.ok, 'good') +
      cell(g.errors, 'bad') +
      cell(g.timeouts, 'warn') +
      cell(g.cancellations, 'cancel') +
      cell(g.heartbeats, 'info') +
      `<td class="n">${formatLatency(g.p50)}</td><td class="n">${formatLatency(g.p95)}</td><td class="n">${formatLatency(g.max)}</td></tr>`
    );
  };
  return (
    `<table class="stats-table"><thead><tr>${head.map((h, i) => `<th${i ? ' class="n"' : ''}>${h}</th>`).join('')}</tr></thead>` +
    `<tbody>${a.groups.map((g) => row(g)).join('')}</tbody><tfoot>${row({ ...a.totals, label: 'all requests' }, 'total')}</tfoot></table>`
  );
}

function card(value: string, label: string, color?: string): string {
  return `<div class="card"${color ? ` style="border-top-color:${color}"` : ''}><div class="value">${esc(value)}</div><div class="label">${esc(label)}</div></div>`;
}

function notable(a: Analysis): string {
  const list = a.calls.filter((c) => c.outcome !== 'ok' || c.lateResponse !== undefined || c.guard !== undefined);
  if (!list.length) return '';
  const items = list.map(
    (c) => `<li><span class="dot" style="background:${COLORS[c.outcome]}"></span>${esc(describe(c))}</li>`,
  );
  return `<section><h2>Requests that did not simply succeed</h2><ul class="notable">${items.join('')}</ul></section>`;
}

const CSS = `
:root{--fg:#1d2330;--muted:#6b7483;--line:#e3e7ee;--bg:#f6f7f9;--panel:#fff}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1220px;margin:0 auto;padding:28px 30px 40px}
header h1{margin:0;font-size:22px;letter-spacing:-.01em}
header h1 span{color:var(--muted);font-weight:400}
header p{margin:4px 0 0;color:var(--muted)}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.cards{display:flex;gap:12px;margin:20px 0 8px;flex-wrap:wrap}
.card{background:var(--panel);border:1px solid var(--line);border-top:3px solid #c5ccd6;border-radius:8px;padding:10px 16px;min-width:120px}
.card .value{font-size:22px;font-weight:600;font-variant-numeric:tabular-nums}
.card .label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
section{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:16px 20px;margin-top:18px;overflow-x:auto}
h2{font-size:15px;margin:0 0 12px}
.stats-table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
.stats-table th,.stats-table td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
.stats-table th{font-size:12px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.03em}
.stats-table .n{text-align:right}
.stats-table td.label{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.stats-table td.zero{color:#b8bec8}
.stats-table td.good{color:#23804b;font-weight:600}
.stats-table td.bad{color:#c23048;font-weight:600}
.stats-table td.warn{color:#c06d00;font-weight:600}
.stats-table td.cancel{color:#5e52b8;font-weight:600}
.stats-table td.info{color:#2d6cc0;font-weight:600}
.stats-table tfoot td{border-top:2px solid var(--line);border-bottom:0;font-weight:600}
.note{color:var(--muted);font-size:12.5px;margin:10px 0 0}
.legend{display:flex;flex-wrap:wrap;gap:6px 18px;margin:0 0 10px;color:var(--muted);font-size:12.5px}
.key{display:inline-flex;align-items:center;gap:6px}
.swatch{display:inline-block;width:14px;height:10px;border-radius:2px}
svg{display:block;max-width:100%;height:auto;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
svg .grid{stroke:#e9ecf1;stroke-width:1}
svg .tick{fill:#8a93a1;font-size:11px}
svg .stripe{fill:#f8f9fb}
svg .row-label{fill:#2a3140;font-size:12px;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
svg .row-label .num{fill:#9aa2ae}
svg .row-label .method{fill:#6b7483;font-style:italic}
svg .bar.unfinished{opacity:.45}
svg .queued{opacity:.35}
svg .heartbeat{fill:#fff;stroke:#1d2330;stroke-width:1.1}
svg .progress{fill:#1d2330}
svg .late{stroke:#c23048;stroke-width:2;fill:none}
svg .late-line{stroke:#c23048;stroke-width:1;stroke-dasharray:3 3}
svg .stop{stroke-width:2.5}
svg .bar-note{fill:#5b6472;font-size:11px;font-variant-numeric:tabular-nums}
svg .bar-note.inside{fill:#fff;font-weight:600}
svg .call:hover .bar{filter:brightness(1.12)}
svg .baseline{stroke:#cfd5de}
svg .bin{fill:#8fb3e8}
svg .p50{stroke:#1f5fbf;stroke-width:2}
svg .p95{stroke:#e8890c;stroke-width:2;stroke-dasharray:4 2}
svg .stats{fill:#4a5261;font-size:12px;font-variant-numeric:tabular-nums}
.notable{margin:0;padding:0;list-style:none}
.notable li{padding:4px 0;border-bottom:1px solid var(--line);font-size:13px}
.notable li:last-child{border-bottom:0}
.dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:8px}
.muted{color:var(--muted)}
footer{color:var(--muted);font-size:12px;margin-top:18px}
`;

export function renderHtml(a: Analysis, file: string): string {
  const t = a.totals;
  const title = `mcp-leash report: ${file.split('/').pop() ?? file}`;
  const meta = [
    a.startedAt ? `started ${esc(a.startedAt)}` : undefined,
    `${esc(formatLatency(a.duration))} traced`,
    `${a.frames} frames (in ${formatBytes(a.bytes.in)}, out ${formatBytes(a.bytes.out)})`,
    a.command ? `server <code>${esc(a.command)}</code>` : undefined,
  ].filter((s) => s !== undefined);
  const warnings: string[] = [];
  if (a.badLines) warnings.push(`${a.badLines} line(s) of the trace could not be read and were skipped.`);
  if (a.droppedLines) warnings.push(`${a.droppedLines} line(s) were left out of the trace because the disk could not keep up.`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>mcp-leash report <span>${esc(file)}</span></h1>
<p>${meta.join(' · ')}</p>
</header>
<div class="cards">
${card(String(t.calls), 'requests')}${card(String(t.ok), 'ok', COLORS.ok)}${card(String(t.errors), 'errors', COLORS.error)}${card(String(t.timeouts), 'timeouts', COLORS.timeout)}${card(String(t.cancellations), 'cancelled', COLORS.cancelled)}${card(String(t.heartbeats), 'heartbeats sent', '#2d6cc0')}${card(formatLatency(t.p95), 'p95 latency')}
</div>
${warnings.map((w) => `<p class="note">${esc(w)}</p>`).join('\n')}
<section>
<h2>Per method and tool</h2>
${a.calls.length ? table(a) : '<p class="muted">No requests in this trace.</p>'}
<p class="note">${esc(LATENCY_LEGEND)} ${esc(ERRORS_LEGEND)}</p>
</section>
<section>
<h2>Timeline</h2>
${legend()}
${timeline(a)}
</section>
<section>
<h2>Latency distribution</h2>
<div class="legend"><span class="key"><svg width="18" height="12" viewBox="0 0 18 12"><line class="p50" x1="9" y1="0" x2="9" y2="12"/></svg>p50</span><span class="key"><svg width="18" height="12" viewBox="0 0 18 12"><line class="p95" x1="9" y1="0" x2="9" y2="12"/></svg>p95</span><span class="key">log scale; bars count requests</span></div>
${distributions(a.groups)}
</section>
${notable(a)}
<footer>Generated by <code>mcp-leash report</code>. This page is self-contained: it loads nothing from anywhere.</footer>
</main>
</body>
</html>
`;
}
