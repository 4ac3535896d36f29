/**
 * Scratch: time and peak RSS of each statement the report runs.
 */
import { Session } from '../../src/db/session.js';
import { reportData } from '../../src/db/report.js';
import { DEFAULT_PARAMS } from '../../src/db/params.js';

const dir = process.argv[2]!;
let peak = 0;
let label = 'load';
const rows: Array<[string, number, number, number]> = [];
const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 20);
let t0 = performance.now();
let c0 = process.cpuUsage();
function mark(next: string) {
  const now = performance.now();
  const c = process.cpuUsage(c0);
  peak = Math.max(peak, process.memoryUsage.rss());
  rows.push([label, (now - t0) / 1000, (c.user + c.system) / 1e6, peak / 2 ** 20]);
  label = next; t0 = now; c0 = process.cpuUsage(); peak = 0;
}
const s = await Session.open({ inputs: [dir], quiet: true, warn: () => {} });
const conn = s.connection as any;
for (const m of ['run', 'runAndReadAll', 'stream']) {
  const orig = conn[m].bind(conn);
  conn[m] = async (sql: string, ...rest: unknown[]) => {
    const name = /create or replace (?:table|view) "?(\w+)/.exec(sql)?.[1] ?? sql.replace(/\s+/g, ' ').slice(0, 70);
    mark(`${m} ${name}`);
    const r = await orig(sql, ...rest);
    if (m === 'runAndReadAll') mark(`js ${name}`);
    return r;
  };
}
const data = await reportData(s, DEFAULT_PARAMS);
mark('render');
const { renderReport } = await import('../../src/report/render.js');
const html = renderReport(data);
mark('end');
clearInterval(timer);
for (const [l, w, c, p] of rows) if (w > 0.2 || p > 500) console.log(`${w.toFixed(2).padStart(7)} s ${c.toFixed(2).padStart(7)} cpu ${p.toFixed(0).padStart(6)} MB  ${l}`);
console.log('html', html.length, 'final rss', (process.memoryUsage.rss() / 2 ** 20).toFixed(0));
s.close();
