/**
 * `unaccounted`: calls the recorder's cost entries prove happened beyond what
 * the summaries and the ring still count. Constructed traces with a known
 * truth. A thread adds its calls to the cost entry of the interval it is in
 * every cost_period calls, so a cost entry may hold calls made in any interval
 * before it (a killed run once showed 3 such calls as unaccounted).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bindings } from '../../src/db/params.js';
import { totals, traceInfo, type Totals, type TraceInfo } from '../../src/db/summary.js';
import type { Filters } from '../../src/db/filter.js';
import { TraceWriter } from '../../src/trace/encode.js';
import { RecordType } from '../../src/trace/layout.js';
import { openTraces } from '../fixtures/session.js';
import { SCENARIO_PARAMS } from '../fixtures/traces.js';

const b = bindings(SCENARIO_PARAMS);
const S = 1_000_000_000n;
const FSYNC = 1;

function trace(summaryEntries: number): TraceWriter {
  const w = new TraceWriter({ ringSlots: 16, keepSlots: 4, summaryEntries, namesSlots: 8, summaryIntervalS: 1, costPeriod: 64, monotonicNs: 10n * S });
  w.name({ id: 1, name: '/data/a.log' }).name({ id: 2, name: '/data/b.log' });
  return w;
}

const cost = (second: bigint, syncCalls: number) =>
  ({ intervalStartNs: second * S, samples: 1, sampledNs: 100n, calls: BigInt(syncCalls), syncNs: BigInt(syncCalls) * 1000n, syncCalls: BigInt(syncCalls) });

/**
 * Killed in its second interval: 40 fsyncs in second 10, 30 in second 11. The
 * thread's first 64 calls reached the cost entry in second 11 (40 of them made
 * in second 10); its last 6 never did.
 */
function straddling(): Uint8Array {
  return trace(8)
    .summary({ call: FSYNC, pathId: 1, intervalStartNs: 10n * S, calls: 40 })
    .summary({ call: FSYNC, pathId: 1, intervalStartNs: 11n * S, calls: 30 })
    .cost(cost(11n, 64))
    .bytes();
}

/**
 * A summary ring of 4 entries that wrapped: second 10's summary and cost entry,
 * and a.log's summary of second 11 (30 calls) were overwritten; the cost entry
 * of second 11 (55 calls: a.log's 30 and b.log's 25) survives.
 */
function wrapped(): Uint8Array {
  return trace(4)
    .summary({ call: FSYNC, pathId: 1, intervalStartNs: 10n * S, calls: 40 })
    .cost(cost(10n, 40))
    .summary({ call: FSYNC, pathId: 1, intervalStartNs: 11n * S, calls: 30 })
    .cost(cost(11n, 55))
    .summary({ call: FSYNC, pathId: 2, intervalStartNs: 11n * S, calls: 25 })
    .summary({ call: FSYNC, pathId: 1, intervalStartNs: 12n * S, calls: 20 })
    .cost(cost(12n, 20))
    .bytes();
}

/** One trace loaded (under `filters`): its totals and its trace_info row. */
async function loaded(bytes: Uint8Array, filters?: Filters): Promise<{ t: Totals; info: TraceInfo }> {
  const o = await openTraces({ 'unaccounted.fstrace': bytes }, { filters });
  try {
    return { t: await totals(o.session, b), info: (await traceInfo(o.session, b))[0]! };
  } finally {
    o.close();
  }
}

test('a cost entry holding the interval before\'s calls is not a loss: 70 calls, none unaccounted', async () => {
  const { t } = await loaded(straddling());
  assert.equal([t.calls, t.summarizedOnly, t.unaccounted], [70, 70, 0]);
});

test('a wrapped summary ring: the 30 calls whose summary was overwritten are unaccounted', async () => {
  const { t, info } = await loaded(wrapped());
  assert.equal([t.calls, t.unaccounted], [45, 30]);
  assert.equal([info.calls, info.unaccounted, info.costEntries], [45, 30, 2]);
});

test('a quiet thread\'s calls of three seconds in one cost entry of a wrapped ring: none unaccounted', async () => {
  // Second 9's summary was overwritten; its calls reached no cost entry left either.
  const w = trace(4)
    .summary({ call: FSYNC, pathId: 1, intervalStartNs: 9n * S, calls: 5 })
    .summary({ call: FSYNC, pathId: 1, intervalStartNs: 10n * S, calls: 5 })
    .summary({ call: FSYNC, pathId: 1, intervalStartNs: 11n * S, calls: 5 })
    .summary({ call: FSYNC, pathId: 1, intervalStartNs: 12n * S, calls: 5 })
    .cost(cost(12n, 15));
  const { t } = await loaded(w.bytes());
  assert.equal([t.calls, t.unaccounted], [15, 0]);
});

test('--path: the cost entries count every file, so nothing is unaccounted for one file', async () => {
  const { t } = await loaded(wrapped(), { path: '*/b.log' });
  assert.equal([t.calls, t.unaccounted], [25, 0]);
});

test('--since: calls cut away by time would look lost, so nothing is unaccounted', async () => {
  // Monotonic second 10 is 2026-01-01T00:00:00Z. From 01.5 on, seconds 11 and 12 are left
  // (intervals that overlap the window stay): 45 calls, and cost entries of 75.
  const { t } = await loaded(wrapped(), { since: '2026-01-01T00:00:01.5Z' });
  assert.equal([t.calls, t.unaccounted], [45, 0]);
});

test('--until: likewise (an interval it cuts may count only its calls before --until), nothing is unaccounted', async () => {
  // Up to 01.5: second 11 is left, b.log's 25 calls (a.log's were overwritten), and its cost entry of 55.
  const { t } = await loaded(wrapped(), { until: '2026-01-01T00:00:01.5Z' });
  assert.equal([t.calls, t.unaccounted], [25, 0]);
});

test('a thread quiet for seconds before its first cost entry: its calls are counted, not unaccounted', async () => {
  const w = trace(8);
  w.path({ id: 1, name: '/data/a.log' });
  for (let i = 0; i < 5; i++) w.event({ type: RecordType.Sync, call: FSYNC, startNs: 10n * S + BigInt(i) * 1000n, durNs: 500n, tid: 7, pathId: 1 });
  w.summary({ call: FSYNC, pathId: 1, intervalStartNs: 10n * S, calls: 5 }).cost(cost(13n, 5));
  const { t } = await loaded(w.bytes());
  assert.equal([t.calls, t.unaccounted], [5, 0]);
});

test.run();
