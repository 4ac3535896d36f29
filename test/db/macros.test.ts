// The SQL macros of schema.sql against the TypeScript reading of recorders/FORMAT.md.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDb } from '../../src/db/connect.js';
import { histBucket, histBucketLowNs, RecordType } from '../../src/trace/layout.js';

// Opened in test.before, not at the top level: `npm test` runs uvu with `-r tsx`, which
// loads test files through require, where a top-level await is not allowed.
let db: Awaited<ReturnType<typeof createDb>>;
test.before(async () => {
  db = await createDb(null);
});
const rows = async (sql: string) => (await db.connection.runAndReadAll(sql)).getRowObjectsJS();

test('hist_bucket buckets a latency as the recorder does, at every bucket edge and between', async () => {
  const ns: number[] = [0, 1, 1023, 1024, 2047, 2048, 3071, 3072, 4095, 4096, 1e6, 123_456_789, 206e9, 1e12];
  for (let k = 0; k < 56; k++) ns.push(histBucketLowNs(k), histBucketLowNs(k) - 1, histBucketLowNs(k) + 1);
  const got = await rows(`select ns, hist_bucket(ns) as b from unnest([${ns.filter((x) => x >= 0).join(',')}]::bigint[]) as t(ns)`);
  for (const r of got) assert.is(r.b, histBucket(r.ns as bigint), `bucket of ${r.ns} ns`);
});

test('summary_buckets: bounds and middles from the macros', async () => {
  const b = await rows('select bucket, low_ns, high_ns, mid_ns from summary_buckets order by bucket');
  assert.is(b.length, 56);
  assert.equal(b[0], { bucket: 0, low_ns: 0n, high_ns: 1024n, mid_ns: 512 });
  assert.equal(b[2], { bucket: 2, low_ns: 2048n, high_ns: 3072n, mid_ns: Math.sqrt(2048 * 3072) });
  for (const r of b) assert.is(r.low_ns, BigInt(histBucketLowNs(r.bucket as number)));
});

test('hist_quantile_ns: nearest rank over the summed list, in any order, at the bucket middle', async () => {
  const [r] = await rows(`select
    hist_quantile_ns([{'bucket': 20, 'n': 1}, {'bucket': 10, 'n': 98}, {'bucket': 10, 'n': 1}], 0.5) as p50,
    hist_quantile_ns([{'bucket': 20, 'n': 1}, {'bucket': 10, 'n': 98}, {'bucket': 10, 'n': 1}], 0.99) as p99,
    hist_quantile_ns([{'bucket': 20, 'n': 2}, {'bucket': 10, 'n': 98}], 0.99) as p99b`);
  const mid = (k: number) => Math.sqrt(histBucketLowNs(k) * histBucketLowNs(k + 1));
  assert.equal(r, { p50: mid(10), p99: mid(10), p99b: mid(20) });
});

test('constants named after ft_format.h', async () => {
  const [r] = await rows('select ft_t_sync() as sync, ft_t_open() as open, ft_f_alert() as alert, ft_f_no_interval() as no_interval');
  assert.equal(r, { sync: RecordType.Sync, open: RecordType.Open, alert: 0x20, no_interval: 0x4 });
});

test.after(() => db.close());
test.run();
