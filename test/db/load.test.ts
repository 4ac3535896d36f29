import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FtError, TraceError } from '../../src/errors.js';
import { wallColumn } from '../../src/db/prepare.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DuckDBConnection } from '@duckdb/node-api';
import { CHECKPOINT_EVERY, closeEach, KEEP_BLOCKS_FROM, keptBlocks, loadTraces } from '../../src/db/load.js';
import { expandInputs } from '../../src/inputs.js';
import { writeSyntheticSet } from '../bench/synth.js';
import { ColumnAppender, ROW_GROUP_ROWS } from '../../src/db/append.js';
import { createDb } from '../../src/db/connect.js';
import { openScenario, openTraces } from '../fixtures/session.js';
import { BROKEN, at, msNs, otherHost, scenario, slotOffset, tempDir, writeTrace } from '../fixtures/traces.js';
import { TraceWriter } from '../../src/trace/encode.js';
import { EVENT, RecordType } from '../../src/trace/layout.js';
import { bindings, DEFAULT_PARAMS } from '../../src/db/params.js';
import { fileSummaries, traceInfo } from '../../src/db/summary.js';

test('loads traces, paths, files and every event of a trace', async () => {
  const { session, warnings, close } = await openScenario();
  try {
    assert.equal(warnings, []);
    assert.is(session.load?.traces, 1);
    assert.is(session.load?.events, 38);
    const [t] = await session.rows('select trace_id, host, pid, exe, cmdline, offset_ns, records, events, torn from traces');
    assert.equal(t, {
      trace_id: 1, host: 'h1', pid: 100, exe: '/usr/bin/app', cmdline: 'app --data /data',
      offset_ns: 1_767_225_600_000_000_000n - 1_000_000_000n, records: 41n, events: 38n, torn: 0,
    });
    const paths = await session.rows('select path_id, file_id, path, dev, ino from paths order by path_id');
    assert.equal(paths, [
      { path_id: 1, file_id: 1, path: '/data/a.log', dev: 0x801n, ino: 11n },
      { path_id: 2, file_id: 2, path: '/data/b.log', dev: 0x801n, ino: 12n },
      { path_id: 3, file_id: 3, path: '/data/c.log', dev: 0x802n, ino: 13n },
    ]);
    const byType = await session.rows('select type, count(*) as n from events group by type order by type');
    assert.equal(byType, [{ type: 3, n: 36n }, { type: 4, n: 1n }, { type: 5, n: 1n }]);
  } finally {
    close();
  }
});

test('--memory is the budget: DuckDB\'s limit is 65% of it (1GB by default), so the process stays within it; a load of 3 M records or more has its block allocator keep a quarter', async () => {
  for (const [memory, limit, blocks] of [
    [undefined, '619.0 MiB', '238MiB'], ['512MB', '317.0 MiB', '122MiB'], ['4GiB', '2.5 GiB', '1024MiB'], ['10MB', '64.0 MiB', '2MiB'],
  ] as const) {
    const o = await openTraces({ 'app.100.fstrace': scenario() }, { memory });
    try {
      // A small load keeps nothing (faulting in what is kept would cost more than it saves).
      const [r] = await o.session.rows("select current_setting('memory_limit') as m, current_setting('block_allocator_memory') as b");
      assert.equal([memory, r!.m, r!.b], [memory, limit, '0 bytes']);
    } finally {
      o.close();
    }
    assert.equal([memory, keptBlocks(KEEP_BLOCKS_FROM - 1, memory), keptBlocks(KEEP_BLOCKS_FROM, memory)], [memory, null, blocks]);
  }
});

test('the column appender hands its rows to the table a whole row group at a time; close hands over the rest', async () => {
  const db = await createDb(null);
  try {
    await db.connection.run('create table t (x integer, y ubigint)');
    const a = await ColumnAppender.create(db.connection, 't');
    const n = 2 * ROW_GROUP_ROWS + 1000;
    const x = Int32Array.from({ length: n }, (_, i) => i);
    const y = BigUint64Array.from({ length: n }, (_, i) => BigInt(3 * i));
    const held = async () => (await db.connection.runAndReadAll('select count(*)::integer, coalesce(sum(x)::bigint, 0) from t')).getRows()[0];
    const sum = (k: number) => BigInt((k * (k - 1)) / 2);
    // In pieces that end inside a data chunk and inside a row group. Less than a
    // row group stays in the appender (an appender handing over every chunk would
    // show 98,304 rows here: DuckDB merges small hand-overs into one row group).
    a.append([x, y], 0, 1000);
    a.append([x, y], 1000, 100_000);
    assert.equal(await held(), [0, 0n]);
    a.append([x, y], 100_000, ROW_GROUP_ROWS + 5000);
    assert.equal(await held(), [ROW_GROUP_ROWS, sum(ROW_GROUP_ROWS)]);
    a.append([x, y], ROW_GROUP_ROWS + 5000, n);
    assert.equal(await held(), [2 * ROW_GROUP_ROWS, sum(2 * ROW_GROUP_ROWS)]);
    a.close();
    assert.equal(await held(), [n, sum(n)]);
    const groups = (await db.connection.runAndReadAll(
      "select sum(count)::integer from pragma_storage_info('t') where column_name = 'x' and segment_type <> 'VALIDITY' group by row_group_id order by row_group_id")).getRows().map((r) => r[0]);
    assert.equal(groups, [ROW_GROUP_ROWS, ROW_GROUP_ROWS, 1000]);
    const [bad] = (await db.connection.runAndReadAll('select count(*)::integer from t where y <> 3 * x')).getRows();
    assert.equal(bad, [0]);
  } finally {
    db.close();
  }
});

test('closing a load\'s appenders closes each even when one fails, then throws the first failure', () => {
  const closed: number[] = [];
  const closer = (i: number, fails: boolean) => () => {
    closed.push(i);
    if (fails) throw new Error(`close ${i}`);
  };
  assert.throws(() => closeEach([closer(0, false), closer(1, true), closer(2, false), closer(3, true), closer(4, false)]), /^close 1$/);
  assert.equal(closed, [0, 1, 2, 3, 4]);
  closed.length = 0;
  closeEach([closer(0, false), closer(1, false)]);
  assert.equal(closed, [0, 1]);
});

/** Each table's rows: how many, and the sum of their hashes. */
async function tableDigests(connection: DuckDBConnection): Promise<Record<string, string>> {
  const tables = (await connection.runAndReadAll(
    'select table_name from duckdb_tables() where database_name = current_database() order by table_name')).getRows().map((r) => String(r[0]));
  const digests: Record<string, string> = {};
  for (const t of tables) {
    const [r] = (await connection.runAndReadAll(`select count(*)::varchar || ' rows, ' || coalesce(sum(hash(r)), 0)::varchar from "${t}" r`)).getRows();
    digests[t] = String(r![0]);
  }
  return digests;
}

test('a load that checkpoints every 20,000 events, rows waiting in the appenders, holds the rows of one that does not', async () => {
  const tmp = tempDir();
  try {
    // 300,000 events in five traces (a row group and more handed over, the rest waiting at each
    // checkpoint), 30,000 Node calls before them, and the samples (summaries, kernel traces).
    const node = new TraceWriter({ ringSlots: 65_536, pid: 900, host: 'h1', exe: '/usr/bin/node' });
    node.path({ id: 1, name: '/data/wal', dev: 0x801n, ino: 5n }).path({ id: 2, name: '/app/db.js:40', dev: 0n, ino: 0n });
    for (let k = 0; k < 30_000; k++) {
      node.event({ type: RecordType.Sync, call: 1, startNs: at(k / 100) + msNs(2), durNs: msNs(1), tid: 901, fd: 7, pathId: 1 });
      node.event({ type: RecordType.Js, call: 1 + (k % 3), startNs: at(k / 100), durNs: msNs(4), tid: 900, fd: 7, pathId: 1, writes: 2, flags: k === 0 ? 0 : 0x40 });
    }
    writeTrace(tmp.dir, 'a-node.900.fstrace', node.bytes());
    writeSyntheticSet(tmp.dir, { events: 300_000, processes: 5, filesPerProcess: 4, hours: 1 });
    const files = expandInputs([tmp.dir, fileURLToPath(new URL('../../samples', import.meta.url))]);
    const load = async (checkpointEvery?: number) => {
      const db = await createDb(null);
      try {
        const warnings: string[] = [];
        const r = await loadTraces(db.connection, files, { quiet: true, warn: (m) => warnings.push(m), checkpointEvery });
        return { traces: r.traces, events: r.events, warnings, digests: await tableDigests(db.connection) };
      } finally {
        db.close();
      }
    };
    const whole = await load();
    assert.ok(whole.events > 330_000 && whole.events < CHECKPOINT_EVERY, String(whole.events));
    assert.equal(whole.warnings, []);
    for (const t of ['events', 'summary_entries', 'summary_hist', 'recorder_cost', 'js_calls', 'js_sites', 'paths', 'files']) {
      assert.not.match(whole.digests[t]!, /^0 rows/, t);
    }
    assert.equal(await load(20_000), whole);
  } finally {
    tmp.cleanup();
  }
});

test('event start times are wall clock: realtime + (start - monotonic)', async () => {
  const { session, close } = await openScenario();
  try {
    const [r] = await session.rows(`select epoch_ns(start) as wall, strftime(start, '%Y-%m-%dT%H:%M:%S.%f') as text,
      dur_ns, bytes, ival_start_ns from events where type = 3 and file_id = 1 order by seq limit 1`);
    assert.equal(r, {
      wall: 1_767_225_600_500_000_000n,
      text: '2026-01-01T00:00:00.500000',
      dur_ns: 2_000_000n,
      bytes: 4096n,
      ival_start_ns: at(0.1),
    });
  } finally {
    close();
  }
});

test('wallColumn adds the offset with a carry across the 32-bit halves', () => {
  const mono = BigUint64Array.of(0xffff_ffffn, 1n, 0x1_0000_0000n);
  assert.equal([...wallColumn(mono, 1n)], [0x1_0000_0000n, 2n, 0x1_0000_0001n]);
  assert.equal([...wallColumn(mono, -2n)], [0xffff_fffdn, -1n, 0xffff_fffen]);
  const anchor = 1_767_225_600_123_456_789n;
  assert.equal([...wallColumn(BigUint64Array.of(5_000_000_000n), anchor - 1_000_000_000n)], [anchor + 4_000_000_000n]);
  // In place (the loader's event columns): the same sums, in the input's own bytes.
  const wall = wallColumn(mono, -2n, true);
  assert.equal([...wall], [0xffff_fffdn, -1n, 0xffff_fffen]);
  assert.ok(wall.buffer === mono.buffer && wall.byteOffset === mono.byteOffset);
});

test('one file per (host, path), across traces', async () => {
  const { session, close } = await openTraces({ 'a.fstrace': scenario(), 'b.fstrace': otherHost() });
  try {
    const files = await session.rows('select file_id, host, path, known from files order by file_id');
    assert.equal(files, [
      { file_id: 1, host: 'h1', path: '/data/a.log', known: true },
      { file_id: 2, host: 'h1', path: '/data/b.log', known: true },
      { file_id: 3, host: 'h1', path: '/data/c.log', known: true },
      // the scenario's sync of a file it could not name: the host's unknown file
      { file_id: 4, host: 'h1', path: '(unknown)', known: false },
      { file_id: 5, host: 'h2', path: '/data/a.log', known: true },
    ]);
  } finally {
    close();
  }
});

test('a torn last record is a warning, and the records before it are loaded', async () => {
  const { session, warnings, files, close } = await openTraces({ 't.fstrace': BROKEN.torn() });
  try {
    assert.equal(warnings, [`${files[0]}: torn last record at byte ${slotOffset(20)} ignored; the rest is loaded`]);
    const [r] = await session.rows('select events, torn from traces');
    assert.equal(r, { events: 17n, torn: 1 });
  } finally {
    close();
  }
});

test('a bad file among good ones is skipped with a warning naming it and the offset', async () => {
  const { session, warnings, files, close } = await openTraces({ 'a.fstrace': scenario(), 'b.fstrace': BROKEN.corrupt() });
  try {
    assert.equal(warnings, [`${files[1]}: at byte ${slotOffset(10)}: unknown record type 9, expected 1 to 6 or 10 to 12 (skipped)`]);
    assert.is(session.load?.traces, 1);
    assert.is(session.load?.skipped, 1);
  } finally {
    close();
  }
});

test('--strict makes a bad file fatal', async () => {
  try {
    await openTraces({ 'a.fstrace': scenario(), 'b.fstrace': BROKEN.corrupt() }, { strict: true });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, TraceError);
    assert.match((err as Error).message, `at byte ${slotOffset(10)}: unknown record type 9`);
  }
});

test('a lone bad file is an error, not a warning', async () => {
  try {
    await openTraces({ 'e.fstrace': BROKEN.empty() });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, TraceError);
    assert.match((err as Error).message, 'e.fstrace: empty file, expected an fsync trace');
  }
});

test('several bad files and no good one: one error', async () => {
  try {
    await openTraces({ 'e.fstrace': BROKEN.empty(), 'n.fstrace': BROKEN.notATrace() });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, FtError);
    assert.is((err as Error).message, 'none of the 2 trace files could be read');
  }
});

/** One path and fsyncs with the given fields (found by the fuzzer: test/fuzz/). */
function syncs(...fields: Array<{ startNs?: bigint; durNs?: bigint; bytes?: bigint; ivalStartNs?: bigint; call?: number; flags?: number }>): Uint8Array {
  const w = new TraceWriter({ ringSlots: 16 });
  w.path({ id: 1, name: '/data/x' });
  fields.forEach((f, i) => w.event({ type: RecordType.Sync, call: 1, startNs: at(i + 1), durNs: msNs(1), pathId: 1, bytes: 10n, ivalStartNs: at(i), ...f }));
  return w.bytes();
}

async function loadError(bytes: Uint8Array): Promise<string> {
  try {
    const opened = await openTraces({ 't.fstrace': bytes });
    opened.close();
  } catch (err) {
    assert.instance(err, TraceError, String((err as Error).stack));
    return (err as Error).message;
  }
  throw new Error('expected a TraceError');
}

// Event slots: the path is slot 0, the first event slot 1, the second slot 2.
test('an event whose wall-clock time is outside 1970..2200 is a corrupt record, not an overflow in a query', async () => {
  assert.match(await loadError(syncs({}, { startNs: 2n ** 63n })), `t.fstrace: at byte ${slotOffset(2) + EVENT.startNs}: event start at wall-clock`);
  assert.match(await loadError(syncs({ startNs: 6n * 10n ** 18n })), `at byte ${slotOffset(1) + EVENT.startNs}: event start at wall-clock 2216-`);
  assert.match(await loadError(syncs({ durNs: 2n ** 64n - 1n })), `at byte ${slotOffset(1) + EVENT.durNs}: event end (start + duration) at wall-clock`);
  assert.match(await loadError(syncs({ durNs: 6n * 10n ** 18n })), `at byte ${slotOffset(1) + EVENT.durNs}: event end (start + duration) at wall-clock 2216-`);
  // 2172 is still a time the analyzer can place.
  const { close } = await openTraces({ 'ok.fstrace': syncs({ startNs: 2n ** 62n }) });
  close();
  assert.match(await loadError(syncs({ ivalStartNs: 2n ** 64n - 1n })), `at byte ${slotOffset(1) + EVENT.ivalStartNs}: write interval start at wall-clock`);
  // Before 1970: a monotonic time far behind the anchor.
  const early = syncs({});
  new DataView(early.buffer).setBigUint64(slotOffset(1) + EVENT.startNs, 1n, true);
  new DataView(early.buffer).setBigUint64(24, 10n, true); // realtime_ns: 10 ns after the epoch, anchored at monotonic 1 s
  assert.match(await loadError(early), `at byte ${slotOffset(1) + EVENT.startNs}: event start at wall-clock`);
});

test('ival_start_ns is a time only for calls with a write interval: sync_file_range and NO_INTERVAL keep any value', async () => {
  const { session, close } = await openTraces({ 't.fstrace': syncs({ call: 3, ivalStartNs: 2n ** 64n - 1n }, { ivalStartNs: 2n ** 64n - 1n, flags: 0x4 }) });
  try {
    const info = await traceInfo(session, bindings(DEFAULT_PARAMS));
    assert.is(info[0]!.syncs, 2);
  } finally {
    close();
  }
});

test('byte counts near 2^64 sum without overflow in the per-file statistics', async () => {
  const { session, close } = await openTraces({ 't.fstrace': syncs({ bytes: 2n ** 63n }, { bytes: 2n ** 63n + 2n ** 62n }) });
  try {
    const [f] = await fileSummaries(session, bindings(DEFAULT_PARAMS));
    assert.is(f!.bytes, 2 ** 64 + 2 ** 62);
    assert.is(f!.calls, 2);
  } finally {
    close();
  }
});

test.run();
