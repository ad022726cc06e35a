// Medians over rounds, ratios to the relay, the issue's targets, and the printed table.

const MB = 1024 * 1024;

/**
 * label: `%big%`/`%huge%`/`%n%`/`%later%` are replaced with the sizes and counts actually used.
 * from: the scenario that measures it (bench/run.mjs), so that a cell reads "failed" only when
 * that scenario failed for the subject (a skipped or unpinnable one reads "—").
 * baseline: the subject the table's ratio is taken to: the byte relay, or, where a target is set
 * against the contract's floor, the id-relay (the label says so).
 */
export const METRICS = [
  { key: 'rttP50Us', from: 'small', label: 'round trip p50 (µs)', better: 'lower' },
  { key: 'rttP99Us', from: 'small', label: 'round trip p99 (µs)', better: 'lower' },
  { key: 'rttLaterP50Us', from: 'small', label: 'round trip p50, calls %later% (µs)', better: 'lower' },
  { key: 'rttPinnedP50Us', from: 'pinned', label: 'round trip p50, pinned (µs)', better: 'lower', baseline: 'id-relay' },
  { key: 'rttPinnedLaterP50Us', from: 'pinned', label: 'round trip p50, pinned, calls %later% (µs)', better: 'lower' },
  { key: 'throughputPerS', from: 'small', label: 'throughput, 256 in flight (calls/s)', better: 'higher', baseline: 'id-relay' },
  { key: 'cpuPerCallUs', from: 'small', label: 'CPU per pipelined call, all threads (µs)', better: 'lower', proxyOnly: true, baseline: 'id-relay' },
  { key: 'bigResponseMs', from: 'big', label: '%big% response (ms)', better: 'lower' },
  { key: 'hugeResponseMs', from: 'huge', label: '%huge% response (ms)', better: 'lower' },
  { key: 'spawnToInitializeMs', from: 'startup', label: 'spawn to initialize answer (ms)', better: 'lower' },
  { key: 'peakRssSmallMB', from: 'small', label: 'peak RSS, small-message load (MB)', better: 'lower', proxyOnly: true },
  { key: 'peakRssHugeMB', from: 'huge', label: 'peak RSS while %huge% passes (MB)', better: 'lower', proxyOnly: true },
  { key: 'rssIdleMB', from: 'inflight', label: 'RSS after initialize and a few calls, idle (MB)', better: 'lower', proxyOnly: true },
  { key: 'rssInflightMB', from: 'inflight', label: 'RSS, %n% requests in flight (MB)', better: 'lower', proxyOnly: true },
  { key: 'perRequestKB', from: 'inflight', label: 'memory per request in flight (KB)', better: 'lower', proxyOnly: true },
  { key: 'cancelP50Us', from: 'inflight', label: 'cancel -> child p50 (µs)', better: 'lower' },
  { key: 'cancelP99Us', from: 'inflight', label: 'cancel -> child p99 (µs)', better: 'lower' },
];

/** The subjects targets are checked for: mcp-leash and any other build of it in the run. */
export const isLeash = (name) => name.startsWith('mcp-leash');

/**
 * The targets (issue 18). Each names its baseline, measured in the same run:
 *   ratio: subject / baseline, against `limit` with `op`
 *   plus:  subject - baseline (MB), at most `limit`
 *   absolute: the subject's own figure (no baseline)
 * Those the contract's per-message work bounds (CPU, round trip, throughput) are set against the
 * id-relay, which does that work and nothing more; the others against the byte relay.
 */
function targetDefs(config) {
  const big = fmtBytes(config.bigBytes);
  const huge = fmtBytes(config.hugeBytes);
  const hugeMB = config.hugeBytes / MB;
  return [
    { metric: 'cpuPerCallUs', what: 'CPU per pipelined call', kind: 'ratio', baseline: 'id-relay', op: '<=', limit: 1.15, unit: 'µs' },
    { metric: 'rttPinnedP50Us', what: 'round-trip p50, pinned', kind: 'ratio', baseline: 'id-relay', op: '<=', limit: 1.05, unit: 'µs' },
    { metric: 'throughputPerS', what: 'throughput', kind: 'ratio', baseline: 'id-relay', op: '>=', limit: 0.95, unit: 'calls/s' },
    { metric: 'bigResponseMs', what: `${big} response`, kind: 'ratio', baseline: 'relay', op: '<=', limit: 1.3, unit: 'ms' },
    { metric: 'hugeResponseMs', what: `${huge} response`, kind: 'ratio', baseline: 'relay', op: '<=', limit: 1.3, unit: 'ms' },
    { metric: 'spawnToInitializeMs', what: 'spawn to initialize', kind: 'ratio', baseline: 'relay', op: '<=', limit: 1.1, unit: 'ms' },
    { metric: 'rssIdleMB', what: 'idle RSS', kind: 'plus', baseline: 'relay', op: '<=', limit: 5, unit: 'MB' },
    { metric: 'peakRssHugeMB', what: `peak RSS, ${huge} passing`, kind: 'plus', baseline: 'relay', op: '<=', limit: 2.5 * hugeMB, unit: 'MB' },
    { metric: 'rssInflightMB', what: `${config.inflight.n} in flight, RSS`, kind: 'absolute', baseline: null, op: '<', limit: 100, unit: 'MB', limitText: '100 MB' },
    { metric: 'cancelP99Us', what: 'cancel -> child p99', kind: 'absolute', baseline: null, op: '<', limit: 1000, unit: 'µs', limitText: '1 ms' },
  ];
}

function median(xs) {
  if (!xs || xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const finite = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const ratioOf = (v, base) => (v != null && base ? v / base : null);
const compare = { '<=': (a, b) => a <= b, '>=': (a, b) => a >= b, '<': (a, b) => a < b };

export function evaluate({ subjects, samples, failures, config }) {
  const metrics = {};
  for (const m of METRICS) {
    const medians = {};
    for (const s of subjects) medians[s] = finite(median(samples[s][m.key]));
    const toRelay = {};
    const toIdRelay = {};
    for (const s of subjects) {
      toRelay[s] = ratioOf(medians[s], medians.relay);
      toIdRelay[s] = ratioOf(medians[s], medians['id-relay']);
    }
    const baseline = m.baseline ?? 'relay';
    metrics[m.key] = {
      label: label(m.label, config) + (baseline === 'relay' ? '' : ` [x ${baseline}]`),
      better: m.better,
      baseline,
      median: medians,
      ratioToRelay: toRelay,
      ratioToIdRelay: toIdRelay,
      samples: Object.fromEntries(subjects.map((s) => [s, samples[s][m.key] ?? []])),
    };
  }
  const targets = [];
  for (const subject of subjects.filter(isLeash)) {
    for (const d of targetDefs(config)) {
      const v = metrics[d.metric].median[subject];
      const base = d.baseline ? metrics[d.metric].median[d.baseline] : null;
      const value = d.kind === 'ratio' ? ratioOf(v, base) : d.kind === 'plus' ? diff(v, base) : v;
      const limitText = d.kind === 'ratio' ? `${d.limit.toFixed(2)}x ${d.baseline}` : d.kind === 'plus' ? `${d.baseline} + ${+d.limit.toFixed(1)} MB` : d.limitText;
      targets.push({
        subject,
        metric: d.metric,
        target: `${d.what} ${d.op} ${limitText}`,
        baseline: d.baseline,
        kind: d.kind,
        limit: d.limit,
        // ratio: subject / baseline; plus: subject - baseline (MB); absolute: the subject's figure
        value,
        subjectValue: v,
        baselineValue: base,
        unit: d.unit,
        met: value == null ? false : compare[d.op](value, d.limit),
      });
    }
  }
  return { metrics, targets };
}

const diff = (a, b) => (a == null || b == null ? null : a - b);


function label(text, config) {
  return text
    .replace('%big%', fmtBytes(config.bigBytes))
    .replace('%huge%', fmtBytes(config.hugeBytes))
    .replace('%n%', String(config.inflight.n))
    .replace('%later%', laterCalls(config.small));
}

/** Which calls of a fresh subject the later round-trip sample is (the warm-ups count too). */
function laterCalls({ warmup, calls, laterAfter, throughputTotal }) {
  const first = warmup + Math.min(throughputTotal, warmup * 4) + calls + laterAfter + 1;
  return `${first.toLocaleString('en-US')}-${(first + calls - 1).toLocaleString('en-US')}`;
}

function fmtBytes(b) {
  return `${Math.round(b / MB)} MB`;
}

function fmt(v) {
  if (v == null) return '—';
  const a = Math.abs(v);
  return a >= 1000 ? Math.round(v).toLocaleString('en-US') : a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
}

export function formatReport(report, metrics) {
  const { subjects } = report;
  const rows = [['metric (median of rounds)', ...subjects]];
  for (const m of metrics) {
    const r = report.metrics[m.key];
    rows.push([
      r.label,
      ...subjects.map((s) => {
        const v = r.median[s];
        if (v == null) return report.failures[s]?.[m.from] && !(m.proxyOnly && s === 'direct') ? 'failed' : '—';
        const base = r.baseline ?? 'relay';
        const ratio = base === 'id-relay' ? r.ratioToIdRelay?.[s] : r.ratioToRelay[s];
        return s === base || ratio == null ? fmt(v) : `${fmt(v)} (${ratio.toFixed(2)}x)`;
      }),
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row) => `| ${row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  const m = report.machine;
  let text = `\nmcp-leash benchmark: ${m.cpus} cores (${m.cpuModel}), ${m.memoryGB} GB, Node ${m.node}, ${m.platform}; ${report.rounds} round(s)${report.quick ? ', QUICK' : ''}\n`;
  if (m.loadBefore !== undefined) text += `Load average (1 min) before/after: ${m.loadBefore.toFixed(2)} / ${m.loadAfter.toFixed(2)}${m.busy ? '  -- WARNING: other work was running; figures are noisy' : ''}\n`;
  text += 'Values are medians over rounds; (n.nnx) is the ratio to the byte relay measured in the same run,\n';
  text += 'or, in rows marked [x id-relay], to the id-relay (the contract\'s floor) measured in the same run.\n\n';
  text += [line(rows[0]), sep, ...rows.slice(1).map(line)].join('\n') + '\n';

  // Each target line names its baseline (measured in the same run) and says met or NOT MET.
  for (const subject of subjects.filter(isLeash)) {
    const mine = report.targets.filter((t) => (t.subject ?? 'mcp-leash') === subject);
    if (!mine.length) continue;
    text += `\nTargets (${subject}; each against the baseline it names, measured in the same run):\n`;
    const w = Math.max(...mine.map((t) => t.target.length));
    for (const t of mine) text += `  ${t.met ? 'met    ' : 'NOT MET'}  ${t.target.padEnd(w)}  ${targetValue(t)}\n`;
  }

  // Where the floor itself stands: the id-relay (and each build of mcp-leash) against the byte relay.
  if (subjects.includes('id-relay')) {
    const r = (key, s) => report.metrics[key]?.ratioToRelay[s];
    const x = (v) => (v == null ? '—' : `${v.toFixed(2)}x`);
    const shown = ['id-relay', ...subjects.filter(isLeash)];
    const row = (key) => shown.map((s) => `${s} ${x(r(key, s))}`).join(', ');
    text += '\nThe floor against the byte relay (id-relay: parse, new ids and tokens, answers mapped back; no policy):\n';
    text += `  CPU per pipelined call   ${row('cpuPerCallUs')}\n`;
    text += `  round-trip p50, pinned   ${row('rttPinnedP50Us')}\n`;
    text += `  round-trip p50           ${row('rttP50Us')}\n`;
    text += `  throughput               ${row('throughputPerS')}\n`;
  }

  const failed = Object.entries(report.failures).flatMap(([s, f]) => Object.entries(f).map(([sc, msg]) => `  ${s} / ${sc}: ${msg}`));
  if (failed.length) text += `\nFailures (not retried in later rounds):\n${failed.join('\n')}\n`;

  const f = report.framing;
  if (f) {
    text += '\nFraming time against size (one pass each; ms, and ms per MB):\n';
    const fr = [['', ...f.bytes.map(fmtBytes)]];
    for (const [s, xs] of Object.entries(f.endToEndMs)) {
      fr.push([`${s} end to end`, ...xs.map((v, i) => (v == null ? 'failed' : `${fmt(v)} (${(v / (f.bytes[i] / MB)).toFixed(2)}/MB)`))]);
    }
    if (f.inProcessMs) {
      fr.push(['wire layer alone (split+decode+encode)', ...f.inProcessMs.map((v, i) => `${fmt(v)} (${(v / (f.bytes[i] / MB)).toFixed(2)}/MB)`)]);
    }
    const w = fr[0].map((_, i) => Math.max(...fr.map((row) => row[i].length)));
    text += fr.map((row) => `  ${row.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ')}`).join('\n') + '\n';
  }
  return text;
}

/** A target's figure: the ratio (with both medians), the difference, or the subject's own figure. */
function targetValue(t) {
  if (t.value == null) return '— (no figure)';
  const u = t.unit === 'calls/s' ? ' calls/s' : ` ${t.unit}`;
  if (t.kind === 'ratio') return `${t.value.toFixed(2)}x  (${fmt(t.subjectValue)} against ${fmt(t.baselineValue)}${u})`;
  if (t.kind === 'plus') return `${t.value >= 0 ? '+' : ''}${fmt(t.value)} MB over ${t.baseline}  (${fmt(t.subjectValue)} against ${fmt(t.baselineValue)} MB)`;
  return `${fmt(t.value)}${u}`;
}
