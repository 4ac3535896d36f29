/**
 * The page's one stylesheet, inlined; its SHA-256 goes into the CSP. System
 * fonts only, no framework. Light, quiet colours; red means failed or far
 * outside the baseline, amber means slow.
 */
export const STYLE = `
:root {
  --ink: #1f2933; --muted: #5f6b77; --faint: #8c99a6; --line: #e3e7eb; --bg: #f4f5f7; --card: #fff;
  --red: #c0341d; --red-bg: #fdecea; --amber: #8a5a00; --amber-bg: #fff4d6; --green: #1e7b45; --green-bg: #e6f4ea;
  --blue: #1f5fa8; --blue-bg: #e6eef9;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", "DejaVu Sans Mono", monospace;
}
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--ink); }
body {
  margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  -webkit-font-smoothing: antialiased;
}
a { color: var(--blue); text-decoration: none; }
a:hover { text-decoration: underline; }
nav {
  position: sticky; top: 0; z-index: 2; background: rgba(255,255,255,.96); border-bottom: 1px solid var(--line);
}
nav ul { max-width: 1180px; margin: 0 auto; padding: 8px 24px; list-style: none; display: flex; flex-wrap: wrap; gap: 4px 18px; font-size: 13px; }
nav li:first-child { font-weight: 600; margin-right: 8px; }
main { max-width: 1180px; margin: 0 auto; padding: 20px 24px 48px; }
section, .summary {
  background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 18px 24px 20px; margin: 0 0 18px;
}
.summary { border-left: 6px solid var(--faint); padding-top: 14px; }
.summary.bad { border-left-color: var(--red); }
.summary.warn { border-left-color: #e8a317; }
.summary.ok { border-left-color: var(--green); }
.eyebrow { margin: 0; font-size: 12px; letter-spacing: .06em; text-transform: uppercase; color: var(--muted); }
h1 { font-size: 28px; line-height: 1.25; margin: 2px 0 10px; font-weight: 650; }
.summary.bad h1 { color: var(--red); }
h2 { font-size: 19px; margin: 0 0 4px; font-weight: 620; }
.lede { font-size: 16.5px; margin: 0 0 6px; max-width: 70em; }
.answer { font-size: 18px; line-height: 1.45; margin: 4px 0 10px; max-width: 62em; }
.failed-lines { background: var(--red-bg); border-radius: 6px; padding: 8px 14px; margin: 8px 0; font-size: 14.5px; }
.failed-lines ul { margin: 4px 0 0; padding-left: 20px; }
details summary { cursor: pointer; color: var(--blue); font-size: 13px; }
ul.members { margin: 4px 0 0; padding-left: 18px; font-size: 12.5px; }
details.folded { margin-top: 10px; }
.worst { background: var(--amber-bg); border-radius: 6px; padding: 10px 14px; margin: 12px 0 4px; font-size: 15.5px; }
.stats { display: flex; flex-wrap: wrap; gap: 10px; margin: 16px 0 0; }
.stat { flex: 1 0 120px; border: 1px solid var(--line); border-radius: 6px; padding: 6px 12px; }
.stat dt { font-size: 12px; color: var(--muted); }
.stat dd { margin: 0; font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.stat.hot { border-color: #f2b8ae; background: var(--red-bg); }
.stat.hot dd { color: var(--red); }
.hot { color: var(--red); }
.note { color: var(--muted); font-size: 13.5px; margin: 2px 0 10px; max-width: 75em; }
.empty { color: var(--muted); font-style: italic; margin: 6px 0; }
.muted { color: var(--muted); }
.path, .cmd { font-family: var(--mono); font-size: 12.5px; overflow-wrap: break-word; }
.cmd { display: inline-block; min-width: 12em; }
.nowrap { white-space: nowrap; }
.chart { overflow-x: auto; margin-top: 6px; min-height: 40px; }
.chart svg { display: block; }
.legend-key { display: inline-block; width: 10px; height: 10px; border-radius: 2px; vertical-align: baseline; margin-right: 3px; }
.table-wrap { overflow: auto; max-height: 640px; border: 1px solid var(--line); border-radius: 6px; margin-top: 8px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th {
  position: sticky; top: 0; background: #f8f9fa; text-align: left; font-weight: 600; color: var(--muted);
  font-size: 12px; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: bottom;
}
td { padding: 6px 10px; border-bottom: 1px solid #eef0f2; vertical-align: top; }
tbody tr:last-child td { border-bottom: 0; }
tbody tr:hover td { background: #f7f9fc; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th.num { white-space: normal; }
td:not(.num) { min-width: 5em; }
td .path.full { display: inline-block; min-width: 11em; }
td.why { min-width: 10em; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; white-space: nowrap; }
.badge.red { background: var(--red-bg); color: var(--red); }
.badge.amber { background: var(--amber-bg); color: var(--amber); }
.badge.blue { background: var(--blue-bg); color: var(--blue); }
.badge.grey { background: #eef0f2; color: var(--muted); }
.kind { white-space: nowrap; color: var(--muted); }
.count { font-variant-numeric: tabular-nums; font-weight: 600; margin-right: 4px; }
footer { color: var(--muted); font-size: 13px; padding: 4px 4px 0; }
footer dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 6px 0; }
footer dd { margin: 0; }
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  nav, noscript { display: none; }
  html, body { background: #fff; font-size: 12px; }
  main { max-width: none; padding: 0; }
  section, .summary { border: 0; padding: 0; margin: 0 0 14px; }
  .summary { border-left: 6px solid var(--faint); padding-left: 12px; break-inside: avoid; }
  h2 { break-after: avoid; }
  .chart { overflow: visible; break-inside: avoid; }
  .chart svg { max-width: 100%; height: auto; }
  .table-wrap { max-height: none; overflow: visible; border: 0; }
  th { position: static; }
  tr { break-inside: avoid; }
  a { color: inherit; }
}
`;
