/**
 * The top of the page, in words: when, where, how much, what went wrong, and
 * the single worst call. An on-call engineer should be able to stop reading
 * after this.
 */
import type { ReportData, ReportOutlier } from './data.js';
import { bytes, count, duration, epochMs, percent, plural, ratio, sig, time, timeAfter } from './format.js';
import { esc, traceText } from './html.js';
import { answerSentence, failureLines, mainIncident, unjudgedSentence } from './verdict.js';
import { queueSentence } from './node.js';

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

/** Red for failures or a device-wide incident; amber for any other incident or for calls not judged; green only when every call was judged fine. */
export function tone(data: ReportData): Tone {
  const t = data.totals;
  if (t.calls === 0) return 'empty';
  if (t.errors > 0 || data.incidents.some((i) => i.scope === 'device')) return 'bad';
  if (t.incidents > 0 || t.outliers > 0 || data.judgement.unjudged > 0) return 'warn';
  return 'ok';
}

/** The headline: the few words a tab title and a glance need. */
export function verdict(data: ReportData): string {
  const t = data.totals;
  if (t.calls === 0) return 'No sync calls recorded';
  const main = mainIncident(data.incidents);
  const parts: string[] = [];
  if (main?.scope === 'device' && main.cause !== 'failed') parts.push('The disk was slow');
  else if (main?.scope === 'process' && main.cause !== 'failed') parts.push('One process was slow');
  else if (main?.scope === 'file' && main.cause !== 'failed') parts.push('One file was slow');
  if (t.errors > 0) parts.push(plural(t.errors, 'failed sync call'));
  if (t.incidents > 1) parts.push(plural(t.incidents, 'incident'));
  if (parts.length) return parts.join(', ');
  if (t.outliers > 0) return plural(t.outliers, 'slow call');
  const j = data.judgement;
  if (j.judged === 0) return 'No call could be judged';
  return j.unjudged > 0 ? `No slow or failed call among ${count(j.judged)} judged; ${count(j.unjudged)} not judged` : 'No slow or failed sync calls';
}

function scopeText(data: ReportData): string {
  const t = data.totals;
  const hosts = [...new Set(data.traces.map((tr) => tr.host))];
  const byProcess = new Map(data.traces.map((tr) => [`${tr.host}\u0000${tr.pid}`, tr.program || basename(tr.exe) || `pid ${tr.pid}`]));
  const exes = [...byProcess.values()];
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
    `(${traceText(w.program, 40)}, pid ${w.pid}) at <b>${esc(time(w.start))}</b> took <strong class="hot">${esc(duration(w.latencyMs))}</strong>`;
  if (w.ratio !== null && w.baselineMs !== null) {
    const rests = w.baselineSource === 'recording'
      ? `the rest of the recording (too early for a history of its own)`
      : w.baselineSource === 'burst'
        ? `the rest of its burst: its program's other syncs of files with no history, at the same time`
        : `its file's last ${esc(duration(data.params.windowSeconds * 1000))}`;
    text += `, <strong class="hot">${esc(ratio(w.ratio))}</strong> its usual ${esc(duration(w.baselineMs))} ` +
      `(p99 ${esc(duration(w.baselineP99Ms))}, from ${rests}${w.family !== w.path ? `, file family <span class="path">${traceText(w.family, 120)}</span>` : ''}).`;
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
  const lost = h.unaccounted ? ` ${plural(h.unaccounted, 'more call')} happened that no summary or record counts any more.` : '';
  if (h.summarizedCalls === 0 && !h.unaccounted) {
    return `${holds}: every call recorded, none rotated away yet; the recorder's <a href="#history">summaries</a> count them too.`;
  }
  return `${holds}; the other ${plural(h.summarizedCalls, 'call')} are counted in the recorder's <a href="#history">summaries</a>, ` +
    `and the failed, alerted and outlier calls among them in its keep ring.${lost}`;
}

/** A lapped ring with no summaries: the counts above are a lower bound. */
function uncountedText(records: number, traces: number): string {
  return `<b>Not every call is counted:</b> the ring${traces === 1 ? '' : 's'} of ${plural(traces, 'trace')} without summaries ` +
    `(format v1, or recorded with FSYNC_TRACE_SUMMARY_SECONDS=0) lapped, and ${plural(records, 'older record')} ` +
    `(syncs, opens, closes, renames) ${records === 1 ? 'was' : 'were'} overwritten: the sync calls among them are in no count here, ` +
    `so the counts above are a lower bound.`;
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
    lines.push(`<p class="answer" id="answer">${answerSentence(data)}</p>`);
    const queue = queueSentence(data);
    if (queue) lines.push(`<p class="answer" id="queued">${queue}</p>`);
    const unjudged = unjudgedSentence(data);
    if (unjudged) lines.push(`<p class="lede" id="unjudged">${unjudged}</p>`);
    const failures = failureLines(data);
    if (failures.length) {
      const more = data.totals.errors > 0 ? ` (${plural(data.totals.errors, 'failed call')} in all; <a href="#failures">every one</a>)` : '';
      lines.push(`<div class="failed-lines" id="failed-lines"><b>Failed:</b>${more}<ul>${failures.map((f) => `<li>${f}</li>`).join('')}</ul></div>`);
    }
    const slow = t.outliers > 0
      ? `${plural(t.outliers, 'call')} ${t.outliers === 1 ? 'was' : 'were'} slow or failed, in <b>${plural(t.incidents, 'incident')}</b>`
      : 'No call was slow for its file';
    lines.push(`<p class="lede">${slow}.</p>`);
    if (data.history) lines.push(`<p class="lede" id="history-note">${historyText(data)}</p>`);
    if (t.uncountedRecords) lines.push(`<p class="lede" id="uncounted">${uncountedText(t.uncountedRecords, t.uncountedTraces ?? 1)}</p>`);
    if (data.worst) lines.push(`<p class="worst">${worstText(data.worst, data)}</p>`);
  }
  if (data.overhead) lines.push(`<p class="note" id="overhead">${overheadText(data)}</p>`);
  const stats = [
    stat('sync calls', t.calls),
    stat('files', t.files),
    stat('processes', t.processes),
    stat('hosts', t.hosts),
    stat('judged', data.judgement.judged),
    stat('not judged', data.judgement.unjudged, true),
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
