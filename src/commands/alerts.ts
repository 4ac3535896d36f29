/** `alerts`: the syncs the recorder raised an alert for (format v2), and whether their lines were written. */
import { bindings, DEFAULT_PARAMS } from '../db/params.js';
import { readAlerts } from '../db/history.js';
import { hostCount, totals } from '../db/summary.js';
import { count, json, ms, table, when } from './format.js';
import { out, rowLimit, withSession, type LoadOptions } from './options.js';

export interface AlertsOptions extends LoadOptions {
  json?: boolean;
  limit?: number;
}

/** Rows shown in a table when no --limit is given. */
const TABLE_ROWS = 100;

export async function alerts(traces: string[], o: AlertsOptions): Promise<void> {
  const b = bindings(DEFAULT_PARAMS);
  const limit = rowLimit(o.limit, o.json, TABLE_ROWS);
  const { rows, all, hosts } = await withSession(traces, o, async (s) => ({
    rows: await readAlerts(s, b, limit),
    all: await totals(s, b),
    hosts: await hostCount(s),
  }));
  if (o.json) {
    await out(json({
      alerts: rows.map((r) => ({
        start: r.start, host: r.host, pid: r.pid, tid: r.tid, exe: r.exe, path: r.path, kind: r.kind,
        latency_ms: r.latencyMs, errno: r.errno, suppressed: r.suppressed, source: r.source, program: r.program,
      })),
      totals: { alerted_calls: all.alertCalls, written: all.alertsWritten, suppressed: all.alertsSuppressed },
    }));
    return;
  }
  const written = `the recorder${all.traces === 1 ? '' : 's'} wrote ${count(all.alertsWritten)} alert line${all.alertsWritten === 1 ? '' : 's'} and suppressed ${count(all.alertsSuppressed)}`;
  if (rows.length === 0) {
    await out(`no alerted calls in the traces; ${written}\n`);
    return;
  }
  const host = hosts > 1;
  await out(table(
    [
      { title: 'start' }, ...(host ? [{ title: 'host' }] : []), { title: 'path' }, { title: 'kind' }, { title: 'ms', align: 'right' },
      { title: 'error' }, { title: 'line' }, { title: 'from' }, { title: 'pid', align: 'right' }, { title: 'program' },
    ],
    rows.map((r) => [
      when(r.start), ...(host ? [r.host] : []), r.path, r.kind, ms(r.latencyMs), r.errnoName ?? '-',
      r.suppressed ? 'suppressed' : 'written', r.source, String(r.pid), r.program,
    ]),
  ));
  const shown = rows.length < all.alertCalls ? `, the first ${count(rows.length)} shown (--limit N for more)` : '';
  await out(`\n${count(all.alertCalls)} alerted call${all.alertCalls === 1 ? '' : 's'}${shown}; ${written}\n`);
}
