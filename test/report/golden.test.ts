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

test('report outline matches test/golden/report-outline.txt', () => {
  const actual = outline(renderReport(sampleReport()));
  if (process.env.UPDATE_GOLDEN === '1' && !process.env.CI) {
    writeFileSync(GOLDEN, actual);
    console.log(`      wrote ${GOLDEN}`);
  }
  assert.ok(existsSync(GOLDEN), `${GOLDEN} is missing: run UPDATE_GOLDEN=1 npx uvu -r tsx test/report golden`);
  assert.fixture(actual, readFileSync(GOLDEN, 'utf8'));
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
  assert.match(o, 'empty: No trace files.');
});

test.run();
