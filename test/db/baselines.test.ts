// Given known names and latencies, expect queries/18_families.sql to group rotating and
// temporary names, and queries/20_baselines.sql to give each family, call and bucket the
// history before it ('prior'), else the rest of the recording less the bucket's
// neighbourhood ('recording'), never counting failed calls or slow stretches.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bindings } from '../../src/db/params.js';
import { TraceWriter } from '../../src/trace/encode.js';
import { RecordType } from '../../src/trace/layout.js';
import { openScenario, openTraces, type Opened } from '../fixtures/session.js';
import { SCENARIO_PARAMS, at, msNs } from '../fixtures/traces.js';

const EPOCH_S = 1_767_225_600;

/** The geometric middle of the half-octave bucket holding 2 ms (what a quantile reads), rounded to µs; 1 ms reads 0.908. */
const MID_2MS = 1.816;
const r3 = (x: unknown) => (x === null ? null : Math.round(Number(x) * 1000) / 1000);

test('families: sequence numbers, pids, hex and random parts, .tmp endings and fan-out directories', async () => {
  const names = [
    '/pg/pg_wal/000000010000000000000008', '/pg/pg_wal/000000010000000000000009', '/pg/pg_wal/xlogtemp.30938',
    '/pg/pg_wal/xlogtemp.412', '/r/.git/objects/3f/tmp_obj_aB3xQz', '/r/.git/objects/a0/tmp_obj_Zk9Pq2',
    '/zk/version-2/log.100000001', '/zk/version-2/log.2000a0001', '/d/app.db', '/d/app.db-wal', '/d/state.json.tmp',
    '/d/state.json', '/home/MyProject/x.db',
  ];
  const w = new TraceWriter({ ringSlots: 64 });
  names.forEach((name, i) => w.path({ id: i + 1, name }));
  names.forEach((_, i) => w.event({ type: RecordType.Sync, call: 1, startNs: at(i), durNs: msNs(1), pathId: i + 1 }));
  const t = await openTraces({ 'x.fstrace': w.bytes() });
  try {
    await t.session.build(['families'], bindings(SCENARIO_PARAMS));
    const rows = await t.session.rows('select files.path, family, members from families join files using (file_id) order by files.path');
    assert.equal(Object.fromEntries(rows.map((r) => [r.path, [r.family, r.members]])), {
      '/d/app.db': ['/d/app.db', 1],
      '/d/app.db-wal': ['/d/app.db-wal', 1],
      '/d/state.json': ['/d/state.json', 2],
      '/d/state.json.tmp': ['/d/state.json', 2],
      '/home/MyProject/x.db': ['/home/MyProject/x.db', 1],
      '/pg/pg_wal/000000010000000000000008': ['/pg/pg_wal/#', 2],
      '/pg/pg_wal/000000010000000000000009': ['/pg/pg_wal/#', 2],
      '/pg/pg_wal/xlogtemp.30938': ['/pg/pg_wal/xlogtemp.#', 2],
      '/pg/pg_wal/xlogtemp.412': ['/pg/pg_wal/xlogtemp.#', 2],
      '/r/.git/objects/3f/tmp_obj_aB3xQz': ['/r/.git/objects/#/tmp_obj_*', 2],
      '/r/.git/objects/a0/tmp_obj_Zk9Pq2': ['/r/.git/objects/#/tmp_obj_*', 2],
      '/zk/version-2/log.100000001': ['/zk/version-#/log.#', 2],
      '/zk/version-2/log.2000a0001': ['/zk/version-#/log.#', 2],
    });
  } finally {
    t.close();
  }
});

let opened: Opened;
test('the scenario: a.log its first seconds against the rest of the recording, then its own prior window', async () => {
  opened = await openScenario();
  try {
    await opened.session.build(['baselines'], bindings(SCENARIO_PARAMS));
    const rows = await opened.session.rows(
      `select bucket - ${EPOCH_S} as second, source, history, median_ms, p99_ms, mean_bytes
       from baselines join (select distinct family_id from families join files using (file_id) where path = '/data/a.log') using (family_id)
       where call = 1 and bucket - ${EPOCH_S} in (0, 2, 3, 12, 14, 21) order by bucket`);
    assert.equal(rows.map((r) => [Number(r.second), r.source, Number(r.history), r3(r.median_ms), r3(r.p99_ms), r.mean_bytes]), [
      // 30 calls, less the EIO and the 50, 40 (409,600 B), 1500 and 120 ms ones (over the
      // 10 ms clip: never in a baseline): 25; less seconds -1..1 (0.5, 1.5) for second 0.
      [0, 'recording', 23, MID_2MS, MID_2MS, 4096],
      [2, 'recording', 22, MID_2MS, MID_2MS, 4096],
      // From second 3 on, three calls before it: its own window.
      [3, 'prior', 3, MID_2MS, MID_2MS, 4096],
      [12, 'prior', 8, MID_2MS, MID_2MS, 4096],
      // 4..13: seven good 2-ms calls (the 50 and 40 ms left out, the EIO never counted).
      [14, 'prior', 7, MID_2MS, MID_2MS, 4096],
      [21, 'prior', 7, MID_2MS, MID_2MS, 4096],
    ]);
    const [clip] = await opened.session.rows(`select distinct clip_ms from baselines where source is not null`);
    assert.equal(clip, { clip_ms: 10 });
  } finally {
    opened.close();
  }
});

test('a slowdown never enters a baseline while it covers less than half the buckets', async () => {
  const w = new TraceWriter({ ringSlots: 1024 });
  w.path({ id: 1, name: '/d/x.db' });
  for (let k = 0; k < 300; k++) {
    const s = k / 10;
    w.event({ type: RecordType.Sync, call: 1, startNs: at(s), durNs: msNs(s >= 10 && s < 22 ? 60 : 1), pathId: 1 });
  }
  const t = await openTraces({ 'x.fstrace': w.bytes() });
  try {
    await t.session.build(['baselines'], bindings({ ...SCENARIO_PARAMS, minHistory: 20 }));
    const rows = await t.session.rows(`select bucket - ${EPOCH_S} as second, source, history, p99_ms from baselines order by bucket`);
    const bySecond = new Map(rows.map((r) => [Number(r.second), [r.source, Number(r.history), r3(r.p99_ms)]]));
    // Second 15: its window (5..14) holds 50 good calls and 50 slow ones left out.
    assert.equal(bySecond.get(15), ['prior', 50, 0.908]);
    // Second 21: the window (11..20) is all slow, so the rest of the recording judges it:
    // 180 normal calls, less second 22's ten (its neighbourhood is 20..22).
    assert.equal(bySecond.get(21), ['recording', 170, 0.908]);
    // After the slowdown the window fills again with normal calls.
    assert.equal(bySecond.get(29), ['prior', 70, 0.908]);
  } finally {
    t.close();
  }
});

test.run();
