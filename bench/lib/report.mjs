// Medians over rounds, ratios to the relay, the issue's targets, and the printed table.

const MB = 1024 * 1024;

/**
 * label: `%big%`/`%huge%`/`%n%`/`%later%` are replaced with the sizes and counts actually used.
 * from: the scenario that measures it (bench/run.mjs), so that a cell reads "failed" only when
 * that scenario failed for the subject (a skipped or unpinnable one reads "—").
 */
export const METRICS = [
  { key: 'rttP50Us', from: 'small', label: 'round trip p50 (µs)', better: 'lower' },
  { key: 'rttP99Us', from: 'small', label: 'round trip p99 (µs)', better: 'lower' },
  { key: 'rttLaterP50Us', from: 'small', label: 'round trip p50, calls %later% (µs)', better: 'lower' },
  { key: 'rttPinnedP50Us', from: 'pinned', label: 'round trip p50, pinned (µs)', better: 'lower' },
  { key: 'rttPinnedLaterP50Us', from: 'pinned', label: 'round trip p50, pinned, calls %later% (µs)', better: 'lower' },
  { key: 'throughputPerS', from: 'small', label: 'throughput, 256 in flight (calls/s)', better: 'higher' },
  { key: 'bigResponseMs', from: 'big', label: '%big% response (ms)', better: 'lower' },
  { key: 'hugeResponseMs', from: 'huge', label: '%huge% response (ms)', better: 'lower' },
  { key: 'spawnToInitializeMs', from: 'startup', label: 'spawn to initialize answer (ms)', better: 'lower' },
  { key: 'peakRssSmallMB', from: 'small', label: 'peak RSS, small-message load (MB)', better: 'lower', proxyOnly: true },
  { key: 'peakRssHugeMB', from: 'huge', label: 'peak RSS while %huge% passes (MB)', better: 'lower', proxyOnly: true },
  { key: 'rssIdleMB', from: 'inflight', label: 'RSS after initialize, idle (MB)', better: 'lower', proxyOnly: true },
  { key: 'rssInflightMB', from: 'inflight', label: 'RSS, %n% requests in flight (MB)', better: 'lower', proxyOnly: true },
  { key: 'perRequestKB', from: 'inflight', label: 'memory per request in flight (KB)', better: 'lower', proxyOnly: true },
  { key: 'cancelP50Us', from: 'inflight', label: 'cancel -> child p50 (µs)', better: 'lower' },
  { key: 'cancelP99Us', from: 'inflight', label: 'cancel -> child p99 (µs)', better: 'lower' },
];

function median(xs) {
  if (!xs || xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function evaluate({ subjects, samples, failures, config }) {
  const metrics = {};
  for (const m of METRICS) {
    const medians = {};
    const ratios = {};
    for (const s of subjects) medians[s] = median(samples[s][m.key]);
    const base = medians.relay;
    for (const s of subjects) ratios[s] = medians[s] != null && base ? medians[s] / base : null;
    metrics[m.key] = { label: label(m.label, config), better: m.better, median: medians, ratioToRelay: ratios, samples: Object.fromEntries(subjects.map((s) => [s, samples[s][m.key] ?? []])) };
  }
  const leash = (k) => metrics[k].median['mcp-leash'];
  const relay = (k) => metrics[k].median.relay;
  const ratio = (k) => metrics[k].ratioToRelay['mcp-leash'];
  const hugeMB = config.hugeBytes / MB;
  const t = (metric, text, value, ok) => ({ metric, target: text, value, met: value == null ? false : ok });
  const targets = subjects.includes('mcp-leash')
    ? [
        t('rttP50Us', 'round-trip p50 <= 1.10x relay', ratio('rttP50Us'), ratio('rttP50Us') <= 1.1),
        t('throughputPerS', 'throughput >= 0.90x relay', ratio('throughputPerS'), ratio('throughputPerS') >= 0.9),
        t('bigResponseMs', `${fmtBytes(config.bigBytes)} response <= 1.3x relay`, ratio('bigResponseMs'), ratio('bigResponseMs') <= 1.3),
        t('hugeResponseMs', `${fmtBytes(config.hugeBytes)} response <= 1.3x relay`, ratio('hugeResponseMs'), ratio('hugeResponseMs') <= 1.3),
        t('spawnToInitializeMs', 'spawn to initialize <= 1.25x relay', ratio('spawnToInitializeMs'), ratio('spawnToInitializeMs') <= 1.25),
        t('peakRssSmallMB', 'peak RSS, small load <= relay + 20 MB', diff(leash('peakRssSmallMB'), relay('peakRssSmallMB')), leash('peakRssSmallMB') <= relay('peakRssSmallMB') + 20),
        t('peakRssHugeMB', `peak RSS, ${fmtBytes(config.hugeBytes)} passing <= relay + ${(2.5 * hugeMB).toFixed(0)} MB`, diff(leash('peakRssHugeMB'), relay('peakRssHugeMB')), leash('peakRssHugeMB') <= relay('peakRssHugeMB') + 2.5 * hugeMB),
        t('rssInflightMB', `${config.inflight.n} in flight < 100 MB RSS`, leash('rssInflightMB'), leash('rssInflightMB') < 100),
        t('cancelP99Us', 'cancel -> child p99 < 1 ms', leash('cancelP99Us'), leash('cancelP99Us') < 1000),
      ]
    : [];
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
        const ratio = r.ratioToRelay[s];
        return s === 'relay' || ratio == null ? fmt(v) : `${fmt(v)} (${ratio.toFixed(2)}x)`;
      }),
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row) => `| ${row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  const m = report.machine;
  let text = `\nmcp-leash benchmark: ${m.cpus} cores (${m.cpuModel}), ${m.memoryGB} GB, Node ${m.node}, ${m.platform}; ${report.rounds} round(s)${report.quick ? ', QUICK' : ''}\n`;
  if (m.loadBefore !== undefined) text += `Load average (1 min) before/after: ${m.loadBefore.toFixed(2)} / ${m.loadAfter.toFixed(2)}${m.busy ? '  -- WARNING: other work was running; figures are noisy' : ''}\n`;
  text += 'Values are medians over rounds; (n.nnx) is the ratio to the byte relay measured in the same run.\n\n';
  text += [line(rows[0]), sep, ...rows.slice(1).map(line)].join('\n') + '\n';

  if (report.targets.length) {
    text += '\nTargets (mcp-leash):\n';
    for (const t of report.targets) {
      const v = t.value == null ? '—' : t.metric.endsWith('MB') && t.metric !== 'rssInflightMB' ? `${t.value >= 0 ? '+' : ''}${fmt(t.value)} MB over relay` : t.metric === 'rssInflightMB' ? `${fmt(t.value)} MB` : t.metric === 'cancelP99Us' ? `${fmt(t.value)} µs` : `${t.value.toFixed(2)}x`;
      text += `  ${t.met ? 'met   ' : 'MISSED'}  ${t.target.padEnd(44)} ${v}\n`;
    }
  }

  // The targets' scale: what the contract's per-message work alone gets in the same run.
  if (subjects.includes('id-relay') && subjects.includes('mcp-leash')) {
    const r = (key, s) => report.metrics[key]?.ratioToRelay[s];
    const x = (v) => (v == null ? '—' : `${v.toFixed(2)}x`);
    const both = (key) => `id-relay ${x(r(key, 'id-relay'))}, mcp-leash ${x(r(key, 'mcp-leash'))}`;
    text += '\nThe floor (id-relay: parse, new ids and tokens, answers mapped back; no policy):\n';
    text += `  round-trip p50           ${both('rttP50Us')}\n`;
    text += `  round-trip p50, pinned   ${both('rttPinnedP50Us')}\n`;
    text += `  throughput               ${both('throughputPerS')}\n`;
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
