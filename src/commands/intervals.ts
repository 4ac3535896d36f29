/** `intervals`: each sync and the write interval it made durable. */
import { countIntervals, readIntervals, type Interval } from '../db/intervals.js';
import { bindings, DEFAULT_PARAMS } from '../db/params.js';
import { hostCount } from '../db/summary.js';
import { errnoName } from '../db/values.js';
import { bytes, count, ms, table, when } from './format.js';
import { out, rowLimit, withSession, type LoadOptions } from './options.js';

export interface IntervalsOptions extends LoadOptions {
  json?: boolean;
  limit?: number;
}

/** Rows shown in a table when no --limit is given. */
const TABLE_ROWS = 100;

export async function intervals(traces: string[], o: IntervalsOptions): Promise<void> {
  const b = bindings(DEFAULT_PARAMS);
  const limit = rowLimit(o.limit, o.json, TABLE_ROWS);
  await withSession(traces, o, async (s) => {
    if (o.json) {
      await out('{"intervals":[');
      let first = true;
      for await (const batch of readIntervals(s, b, { limit })) {
        const text = batch.map((i) => JSON.stringify(jsonInterval(i))).join(',\n');
        await out(`${first ? '\n' : ',\n'}${text}`);
        first = false;
      }
      await out(']}\n');
      return;
    }
    const rows: Interval[] = [];
    for await (const batch of readIntervals(s, b, { limit })) rows.push(...batch);
    const total = await countIntervals(s, b);
    const host = (await hostCount(s)) > 1;
    await out(table(
      [
        { title: 'start' }, ...(host ? [{ title: 'host' }] : []), { title: 'path' }, { title: 'kind' }, { title: 'ms', align: 'right' },
        { title: 'interval ms', align: 'right' }, { title: 'bytes', align: 'right' }, { title: 'writes', align: 'right' },
        { title: 'write ms', align: 'right' }, { title: 'result' },
      ],
      rows.map((i) => [
        when(i.start), ...(host ? [i.host] : []), i.path, i.kind, ms(i.latencyMs), ms(i.intervalMs), bytes(i.bytes),
        i.writes === null ? '-' : count(i.writes), ms(i.writeMs), i.res < 0 ? errnoName(-i.res) : 'ok',
      ]),
    ));
    if (rows.length < total) await out(`\n${count(rows.length)} of ${count(total)} shown (--limit N for more, --json for all)\n`);
  });
}

function jsonInterval(i: Interval) {
  return {
    path: i.path, host: i.host, pid: i.pid, tid: i.tid, kind: i.kind, start: i.start,
    latency_ms: i.latencyMs, res: i.res, interval_start: i.intervalStart, interval_ms: i.intervalMs,
    bytes: i.bytes, writes: i.writes, write_ms: i.writeMs,
  };
}
