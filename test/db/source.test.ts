// src/db/source.ts: a large load decodes in a worker thread, and gives the same
// traces, and the same errors, as decoding inline.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TraceError } from '../../src/errors.js';
import { estimateRecords, preparedTraces, type Prepared } from '../../src/db/source.js';
import type { PreparedTrace } from '../../src/db/prepare.js';
import { BROKEN, otherHost, scenario, slotOffset, tempDir, writeTrace } from '../fixtures/traces.js';
import { historyTrace } from '../fixtures/history.js';

const tmp = tempDir();
const files = [
  writeTrace(tmp.dir, 'a.fstrace', scenario()),
  writeTrace(tmp.dir, 'b.fstrace', BROKEN.corrupt()),
  writeTrace(tmp.dir, 'c.fstrace', otherHost()),
  writeTrace(tmp.dir, 'd.fstrace', historyTrace()),
];
test.after(() => tmp.cleanup());

test('estimateRecords: the records the headers\' counters say each region holds', () => {
  // scenario: 41 ring records (the corrupt copy too); otherHost: 5; history: 361 ring records (its ring is not full), 3 kept,
  // 2,882 summary entries of 3 slots, its name in 1 slot.
  assert.equal(files.map(estimateRecords), [41, 41, 5, 361 + 3 + 2882 * 3 + 1]);
});

/** Every file prepared, as if each held `records` records (1e12 in all makes the worker decode). */
async function all(records: number | number[]): Promise<Prepared[]> {
  const out: Prepared[] = [];
  for await (const p of preparedTraces(files, Array.isArray(records) ? records : files.map(() => records))) out.push(p);
  return out;
}

/** The worker's and inline decoding's outcomes are the same, file by file. */
function sameAsInline(worker: Prepared[], inline: Prepared[]): void {
  assert.equal(worker.map((p) => p.file), files);
  assert.equal(worker.map((p) => 'trace' in p), [true, false, true, true]);
  for (let i of [0, 2, 3]) {
    const w = worker[i] as Extract<Prepared, { trace: unknown }>;
    const n = inline[i] as Extract<Prepared, { trace: unknown }>;
    assert.equal(w.trace.header, n.trace.header);
    assert.equal(w.trace.paths, n.trace.paths);
    // Every column crosses the thread: the ring's, the kept events', the summaries' and their histograms'.
    for (const key of ['columns', 'keptColumns', 'summaryColumns', 'histColumns', 'costColumns'] as const) {
      assert.equal(w.trace[key].map((c) => [...c]), n.trace[key].map((c) => [...c]), key);
    }
  }
  const bad = worker[1] as { error: TraceError };
  assert.is(bad.error.message, (inline[1] as { error: TraceError }).error.message);
}

test('worker and inline decoding agree, file by file, in order', async () => {
  const inline = await all(0);
  const worker = await all(1e9);
  sameAsInline(worker, inline);
  const v2 = (worker[3] as Extract<Prepared, { trace: unknown }>).trace;
  assert.equal([v2.events, v2.kept, v2.summaries, v2.histRows, v2.costRows], [360, 2, 2880, 5702, 2]);
  // The recorder_cost columns: wall-clock start (monotonic + offset), period, samples, ...
  assert.equal(v2.costColumns.map((c) => c.length), [2, 2, 2, 2, 2, 2, 2]);
});

test('small files go to the worker in one batch, sharing buffers, and come back each as inline decoding makes it', async () => {
  // The first three (with the broken one among them) are one batch; the last, big, one its own.
  const worker = await all([10, 10, 10, 499_990]);
  sameAsInline(worker, await all(0));
  const a = (worker[0] as Extract<Prepared, { trace: unknown }>).trace;
  const c = (worker[2] as Extract<Prepared, { trace: unknown }>).trace;
  assert.is(a.columns[0]!.buffer, c.columns[0]!.buffer, 'one arena buffer for the batch');
});

/** A copy of every table's columns of a prepared trace. */
function columnValues(t: PreparedTrace): Array<Array<number | bigint>> {
  return [...t.columns, ...t.keptColumns, ...t.summaryColumns, ...t.histColumns, ...t.costColumns].map((c) => [...c]);
}

test('with recycle, the worker writes later traces into the buffers given back, and they decode the same', async () => {
  // The same v2 trace five times, each its own batch (1e9 records): the buffers of the
  // first go back while the third is decoded, and so on.
  const same = Array.from({ length: 5 }, () => files[3]!);
  const stats = { reusedBytes: 0 };
  const seen: Array<Array<Array<number | bigint>>> = [];
  for await (const p of preparedTraces(same, same.map(() => 1e9), { recycle: true, stats })) {
    assert.ok('trace' in p);
    // Copied now: the columns are handed back when the next trace is asked for.
    seen.push(columnValues(p.trace));
  }
  assert.ok(stats.reusedBytes >= 2 * (1 << 20), `reused ${stats.reusedBytes} bytes`);
  const inline = (await all(0))[3] as Extract<Prepared, { trace: unknown }>;
  const want = columnValues(inline.trace);
  assert.is(seen.length, 5);
  for (const got of seen) assert.equal(got, want);
});

test('a decode error crosses the thread as the same TraceError', async () => {
  const [, bad] = await all(1e12);
  assert.ok('error' in bad!);
  const err = (bad as { error: TraceError }).error;
  assert.instance(err, TraceError);
  assert.is(err.file, files[1]);
  assert.is(err.offset, slotOffset(10));
  assert.is(err.message, `${files[1]}: at byte ${slotOffset(10)}: unknown record type 9, expected 1 to 6 or 10 to 12`);
});

test.run();
