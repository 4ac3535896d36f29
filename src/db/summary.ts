/**
 * The per-file and whole-set statistics (queries/50_file_stats.sql,
 * 55_totals.sql) and the list of traces (60_trace_info.sql), read back as
 * plain objects.
 */
import type { JS } from '@duckdb/node-api';
import type { Bindings } from './queries.js';
import type { Session } from './session.js';
import { isoFromNs, num, record } from './values.js';

export interface FileSummary {
  host: string;
  path: string;
  calls: number;
  byKind: Record<string, number>;
  errors: number;
  bytes: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Calls the raw ring holds (the recent detail); the rest are only summarized (format v2). */
  ringCalls: number;
  summarizedCalls: number;
  /** p50/p99 read off summary histograms (within 1.22x) rather than exact. */
  approximate: boolean;
}

export interface Totals {
  calls: number;
  byKind: Record<string, number>;
  errors: number;
  files: number;
  processes: number;
  hosts: number;
  traces: number;
  /** First sync's start and last sync's end, ISO 8601; null without syncs. */
  start: string | null;
  end: string | null;
  /** Format v2: calls the raw rings hold, calls only the keep rings hold. */
  ringCalls: number;
  keptCalls: number;
  /** Alert lines the recorders wrote and did not write (header counters), and alerted calls loaded. */
  alertsWritten: number;
  alertsSuppressed: number;
  /** Of the suppressed, lines no sink could take; traces whose lines went to the fallback file. */
  alertsUnsent: number;
  alertsFallback: number;
  alertCalls: number;
  /** The summarized history, ISO 8601; null without summaries. */
  historyStart: string | null;
  historyEnd: string | null;
  /** Calls known from the summaries alone; calls the traces prove happened but can no longer count. */
  summarizedOnly: number;
  unaccounted: number;
  /** Ring records rotated away (their calls counted from summaries where there are some). */
  overwritten: number;
  /** Of those, records in traces with no summaries (v1, summaries off): their calls are in no count; and those traces. */
  uncountedRecords: number;
  uncountedTraces: number;
}

export interface TraceInfo {
  file: string;
  host: string;
  bootId: string;
  pid: number;
  ppid: number;
  exe: string;
  cmdline: string;
  /** The program's name as users know it (comm), beside the resolved exe. */
  name: string;
  /** Why the recorder stopped recording; null when it did not. */
  stopped: string | null;
  records: number;
  events: number;
  syncs: number;
  dropped: number;
  torn: number;
  start: string | null;
  end: string | null;
  version: number;
  /** Events only the keep ring holds. */
  kept: number;
  alerts: number;
  alertsSuppressed: number;
  /** Summary intervals (per file and kind), and the history they span. */
  summaries: number;
  historyStart: string | null;
  historyEnd: string | null;
  summaryIntervalS: number;
  costEntries: number;
  /** Ring records rotated away; sync calls (exact), of them only summarized, and unaccounted. */
  overwritten: number;
  calls: number;
  summarizedOnly: number;
  unaccounted: number;
  /** Ring records overwritten where no summary counts them (v1, summaries off): their calls are in no count. */
  uncountedRecords: number;
  /** Written kernel-side (fsync-record --kernel; header flag 8). */
  kernel: boolean;
  /** Alert lines no sink could take. */
  alertsUnsent: number;
  /** Traces of ended processes this one removed for the directory's budget, and their bytes. */
  dirRemoved: number;
  dirRemovedBytes: number;
  /** The Node hook's calls, exact (queries/59_js_counts.sql), those the raw ring still holds, and calls per kind. */
  jsCalls: number;
  jsInRing: number;
  jsByKind: Record<string, number>;
}

/** A file's Node calls (queries/58_js_files.sql): JavaScript-level calls are not sync calls. */
export interface JsFile {
  host: string;
  path: string;
  calls: number;
  byKind: Record<string, number>;
  errors: number;
  waitP50Ms: number;
  waitP99Ms: number;
  /** Calls left unpaired: their run held syncs of the file no Node call asked for (js_waits.ambiguous). */
  ambiguous: number;
}

/** The columns every per-file row shares: which file, and its counts. */
function fileCounts(r: Record<string, JS>): Pick<JsFile, 'host' | 'path' | 'calls' | 'byKind' | 'errors'> {
  return { host: String(r.host), path: String(r.path), calls: num(r.calls), byKind: record(r.by_kind), errors: num(r.errors) };
}

/** Per file, the Node hook's calls; empty without any. */
export async function jsFiles(session: Session, bindings: Bindings): Promise<JsFile[]> {
  await session.build(['js_files'], bindings);
  const rows = await session.rows('select * from js_files order by host, path');
  return rows.map((r) => ({
    ...fileCounts(r),
    waitP50Ms: num(r.wait_p50_ms),
    waitP99Ms: num(r.wait_p99_ms),
    ambiguous: num(r.ambiguous),
  }));
}

/** Files, slowest p99 first. */
export async function fileSummaries(session: Session, bindings: Bindings): Promise<FileSummary[]> {
  await session.build(['file_stats'], bindings);
  const rows = await session.rows('select * from file_stats order by p99_ms desc, host, path');
  return rows.map((r) => ({
    ...fileCounts(r),
    bytes: num(r.bytes),
    p50Ms: num(r.p50_ms),
    p99Ms: num(r.p99_ms),
    maxMs: num(r.max_ms),
    ringCalls: num(r.ring_calls),
    summarizedCalls: num(r.summarized_calls),
    approximate: Boolean(r.approximate),
  }));
}

export async function totals(session: Session, bindings: Bindings): Promise<Totals> {
  await session.build(['totals'], bindings);
  const [r] = await session.rows(
    'select *, epoch_ns(first_start) as start_ns, epoch_ns(last_end) as end_ns, epoch_ns(history_start) as hs_ns, epoch_ns(history_end) as he_ns from totals');
  return {
    calls: num(r!.calls),
    byKind: record(r!.by_kind),
    errors: num(r!.errors),
    files: num(r!.files),
    processes: num(r!.processes),
    hosts: num(r!.hosts),
    traces: num(r!.traces),
    start: isoFromNs(r!.start_ns),
    end: isoFromNs(r!.end_ns),
    ringCalls: num(r!.ring_calls),
    keptCalls: num(r!.kept_calls),
    alertsWritten: num(r!.alerts_written),
    alertsSuppressed: num(r!.alerts_suppressed),
    alertsUnsent: num(r!.alerts_unsent),
    alertsFallback: num(r!.alerts_fallback),
    alertCalls: num(r!.alert_calls),
    historyStart: isoFromNs(r!.hs_ns),
    historyEnd: isoFromNs(r!.he_ns),
    summarizedOnly: num(r!.summarized_only),
    unaccounted: num(r!.unaccounted),
    overwritten: num(r!.overwritten),
    uncountedRecords: num(r!.uncounted_records),
    uncountedTraces: num(r!.uncounted_traces),
  };
}

export async function traceInfo(session: Session, bindings: Bindings): Promise<TraceInfo[]> {
  await session.build(['trace_info'], bindings);
  const rows = await session.rows(
    'select *, epoch_ns(start) as start_ns, epoch_ns(finish) as end_ns, epoch_ns(history_start) as hs_ns, epoch_ns(history_end) as he_ns from trace_info order by trace_id');
  return rows.map((r) => ({
    file: String(r.file),
    host: String(r.host),
    bootId: String(r.boot_id),
    pid: num(r.pid),
    ppid: num(r.ppid),
    exe: String(r.exe),
    cmdline: String(r.cmdline),
    name: String(r.name),
    stopped: r.stopped === null ? null : String(r.stopped),
    records: num(r.records),
    events: num(r.events),
    syncs: num(r.syncs),
    dropped: num(r.dropped),
    torn: num(r.torn),
    start: isoFromNs(r.start_ns),
    end: isoFromNs(r.end_ns),
    version: num(r.version),
    kept: num(r.kept),
    alerts: num(r.alerts),
    alertsSuppressed: num(r.alerts_suppressed),
    summaries: num(r.summaries),
    historyStart: isoFromNs(r.hs_ns),
    historyEnd: isoFromNs(r.he_ns),
    summaryIntervalS: num(r.summary_interval_s),
    costEntries: num(r.cost_entries),
    overwritten: num(r.overwritten),
    calls: num(r.calls),
    summarizedOnly: num(r.summarized_only),
    unaccounted: num(r.unaccounted),
    uncountedRecords: num(r.uncounted_records),
    kernel: Boolean(r.kernel),
    alertsUnsent: num(r.alerts_unsent),
    dirRemoved: num(r.dir_removed),
    dirRemovedBytes: num(r.dir_removed_bytes),
    jsCalls: num(r.js_calls),
    jsInRing: num(r.js_in_ring),
    jsByKind: r.js_by_kind === null ? {} : record(r.js_by_kind),
  }));
}

/** How many hosts the traces come from: with more than one, a path alone does not name a file. */
export async function hostCount(session: Session): Promise<number> {
  const [r] = await session.rows('select count(distinct host) as n from traces');
  return num(r!.n);
}
