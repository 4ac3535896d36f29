// Given synthetic traces with known latencies, expect queries/25_verdicts.sql to judge
// every sync (or say why not), 30_outliers.sql to flag failed, over-threshold and slow
// syncs (max(floor, factor x the family's p99)) with their cause, and 40_incidents.sql
// to group them with the right scope: one file (family), one process, or the device.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bindings } from '../../src/db/params.js';
import { readIncidents, readJudgement, readOutliers } from '../../src/db/outliers.js';
import { TraceWriter } from '../../src/trace/encode.js';
import { RecordType } from '../../src/trace/layout.js';
import { openScenario, openTraces, type Opened } from '../fixtures/session.js';
import { SCENARIO_PARAMS, at, iso, msNs, scenario, tempDir, writeTrace } from '../fixtures/traces.js';
import { Session } from '../../src/db/session.js';
import { DuckDBInstance } from '@duckdb/node-api';
import { join } from 'node:path';

let opened: Opened;
const b = bindings(SCENARIO_PARAMS);

test.before(async () => {
  opened = await openScenario();
});
test.after(() => opened.close());

test('the scenario: over the threshold, failed and over max(10 ms, 3 x p99), worst first', async () => {
  const got = await readOutliers(opened.session, b);
  assert.equal(
    got.map((o) => [o.rank, o.path, o.start, o.latencyMs, o.baselineSource, o.reason, o.cause, o.errnoName, o.incident]),
    [
      [1, '/data/a.log', iso(20.5), 1500, 'prior', 'threshold', 'slow', null, 2],
      [2, '/data/a.log', iso(12.5), 2, 'prior', 'failed', 'failed', 'EIO', 1],
      [3, '/data/a.log', iso(25.5), 120, 'prior', 'baseline', 'slow', null, 3],
      [4, '/data/a.log', iso(10.5), 50, 'prior', 'baseline', 'slow', null, 1],
      [5, '/data/a.log', iso(11.5), 40, 'prior', 'baseline', 'write-volume', null, 1],
    ],
  );
  // a.log's 2-ms calls: the baseline's p99 is their half-octave bucket's geometric middle
  // (1.57 to 2.10 ms: 1.816 ms), the cutoff the 10 ms floor.
  const [o] = got;
  assert.equal([o!.program, o!.exe, o!.family, Math.round(o!.baselineP99Ms! * 1000) / 1000, o!.cutoffMs], ['app', '/usr/bin/app', '/data/a.log', 1.816, 10]);
});

test('b.log synced three times: too little history of its own, so not judged (no device baseline mixes normals)', async () => {
  const j = await readJudgement(opened.session, b);
  // a.log: its first 3 seconds are judged against the rest of the recording; b.log (3 calls)
  // and c.log (2 kinds, 1 call each) have too few; the sync() at 6 s names no file.
  assert.equal(j.reasons, { 'few calls': 5, 'no file': 1 });
  assert.equal([j.judged, j.unjudged], [30, 6]);
  assert.equal(j.sources, { prior: 27, recording: 3 });
});

test('incidents: one file each; the EIO makes the first one "failed"', async () => {
  const got = await readIncidents(opened.session, b);
  assert.equal(got.map((i) => [i.id, i.start, i.outliers, i.failed, i.scope, i.cause, i.errnos, i.programs, i.pids, i.activeProcesses]), [
    [1, iso(10.5), 3, 1, 'file', 'failed', ['EIO'], ['app'], [100], 1],
    [2, iso(20.5), 1, 0, 'file', 'slow', [], ['app'], [100], 1],
    [3, iso(25.5), 1, 0, 'file', 'slow', [], ['app'], [100], 1],
  ]);
});

test('a program exec\'d through a symlink is named by its comm; exe stays the resolved file; --exe takes either', async () => {
  const header = { comm: 'redis-server', exe: '/usr/bin/redis-check-rdb', cmdline: ['redis-server *:6379'] };
  const t = await openTraces({ 'redis-server.100.fstrace': scenario(header) });
  try {
    const got = await readOutliers(t.session, b);
    assert.equal([...new Set(got.map((o) => `${o.program} ${o.exe}`))], ['redis-server /usr/bin/redis-check-rdb']);
    assert.equal((await readIncidents(t.session, b)).map((i) => i.programs), [['redis-server'], ['redis-server'], ['redis-server']]);
  } finally {
    t.close();
  }
  for (const exe of ['redis-server', 'redis-check-rdb', '/usr/bin/redis-check-rdb']) {
    const f = await openTraces({ 'redis-server.100.fstrace': scenario(header) }, { filters: { exe } });
    try {
      assert.is((await readOutliers(f.session, b)).length, 5, exe);
    } finally {
      f.close();
    }
  }
});

test('a higher floor flags fewer; the threshold and failures stay', async () => {
  const got = await readOutliers(opened.session, bindings({ ...SCENARIO_PARAMS, floorMs: 100 }));
  assert.equal(got.map((o) => [o.start, o.reason]), [[iso(20.5), 'threshold'], [iso(12.5), 'failed'], [iso(25.5), 'baseline']]);
});

test('a database kept when verdicts was a table is judged again: the table is replaced by the view', async () => {
  const tmp = tempDir();
  const kept = join(tmp.dir, 'old.duckdb');
  try {
    const first = await Session.open({ inputs: [writeTrace(tmp.dir, 'app.100.fstrace', scenario())], db: kept, quiet: true, warn: () => {} });
    first.close();
    // As an earlier version left it: verdicts a table (here an empty one, so a stale read shows).
    const db = await DuckDBInstance.create(kept);
    const c = await db.connect();
    await c.run('create table verdicts (trace_id integer, seq bigint, judged boolean, unjudged varchar, baseline_source varchar)');
    c.closeSync();
    db.closeSync();
    const s = await Session.open({ inputs: [], db: kept, quiet: true, warn: () => {} });
    try {
      const j = await readJudgement(s, b);
      assert.equal([j.judged, j.unjudged, j.sources], [30, 6, { prior: 27, recording: 3 }]);
      assert.equal((await s.rows("select count(*)::int as n from duckdb_views() where view_name = 'verdicts'"))[0]!.n, 1);
      assert.equal((await s.rows("select count(*)::int as n from duckdb_tables() where table_name = 'verdicts'"))[0]!.n, 0);
    } finally {
      s.close();
    }
  } finally {
    tmp.cleanup();
  }
});

/** One process's trace: `calls(k)` gives [path id, start s, latency ms, res] for each sync. */
function trace(pid: number, paths: string[], syncs: Array<[id: number, t: number, ms: number, res?: number]>, dev = 0x801n): Uint8Array {
  const w = new TraceWriter({ ringSlots: 4096, pid, host: 'h1', exe: `/usr/bin/p${pid}`, cmdline: [`prog${pid}`] });
  paths.forEach((name, i) => w.path({ id: i + 1, name, dev }));
  for (const [id, t, ms, res] of syncs.sort((a, c) => a[1] - c[1])) {
    w.event({ type: RecordType.Sync, call: 1, startNs: at(t), durNs: msNs(ms), tid: pid, fd: 3, pathId: id, res: res ?? 0, bytes: 4096n, writes: 1, ivalStartNs: at(t) - 1000n });
  }
  return w.bytes();
}

/** Ten calls a second for `seconds` on path id `id`, `ms` each, and `slow(t)` ms where it returns one. */
function steady(id: number, seconds: number, ms: number, slow: (t: number) => number | undefined = () => undefined, offset = 0) {
  const out: Array<[number, number, number]> = [];
  for (let k = 0; k < seconds * 10; k++) {
    const t = offset + k / 10;
    out.push([id, t, slow(t) ?? ms * (1 + (k % 7) / 10)]);
  }
  return out;
}

/** A file synced `hz` times a second for `seconds`, 1-1.6 ms a call, but for the given slow calls ([t, ms]), during which it makes none. */
function paced(hz: number, seconds: number, stalls: Array<[number, number]>) {
  const out: Array<[number, number, number]> = stalls.map(([t, ms]) => [1, t, ms]);
  for (let k = 0; k < seconds * hz; k++) {
    const t = k / hz;
    if (!stalls.some(([s, ms]) => t >= s && t < s + ms / 1000 + 0.002)) out.push([1, t, 1 + (k % 7) / 10]);
  }
  return out;
}

/** `n` slow calls of `ms` each, from `from` seconds on, every `step` seconds (for paced). */
function evenly(n: number, from: number, step: number, ms: number): Array<[number, number]> {
  return Array.from({ length: n }, (_, k): [number, number] => [from + k * step, ms]);
}

const P = { ...SCENARIO_PARAMS, minHistory: 20, gapSeconds: 2 };

/** The incidents of these traces, judged with `params`. */
async function incidentsOf(traces: Record<string, Uint8Array>, params: typeof P = P) {
  const t = await openTraces(traces);
  try {
    return await readIncidents(t.session, bindings(params));
  } finally {
    t.close();
  }
}

test('the first calls of a recording are judged against the rest of it, less their neighbourhood', async () => {
  const t = await openTraces({ 'a.fstrace': trace(1, ['/d/x.db'], steady(1, 30, 1, (s) => (s < 0.5 ? 80 : undefined))) });
  try {
    const got = await readOutliers(t.session, bindings(P));
    assert.equal(got.map((o) => [o.start, o.latencyMs, o.baselineSource]), [0, 0.1, 0.2, 0.3, 0.4].map((s) => [iso(s), 80, 'recording']));
    assert.equal((await readJudgement(t.session, bindings(P))).unjudged, 0);
  } finally {
    t.close();
  }
});

test('a sustained slowdown stays slow and one incident: 12 s of 60 ms in a 30 s recording', async () => {
  const slow = (s: number) => (s >= 10 && s < 22 ? 60 : undefined);
  const t = await openTraces({ 'a.fstrace': trace(1, ['/d/x.db'], steady(1, 30, 1, slow)) });
  try {
    const got = await readOutliers(t.session, bindings(P), { order: 'time' });
    assert.equal([got.length, got[0]!.start, got.at(-1)!.start], [120, iso(10), iso(21.9)]);
    const incidents = await readIncidents(t.session, bindings(P));
    // From the start of its first outlier to the end of its last (21.9 s + 60 ms).
    assert.equal(incidents.map((i) => [i.start, i.end, i.outliers, i.scope]), [[iso(10), iso(21.96), 120, 'file']]);
  } finally {
    t.close();
  }
});

test('an incident ends when its longest-running outlier ends, not when the last one to start does', async () => {
  // 10.0 s: 900 ms (ends 10.9 s); 10.5 s: 100 ms (ends 10.6 s); 12.0 s: 40 ms (ends 12.04 s, its own incident: 1.1 s after).
  const slow = (s: number) => (s === 10 ? 900 : s === 10.5 ? 100 : s === 12 ? 40 : undefined);
  const t = await openTraces({ 'a.fstrace': trace(1, ['/d/x.db'], steady(1, 20, 1, slow)) });
  try {
    const incidents = await readIncidents(t.session, bindings({ ...P, gapSeconds: 1 }));
    assert.equal(incidents.map((i) => [i.start, i.end, i.outliers]), [[iso(10), iso(10.9), 2], [iso(12), iso(12.04), 1]]);
    const json = await readOutliers(t.session, bindings({ ...P, gapSeconds: 1 }), { order: 'time' });
    assert.equal(json.map((o) => [o.start, o.latencyMs, o.incident]), [[iso(10), 900, 1], [iso(10.5), 100, 1], [iso(12), 40, 2]]);
  } finally {
    t.close();
  }
});

test('rotating names share their family\'s baseline: 40 segments of 5 calls each, all judged', async () => {
  const paths = Array.from({ length: 40 }, (_, i) => `/pg/pg_wal/0000000100000000000000${String(i).padStart(2, '0')}`);
  const syncs: Array<[number, number, number]> = [];
  for (let k = 0; k < 200; k++) syncs.push([Math.floor(k / 5) + 1, k / 10, k === 150 ? 90 : 1]);
  const t = await openTraces({ 'a.fstrace': trace(1, paths, syncs) });
  try {
    const j = await readJudgement(t.session, bindings(P));
    assert.equal([j.judged, j.unjudged], [200, 0]);
    const got = await readOutliers(t.session, bindings(P));
    assert.equal(got.map((o) => [o.start, o.family, o.path]), [[iso(15), '/pg/pg_wal/#', paths[30]]]);
    const [fam] = await t.session.rows('select count(distinct family_id) as n, max(members) as m from families');
    assert.equal(fam, { n: 1n, m: 40 });
  } finally {
    t.close();
  }
});

test('a checkpoint\'s burst of files synced once each is judged against the rest of its burst', async () => {
  // Process 1 syncs 40 relation files once each in 0.4 s (one family with no history
  // outside the burst), one of them at 30 ms against 3 ms for the rest; then a burst of
  // 8 files of another directory (too few to judge one against the others).
  // Process 2 syncs steadily for 20 s (the recording's span).
  const burst: Array<[number, number, number]> = [];
  const paths = Array.from({ length: 40 }, (_, i) => `/pg/base/1/${16000 + i}`);
  for (let i = 0; i < 40; i++) burst.push([i + 1, 10 + i / 100, i === 17 ? 30 : 3 + (i % 5) / 10]);
  const small = Array.from({ length: 8 }, (_, i) => `/pg/global/${['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'][i]}_map`);
  for (let i = 0; i < 8; i++) burst.push([41 + i, 16 + i / 100, 3]);
  const t = await openTraces({ 'a.fstrace': trace(1, [...paths, ...small], burst), 'b.fstrace': trace(2, ['/d/wal'], steady(1, 20, 1)) });
  try {
    const got = await readOutliers(t.session, bindings(P));
    assert.equal(got.map((o) => [o.path, o.latencyMs, o.baselineSource, o.baselineHistory, Math.round(o.cutoffMs!)]), [[paths[17], 30, 'burst', 39, 11]]);
    const j = await readJudgement(t.session, bindings(P));
    assert.equal([j.judged, j.unjudged, j.reasons, j.sources.burst], [240, 8, { 'few calls': 8 }, 40]);
  } finally {
    t.close();
  }
});

test('scope: one file; one process on a file and its directory; the device', async () => {
  const window = (s: number) => (s >= 10 && s < 13 ? 70 : undefined);
  const quiet = trace(2, ['/d/b/other.db'], steady(1, 20, 1));
  const cases: Array<[string, Record<string, Uint8Array>, string]> = [
    ['file', { 'a.fstrace': trace(1, ['/d/a/x.db', '/d/a'], [...steady(1, 20, 1, window), ...steady(2, 20, 1, undefined, 0.05)]), 'b.fstrace': quiet }, 'file'],
    ['process', { 'a.fstrace': trace(1, ['/d/a/x.db', '/d/a'], [...steady(1, 20, 1, window), ...steady(2, 20, 1, window, 0.05)]), 'b.fstrace': quiet }, 'process'],
    ['device', {
      'a.fstrace': trace(1, ['/d/a/x.db'], steady(1, 20, 1, window)),
      'b.fstrace': trace(2, ['/d/b/other.db'], steady(1, 20, 1, window, 0.05)),
    }, 'device'],
  ];
  for (const [name, traces, scope] of cases) {
    const got = await incidentsOf(traces);
    assert.equal(got.map((i) => i.scope), [scope], name);
    assert.equal(got[0]!.activeProcesses, 2, name);
  }
});

test('contention slows one call in eight of two processes at once: the device, not one file', async () => {
  // A noisy neighbour slows a share of each process's calls, not all of them: each
  // process's outliers are far more than the rule lets through on a normal disk.
  const every8th = (phase: number) => (s: number) => (s >= 10 && s < 13 && Math.round(s * 10) % 8 === phase ? 60 : undefined);
  const got = await incidentsOf({
    'a.fstrace': trace(1, ['/d/a/x.db'], steady(1, 20, 1, every8th(0))),
    'b.fstrace': trace(2, ['/d/b/y.db'], steady(1, 20, 1, every8th(4), 0.05)),
  });
  assert.equal(got.map((i) => [i.scope, i.processes, i.activeProcesses, i.outliers]), [['device', 2, 2, 7]]);
});

test('one stray slow call of a neighbour does not make one file\'s slowdown the device', async () => {
  const window = (s: number) => (s >= 10 && s < 13 ? 70 : undefined);
  const got = await incidentsOf({
    'a.fstrace': trace(1, ['/d/a/x.db'], steady(1, 20, 1, window)),
    'b.fstrace': trace(2, ['/d/b/y.db'], steady(1, 20, 1, (s) => (Math.abs(s - 11.05) < 0.01 ? 70 : undefined), 0.05)),
  });
  assert.equal(got.map((i) => [i.scope, i.pids, i.outliers]), [['file', [1], 31]]);
});

test('a short burst of one file and one stray slow call of a neighbour inside it: not the device', async () => {
  // a: two 70-ms outliers 0.3 s apart (a short burst); b: one 100-ms call between them, its only outlier.
  // b spends a quarter of the burst in that call, but 0.1 s is no stall: 'device' before the floor on `held`.
  const got = await incidentsOf({
    'a.fstrace': trace(1, ['/d/a/x.db'], steady(1, 20, 1, (s) => (Math.abs(s - 10) < 0.01 || Math.abs(s - 10.3) < 0.01 ? 70 : undefined))),
    'b.fstrace': trace(2, ['/d/b/y.db'], steady(1, 20, 1, (s) => (Math.abs(s - 10.15) < 0.01 ? 100 : undefined), 0.05)),
  });
  assert.equal(got.map((i) => [i.scope, i.pids, i.outliers]), [['file', [1], 3]]);
});

test('a disk that stalls holds each process in one call: the device, though one of them made one outlier', async () => {
  // The fio neighbour of small-fio-contention, seen in a run: both processes held 3.7 s in
  // one fsync each, b's begun 0.1 ms before a's, then one more slow call of a. b has one
  // outlier (no share of calls) and it began before the core (a's stretch).
  const stalled = (from: number, to: number) => ([, t]: [number, number, number]) => t < from || t >= to;
  const got = await incidentsOf({
    'a.fstrace': trace(1, ['/d/a/x.db'], [...steady(1, 20, 1).filter(stalled(10, 13.8)), [1, 10, 3700], [1, 13.8, 108]]),
    'b.fstrace': trace(2, ['/d/b/y.db'], [...steady(1, 20, 1, undefined, 0.05).filter(stalled(9.95, 13.75)), [1, 9.9999, 3700]]),
  });
  assert.equal(got.map((i) => [i.scope, i.pids, i.processes, i.activeProcesses, i.outliers, i.start]), [['device', [1, 2], 2, 2, 3, iso(9.9999)]]);
});

test('a disk that stalls both processes in a few long calls each: the device, though one has a small share of slow calls', async () => {
  // As another small-fio-contention run: over a 10-s stretch a (50 Hz) made 7 outliers of
  // 0.13-2 s, b (100 Hz) 4 of 0.3-2.6 s, at the same moments; b's are under 1 in 50 of its
  // calls, but each process spent close to half of the stretch in them.
  const got = await incidentsOf({
    'a.fstrace': trace(1, ['/d/a/x.db'], paced(50, 30, [[10.01, 132], [11.01, 2052], [13.51, 1548], [16.81, 139], [18.81, 386], [19.31, 339], [19.81, 156]])),
    'b.fstrace': trace(2, ['/d/b/y.db'], paced(100, 30, [[11.005, 947], [12.005, 2640], [18.805, 303], [19.305, 404]])),
  });
  assert.equal(got.map((i) => [i.scope, i.pids, i.outliers]), [['device', [1, 2], 11]]);
});

test('a disk that stalls both processes at once: the device, though a stray slow call of one stretches its own stretch', async () => {
  // small-fio-contention on a loaded machine: both processes held 3.3 s from the same
  // instant, each after one 80-ms outlier, and a made one more of 68 ms 4.4 s after the
  // stall (inside the 5-s gap). a's own stretch, also the core (it has the most outliers),
  // is then 7.9 s, which a and b each spent under half of held: b, held all of its own
  // stretch, was the only one taking part, and the scope 'file'. Over the stall (a's
  // 3.35-s call) b was held 98 % of it.
  const got = await incidentsOf({
    'a.fstrace': trace(1, ['/d/a/x.db'], paced(100, 30, [[9.9, 80], [10, 3350], [17.75, 68]])),
    'b.fstrace': trace(2, ['/d/b/y.db'], paced(100, 30, [[9.905, 83], [10.0016, 3300]])),
  }, { ...P, gapSeconds: 5 });
  assert.equal(got.map((i) => [i.scope, i.pids, i.outliers]), [['device', [1, 2], 5]]);
});

test('one process stalled, a neighbour held under half as long at that time: not the device', async () => {
  // The stall alone does not make it the device: b's one 1.2-s call inside a's 3.35-s
  // call is a second and more, but not half of the stall.
  const got = await incidentsOf({
    'a.fstrace': trace(1, ['/d/a/x.db'], paced(100, 30, [[9.9, 80], [10, 3350], [17.75, 68]])),
    'b.fstrace': trace(2, ['/d/b/y.db'], paced(100, 30, [[11, 1200]])),
  }, { ...P, gapSeconds: 5 });
  assert.equal(got.map((i) => [i.scope, i.pids, i.outliers]), [['file', [1], 4]]);
});

test('a neighbour\'s one stray call of a second or more, the incident\'s longest, beside a process slowed on many calls: not the device', async () => {
  // The stall (b's 1.1-s call) held b all of it, and no other process half of it: it is no
  // stall of the disk, and b's one call is no share of b's calls. a: 20 outliers of 200 ms
  // over 10 s, the file's slowdown.
  const got = await incidentsOf({
    'a.fstrace': trace(1, ['/d/a/x.db'], paced(100, 30, evenly(20, 10, 0.5, 200))),
    'b.fstrace': trace(2, ['/d/b/y.db'], paced(100, 30, [[12.02, 1100]])),
  });
  assert.equal(got.map((i) => [i.scope, i.pids, i.outliers]), [['file', [1], 21]]);
});

test('a stall of one process does not raise the bar of the others\' stretches: both held close to half of theirs, the device', async () => {
  // a held 4 s of its 8.8-s stretch (five 800-ms calls), b 3.5 s of its 9.8 s (three
  // calls, one of 1.5 s: the stall, which held b all of it and a 0.6 s). Over their
  // stretches each was held at least half as long as the other: both take part.
  const got = await incidentsOf({
    'a.fstrace': trace(1, ['/d/a/x.db'], paced(100, 30, evenly(5, 10, 2, 800))),
    'b.fstrace': trace(2, ['/d/b/y.db'], paced(100, 30, [[10.5, 1000], [15.1, 1500], [19.3, 1000]])),
  });
  assert.equal(got.map((i) => [i.scope, i.pids, i.outliers]), [['device', [1, 2], 8]]);
});

test('two EIO failures of one process on one file are a file incident, not the device', async () => {
  const syncs = steady(1, 20, 1).map(([id, s, ms]): [number, number, number, number] => [id, s, ms, s === 5 || s === 5.5 ? -5 : 0]);
  const got = await incidentsOf({ 'a.fstrace': trace(1, ['/d/a/x.db'], syncs), 'b.fstrace': trace(2, ['/d/b/y.db'], steady(1, 20, 1)) });
  assert.equal(got.map((i) => [i.scope, i.cause, i.failed, i.errnos, i.paths]), [['file', 'failed', 2, ['EIO'], ['/d/a/x.db']]]);
});

test('a heavy tail is not an incident: 2,000 log-normal calls (sigma 1.2) give few outliers', async () => {
  // A fixed pseudo-random sequence: the same latencies every run.
  let x = 12345;
  const rand = () => ((x = (x * 1103515245 + 12345) % 2147483648) + 0.5) / 2147483648;
  const syncs: Array<[number, number, number]> = [];
  for (let k = 0; k < 2000; k++) {
    const z = Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
    syncs.push([1, k / 20, 0.5 * Math.exp(1.2 * z)]);
  }
  const t = await openTraces({ 'a.fstrace': trace(1, ['/d/x.db'], syncs) });
  try {
    const got = await readOutliers(t.session, bindings(P));
    const over = syncs.filter(([, , ms]) => ms >= 10).length;
    assert.ok(got.length <= 10, `${got.length} outliers of 2,000 (${over} calls over the 10 ms floor)`);
  } finally {
    t.close();
  }
});

test('microsecond syncs on tmpfs: far above their p99 but under the floor are not outliers', async () => {
  const t = await openTraces({ 'a.fstrace': trace(1, ['/dev/shm/x'], steady(1, 10, 0.005, (s) => (s === 5 ? 2 : s === 6 ? 12 : undefined))) });
  try {
    const got = await readOutliers(t.session, bindings(P));
    assert.equal(got.map((o) => [o.start, o.latencyMs]), [[iso(6), 12]]);
  } finally {
    t.close();
  }
});

test('a call of minutes meets every call it overlaps; a corrupt duration of years is one incident, not an unbounded scan', async () => {
  // Process 1: a 3-minute fsync at 20 s among 1 ms ones; process 2 syncs another file of the
  // device throughout, so it was active during the incident, from well after the call began.
  const long = (s: number) => (s === 20 ? 180_000 : undefined);
  const incidents = await incidentsOf({
    'a.fstrace': trace(1, ['/d/x.db'], steady(1, 300, 1, long)),
    'b.fstrace': trace(2, ['/d/y.db'], steady(1, 300, 1)),
  });
  assert.equal(incidents.map((i) => [i.start, i.end, i.outliers, i.activeProcesses, i.scope]), [[iso(20), iso(200), 1, 2, 'file']]);
  // 2^58 ns is about nine years: the incident ends then, and the calls on the device are those recorded.
  const years = 2 ** 58 / 1e6;
  const c = await openTraces({
    'a.fstrace': trace(1, ['/d/x.db'], steady(1, 30, 1, (s) => (s === 10 ? years : undefined))),
    'b.fstrace': trace(2, ['/d/y.db'], steady(1, 30, 1)),
  });
  try {
    const incidents = await readIncidents(c.session, bindings(P));
    assert.equal(incidents.map((i) => [i.start, i.outliers, i.activeProcesses]), [[iso(10), 1, 2]]);
    assert.ok(Date.parse(incidents[0]!.end) - Date.parse(iso(10)) > 9 * 365 * 86_400_000, incidents[0]!.end);
  } finally {
    c.close();
  }
});

test('a corrupt result of INT_MIN is a failed call with no errno, not an overflow', async () => {
  const syncs = steady(1, 5, 1).map(([id, t, ms]): [number, number, number, number] => [id, t, ms, t === 2 ? -2147483648 : 0]);
  const t = await openTraces({ 'a.fstrace': trace(1, ['/d/x.db'], syncs) });
  try {
    const got = await readOutliers(t.session, bindings(P));
    assert.equal(got.map((o) => [o.start, o.failed, o.errno, o.cause]), [[iso(2), true, null, 'failed']]);
  } finally {
    t.close();
  }
});

test.run();
