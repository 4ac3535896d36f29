/**
 * The report's tables: incidents, top outliers, per-file statistics, failed
 * calls and traces. Every cell goes through esc() or traceText().
 */
import type { ReportAlert, ReportData, ReportFailure, ReportFile, ReportIncident, ReportOutlier, ReportTrace } from './data.js';
import { bytes, clip, clockFor, count, duration, epochMs, plural, ratio, shortPath, visible } from './format.js';
import { esc, pathText, traceText } from './html.js';
import type { Limits } from './guard.js';

export interface Column<T> {
  head: string;
  cell: (row: T) => string;
  /** Right-aligned, tabular figures. */
  num?: boolean;
  /** Never wrapped (host names, short words). */
  nowrap?: boolean;
  /** A class for the column's cells (for widths in the stylesheet). */
  cls?: string;
}

/** An HTML table, or a sentence when there are no rows. */
export function table<T>(id: string, columns: Column<T>[], rows: T[], empty: string): string {
  if (rows.length === 0) return `<p class="empty" id="${esc(id)}">${esc(empty)}</p>`;
  const cls = (c: Column<T>) => {
    const names = [c.num ? 'num' : c.nowrap ? 'nowrap' : '', c.cls ?? ''].filter(Boolean).join(' ');
    return names ? ` class="${names}"` : '';
  };
  const head = columns.map((c) => `<th${cls(c)}>${esc(c.head)}</th>`).join('');
  const body = rows.map((r) => `<tr>${columns.map((c) => `<td${cls(c)}>${c.cell(r)}</td>`).join('')}</tr>`).join('\n');
  return `<div class="table-wrap"><table id="${esc(id)}">\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table></div>`;
}

/** "Showing the 200 worst of 1,204 outliers." when rows were left out, else nothing. */
export function shownOf(shown: number, total: number, what: string, which = ''): string {
  if (total <= shown) return '';
  return `<p class="note">Showing ${which ? which + ' ' : ''}${count(shown)} of ${count(total)} ${esc(what)}.</p>`;
}

function badge(text: string, tone: 'red' | 'amber' | 'blue' | 'grey'): string {
  return `<span class="badge ${tone}">${esc(text)}</span>`;
}

/** A file path in a cell: monospace, clipped in the middle when long. */
function pathCell(path: string, max = 90): string {
  return `<span class="path full">${pathText(path, max)}</span>`;
}

/** The last two components of a path, the whole path in its title. */
function shortPathCell(path: string): string {
  const short = esc(shortPath(path, 40)).replace(/\//g, '/<wbr>');
  return `<span class="path" title="${esc(clip(visible(path), 1000))}">${short}</span>`;
}

/** A file's name, its whole path in the title. */
function fileNameCell(path: string): string {
  const name = path.split('/').pop() || path;
  return `<span class="path" title="${esc(clip(visible(path), 1000))}">${pathText(name, 60)}</span>`;
}

function ratioCell(r: number | null): string {
  const text = esc(ratio(r));
  return r !== null && r >= 10 ? `<strong class="hot">${text}</strong>` : text;
}

/**
 * The span the tables' times fall in: the raw rings' range, widened by the
 * summarized history and the alerts (kept events from long before the ring).
 */
export function tableSpan(data: ReportData): { start: string; end: string } | null {
  const times: string[] = [];
  if (data.range) times.push(data.range.start, data.range.end);
  if (data.history) times.push(data.history.start, data.history.end);
  for (const a of data.alerts?.list ?? []) times.push(a.start);
  for (const list of [data.outliers, data.failures, data.incidents]) for (const r of list) times.push(r.start);
  const ms = times.map(epochMs).filter((t) => !Number.isNaN(t));
  if (ms.length === 0) return null;
  const [first, last] = ms.reduce(([lo, hi], t) => [Math.min(lo, t), Math.max(hi, t)], [Infinity, -Infinity]);
  return { start: new Date(first).toISOString(), end: new Date(last).toISOString() };
}

function warnCount(n: number): string {
  return n > 0 ? `<strong class="hot">${count(n)}</strong>` : count(n);
}

function byKind(kinds: Record<string, number>): string {
  return Object.entries(kinds)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([k, n]) => `<span class="kind">${traceText(k, 40)}&nbsp;${count(n)}</span>`)
    .join(' ');
}

const SCOPE_TONE = { device: 'red', process: 'amber', file: 'amber' } as const;
const SCOPE_TEXT = { device: 'device: several processes', process: 'one process', file: 'one file' } as const;
const CAUSE_TEXT = { 'write-volume': 'large write interval', slow: 'slow calls', failed: 'failed calls' } as const;
const CAUSE_TONE = { 'write-volume': 'blue', slow: 'amber', failed: 'red' } as const;

export function incidentsTable(data: ReportData, limits: Limits): string {
  const clock = clockFor(tableSpan(data));
  let rows = data.incidents;
  if (rows.length > limits.rows) {
    // Keep the worst, shown in time order.
    const worst = new Set(rows.slice().sort((a, b) => b.worstMs - a.worstMs || a.id - b.id).slice(0, limits.rows));
    rows = rows.filter((r) => worst.has(r));
  }
  const columns: Column<ReportIncident>[] = [
    { head: '#', cell: (r) => count(r.id), num: true },
    {
      head: 'Start – end (UTC)',
      cell: (r) => `${esc(clock(r.start))}<br>${esc(clock(r.end))}<br><span class="muted">${esc(duration(epochMs(r.end) - epochMs(r.start)))}</span>`,
      nowrap: true,
    },
    {
      head: 'Scope, cause',
      cell: (r) => badge(SCOPE_TEXT[r.scope] ?? r.scope, SCOPE_TONE[r.scope] ?? 'grey') + '<br>' +
        badge(CAUSE_TEXT[r.cause] ?? r.cause, CAUSE_TONE[r.cause] ?? 'grey') +
        (r.errnos.length ? `<br><strong class="hot">${r.errnos.map((e) => traceText(e, 20)).join(', ')}</strong>` : ''),
    },
    { head: 'Outliers', cell: (r) => count(r.outliers), num: true },
    { head: 'Files', cell: (r) => incidentFiles(r, limits.incidentPaths) },
    {
      head: 'Processes',
      cell: (r) => `${count(r.processes)} of ${count(r.activeProcesses)} syncing` +
        `<br><span class="muted">${r.programs.slice(0, 3).map((p) => traceText(p, 30)).join(', ')}</span>`,
    },
    { head: 'Worst', cell: (r) => `<strong>${esc(duration(r.worstMs))}</strong><br>${shortPathCell(r.worstPath)}` },
  ];
  return (
    table('incidents-table', columns, rows, 'No incidents: no outliers close enough in time to group.') +
    shownOf(rows.length, data.incidents.length, 'incidents', 'the worst')
  );
}

function incidentFiles(r: ReportIncident, max: number): string {
  const listed = r.paths.slice(0, max).map((p) => shortPathCell(p));
  const more = r.files - listed.length;
  return `<span class="count">${count(r.files)}</span> ${listed.join('<br>')}${more > 0 ? `<br><span class="muted">and ${count(more)} more</span>` : ''}`;
}

const REASON_TEXT = { baseline: 'over its baseline', threshold: 'over the threshold', failed: 'failed' } as const;
const SOURCE_TEXT = { prior: "its file's own history", recording: 'the rest of the recording', burst: 'the rest of its burst' } as const;

/** The rule a call broke, and what its baseline rests on. */
function whyCell(r: ReportOutlier): string {
  const rule = r.reason === 'failed' ? `failed: <strong class="hot">${traceText(r.errnoName ?? 'error', 20)}</strong>` : esc(REASON_TEXT[r.reason] ?? r.reason);
  const volume = r.cause === 'write-volume' ? '<br><span class="badge blue">write volume</span>' : '';
  const rests = r.baselineSource ? `<br><span class="muted">vs ${esc(SOURCE_TEXT[r.baselineSource])}</span>` : '<br><span class="muted">no baseline</span>';
  return rule + volume + rests;
}

function processCell(host: string, pid: number, tid: number, program: string): string {
  return `<b>${traceText(program, 40)}</b><br><span class="muted">pid ${pid} · tid ${tid}</span><br><span class="muted">${traceText(host, 40)}</span>`;
}

export function outliersTable(data: ReportData, limits: Limits): string {
  const clock = clockFor(tableSpan(data));
  const rows = data.outliers.slice(0, limits.rows);
  const columns: Column<ReportOutlier>[] = [
    { head: 'Path', cell: (r) => pathCell(r.path) },
    { head: 'Start (UTC), kind', cell: (r) => `${esc(clock(r.start))}<br><span class="muted">${traceText(r.kind, 40)}</span>`, nowrap: true },
    { head: 'Latency (× usual)', cell: (r) => `<strong>${esc(duration(r.latencyMs))}</strong><br>${ratioCell(r.ratio)}`, num: true },
    { head: 'Usual (p50 · p99)', cell: (r) => `${esc(duration(r.baselineMs))}<br><span class="muted">${esc(duration(r.baselineP99Ms))}</span>`, num: true },
    { head: 'Bytes (× usual)', cell: (r) => `${esc(bytes(r.bytes))}<br><span class="muted">${esc(ratio(r.bytesRatio))}</span>`, num: true },
    { head: 'Why', cell: (r) => whyCell(r), cls: 'why' },
    { head: 'Incident', cell: (r) => (r.incident === null ? '—' : `#${count(r.incident)}`), num: true },
    { head: 'Program', cell: (r) => processCell(r.host, r.pid, r.tid, r.program) },
  ];
  const total = Math.max(data.totals.outliers, data.outliers.length);
  return table('outliers-table', columns, rows, 'No outliers: every call was within its baseline and under the threshold.') +
    shownOf(rows.length, total, 'outliers', 'the worst');
}

interface FamilyRow {
  family: string;
  host: string;
  members: ReportFile[];
}

/** Files grouped by family (names that differ only in a number or a random part), in the order of their first member. */
function familyRows(files: ReportFile[]): FamilyRow[] {
  const rows = new Map<string, FamilyRow>();
  for (const f of files) {
    const key = `${f.host}\u0000${f.family}`;
    const row = rows.get(key);
    if (row) row.members.push(f);
    else rows.set(key, { family: f.family, host: f.host, members: [f] });
  }
  return [...rows.values()];
}

const sum = (rows: ReportFile[], pick: (f: ReportFile) => number) => rows.reduce((a, f) => a + pick(f), 0);
const most = (rows: ReportFile[], pick: (f: ReportFile) => number) => rows.reduce((a, f) => Math.max(a, pick(f)), -Infinity);

function familyCell(r: FamilyRow): string {
  if (r.members.length === 1) return pathCell(r.members[0]!.path);
  const members = r.members.map((f) => `<li>${pathCell(f.path)} <span class="muted">${count(f.calls)} calls, p99 ${esc(duration(f.p99Ms))}</span></li>`);
  return `${pathCell(r.family)} <span class="badge grey">family</span>` +
    `<details><summary>${plural(r.members.length, 'file')}</summary><ul class="members">${members.join('')}</ul></details>`;
}

export function filesTable(data: ReportData, limits: Limits): string {
  const families = familyRows(data.files);
  const rows = families.slice(0, limits.fileRows);
  const columns: Column<FamilyRow>[] = [
    { head: 'File (or family)', cell: familyCell },
    { head: 'Host', cell: (r) => traceText(r.host, 40), nowrap: true },
    { head: 'Calls', cell: (r) => count(sum(r.members, (f) => f.calls)), num: true },
    { head: 'By kind', cell: (r) => byKind(kindTotals(r.members)) },
    { head: 'p50', cell: (r) => (r.members.length === 1 ? esc(duration(r.members[0]!.p50Ms)) : '—'), num: true },
    { head: 'p99 (worst file)', cell: (r) => esc(duration(most(r.members, (f) => f.p99Ms))), num: true },
    { head: 'Max', cell: (r) => esc(duration(most(r.members, (f) => f.maxMs))), num: true },
    { head: 'Errors', cell: (r) => warnCount(sum(r.members, (f) => f.errors)), num: true },
    { head: 'Bytes', cell: (r) => esc(bytes(sum(r.members, (f) => f.bytes))), num: true },
  ];
  return table('files-table', columns, rows, 'No file had a sync call.') +
    shownOf(rows.length, families.length, 'files and families', 'the slowest (by p99)');
}

function kindTotals(files: ReportFile[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of files) for (const [k, n] of Object.entries(f.byKind)) out[k] = (out[k] ?? 0) + n;
  return out;
}

export function failuresTable(data: ReportData, limits: Limits): string {
  const clock = clockFor(tableSpan(data));
  const rows = data.failures.slice(0, limits.rows);
  const columns: Column<ReportFailure>[] = [
    { head: 'Start (UTC)', cell: (r) => esc(clock(r.start)) },
    { head: 'Path', cell: (r) => pathCell(r.path) },
    { head: 'Kind', cell: (r) => traceText(r.kind, 40), nowrap: true },
    { head: 'Error', cell: (r) => `<strong class="hot">${traceText(r.errnoName || 'errno', 24)}</strong> (${count(r.errno)})` },
    { head: 'Incident', cell: (r) => (r.incident === null ? '—' : `#${count(r.incident)}`), num: true },
    { head: 'Program', cell: (r) => processCell(r.host, r.pid, r.tid, r.program) },
  ];
  const total = Math.max(data.totals.errors, data.failures.length);
  return table('failures-table', columns, rows, 'No sync call failed.') + shownOf(rows.length, total, 'failed calls', 'the first');
}

export function tracesTable(data: ReportData, limits: Limits): string {
  const clock = clockFor(tableSpan(data));
  const sorted = data.traces.slice().sort((a, b) => b.syncs - a.syncs || a.pid - b.pid);
  const busy = sorted.filter((t) => t.syncs > 0);
  const empty = sorted.filter((t) => t.syncs === 0);
  const rows = busy.slice(0, limits.traceRows);
  const columns: Column<ReportTrace>[] = [
    {
      head: 'Program',
      cell: (r) => `<b>${traceText(r.program, 40)}</b><br><span class="muted">pid ${r.pid}</span><br><span class="muted">${traceText(r.host, 40)}</span>`,
    },
    { head: 'Sync calls', cell: (r) => count(r.syncs), num: true },
    { head: 'Executable, command line', cell: (r) => `${pathCell(r.exe, 50)}<br><span class="cmd">${traceText(r.cmdline, 160)}</span>` },
    { head: 'Dropped, torn', cell: (r) => `${warnCount(r.dropped)}<br>${warnCount(r.torn)}`, num: true },
    { head: 'Span (UTC)', cell: (r) => `${esc(clock(r.start))}<br>→ ${esc(clock(r.end))}`, nowrap: true },
    { head: 'Trace file', cell: (r) => fileNameCell(r.file) },
  ];
  const folded = empty.length === 0 ? '' :
    `<details class="folded"><summary>${plural(empty.length, 'trace')} with no sync call: ` +
    `${esc(tallyPrograms(empty))}</summary>${table('traces-empty', columns, empty.slice(0, limits.traceRows), '')}</details>`;
  return table('traces-table', columns, rows, 'No trace holds a sync call.') +
    shownOf(rows.length, busy.length, 'traces with sync calls', 'the busiest') + folded;
}

function tallyPrograms(traces: ReportTrace[]): string {
  const n = new Map<string, number>();
  for (const t of traces) n.set(t.program, (n.get(t.program) ?? 0) + 1);
  return [...n.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([p, k]) => `${visible(p)}${k > 1 ? ` ×${k}` : ''}`).join(', ') +
    (n.size > 6 ? ', …' : '');
}

export function alertsTable(data: ReportData, limits: Limits): string {
  const alerts = data.alerts;
  if (!alerts) return '';
  const clock = clockFor(tableSpan(data));
  const rows = alerts.list.slice(0, limits.rows);
  const columns: Column<ReportAlert>[] = [
    { head: 'Start (UTC)', cell: (r) => esc(clock(r.start)) },
    { head: 'Path', cell: (r) => pathCell(r.path) },
    { head: 'Kind', cell: (r) => traceText(r.kind, 40), nowrap: true },
    { head: 'Latency', cell: (r) => `<strong>${esc(duration(r.latencyMs))}</strong>`, num: true },
    { head: 'Error', cell: (r) => (r.error === null ? '—' : `<strong class="hot">${traceText(r.error, 24)}</strong>`) },
    { head: 'Alert line', cell: (r) => (r.suppressed ? badge('suppressed', 'grey') : badge('written', 'amber')), nowrap: true },
    { head: 'Held by', cell: (r) => esc(r.source === 'keep' ? 'keep ring' : 'ring'), nowrap: true },
    { head: 'Process', cell: (r) => `<b>${traceText(r.program || r.exe.split('/').pop() || r.exe, 40)}</b><br><span class="muted">pid ${r.pid} · ${traceText(r.host, 40)}</span>`, nowrap: true },
  ];
  const note =
    `<p class="note">The recorder wrote ${count(alerts.written)} alert line${alerts.written === 1 ? '' : 's'} and suppressed ` +
    `${count(alerts.suppressed)} (${sinkNote(alerts)}). The traces hold ${count(alerts.total)} alerted ` +
    `call${alerts.total === 1 ? '' : 's'}; the keep ring holds them after the raw ring has rotated.</p>`;
  return note + table('alerts-table', columns, rows, 'No alerted call is left in the traces.') +
    shownOf(rows.length, alerts.total, 'alerted calls', 'the first');
}

/** Why alert lines were not written: the rate limit, a blocked sink, or no sink at all; and a fallback file. */
function sinkNote(alerts: { suppressed: number; unsent?: number; fallback?: number }): string {
  const unsent = alerts.unsent ?? 0;
  const fallback = alerts.fallback ?? 0;
  const parts = [unsent > 0 ? `${count(alerts.suppressed - unsent)} by the rate limit or a sink that would have blocked, ${count(unsent)} because no sink could take them` : 'rate limit, or a sink that would have blocked'];
  if (fallback > 0) {
    parts.push(`in ${count(fallback)} trace${fallback === 1 ? '' : 's'} the configured sink was missing and the lines went to fsync-trace-alerts.log in the trace directory`);
  }
  return parts.join('; ');
}
