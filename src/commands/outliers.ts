/** `outliers`: the syncs slower than normal for their file family, or over the threshold, or failed; the incidents they form; and how many syncs could be judged. */
import { analysisBindings, countOutliers, readIncidents, readJudgement, readOutliers, type Outlier, type OutlierFilter } from '../db/outliers.js';
import { hostCount } from '../db/summary.js';
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
  const filter: OutlierFilter = { cause: o.cause, limit: rowLimit(o.limit, o.json, TABLE_ROWS) };
  const { rows, total, incidents, hosts, judgement } = await withSession(traces, o, async (s) => {
    const b = await analysisBindings(s, analysisParams(o));
    return {
      rows: await readOutliers(s, b, filter),
      total: await countOutliers(s, b),
      incidents: await readIncidents(s, b),
      hosts: await hostCount(s),
      judgement: await readJudgement(s, b),
    };
  });
  if (o.json) {
    await out(json({
      outliers: rows.map((r) => ({
        path: r.path, kind: r.kind, start: r.start, latency_ms: r.latencyMs, baseline_ms: r.baselineMs,
        pid: r.pid, tid: r.tid, errno: r.errnoName, cause: r.cause, incident: r.incident, exe: r.exe, host: r.host,
        program: r.program, family: r.family, baseline_p99_ms: r.baselineP99Ms, cutoff_ms: r.cutoffMs,
        baseline_source: r.baselineSource,
      })),
      incidents: incidents.map((i) => ({
        id: i.id, start: i.start, end: i.end, scope: i.scope, cause: i.cause, paths: i.paths, pids: i.pids,
        outliers: i.outliers, worst_ms: i.worstMs, programs: i.programs, errnos: i.errnos,
        active_processes: i.activeProcesses, host: i.host,
      })),
      judged: judgement.judged,
      unjudged: judgement.unjudged,
      unjudged_reasons: judgement.reasons,
    }));
    return;
  }
  const judged = `${count(judgement.judged)} sync calls judged against a baseline` +
    (judgement.unjudged > 0 ? `; ${count(judgement.unjudged)} not judged (${reasons(judgement.reasons)})` : '') + '\n';
  if (total === 0) {
    await out(`no outliers\n${judged}`);
    return;
  }
  const host = hosts > 1;
  await out(table(
    [
      { title: 'start' }, ...(host ? [{ title: 'host' }] : []), { title: 'path' }, { title: 'kind' }, { title: 'ms', align: 'right' },
      { title: 'p99', align: 'right' }, { title: 'x median', align: 'right' }, { title: 'bytes', align: 'right' },
      { title: 'x bytes', align: 'right' }, { title: 'why' }, { title: 'program' }, { title: 'pid', align: 'right' },
      { title: 'incident', align: 'right' },
    ],
    rows.map((r) => [
      when(r.start), ...(host ? [r.host] : []), r.path, r.kind, ms(r.latencyMs), ms(r.baselineP99Ms), times(r.ratio), bytes(r.bytes),
      times(r.bytesRatio), why(r), r.program, String(r.pid), String(r.incident),
    ]),
  ));
  const shown = rows.length < total && o.cause === undefined ? `, ${count(rows.length)} worst shown (--limit N for more)` : '';
  await out(`\n${count(total)} outliers${shown}\n${judged}`);
  if (incidents.length === 0) return;
  await out(`\n${count(incidents.length)} incident${incidents.length === 1 ? '' : 's'}:\n`);
  await out(table(
    [
      { title: '#', align: 'right' }, { title: 'start' }, { title: 'end' }, { title: 'outliers', align: 'right' },
      { title: 'files', align: 'right' }, { title: 'procs', align: 'right' }, { title: 'worst ms', align: 'right' },
      { title: 'scope' }, { title: 'cause' }, { title: 'worst file' },
    ],
    incidents.map((i) => [
      String(i.id), when(i.start), when(i.end), count(i.outliers), count(i.files),
      `${count(i.processes)}/${count(i.activeProcesses)}`, ms(i.worstMs), i.scope,
      i.cause === 'failed' ? `failed (${i.errnos.join(', ')})` : i.cause, i.worstPath,
    ]),
  ));
}

function reasons(r: Record<string, number>): string {
  return Object.entries(r).map(([why, n]) => `${count(n)} ${why === 'few calls' ? 'with too little history for their file' : 'naming no file'}`).join(', ');
}

/** Why a sync is an outlier, in a few words. */
function why(r: Outlier): string {
  if (r.failed) return `failed: ${r.errnoName}`;
  const rule = r.reason === 'threshold' ? 'over threshold'
    : r.baselineSource === 'recording' ? 'over baseline (rest of recording)'
      : r.baselineSource === 'burst' ? 'over baseline (rest of its burst)' : 'over baseline';
  return r.cause === 'write-volume' ? `${rule}, write volume` : rule;
}
