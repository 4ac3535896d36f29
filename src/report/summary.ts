/**
 * The top of the page, in words: when, where, how much, what went wrong, and
 * the single worst call. An on-call engineer should be able to stop reading
 * after this.
 */
import type { ReportData, ReportOutlier } from './data.js';
import { bytes, count, duration, epochMs, percent, plural, ratio, sig, time, timeAfter } from './format.js';
import { esc, traceText } from './html.js';

/** Distinct values, most frequent first, as `a ×3, b` (at most `max`, then "and N more"). */
function tally(values: string[], max: number, quote: (s: string) => string): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const shown = sorted.slice(0, max).map(([v, n]) => `${quote(v)}${n > 1 ? `&nbsp;×${n}` : ''}`);
  const more = sorted.length - shown.length;
  return shown.join(', ') + (more > 0 ? ` and ${count(more)} more` : '');
}

function basename(path: string): string {
  const parts = path.split('/');
  return parts[parts.length - 1] || path;
}

function kindsText(byKind: Record<string, number>): string {
  const parts = Object.entries(byKind)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${count(n)} ${traceText(k, 40)}`);
  return parts.length > 1 ? ` (${parts.join(', ')})` : '';
}

export type Tone = 'bad' | 'warn' | 'ok' | 'empty';

export function tone(data: ReportData): Tone {
  if (data.totals.calls === 0) return 'empty';
  if (data.totals.errors > 0) return 'bad';
  if (data.totals.incidents > 0 || data.totals.outliers > 0) return 'warn';
  return 'ok';
}

/** The headline: the few words a tab title and a glance need. */
export function verdict(data: ReportData): string {
  const t = data.totals;
  if (t.calls === 0) return 'No sync calls recorded';
  const parts: string[] = [];
  if (t.errors > 0) parts.push(plural(t.errors, 'failed sync call'));
  if (t.incidents > 0) parts.push(plural(t.incidents, 'incident'));
  if (t.outliers > 0) parts.push(plural(t.outliers, 'slow call'));
  return parts.length ? parts.join(', ') : 'No slow or failed sync calls';
}

function scopeText(data: ReportData): string {
  const t = data.totals;
  const hosts = [...new Set(data.traces.map((tr) => tr.host))];
  const exes = data.traces.map((tr) => basename(tr.exe) || `pid ${tr.pid}`);
  const hostList = hosts.length ? ` (${tally(hosts, 4, (h) => `<b>${traceText(h, 40)}</b>`)})` : '';
  const exeList = exes.length ? ` (${tally(exes, 4, (e) => traceText(e, 40))})` : '';
  return `${plural(t.processes, 'process', 'processes')}${exeList} on ${plural(t.hosts, 'host')}${hostList}`;
}

/** The whole span the calls were counted over: the raw rings', and the summarized history's. */
function countedSpan(data: ReportData): { start: string; end: string } | null {
  const h = data.history;
  if (!h) return data.range;
  if (!data.range) return { start: h.start, end: h.end };
  return {
    start: epochMs(h.start) < epochMs(data.range.start) ? h.start : data.range.start,
    end: epochMs(h.end) > epochMs(data.range.end) ? h.end : data.range.end,
  };
}

function rangeText(data: ReportData): string {
  const whole = countedSpan(data);
  if (!whole) return '';
  const { start, end } = whole;
  const span = duration(epochMs(end) - epochMs(start));
  return `From <b>${esc(time(start))}</b> to <b>${esc(timeAfter(start, end))}</b> (${esc(span)}), `;
}

function worstText(w: ReportOutlier, data: ReportData): string {
  const host = data.totals.hosts > 1 ? ` on ${traceText(w.host, 40)}` : '';
  let text =
    `<b>Worst:</b> ${traceText(w.kind, 40)} of <span class="path">${traceText(w.path, 200)}</span>${host} ` +
    `(pid ${w.pid}) at <b>${esc(time(w.start))}</b> took <strong class="hot">${esc(duration(w.latencyMs))}</strong>`;
  if (w.ratio !== null && w.baselineMs !== null) {
    text += `, <strong class="hot">${esc(ratio(w.ratio))}</strong> its baseline of ${esc(duration(w.baselineMs))}.`;
  } else if (w.reason === 'failed') {
    text += ', and failed.';
  } else {
    text += `, over the ${esc(duration(data.params.thresholdMs))} threshold (the file had no baseline yet).`;
  }
  if (w.bytes > 0) {
    text += ` It flushed ${esc(bytes(w.bytes))}` + (w.bytesRatio !== null ? ` (${esc(ratio(w.bytesRatio))} the file's usual).` : '.');
  }
  if (w.incident !== null) text += ` Part of <a href="#incidents">incident #${count(w.incident)}</a>.`;
  return text;
}

function historyText(data: ReportData): string {
  const h = data.history!;
  const ring = data.range
    ? `, from ${esc(time(data.range.start))} to ${esc(timeAfter(data.range.start, data.range.end))}`
    : '';
  const holds = `The raw ring${data.traces.length === 1 ? '' : 's'} hold${data.traces.length === 1 ? 's' : ''} the last <b>${plural(h.ringCalls, 'call')}</b>${ring}`;
  if (h.summarizedCalls === 0) {
    return `${holds}: every call recorded, none rotated away yet; the recorder's <a href="#history">summaries</a> count them too.`;
  }
  return `${holds}; the other ${plural(h.summarizedCalls, 'call')} are counted in the recorder's <a href="#history">summaries</a>, ` +
    `and the failed, alerted and outlier calls among them in its keep ring.`;
}

/**
 * The recorder's cost: the steady state (summary intervals after each trace's
 * first) per call and as a share of sync time; start-up (each trace's first
 * interval, where the kernel allocates the trace's fresh pages) apart.
 */
function overheadText(data: ReportData): string {
  const o = data.overhead!;
  const start = o.startup && o.startup.nsPerCall !== null
    ? `start-up (each trace's first summary interval, one-off page allocation included): ${esc(sig(o.startup.nsPerCall))} ns per call`
    : '';
  if (o.nsPerCall === null) {
    return `Recorder overhead: no trace ran past its first summary interval, so only ${start || 'start-up cost was measured'} ` +
      `(${plural(o.startup?.samples ?? 0, 'sampled call')}); that is not the cost of a recorder left on (see the README, Cost).`;
  }
  const share = o.syncShare === null ? '' : `, ${esc(percent(o.syncShare))} of the time spent in sync calls`;
  return `Recorder overhead, steady state: <b>${esc(sig(o.nsPerCall))} ns per call</b>${share} ` +
    `(${plural(o.samples, 'sampled call')} of ${plural(o.calls, 'intercepted call')})${start ? `; ${start}` : ''}.`;
}

function stat(label: string, value: number, hot = false): string {
  return `<div class="stat${hot && value > 0 ? ' hot' : ''}"><dt>${esc(label)}</dt><dd>${count(value)}</dd></div>`;
}

export function summary(data: ReportData): string {
  const t = data.totals;
  const lines: string[] = [];
  if (t.calls === 0) {
    lines.push(`<p class="lede">The traces hold no sync calls. ${plural(data.traces.length, 'trace file')} read.</p>`);
  } else {
    lines.push(
      `<p class="lede">${rangeText(data)}${scopeText(data)} made <b>${plural(t.calls, 'sync call')}</b>${kindsText(t.byKind)} ` +
        `on <b>${plural(t.files, 'file')}</b>.</p>`,
    );
    const slow =
      t.outliers > 0
        ? `<b>${plural(t.outliers, 'call')}</b> ${t.outliers === 1 ? 'was' : 'were'} slower than usual for ${t.outliers === 1 ? 'its' : 'their'} file, in <b>${plural(t.incidents, 'incident')}</b>`
        : 'No call was slower than usual for its file';
    const failed = t.errors > 0 ? `<strong class="hot">${plural(t.errors, 'call')} failed</strong>` : 'none failed';
    lines.push(`<p class="lede">${slow}; ${failed}.</p>`);
    if (data.history) lines.push(`<p class="lede" id="history-note">${historyText(data)}</p>`);
    if (data.worst) lines.push(`<p class="worst">${worstText(data.worst, data)}</p>`);
  }
  if (data.overhead) lines.push(`<p class="note" id="overhead">${overheadText(data)}</p>`);
  const stats = [
    stat('sync calls', t.calls),
    stat('files', t.files),
    stat('processes', t.processes),
    stat('hosts', t.hosts),
    stat('outliers', t.outliers, true),
    stat('incidents', t.incidents, true),
    stat('failed calls', t.errors, true),
    ...(data.alerts ? [stat('alerts written', data.alerts.written, true), stat('alerts suppressed', data.alerts.suppressed)] : []),
  ].join('');
  return (
    `<header id="summary" class="summary ${tone(data)}">\n` +
    `<p class="eyebrow">fsync flight recorder · report</p>\n` +
    `<h1>${esc(verdict(data))}</h1>\n${lines.join('\n')}\n<dl class="stats">${stats}</dl>\n</header>`
  );
}
