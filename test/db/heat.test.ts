// Given the scenario trace (four heat-map rows: a.log, b.log, c.log and the unnamed
// sync()), expect queries/70_heat.sql to keep every row when they are no more than
// $heat_files, and else the $heat_files with the slowest p99, named by host and path.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_REPORT_PARAMS, bindings } from '../../src/db/params.js';
import { openScenario, type Opened } from '../fixtures/session.js';
import { SCENARIO_PARAMS } from '../fixtures/traces.js';

let opened: Opened;

test.before(async () => {
  opened = await openScenario();
});
test.after(() => opened.close());

async function heatRows(heatFiles: number): Promise<Array<[string, string, number, number]>> {
  await opened.session.build(['heat'], bindings(SCENARIO_PARAMS, { ...DEFAULT_REPORT_PARAMS, heatBucketSeconds: 60, heatFiles }));
  const rows = await opened.session.rows('select host, path, sum(calls)::integer as calls, max(p99_ms) as p99 from heat group by all order by p99 desc');
  return rows.map((r) => [String(r.host), String(r.path), Number(r.calls), Number(r.p99)]);
}

test('no more rows than $heat_files: every file, the unnamed calls too', async () => {
  const rows = await heatRows(4);
  assert.equal(rows.map(([host, path, calls]) => [host, path, calls]), [
    ['h1', '/data/a.log', 30], ['h1', '/data/b.log', 3], ['h1', '(unknown)', 1], ['h1', '/data/c.log', 2],
  ]);
});

test('more rows than $heat_files: the slowest p99s', async () => {
  const all = await heatRows(4);
  assert.equal(await heatRows(2), all.slice(0, 2));
  assert.equal(await heatRows(3), all.slice(0, 3));
  assert.equal(await heatRows(1), all.slice(0, 1));
});

test.run();
