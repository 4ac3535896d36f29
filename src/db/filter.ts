/**
 * The filters every command takes (--since, --until, --pid, --exe, --path,
 * --host). Those a trace's header answers (pid, exe, host) are applied before
 * a file is decoded: a --pid never decodes another process's trace. Time and
 * path are applied to the loaded rows, before any query runs, so every
 * command and every query sees the same filtered data.
 */
import { quotedIdentifier, type DuckDBConnection } from '@duckdb/node-api';
import { basename } from 'node:path';
import { FtError } from '../errors.js';
import { globRegExp } from '../inputs.js';
import { readTraceHeader, type TraceHeader } from '../trace/decode.js';
import { programName } from '../trace/program.js';
import { parseDuration } from './knobs.js';

export interface Filters {
  /** ISO 8601 time, or a duration back from the newest event ("2h"). */
  since?: string;
  until?: string;
  pids?: number[];
  /** The executable: its full path or its file name; or the program's name as users know it (comm: redis-server for redis-check-rdb). */
  exe?: string;
  /** A glob over the file's path (`*` within a directory, `**` across); without glob characters, text the path contains. */
  path?: string;
  host?: string;
}

/** A time filter: wall-clock ns since the epoch, or seconds back from the newest event. */
export type TimeBound = { ns: bigint } | { back: number };

export function parseTime(text: string, what: string): TimeBound {
  if (/^\d{4}-\d\d-\d\d/.test(text)) {
    const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) || text.length === 10 ? text : `${text}Z`);
    if (Number.isNaN(ms)) throw new FtError(`${what}: not a time: '${text}' (expected ISO 8601, e.g. 2026-01-02T03:04:05Z, or a duration back from the newest event, e.g. 2h)`);
    return { ns: BigInt(ms) * 1_000_000n };
  }
  try {
    return { back: parseDuration(text) };
  } catch {
    throw new FtError(`${what}: not a time: '${text}' (expected ISO 8601, e.g. 2026-01-02T03:04:05Z, or a duration back from the newest event, e.g. 2h)`);
  }
}

/** Whether a trace's process passes the header filters. */
export function headerMatches(f: Filters, h: Pick<TraceHeader, 'pid' | 'exe' | 'host' | 'comm' | 'cmdline'>): boolean {
  if (f.pids && f.pids.length > 0 && !f.pids.includes(h.pid)) return false;
  if (f.exe !== undefined && h.exe !== f.exe && basename(h.exe) !== f.exe && programName(h) !== f.exe) return false;
  if (f.host !== undefined && h.host !== f.host) return false;
  return true;
}

/**
 * The files whose header passes the header filters (all of them without such
 * filters), less those an ISO --until leaves nothing of (madeAfter). A file
 * whose header cannot be read stays: decoding it says why.
 */
export function headerFiltered(files: readonly string[], f: Filters): readonly string[] {
  const until = absoluteUntil(f);
  if (!hasHeaderFilters(f) && until === null) return files;
  return files.filter((file) => {
    const h = readTraceHeader(file);
    return h === null || (headerMatches(f, h) && (until === null || !madeAfter(h, until)));
  });
}

/**
 * --until as ns since the epoch when it is an ISO time; null without one, or for a
 * duration (back from the newest event of all traces, which no header says).
 */
export function absoluteUntil(f: Filters): bigint | null {
  if (f.until === undefined) return null;
  const t = parseTime(f.until, '--until');
  return 'ns' in t ? t.ns : null;
}

/**
 * Whether a trace holds nothing before `until` by its header alone: the header's
 * clock anchor is read when the trace is made, before any of its records, and a
 * record's wall time is counted from it, so none is earlier; its summary intervals
 * begin at most one interval before (aligned in monotonic time; 60 s without
 * summaries), and a Node call's start may be moved back 10 µs (FORMAT.md): a second
 * more is the margin. Headers hold no end, so --since decides nothing here.
 */
export function madeAfter(h: Pick<TraceHeader, 'realtimeNs' | 'summaryIntervalS'>, until: bigint): boolean {
  return h.realtimeNs - BigInt(Math.max(h.summaryIntervalS, 60) + 1) * 1_000_000_000n >= until;
}

export function hasHeaderFilters(f: Filters): boolean {
  return (f.pids?.length ?? 0) > 0 || f.exe !== undefined || f.host !== undefined;
}

export function hasFilters(f: Filters): boolean {
  return hasHeaderFilters(f) || f.since !== undefined || f.until !== undefined || f.path !== undefined;
}

/**
 * Fill the (empty) tables of schema.sql from the kept database `kept` (a catalog
 * attached read only): the traces the header filters choose and their rows, then
 * the row filters as after a load. The kept file is not changed.
 */
export async function copyKept(connection: DuckDBConnection, kept: string, f: Filters): Promise<void> {
  const tables = await connection.runAndReadAll(`
    select t.table_name, bool_or(c.column_name = 'trace_id') as per_trace
    from duckdb_tables() t
    join duckdb_columns() c using (database_name, schema_name, table_name)
    where t.database_name = current_database()
      and t.table_name not in ('traces', 'summary_buckets', 'filter_window')
      and t.table_name in (select table_name from duckdb_tables() where database_name = $kept)
    group by all`, { kept });
  const from = (table: string) => `${quotedIdentifier(kept)}.main.${quotedIdentifier(table)}`;
  const pids = (f.pids ?? []).join(',');
  // As headerFiltered: the header filters, and an ISO --until before the trace was made (madeAfter).
  const until = absoluteUntil(f) ?? FAR_NS;
  await connection.run(`
    insert into traces by name
    select * from ${from('traces')}
    where ($pids = '' or list_contains(list_transform(string_split($pids, ','), lambda p: p::integer), pid))
      and ($exe = '' or $exe in (exe, regexp_extract(exe, '[^/]*$'), name))
      and ($host = '' or host = $host)
      and realtime_ns - (greatest(summary_interval_s, 60) + 1)::bigint * 1000000000 < $until`,
  { pids, exe: f.exe ?? '', host: f.host ?? '', until });
  for (const [table, perTrace] of tables.getRows()) {
    const where = perTrace ? ' where trace_id in (select trace_id from traces)' : '';
    await connection.run(`insert into ${quotedIdentifier(String(table))} by name select * from ${from(String(table))}${where}`);
  }
  const [row] = (await connection.runAndReadAll('select count(*) from traces')).getRows();
  if (Number(row![0]) === 0) throw new FtError(`none of the traces in the database matches the filters`);
  const window = await connection.runAndReadAll("select count(*) from duckdb_tables() where database_name = $kept and table_name = 'filter_window'", { kept });
  if (Number(window.getRows()[0]![0]) > 0) {
    await connection.run(`delete from filter_window; insert into filter_window by name select * from ${from('filter_window')}`);
  }
  await applyRowFilters(connection, f);
}

/** The --path filter as a regular expression over whole paths. */
export function pathRegExp(pattern: string): string {
  if (!/[*?[]/.test(pattern)) return `.*${pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*`;
  const re = globRegExp(pattern.startsWith('/') || pattern.startsWith('**') ? pattern : `**/${pattern}`).source;
  return re.slice(1, -1);
}

/** A bound no trace reaches (ns since the epoch, ~146 years either side), and BIGINT holds. */
const FAR_NS = 2n ** 62n;

/**
 * Delete the loaded rows outside the time and path filters. The events cut away
 * go to events_context (the durability lint judges what is inside the window on
 * them too), and filter_window records the window.
 */
export async function applyRowFilters(connection: DuckDBConnection, f: Filters): Promise<void> {
  if (f.path !== undefined) {
    const re = pathRegExp(f.path);
    const outside = 'select file_id from files where not regexp_full_match(path, $re)';
    await connection.run(`insert into events_context select * from events where file_id in (${outside})`, { re });
    await connection.run(`delete from events where file_id in (${outside})`, { re });
    await connection.run('update filter_window set path_re = $re', { re });
    await connection.run(`delete from summary_entries where file_id in (${outside})`, { re });
    await connection.run(`delete from js_calls where file_id in (${outside})`, { re });
    await connection.run(`delete from js_summary_entries where file_id in (${outside})`, { re });
  }
  if (f.since !== undefined || f.until !== undefined) {
    const newest = await newestNs(connection);
    const bound = (text: string, what: string): bigint => {
      const t = parseTime(text, what);
      return 'ns' in t ? t.ns : newest - BigInt(Math.round(t.back * 1e9));
    };
    const since = f.since !== undefined ? bound(f.since, '--since') : null;
    const until = f.until !== undefined ? bound(f.until, '--until') : null;
    const values = { since: since ?? -FAR_NS, until: until ?? FAR_NS };
    await dropCutSummaries(connection, values);
    const outside = 'epoch_ns(start) < $since or epoch_ns(start) >= $until';
    await connection.run(`insert into events_context select * from events where ${outside}`, values);
    await connection.run(`delete from events where ${outside}`, values);
    await connection.run('update filter_window set since_ns = greatest(since_ns, $since), until_ns = least(until_ns, $until)', values);
    await connection.run(`delete from js_calls where ${outside}`, values);
    // An interval is kept when it overlaps the window (those the window cuts and the ring
    // covers went above).
    const interval = '(select summary_interval_s::bigint * 1000000000 from traces where traces.trace_id = t.trace_id)';
    for (const table of ['summary_entries', 'js_summary_entries']) {
      await connection.run(`delete from ${table} t where epoch_ns(start) + ${interval} <= $since or epoch_ns(start) >= $until`, values);
    }
    await connection.run(`delete from recorder_cost t where epoch_ns(start) + ${interval} <= $since or epoch_ns(start) >= $until`, values);
  }
  if (f.path !== undefined || f.since !== undefined || f.until !== undefined) {
    await connection.run('delete from summary_hist h where not exists (select 1 from summary_entries e where e.trace_id = h.trace_id and e.entry = h.entry)');
  }
}

/**
 * Summary entries of the intervals the window cuts (an interval that begins before
 * --since or ends after --until) where the raw records count the calls in the window
 * exactly: the ring holds every call from its first event on, so when that event is no
 * later than the part of the interval inside the window, or the raw records (ring and
 * keep ring) hold as many of the interval's calls as its summary counts, the cell is
 * counted from the events in the window alone. The other cut intervals keep their
 * summary, counted whole (an over-count: the calls the ring does not hold show as
 * summarized_only). Runs before the events outside the window are cut away.
 */
async function dropCutSummaries(connection: DuckDBConnection, values: { since: bigint; until: bigint }): Promise<void> {
  await connection.run(`
    create or replace temp table ft_cut_cells as
    with
    raw as (
      select e.trace_id, e.file_id, e.call, count_cell(e.start, t.offset_ns, t.summary_interval_s) as start, count(*) as raw_calls
      from events e join traces t using (trace_id)
      where e.type = ft_t_sync()
      group by all
    ),
    ring as (
      select trace_id, min(epoch_ns(start)) as ring_from
      from (select trace_id, start from events where source = 'ring'
            union all select trace_id, start from events_context where source = 'ring')
      group by all
    ),
    cells as (
      select s.trace_id, s.file_id, s.call, s.start, sum(s.calls) as calls,
        epoch_ns(s.start) as from_ns, epoch_ns(s.start) + t.summary_interval_s::bigint * 1000000000 as to_ns
      from summary_entries s join traces t using (trace_id)
      group by s.trace_id, s.file_id, s.call, s.start, t.summary_interval_s
    )
    select cells.trace_id, cells.file_id, cells.call, cells.start
    from cells
    left join raw using (trace_id, file_id, call, start)
    left join ring using (trace_id)
    where (cells.from_ns < $since or cells.to_ns > $until)
      and cells.to_ns > $since and cells.from_ns < $until
      and (coalesce(raw.raw_calls, 0) >= cells.calls or coalesce(ring.ring_from <= greatest(cells.from_ns, $since), false))`, values);
  await connection.run(`
    delete from summary_entries s where exists (
      select 1 from ft_cut_cells c
      where c.trace_id = s.trace_id and c.file_id = s.file_id and c.call = s.call and c.start = s.start)`);
  await connection.run('drop table ft_cut_cells');
}

/**
 * The newest recorded event's start (ring, keep ring or Node call), ns since the
 * epoch: what a duration (`--since 1s`) counts back from. A summary interval's end
 * is no event (a 60-s interval ends long after a short run's last call), so it
 * counts only when no event was loaded at all (summaries alone: the library's or
 * the Node hook's).
 */
export async function newestNs(connection: DuckDBConnection): Promise<bigint> {
  const r = await connection.runAndReadAll(`
    select coalesce(
      greatest((select max(epoch_ns(start)) from events), (select max(epoch_ns(start)) from js_calls)),
      (select max(epoch_ns(s.start) + t.summary_interval_s::bigint * 1000000000)
        from (select trace_id, start from summary_entries union all select trace_id, start from js_summary_entries) s
        join traces t using (trace_id))
    ) as ns`);
  const v = r.getRows()[0]?.[0];
  return typeof v === 'bigint' ? v : 0n;
}
