/**
 * The HTML report: one self-contained file that makes no network request when
 * opened, stays under MAX_REPORT_BYTES whatever the trace size, and shows
 * every string from a trace as text.
 *
 *   ReportData ─▶ chartdata.ts (compact, capped) ─▶ JSON in <script type="application/json">
 *              ─▶ specs.ts (Vega-Lite → Vega)     ─▶ JSON in <script type="application/json">
 *              ─▶ summary.ts, tables.ts           ─▶ escaped HTML
 *   + inlined Vega runtime, vega-interpreter and client.ts, each allowed by its hash in the CSP.
 */
import type { ReportData } from './data.js';
import { runtime } from './assets.js';
import { chartData, type ChartNotes } from './chartdata.js';
import { CLIENT_SCRIPT } from './client.js';
import { bytes, count, duration, plural, time, timeAfter } from './format.js';
import { DEFAULT_LIMITS, MAX_REPORT_BYTES, shrink, type Limits } from './guard.js';
import { cspHash, esc, scriptJson } from './html.js';
import { STYLE } from './style.js';
import { compiledSpecs } from './specs.js';
import { summary, verdict } from './summary.js';
import { durabilitySection } from './durability.js';
import { nodeSitesTable } from './node.js';
import { alertsTable, failuresTable, filesTable, incidentsTable, outliersTable, tracesTable } from './tables.js';

/** Ever smaller limits, tried in turn until the page fits. */
const SHRINK_STEPS = [1, 0.5, 0.25, 0.125, 1 / 16, 1 / 64];

/** The report as one HTML document, at most MAX_REPORT_BYTES long. */
export function renderReport(data: ReportData): string {
  let last = 0;
  for (const factor of SHRINK_STEPS) {
    const html = renderWithLimits(data, shrink(DEFAULT_LIMITS, factor));
    last = Buffer.byteLength(html, 'utf8');
    if (last <= MAX_REPORT_BYTES) return html;
  }
  throw new Error(`report: ${bytes(last)} even at the smallest limits, over the ${bytes(MAX_REPORT_BYTES)} ceiling`);
}

/** The Content-Security-Policy: nothing may load; only these exact scripts and this stylesheet run. */
export function contentSecurityPolicy(scripts: string[], style: string): string {
  return [
    "default-src 'none'",
    `script-src ${scripts.map(cspHash).join(' ')}`,
    `style-src ${cspHash(style)}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

const SECTIONS: Array<[id: string, title: string]> = [
  ['incidents', 'Incidents'],
  ['failures', 'Failed calls'],
  ['alerts', 'Alerts'],
  ['heat', 'Heat map'],
  ['latency', 'Latency over time'],
  ['history', 'Long-range history'],
  ['outliers', 'Top outliers'],
  ['bytes', 'Latency and bytes'],
  ['distribution', 'Distribution'],
  ['files', 'Files'],
  ['node', 'Node call sites'],
  ['traces', 'Traces'],
  ['durability', 'Durability'],
];

function section(id: string, body: string): string {
  const title = SECTIONS.find(([sid]) => sid === id)?.[1] ?? id;
  return `<section id="${id}">\n<h2>${esc(title)}</h2>\n${body}\n</section>`;
}

/** Sections that only traces in format v2 with the data for them have. */
function present(data: ReportData, id: string): boolean {
  if (id === 'alerts') return Boolean(data.alerts);
  if (id === 'history') return Boolean(data.history);
  if (id === 'durability') return data.durability !== undefined;
  if (id === 'node') return (data.nodeSites?.length ?? 0) > 0;
  return true;
}

function chart(id: string, note: string, hasData: boolean, empty: string): string {
  if (!hasData) return `<p class="note">${note}</p>\n<p class="empty">${esc(empty)}</p>`;
  return `<p class="note">${note}</p>\n<div class="chart" id="${id}" role="img"></div>`;
}

function topFilesNote(shown: number, total: number): string {
  return shown < total
    ? `The ${count(shown)} files with the most outliers (then errors, then highest p99), of ${plural(total, 'file')}.`
    : `All ${plural(total, 'file')}, most outliers first.`;
}

function pointsNote(n: ChartNotes): string {
  let text = `${plural(n.pointsShown, 'call')} drawn: every outlier and failed call`;
  if (n.omittedAbnormal > 0) text = `${plural(n.pointsShown, 'call')} drawn: the worst outliers and failed calls only (${count(n.omittedAbnormal)} more not drawn)`;
  else if (n.omittedNormal > 0) text += `, and a sample of normal calls (${count(n.omittedNormal)} normal calls not drawn)`;
  else text += ' and every normal call';
  return text + '.';
}

function charts(
  data: ReportData,
  notes: ChartNotes,
  chartIds: Set<string>,
): { latency: string; heat: string; bytes: string; distribution: string; history: string } {
  const hasPoints = notes.pointsShown > 0;
  const noCalls = 'No sync calls to draw.';
  const merged = notes.heatMerge > 1 ? ` Each drawn bucket merges ${count(notes.heatMerge)} analysis buckets; a cell shows the highest p99 among them.` : '';
  const bucketSeconds = data.heatBucketSeconds * notes.heatMerge;
  const show = (id: string) => chartIds.add(id);
  if (hasPoints) ['chart-latency', 'chart-scatter', 'chart-dist'].forEach(show);
  const heatBuckets = new Set(data.heat.map((c) => c.bucket)).size;
  const historyDays = new Set((data.history?.days ?? []).map((d) => d.day)).size;
  if (heatBuckets >= 2) show('chart-heat');
  if (notes.historyShown > 0 && historyDays >= 2) show('chart-history');
  return {
    history: data.history ? historyChart(data, notes) : '',
    latency: chart(
      'chart-latency',
      `${esc(topFilesNote(notes.timeFiles, notes.files))} Log scale. Shaded band: the file's baseline from median to p99; ` +
        `▲ outliers, ◆ failed calls. ${esc(pointsNote(notes))} Hover a mark for details.`,
      hasPoints,
      noCalls,
    ),
    heat: chart(
      'chart-heat',
      `p99 latency per file and ${esc(duration(bucketSeconds * 1000))} bucket, in classes of one absolute scale (the same ` +
        `colours mean the same milliseconds in every report); ◆ a bucket with a failed call. ` +
        `${esc(topFilesNote(notes.heatFiles, notes.files))}${esc(merged)} A column lit across many files is a device-wide stall.`,
      heatBuckets >= 2,
      data.heat.length === 0 ? noCalls : `The calls fit in one ${duration(bucketSeconds * 1000)} bucket: too short for a heat map (see latency over time).`,
    ),
    bytes: chart(
      'chart-scatter',
      `Latency against the bytes written to the file since its previous sync (log–log), all files. ` +
        `Slow calls on the right flushed a lot; slow calls on the left point at the device.`,
      hasPoints,
      noCalls,
    ),
    distribution: chart(
      'chart-dist',
      `Latency histogram per file, ${esc(topFilesNote(notes.histFiles, notes.files).toLowerCase())} ` +
        `Counts of normal calls are estimated from the sample; dashed lines mark the file's p50 and p99.`,
      hasPoints,
      noCalls,
    ),
  };
}

function historyChart(data: ReportData, notes: ChartNotes): string {
  const h = data.history!;
  const files = notes.historyShown < notes.historyFiles
    ? `the ${count(notes.historyShown)} top files of ${plural(notes.historyFiles, 'file')} with history`
    : plural(notes.historyFiles, 'file');
  const note =
    `Daily p50 and p99 latency per file from <b>${esc(time(h.start))}</b> to <b>${esc(timeAfter(h.start, h.end))}</b>, ` +
    `read off the recorder's summary histograms (per file, call kind and interval; half-octave buckets: within 1.22× of the true latency); ` +
    `${esc(files)}, log scale. ${plural(h.summarizedCalls, 'call')} are only summarized (the raw ring rotated them away); ` +
    `the charts above draw the ${plural(h.ringCalls, 'call')} the raw ring holds.`;
  const days = new Set(h.days.map((d) => d.day)).size;
  return chart('chart-history', note, notes.historyShown > 0 && days >= 2,
    days === 1 ? 'The summarized history covers one day: nothing to draw from day to day (the tables count it).' : 'No summarized day to draw.');
}

function footer(data: ReportData, vegaVersion: string): string {
  const p = data.params;
  return (
    `<footer>\n<dl>` +
    `<dt>Baseline</dt><dd>the file family's own ${esc(duration(p.windowSeconds * 1000))} before the call, else the rest of the recording ` +
    `less the call's neighbourhood, else the rest of its burst (its program's syncs of the same kind at the same time, of files ` +
    `with no history either, as at a checkpoint); at least ${plural(p.minHistory, 'call')}, slow calls left out</dd>` +
    `<dt>Outlier</dt><dd>at least ${esc(String(p.factor))}× the baseline's p99 and at least ${esc(duration(p.floorMs))}; ` +
    `any call over ${esc(duration(p.thresholdMs))}; any failed call</dd>` +
    `<dt>Generated</dt><dd>${esc(time(data.generatedAt))} by fsync-analyze; charts drawn by Vega ${esc(vegaVersion)}, inlined (no network)</dd>` +
    `</dl>\n</footer>`
  );
}

/** The report with explicit limits (renderReport picks them to fit the size ceiling). */
export function renderWithLimits(data: ReportData, limits: Limits = DEFAULT_LIMITS): string {
  const { chart, notes } = chartData(data, limits);
  const rt = runtime();
  const chartIds = new Set<string>();
  const c = charts(data, notes, chartIds);
  const specs = Object.fromEntries(
    Object.entries(compiledSpecs({ timeFiles: limits.timeFiles })).filter(([id]) => chartIds.has(id)),
  );
  const scripts = [rt.vega, rt.interpreter, CLIENT_SCRIPT];
  const title = `fsync report · ${verdict(data)}${data.range ? ` · ${time(data.range.start).slice(0, 16)} UTC` : ''}`;
  const nav = SECTIONS.filter(([id]) => present(data, id)).map(([id, t]) => `<li><a href="#${id}">${esc(t)}</a></li>`).join('');
  const optional = (id: string, body: string) => (present(data, id) ? `${section(id, body)}\n` : '');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(contentSecurityPolicy(scripts, STYLE))}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<nav><ul><li><a href="#summary">Summary</a></li>${nav}</ul></nav>
<main>
${summary(data)}
${section('incidents', incidentsTable(data, limits))}
${section('failures', failuresTable(data, limits))}
${optional('alerts', alertsTable(data, limits))}${section('heat', c.heat)}
${section('latency', c.latency)}
${optional('history', c.history)}${section('outliers', outliersTable(data, limits))}
${section('bytes', c.bytes)}
${section('distribution', c.distribution)}
${section('files', filesTable(data, limits))}
${optional('node', nodeSitesTable(data))}${section('traces', tracesTable(data, limits))}
${optional('durability', durabilitySection(data.durability ?? []))}${footer(data, rt.vegaVersion)}
</main>
<noscript><p class="note">Charts need JavaScript; every table above is complete without it.</p></noscript>
<script type="application/json" id="report-specs">${scriptJson(specs)}</script>
<script type="application/json" id="report-data">${scriptJson(chart)}</script>
<script>${rt.vega}</script>
<script>${rt.interpreter}</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}
