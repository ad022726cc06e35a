// From trace lines to calls and per-method statistics. Pure: no I/O, so tests feed it synthetic
// traces.
//
// A call is what the core's events say about one request (trace/format.ts): it opens with
// 'call-opened', may wait ('call-queued', 'call-dispatched'), gets heartbeats and progress, and
// ends with exactly one 'call-ended' that says how. Nothing here is worked out from frames; frames
// only count towards the totals of frames and bytes. Calls are keyed by session (`s`) and call,
// so two mcp-leash processes that appended to one file are kept apart. Traces cut short (a crash,
// a kill -9) are fine: calls without an end are counted as unfinished.
// (About 310 lines: building calls from events and the statistics over them.)

import type { CallId, CallPhase, TimeoutKind } from '../core/events.js';
import { formatSize } from '../policy/size.js';
import { TRACE_FORMAT_VERSION, type EventRecord, type FrameRecord, type Outcome, type TraceRecord } from '../trace/format.js';

export type CallOutcome = Outcome | 'unfinished';

export interface CallInfo {
  /** Numbered from 1 in the order the calls opened in the file. */
  n: number;
  /** The session (`s`) and the core's CallId: together, the call's identity. */
  session: string;
  call: CallId;
  /** Who asked: a client request, or a server-to-client request. */
  side: 'client' | 'child';
  method: string;
  tool?: string;
  /** ms since the (first) trace started. */
  start: number;
  end?: number;
  /** How long the core says it took (from 'call-ended'). */
  ms?: number;
  outcome: CallOutcome;
  /** Who produced the answer the requester got. */
  by?: 'server' | 'leash' | 'requester';
  /** Where the call was when it ended. */
  phase?: CallPhase;
  /** Time spent waiting for a concurrency slot, when it waited (until dispatch, or until it ended queued). */
  queuedMs?: number;
  /** Times of the heartbeats mcp-leash sent for this call. */
  heartbeats: number[];
  /** Times of progress from the server for this call. */
  progress: number[];
  /** A timeout's kind and limit, when it timed out. */
  timeout?: { kind: TimeoutKind; limitMs: number; cancelSentToServer: boolean };
  /** When an answer came after the call had ended (it was dropped). */
  lateResponse?: number;
  /** With outcome cancelled: who cancelled. */
  cancelledBy?: 'client' | 'child' | 'task' | 'job';
  errorCode?: number;
  /** What the guard rails did to it (a refusal, hidden list items, a cut, spilled or refused answer), in words. */
  guard?: string;
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
  /** Calls that waited in mcp-leash's queue. */
  queued: number;
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
  /** How many mcp-leash sessions wrote to the file. */
  sessions: number;
  /** Set when a session's start line names a format this report does not read. */
  otherFormat?: number;
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

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

export function analyze(records: TraceRecord[], badLines = 0): Analysis {
  const calls = new Map<string, CallInfo>();
  let duration = 0;
  let frames = 0;
  let droppedLines = 0;
  let otherFormat: number | undefined;
  const bytes = { in: 0, out: 0 };
  let startedAt: string | undefined;
  let command: string | undefined;
  /** Per session: where its t = 0 lies on the report's time axis (sessions after the first start later). */
  const offsets = new Map<string, number>();
  let firstStart: number | undefined;
  /** When each call that waited entered the queue. */
  const queuedAt = new Map<CallInfo, number>();

  for (const r of records) {
    const s = r.s ?? '';
    if (r.kind === 'event' && r.event === 'start') {
      if (r.version !== undefined && r.version !== TRACE_FORMAT_VERSION) otherFormat = r.version;
      const wall = r.startedAt !== undefined ? Date.parse(r.startedAt) : NaN;
      if (startedAt === undefined) {
        startedAt = r.startedAt;
        command = r.command;
        if (Number.isFinite(wall)) firstStart = wall;
      }
      if (!offsets.has(s)) offsets.set(s, firstStart !== undefined && Number.isFinite(wall) ? Math.max(0, wall - firstStart) : 0);
    }
    const t = round(r.t + (offsets.get(s) ?? 0));
    duration = Math.max(duration, t);
    if (r.kind !== 'event') {
      const f = r as FrameRecord;
      frames++;
      if (f.dir === 'client->leash' || f.dir === 'child->leash') bytes.in += f.bytes ?? 0;
      else bytes.out += f.bytes ?? 0;
      continue;
    }
    const e = r as EventRecord;
    if (e.event === 'dropped') droppedLines += e.lines ?? 0;
    if (e.call === undefined) continue;
    const key = `${s}/${e.call}`;
    if (e.event === 'call-opened') {
      if (calls.has(key)) continue; // a line written twice cannot make a second call
      const c: CallInfo = {
        n: calls.size + 1,
        session: s,
        call: e.call,
        side: e.from === 'child' ? 'child' : 'client',
        method: e.method ?? '?',
        start: t,
        outcome: 'unfinished',
        heartbeats: [],
        progress: [],
      };
      if (e.tool !== undefined) c.tool = e.tool;
      calls.set(key, c);
      continue;
    }
    const c = calls.get(key);
    if (!c) continue;
    switch (e.event) {
      case 'call-queued':
        c.queuedMs ??= 0;
        c.phase = 'queued';
        queuedAt.set(c, t);
        break;
      case 'call-dispatched':
        if (e.queuedMs !== undefined && e.queuedMs > 0) c.queuedMs = e.queuedMs;
        else if (!queuedAt.has(c)) delete c.queuedMs;
        c.phase = 'running';
        break;
      case 'call-ended': {
        if (c.end !== undefined) break;
        c.end = t;
        c.outcome = e.outcome ?? 'error';
        if (e.ms !== undefined) c.ms = e.ms;
        if (e.by !== undefined) c.by = e.by;
        if (e.phase === 'queued' || e.phase === 'running') c.phase = e.phase;
        const since = queuedAt.get(c);
        if (c.phase === 'queued' && since !== undefined) c.queuedMs = round(t - since);
        if (e.errorCode !== undefined) c.errorCode = e.errorCode;
        if (e.timeoutKind !== undefined && e.limitMs !== undefined) {
          c.timeout = { kind: e.timeoutKind, limitMs: e.limitMs, cancelSentToServer: e.cancelSentToServer === true };
        }
        if (e.cancelledBy !== undefined) c.cancelledBy = e.cancelledBy;
        break;
      }
      case 'heartbeat':
        c.heartbeats.push(t);
        break;
      case 'progress':
        c.progress.push(t);
        break;
      case 'late-answer':
        c.lateResponse ??= t;
        break;
      case 'guard':
        c.guard = guardText(e);
        break;
    }
  }

  const list = [...calls.values()];
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
  const a: Analysis = { calls: list, groups, totals, duration, sessions: offsets.size, frames, bytes, badLines, droppedLines };
  if (startedAt !== undefined) a.startedAt = startedAt;
  if (command !== undefined) a.command = command;
  if (otherFormat !== undefined) a.otherFormat = otherFormat;
  return a;
}

function emptyGroup(label: string, side: 'client' | 'child', method: string, tool?: string): GroupStats {
  const g: GroupStats = { label, side, method, calls: 0, ok: 0, errors: 0, timeouts: 0, cancellations: 0, unfinished: 0, heartbeats: 0, lateResponses: 0, queued: 0, latencies: [] };
  if (tool !== undefined) g.tool = tool;
  return g;
}

function add(g: GroupStats, c: CallInfo): void {
  g.calls++;
  g.heartbeats += c.heartbeats.length;
  if (c.lateResponse !== undefined) g.lateResponses++;
  if (c.queuedMs !== undefined) g.queued++;
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
  if (c.end !== undefined && c.outcome !== 'cancelled') g.latencies.push(c.ms ?? c.end - c.start);
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

/** Sizes as the note to the model words them (decimal units). */
function size(n: number | undefined): string {
  return n === undefined ? '?' : formatSize(n);
}

/** A 'guard' event in words, for the report's list of notable requests. */
export function guardText(e: EventRecord): string {
  switch (e.action) {
    case 'refused':
      return `refused by mcp-leash: ${e.what ?? 'it'} "${e.name ?? '?'}" is hidden by ${e.rule ?? 'the policy'}`;
    case 'hidden':
      return `mcp-leash hid ${e.names?.length ?? 0} ${e.what ?? 'item'}(s) from the answer: ${(e.names ?? []).join(', ')}`;
    case 'truncated':
      return `answer of ${size(e.bytes)} cut to ${size(e.keptBytes)} (limit ${size(e.limit)})`;
    case 'spilled':
      return `answer of ${size(e.bytes)} written to ${e.path ?? 'a file'} (limit ${size(e.limit)})`;
    case 'too-large':
      return `answer of ${size(e.bytes)} refused as over the limit of ${size(e.limit)}`;
    default:
      return 'guard rails acted';
  }
}

/** "cancelled by the client", "cancelled by the server", "cancelled by the client (its task)". */
export function cancelText(c: CallInfo): string {
  if (c.cancelledBy === 'child') return 'cancelled by the server';
  if (c.cancelledBy === 'task') return 'cancelled by the client (its task)';
  return 'cancelled by the client';
}

/** "timed out (total limit 3.00s)", "timed out (idle limit 1m00s) while queued", or "timed out" when the trace does not say. */
export function timeoutText(c: CallInfo): string {
  const t = c.timeout;
  const where = c.phase === 'queued' ? ' while queued' : '';
  if (t !== undefined) return `timed out (${t.kind} limit ${formatLatency(t.limitMs)})${where}`;
  return `timed out${where}`;
}
