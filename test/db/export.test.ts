// Export round trips: what export writes, DuckDB (Parquet, CSV) and apache-arrow
// (Arrow IPC) read back with the same values.
import { DuckDBInstance } from '@duckdb/node-api';
import { tableFromIPC } from 'apache-arrow';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FtError } from '../../src/errors.js';
import { exportTables } from '../../src/db/export.js';
import { bindings } from '../../src/db/params.js';
import { openScenario, openTraces, type Opened } from '../fixtures/session.js';
import { historyTrace } from '../fixtures/history.js';
import { SCENARIO_PARAMS, tempDir } from '../fixtures/traces.js';

let opened: Opened;
const out = tempDir();
const b = bindings(SCENARIO_PARAMS);

test.before(async () => {
  opened = await openScenario();
});
test.after(() => {
  opened.close();
  out.cleanup();
});

async function read(sql: string) {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJS();
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

test('parquet: every table, read back by DuckDB', async () => {
  const dir = join(out.dir, 'parquet');
  const done = await exportTables(opened.session, b, { format: 'parquet', dir, tables: ['events', 'intervals', 'outliers', 'incidents'] });
  assert.equal(done, [
    { table: 'events', name: 'events.parquet', rows: 38 },
    { table: 'intervals', name: 'intervals.parquet', rows: 36 },
    { table: 'outliers', name: 'outliers.parquet', rows: 5 },
    { table: 'incidents', name: 'incidents.parquet', rows: 3 },
  ]);
  assert.equal(readdirSync(dir).sort(), ['events.parquet', 'incidents.parquet', 'intervals.parquet', 'outliers.parquet']);
  const [e] = await read(`select count(*) as n, sum(dur_ns) as dur, min(start) as first, typeof(min(start)) as type from '${dir}/events.parquet'`);
  // a.log 26 x 2 + 50 + 40 + 1500 + 120 ms, b.log 104, c.log 1.5, sync() 3, open and close 0.015.
  assert.equal([e!.n, e!.dur, e!.type], [38n, 1_870_515_000n, 'TIMESTAMP_NS']);
  const o = await read(`select path, latency_ms, cause, incident from '${dir}/outliers.parquet' order by rank`);
  assert.equal(o.map((r) => [r.path, r.latency_ms, r.cause, r.incident]), [
    ['/data/a.log', 1500, 'slow', 2], ['/data/a.log', 2, 'failed', 1], ['/data/a.log', 120, 'slow', 3],
    ['/data/a.log', 50, 'slow', 1], ['/data/a.log', 40, 'write-volume', 1],
  ]);
  const i = await read(`select incident, paths, scope from '${dir}/incidents.parquet' order by incident`);
  assert.equal(i.map((r) => [r.paths, r.scope]), [[['/data/a.log'], 'file'], [['/data/a.log'], 'file'], [['/data/a.log'], 'file']]);
});

test('v2 history: summaries partitioned by host and day, summary_hist, recorder_cost, alerts and daily', async () => {
  const h = await openTraces({ 'kv.300.fstrace': historyTrace() });
  try {
    const dir = join(out.dir, 'history');
    const done = await exportTables(h.session, b, {
      format: 'parquet', dir, tables: ['summaries', 'summary_hist', 'recorder_cost', 'alerts', 'daily'], partition: true,
    });
    assert.equal(done.map((d) => [d.table, d.name, d.rows]), [
      ['summaries', 'summaries', 2880], ['summary_hist', 'summary_hist.parquet', 5702], ['recorder_cost', 'recorder_cost.parquet', 2],
      ['alerts', 'alerts.parquet', 3], ['daily', 'daily.parquet', 2],
    ]);
    assert.equal(readdirSync(join(dir, 'summaries', 'host=h2')).sort(), ['day=2026-01-01', 'day=2026-01-02']);
    const [r] = await read(`select sum(calls) as calls, count(*) filter (where before_ring) as before from read_parquet('${dir}/summaries/**/*.parquet', hive_partitioning = true)`);
    assert.equal(r, { calls: 86_401n + 83_160n, before: 2820n }); // every summary, the last hour too
    await exportTables(h.session, b, { format: 'arrow', dir, tables: ['events'] });
    const sources = tableFromIPC(readFileSync(join(dir, 'events.arrow'))).getChild('source')!.toArray() as string[];
    assert.equal([sources.filter((v) => v === 'ring').length, sources.filter((v) => v === 'keep').length], [360, 2]);
  } finally {
    h.close();
  }
});

test('parquet partitioned by host and day', async () => {
  const dir = join(out.dir, 'parts');
  await exportTables(opened.session, b, { format: 'parquet', dir, tables: ['intervals'], partition: true });
  assert.ok(existsSync(join(dir, 'intervals', 'host=h1', 'day=2026-01-01')));
  const [r] = await read(`select count(*) as n, any_value(host) as host from read_parquet('${dir}/intervals/**/*.parquet', hive_partitioning = true)`);
  assert.equal(r, { n: 36n, host: 'h1' });
});

test('csv, with a header, read back by DuckDB', async () => {
  const dir = join(out.dir, 'csv');
  await exportTables(opened.session, b, { format: 'csv', dir, tables: ['file_stats'] });
  const rows = await read(`select path, calls, errors, max_ms from read_csv('${dir}/file_stats.csv') order by path`);
  assert.equal(rows, [
    { path: '(unknown)', calls: 1n, errors: 0n, max_ms: 3 },
    { path: '/data/a.log', calls: 30n, errors: 1n, max_ms: 1500 },
    { path: '/data/b.log', calls: 3n, errors: 0n, max_ms: 100 },
    { path: '/data/c.log', calls: 2n, errors: 0n, max_ms: 1 },
  ]);
});

test('arrow: IPC files apache-arrow reads, with types and nulls kept', async () => {
  const dir = join(out.dir, 'arrow');
  const done = await exportTables(opened.session, b, { format: 'arrow', dir, tables: ['events', 'intervals', 'incidents', 'traces', 'baselines'] });
  assert.equal(done.map((d) => [d.name, d.rows]), [
    ['events.arrow', 38], ['intervals.arrow', 36], ['incidents.arrow', 3], ['traces.arrow', 1], ['baselines.arrow', 35],
  ]);
  const events = tableFromIPC(readFileSync(join(dir, 'events.arrow')));
  assert.is(events.numRows, 38);
  assert.is(String(events.schema.fields.find((f) => f.name === 'start')!.type), 'Timestamp<NANOSECOND, UTC>');
  assert.is(events.getChild('start')!.get(1), Date.UTC(2026, 0, 1, 0, 0, 0, 500));
  assert.is(events.getChild('dur_ns')!.get(1), 2_000_000n);
  assert.is(events.getChild('fd')!.get(1), 3);
  const intervals = tableFromIPC(readFileSync(join(dir, 'intervals.arrow')));
  const kinds = intervals.getChild('kind')!.toArray() as string[];
  const bytes = intervals.getChild('bytes')!;
  const srf = kinds.indexOf('sync_file_range');
  assert.is(bytes.get(srf), null);
  assert.is(bytes.get(kinds.indexOf('o_dsync_write')), 512n);
  assert.is(intervals.getChild('failed')!.toArray().filter(Boolean).length, 1);
  // The source enum, as strings.
  assert.is(String(intervals.schema.fields.find((f) => f.name === 'source')!.type), 'Utf8');
  assert.equal([...new Set(intervals.getChild('source')!.toArray() as string[])], ['ring']);
  assert.equal([...new Set(events.getChild('source')!.toArray() as string[])], ['ring']);
  const incidents = tableFromIPC(readFileSync(join(dir, 'incidents.arrow')));
  assert.is(incidents.getChild('paths')!.get(2), '["/data/a.log"]');
  const traces = tableFromIPC(readFileSync(join(dir, 'traces.arrow')));
  assert.is(traces.getChild('host')!.get(0), 'h1');
  const baselines = tableFromIPC(readFileSync(join(dir, 'baselines.arrow')));
  const sources = baselines.getChild('source')!.toArray() as (string | null)[];
  // a.log: 3 seconds judged against the rest of the recording, 27 against their window; b.log and c.log too few calls.
  assert.equal([sources.filter((v) => v === null).length, sources.filter((v) => v === 'prior').length, sources.filter((v) => v === 'recording').length], [5, 27, 3]);
});

test('an unknown table is refused before anything is written', async () => {
  const dir = join(out.dir, 'refused');
  try {
    await exportTables(opened.session, b, { format: 'csv', dir, tables: ['events', 'secrets'] });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, FtError);
    assert.match((err as Error).message, "cannot export 'secrets'");
  }
  assert.not.ok(existsSync(dir));
});

test.run();
