/** `info`: the trace files, the processes they recorded, and how complete they are. */
import { relative } from 'node:path';
import { bindings, DEFAULT_PARAMS } from '../db/params.js';
import { overhead, type Overhead } from '../db/history.js';
import { traceInfo, type TraceInfo } from '../db/summary.js';
import { bytes, count, json, plural, table, uncountedLine, when } from './format.js';
import { out, withSession, type LoadOptions } from './options.js';

export async function info(traces: string[], o: LoadOptions & { json?: boolean }): Promise<void> {
  const b = bindings(DEFAULT_PARAMS);
  const { rows, cost } = await withSession(traces, o, async (s) => ({ rows: await traceInfo(s, b), cost: await overhead(s, b) }));
  if (o.json) {
    await out(json({
      traces: rows.map((t) => ({
        file: t.file, pid: t.pid, exe: t.exe, name: t.name, stopped: t.stopped, host: t.host, records: t.records,
        dropped: t.dropped, torn: t.torn, start: t.start, end: t.end,
        version: t.version, kept: t.kept, alerts: t.alerts, alerts_suppressed: t.alertsSuppressed,
        summaries: t.summaries, history_start: t.historyStart, history_end: t.historyEnd,
        overwritten: t.overwritten, calls: t.calls, summarized_only: t.summarizedOnly, unaccounted: t.unaccounted,
        uncounted_records: t.uncountedRecords, kernel: t.kernel, alerts_unsent: t.alertsUnsent,
        dir_removed: t.dirRemoved, dir_removed_bytes: t.dirRemovedBytes,
        js_calls: t.jsCalls, js_in_ring: t.jsInRing, js_by_kind: t.jsByKind,
      })),
      overhead: cost && { ns_per_call: cost.nsPerCall, sync_share: cost.syncShare, samples: cost.samples, calls: cost.calls },
    }));
    return;
  }
  await out(table(
    [
      { title: 'file' }, { title: 'host' }, { title: 'pid', align: 'right' }, { title: 'program' },
      { title: 'records', align: 'right' }, { title: 'syncs', align: 'right' }, { title: 'overwritten', align: 'right' },
      { title: 'dropped', align: 'right' },
      { title: 'torn', align: 'right' }, { title: 'start' }, { title: 'end' },
    ],
    rows.map((t) => [
      displayPath(t.file), t.host, String(t.pid), program(t), count(t.records), count(t.calls), count(t.overwritten), count(t.dropped),
      t.torn ? 'yes' : 'no', when(t.start), when(t.end),
    ]),
  ));
  const v2 = rows.filter((t) => t.version >= 2 && (t.summaries > 0 || t.kept > 0 || t.alerts > 0 || t.alertsSuppressed > 0));
  if (v2.length > 0) {
    await out('\nlong history (format v2):\n');
    await out(table(
      [
        { title: 'file' }, { title: 'pid', align: 'right' }, { title: 'kept', align: 'right' }, { title: 'alerts', align: 'right' },
        { title: 'suppressed', align: 'right' }, { title: 'summaries', align: 'right' }, { title: 'history from' }, { title: 'to' },
      ],
      v2.map((t) => [
        displayPath(t.file), String(t.pid), count(t.kept), count(t.alerts), count(t.alertsSuppressed), count(t.summaries),
        when(t.historyStart), when(t.historyEnd),
      ]),
    ));
  }
  const node = rows.filter((t) => t.jsCalls > 0);
  if (node.length > 0) {
    await out('\nNode calls (the Node hook; counted from summaries where the trace has them):\n');
    await out(table(
      [{ title: 'file' }, { title: 'pid', align: 'right' }, { title: 'calls', align: 'right' }, { title: 'in ring', align: 'right' }, { title: 'by API' }],
      node.map((t) => [
        displayPath(t.file), String(t.pid), count(t.jsCalls), count(t.jsInRing),
        Object.entries(t.jsByKind).map(([k, n]) => `${k.replace(/^js:/, '')} ${count(n)}`).join(', '),
      ]),
    ));
  }
  const stopped = rows.filter((t) => t.stopped !== null);
  if (stopped.length > 0) {
    await out(`\nrecording stopped in ${plural(stopped.length, 'trace')}:\n`);
    for (const t of stopped) await out(`  ${displayPath(t.file)}: ${t.stopped}\n`);
  }
  const sum = (f: (t: TraceInfo) => number, of = rows) => of.reduce((a, t) => a + f(t), 0);
  const lost = rows.filter((t) => t.overwritten > 0 || t.dropped > 0 || t.unaccounted > 0);
  if (lost.length > 0) {
    await out(`\n${plural(sum((t) => t.overwritten), 'ring record')} overwritten and ${count(sum((t) => t.dropped))} dropped in ` +
      `${plural(lost.length, 'trace')}; of the sync calls, ${count(sum((t) => t.summarizedOnly))} are counted from summaries only` +
      ` and ${count(sum((t) => t.unaccounted))} can no longer be counted\n`);
  }
  const uncounted = rows.filter((t) => t.uncountedRecords > 0);
  if (uncounted.length > 0) await out(`${uncountedLine(sum((t) => t.uncountedRecords), uncounted.length)}\n`);
  await out(headerNotes(rows));
  if (cost) await out(`\n${overheadLine(cost)}\n`);
}

/** What the headers say beside the counts: kernel-side traces, alert lines lost, traces the directory's budget removed. */
function headerNotes(rows: TraceInfo[]): string {
  const lines: string[] = [];
  const kernel = rows.filter((t) => t.kernel);
  if (kernel.length > 0) {
    lines.push(`recorded kernel-side (fsync-record --kernel): ${plural(kernel.length, 'trace')}: ${list(kernel.map((t) => displayPath(t.file)))}`);
  }
  const unsent = rows.filter((t) => t.alertsUnsent > 0);
  if (unsent.length > 0) {
    lines.push(`${plural(unsent.reduce((a, t) => a + t.alertsUnsent, 0), 'alert line')} no sink could take, in ` +
      `${plural(unsent.length, 'trace')}: ${list(unsent.map((t) => `${displayPath(t.file)} (${count(t.alertsUnsent)})`))}`);
  }
  const removers = rows.filter((t) => t.dirRemoved > 0);
  if (removers.length > 0) {
    const n = removers.reduce((a, t) => a + t.dirRemoved, 0);
    const b = removers.reduce((a, t) => a + t.dirRemovedBytes, 0);
    lines.push(`the trace directory's budget (FSYNC_TRACE_DIR_MAX_BYTES) removed ${plural(n, 'older trace')} (${bytes(b)}) of ended processes: ` +
      list(removers.map((t) => `pid ${t.pid} removed ${count(t.dirRemoved)} (${bytes(t.dirRemovedBytes)})`)));
  }
  return lines.length > 0 ? `\n${lines.join('\n')}\n` : '';
}

function list(items: string[], max = 5): string {
  return items.slice(0, max).join(', ') + (items.length > max ? ` and ${count(items.length - max)} more` : '');
}

/** "recorder overhead: X ns per call, Y% of time spent in sync calls" (queries/66_overhead.sql). */
export function overheadLine(c: Overhead): string {
  const ns = c.nsPerCall === null ? '-' : Number(c.nsPerCall.toPrecision(3)).toString();
  const share = c.syncShare === null ? '' : `, ${Number((c.syncShare * 100).toPrecision(2))}% of time spent in sync calls`;
  return `recorder overhead: ${ns} ns per call${share} (${count(c.samples)} sampled calls)`;
}

/** A path relative to the working directory when that is shorter. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.length < file.length && !rel.startsWith('..') ? rel : file;
}

/** The name users know, and the resolved executable when its base name differs. */
function program(t: TraceInfo): string {
  return t.exe.endsWith(`/${t.name}`) || t.exe === t.name ? t.exe : `${t.name} (${t.exe})`;
}
