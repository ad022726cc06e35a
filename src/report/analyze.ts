// From trace lines to calls and per-method statistics. Pure: no I/O, so tests feed it synthetic
// traces. A call is everything the trace says about one request (format.ts, `call`); traces cut
// short (a crash, a kill -9) are fine: requests without an end are counted as unfinished.

import type { EventRecord, FrameRecord, Outcome, TraceRecord } from '../trace/format.js';

export type CallOutcome = Outcome | 'unfinished';

export interface CallInfo {
  n: number;
  /** Who asked: a client request, or a server-to-client request. */
  side: 'client' | 'child';
  method: string;
  tool?: string;
  /** ms since the trace started. */
  start: number;
  end?: number;
  outcome: CallOutcome;
  /** Times of the heartbeats mcp-leash synthesized for this call. */
  heartbeats: number[];
  /** Times of progress from the server that reached the client. */
  progress: number[];
  /** A timeout's kind and limit, when it timed out. */
  timeout?: { kind?: 'idle' | 'total'; limitMs?: number; reason?: string };
  /** The server answered after the call had ended (the answer was dropped). */
  lateResponse?: number;
  /** Cancelled by: the client, the server (its own request), or for a timeout mcp-leash. */
  cancelledBy?: 'client' | 'child' | 'leash';
}

export interface GroupStats {
  /** "tools/call echo", "initialize", "sampling/createMessage (server→client)". */
  label: string;
  side: 'client' | 'child';
  method: string;
  tool?: string;
  calls: number;
  ok: number;
  /** JSON-RPC errors, isError results from the server and server exits. */
  errors: number;
  timeouts: number;
  cancellations: number;
  unfinished: number;
  heartbeats: number;
  lateResponses: number;
  /** Over calls that got an answer (cancelled and unfinished ones have none). */
  p50?: number;
  p95?: number;
  max?: number;
  latencies: number[];
}

export interface Analysis {
  calls: CallInfo[];
  groups: GroupStats[];
  totals: GroupStats;
  /** Length of the trace in ms (last timestamp). */
  duration: number;
  startedAt?: string;
  command?: string;
  frames: number;
  bytes: { in: number; out: number };
  /** Lines that were not valid trace records (a trace cut mid-line, say). */
  badLines: number;
  /** Lines the writer had to leave out because the disk was slow. */
  droppedLines: number;
}

export function parseTrace(text: string): { records: TraceRecord[]; badLines: number } {
  const records: TraceRecord[] = [];
  let badLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const r = JSON.parse(line) as unknown;
      if (typeof r === 'object' && r !== null && typeof (r as TraceRecord).t === 'number' && typeof (r as TraceRecord).kind === 'string') {
        records.push(r as TraceRecord);
      } else badLines++;
    } catch {
      badLines++;
    }
  }
  return { records, badLines };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function labelOf(c: Pick<CallInfo, 'side' | 'method' | 'tool'>): string {
  const base = c.tool !== undefined ? `${c.method} ${c.tool}` : c.method;
  return c.side === 'child' ? `${base} (server→client)` : base;
}

export function analyze(records: TraceRecord[], badLines = 0): Analysis {
  const calls = new Map<number, CallInfo>();
  let duration = 0;
  let frames = 0;
  let droppedLines = 0;
  const bytes = { in: 0, out: 0 };
  let startedAt: string | undefined;
  let command: string | undefined;

  const end = (c: CallInfo, t: number, outcome: CallOutcome): void => {
    if (c.end !== undefined) return;
    c.end = t;
    c.outcome = outcome;
  };

  for (const r of records) {
    duration = Math.max(duration, r.t);
    if (r.kind === 'event') {
      const e = r as EventRecord;
      if (e.event === 'start') {
        startedAt = e.startedAt;
        command = e.command;
      }
      if (e.event === 'dropped') droppedLines += e.lines ?? 0;
      const c = e.call !== undefined ? calls.get(e.call) : undefined;
      if (!c) continue;
      if (e.event === 'cancelled') {
        c.cancelledBy = e.by ?? 'client';
        end(c, e.t, 'cancelled');
      } else if (e.event === 'timeout') {
        c.timeout = { ...(e.timeoutKind ? { kind: e.timeoutKind } : {}), ...(e.limitMs !== undefined ? { limitMs: e.limitMs } : {}), ...(e.reason ? { reason: e.reason } : {}) };
        c.cancelledBy ??= 'leash';
      } else if (e.event === 'late-response') {
        c.lateResponse = e.t;
      }
      continue;
    }
    const f = r as FrameRecord;
    frames++;
    if (f.dir === 'client->leash' || f.dir === 'child->leash') bytes.in += f.bytes ?? 0;
    else bytes.out += f.bytes ?? 0;
    if (f.call === undefined) continue;
    let c = calls.get(f.call);
    if (f.kind === 'request' && !c && (f.dir === 'client->leash' || f.dir === 'child->leash')) {
      c = {
        n: f.call,
        side: f.dir === 'client->leash' ? 'client' : 'child',
        method: f.method ?? '?',
        start: f.t,
        outcome: 'unfinished',
        heartbeats: [],
        progress: [],
      };
      if (f.tool !== undefined) c.tool = f.tool;
      calls.set(f.call, c);
      continue;
    }
    if (!c) continue;
    if (f.method === 'notifications/progress' && f.dir === 'leash->client') {
      if (f.heartbeat) c.heartbeats.push(f.t);
      else c.progress.push(f.t);
    }
    if (f.outcome !== undefined) end(c, f.t, f.outcome);
  }

  const list = [...calls.values()].sort((a, b) => a.n - b.n);
  const byLabel = new Map<string, GroupStats>();
  const totals = emptyGroup('all', 'client', '*');
  for (const c of list) {
    const label = labelOf(c);
    let g = byLabel.get(label);
    if (!g) {
      g = emptyGroup(label, c.side, c.method, c.tool);
      byLabel.set(label, g);
    }
    add(g, c);
    add(totals, c);
  }
  const groups = [...byLabel.values()];
  for (const g of [...groups, totals]) finishStats(g);
  groups.sort((a, b) => (a.side === b.side ? a.label.localeCompare(b.label) : a.side === 'client' ? -1 : 1));
  const a: Analysis = { calls: list, groups, totals, duration, frames, bytes, badLines, droppedLines };
  if (startedAt !== undefined) a.startedAt = startedAt;
  if (command !== undefined) a.command = command;
  return a;
}

function emptyGroup(label: string, side: 'client' | 'child', method: string, tool?: string): GroupStats {
  const g: GroupStats = { label, side, method, calls: 0, ok: 0, errors: 0, timeouts: 0, cancellations: 0, unfinished: 0, heartbeats: 0, lateResponses: 0, latencies: [] };
  if (tool !== undefined) g.tool = tool;
  return g;
}

function add(g: GroupStats, c: CallInfo): void {
  g.calls++;
  g.heartbeats += c.heartbeats.length;
  if (c.lateResponse !== undefined) g.lateResponses++;
  switch (c.outcome) {
    case 'ok':
      g.ok++;
      break;
    case 'error':
    case 'tool-error':
    case 'server-exited':
      g.errors++;
      break;
    case 'timeout':
      g.timeouts++;
      break;
    case 'cancelled':
      g.cancellations++;
      break;
    case 'unfinished':
      g.unfinished++;
      break;
  }
  if (c.end !== undefined && c.outcome !== 'cancelled') g.latencies.push(c.end - c.start);
}

function finishStats(g: GroupStats): void {
  g.latencies.sort((a, b) => a - b);
  const p50 = percentile(g.latencies, 50);
  const p95 = percentile(g.latencies, 95);
  if (p50 !== undefined) g.p50 = p50;
  if (p95 !== undefined) g.p95 = p95;
  if (g.latencies.length) g.max = g.latencies[g.latencies.length - 1]!;
}

/** "850ms", "2.31s", "1m05s". */
export function formatLatency(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms < 1000) return ms < 10 ? `${ms.toFixed(1)}ms` : `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m}m${String(s).padStart(2, '0')}s`;
}

/** "timed out after 3s", "timed out: no progress for 1m", or "timed out" when the trace does not say. */
export function timeoutText(c: CallInfo): string {
  const t = c.timeout;
  if (t?.reason?.startsWith('timed out')) return t.reason;
  if (t?.limitMs !== undefined) return `timed out (${t.kind ?? 'total'} limit ${formatLatency(t.limitMs)})`;
  return 'timed out';
}
