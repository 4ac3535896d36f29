/** `outliers`: the syncs slower than normal for their file, or over the threshold, or failed; and the incidents they form. */
import { bindings } from '../db/params.js';
import { countOutliers, readIncidents, readOutliers, type Outlier, type OutlierFilter } from '../db/outliers.js';
import { hostCount } from '../db/summary.js';
import { errnoName } from '../db/values.js';
import { bytes, count, json, ms, table, times, when } from './format.js';
import { analysisParams, out, rowLimit, withSession, type AnalysisOptions, type LoadOptions } from './options.js';

export interface OutliersOptions extends LoadOptions, AnalysisOptions {
  json?: boolean;
  limit?: number;
  cause?: Outlier['cause'];
}

/** Rows shown in a table when no --limit is given. */
const TABLE_ROWS = 50;

export async function outliers(traces: string[], o: OutliersOptions): Promise<void> {
  const b = bindings(analysisParams(o));
  const filter: OutlierFilter = { cause: o.cause, limit: rowLimit(o.limit, o.json, TABLE_ROWS) };
  const { rows, total, incidents, hosts } = await withSession(traces, o, async (s) => ({
    rows: await readOutliers(s, b, filter),
    total: await countOutliers(s, b),
    incidents: o.json ? [] : await readIncidents(s, b),
    hosts: await hostCount(s),
  }));
  if (o.json) {
    await out(json({
      outliers: rows.map((r) => ({
        path: r.path, kind: r.kind, start: r.start, latency_ms: r.latencyMs,
        baseline_ms: r.baselineMs, pid: r.pid, tid: r.tid,
      })),
    }));
    return;
  }
  if (total === 0) {
    await out('no outliers\n');
    return;
  }
  const host = hosts > 1;
  await out(table(
    [
      { title: 'start' }, ...(host ? [{ title: 'host' }] : []), { title: 'path' }, { title: 'kind' }, { title: 'ms', align: 'right' },
      { title: 'baseline', align: 'right' }, { title: 'ratio', align: 'right' }, { title: 'bytes', align: 'right' },
      { title: 'x bytes', align: 'right' }, { title: 'why' }, { title: 'pid', align: 'right' }, { title: 'tid', align: 'right' },
      { title: 'incident', align: 'right' },
    ],
    rows.map((r) => [
      when(r.start), ...(host ? [r.host] : []), r.path, r.kind, ms(r.latencyMs), ms(r.baselineMs), times(r.ratio), bytes(r.bytes),
      times(r.bytesRatio), why(r), String(r.pid), String(r.tid), String(r.incident),
    ]),
  ));
  const shown = rows.length < total && o.cause === undefined ? `, ${count(rows.length)} worst shown (--limit N for more)` : '';
  await out(`\n${count(total)} outliers${shown}\n`);
  if (incidents.length === 0) return;
  await out(`\n${count(incidents.length)} incident${incidents.length === 1 ? '' : 's'}:\n`);
  await out(table(
    [
      { title: '#', align: 'right' }, { title: 'start' }, { title: 'end' }, { title: 'outliers', align: 'right' },
      { title: 'files', align: 'right' }, { title: 'procs', align: 'right' }, { title: 'worst ms', align: 'right' },
      { title: 'scope' }, { title: 'cause' }, { title: 'worst file' },
    ],
    incidents.map((i) => [
      String(i.id), when(i.start), when(i.end), count(i.outliers), count(i.files), count(i.processes),
      ms(i.worstMs), i.scope, i.cause, i.worstPath,
    ]),
  ));
}

/** Why a sync is an outlier, in a few words. */
function why(r: Outlier): string {
  if (r.failed) return `failed: ${errnoName(r.errno ?? 0)}`;
  const rule = r.reason === 'threshold' ? 'over threshold' : 'over baseline';
  return r.cause === 'write-volume' ? `${rule}, write volume` : rule;
}
