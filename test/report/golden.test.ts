/**
 * The page's structure, compared with test/golden/report-outline.txt.
 * After an intended change: UPDATE_GOLDEN=1 npx uvu -r tsx test/report golden
 * (never set in CI), then read the diff before committing it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderReport } from '../../src/report/render.js';
import { sampleReport } from './fixtures.js';
import { outline } from './outline.js';

const GOLDEN = fileURLToPath(new URL('../golden/report-outline.txt', import.meta.url));
const GOLDEN_V2 = fileURLToPath(new URL('../golden/report-outline-v2.txt', import.meta.url));

function matchesGolden(actual: string, golden: string): void {
  if (process.env.UPDATE_GOLDEN === '1' && !process.env.CI) {
    writeFileSync(golden, actual);
    console.log(`      wrote ${golden}`);
  }
  assert.ok(existsSync(golden), `${golden} is missing: run UPDATE_GOLDEN=1 npx uvu -r tsx test/report golden`);
  assert.fixture(actual, readFileSync(golden, 'utf8'));
}

test('report outline matches test/golden/report-outline.txt', () => {
  const actual = outline(renderReport(sampleReport()));
  matchesGolden(actual, GOLDEN);
  // Traces without v2 data: no alerts, no long-range history, no overhead line.
  assert.not.match(actual, '#alerts');
  assert.not.match(actual, '#history');
  assert.not.match(renderReport(sampleReport()), 'Recorder overhead');
});

test('with v2 history, alerts and cost: test/golden/report-outline-v2.txt', () => {
  const html = renderReport(sampleReport({ v2: true }));
  const actual = outline(html);
  matchesGolden(actual, GOLDEN_V2);
  // The same page as without them, plus the two sections, their nav links and the alert totals.
  const plain = outline(renderReport(sampleReport())).split('\n');
  const added = actual.split('\n').filter((l) => !plain.includes(l));
  assert.equal(added.map((l) => l.replace(/stats: .*/, 'stats')), [
    'nav: #summary #incidents #failures #alerts #heat #latency #history #outliers #bytes #distribution #files #traces',
    '  stats',
    'section #alerts',
    '  h2: Alerts',
    '    table #alerts-table: 14 rows | Start (UTC) | Path | Kind | Latency | Error | Alert line | Held by | Process',
    'section #history',
    '  h2: Long-range history',
    '    chart #chart-history',
  ]);
  assert.match(actual, 'alerts written=9, alerts suppressed=5');
  assert.match(html, '<p class="note" id="overhead">Recorder overhead, steady state: <b>83.3 ns per call</b>, 1.2% of the time spent in sync calls ' +
    "(4,120 sampled calls of 263,000 intercepted calls); start-up (each trace's first summary interval, one-off page allocation included): 1,450 ns per call.</p>");
});

test('outline of an empty report: no charts, every section says why', () => {
  const base = sampleReport();
  const empty = {
    ...base,
    traces: [],
    range: null,
    totals: { hosts: 0, processes: 0, files: 0, calls: 0, byKind: {}, errors: 0, outliers: 0, incidents: 0 },
    worst: null,
    files: [],
    points: [],
    pointsOmitted: 0,
    heat: [],
    incidents: [],
    outliers: [],
    failures: [],
  };
  const o = outline(renderReport(empty));
  assert.match(o, 'h1: No sync calls recorded');
  assert.not.match(o, 'chart #');
  assert.match(o, 'empty: No incidents');
  assert.match(o, 'empty: No sync calls to draw.');
  assert.match(o, 'empty: No trace holds a sync call.');
});

test.run();
