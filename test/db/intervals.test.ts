// Given the scenario trace (test/fixtures/traces.ts), expect queries/10_intervals.sql
// to give each sync call its file, wall-clock start, latency, result and interval.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bindings } from '../../src/db/params.js';
import { openScenario, type Opened } from '../fixtures/session.js';
import { SCENARIO_PARAMS, iso } from '../fixtures/traces.js';

let opened: Opened;

test.before(async () => {
  opened = await openScenario();
  await opened.session.build(['intervals'], bindings(SCENARIO_PARAMS));
});
test.after(() => opened.close());

async function rows(where: string) {
  return opened.session.rows(`select path, file_id, host, pid, tid, fd, kind,
      strftime(start, '%Y-%m-%dT%H:%M:%S.%fZ') as start, latency_ms, res, failed, errno,
      strftime(interval_start, '%Y-%m-%dT%H:%M:%S.%fZ') as interval_start, interval_ms, bytes, writes, write_ms
    from intervals where ${where} order by start_ns`);
}

test('one row per sync call: opens and closes are not calls', async () => {
  const [r] = await opened.session.rows('select count(*) as n, count(distinct (trace_id, seq)) as keys from intervals');
  assert.equal(r, { n: 36n, keys: 36n });
});

test("a file's first fsync closes the interval that began when it was opened", async () => {
  assert.equal(await rows("path = '/data/a.log' and start_ns = epoch_ns(timestamp_ns '2026-01-01 00:00:00.5')"), [{
    path: '/data/a.log', file_id: 1, host: 'h1', pid: 100, tid: 101, fd: 3, kind: 'fsync',
    start: iso(0.5), latency_ms: 2, res: 0, failed: false, errno: null,
    interval_start: iso(0.1), interval_ms: 400, bytes: 4096n, writes: 1, write_ms: 0.01,
  }]);
});

test('each later fsync closes the interval since the previous one ended', async () => {
  const got = await rows("path = '/data/a.log' and start_ns between epoch_ns(timestamp_ns '2026-01-01 00:00:11') and epoch_ns(timestamp_ns '2026-01-01 00:00:13')");
  assert.equal(got.map((r) => [r.start, r.interval_start, r.interval_ms, r.bytes, r.writes, r.latency_ms, r.failed, r.errno]), [
    [iso(11.5), iso(10.55), 950, 409_600n, 100, 40, false, null],
    [iso(12.5), iso(11.54), 960, 4096n, 1, 2, true, 5],
  ]);
});

test('an O_DSYNC write is a call with its own interval; sync_file_range closes none', async () => {
  const got = await rows("path = '/data/c.log'");
  assert.equal(got.map((r) => [r.kind, r.start, r.latency_ms, r.interval_start, r.interval_ms, r.bytes, r.writes, r.write_ms]), [
    ['o_dsync_write', iso(3), 1, iso(3), 0, 512n, 1, 1],
    ['sync_file_range', iso(4), 0.5, null, null, null, null, null],
  ]);
});

test('sync() names no file', async () => {
  const got = await rows("kind = 'sync'");
  assert.equal(got.map((r) => [r.path, r.file_id, r.fd, r.start, r.latency_ms, r.bytes]), [['(unknown)', null, -1, iso(6), 3, null]]);
});

test.run();
