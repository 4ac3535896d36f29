/**
 * Load decoded trace files into the tables of schema.sql, one file at a time:
 * events go in as whole columns (append.ts), so a file's memory is freed as
 * soon as its columns are in the database.
 *
 * A file that cannot be decoded is skipped with a warning, unless `strict`;
 * a torn last record is a warning and the rest of the file is loaded.
 */
import { DuckDBAppender, DuckDBConnection, DuckDBPendingResultState } from '@duckdb/node-api';
import { setTimeout as sleep } from 'node:timers/promises';
import { FtError, TraceError } from '../errors.js';
import { ALERT_SINK_NAMES, CALL_NAMES, EVENT_TYPE_NAMES, HDR_DISABLED, JS_API_NAMES, STOP_REASONS } from '../trace/layout.js';
import { ColumnAppender, type Column } from './append.js';
import { INTERVAL_CALLS, type PreparedTrace } from './prepare.js';
import { applyRowFilters, headerFiltered, type Filters } from './filter.js';
import { progressBar } from './progress.js';
import { blockAllocatorMemory, DEFAULT_MEMORY } from './knobs.js';
import { programName } from '../trace/program.js';
import { estimateRecords, preparedTraces } from './source.js';
import { errnoName } from './values.js';

export interface LoadOptions {
  /** Stop at the first file that cannot be read, rather than skip it. */
  strict?: boolean;
  /** No progress bar. */
  quiet?: boolean;
  /** Where warnings go, one line each. */
  warn: (message: string) => void;
  /** Only these traces and rows (filter.ts). */
  filters?: Filters;
  /** The --memory budget (knobs.ts). */
  memory?: string;
  /** Events appended between checkpoints (CHECKPOINT_EVERY; tests set a small one). */
  checkpointEvery?: number;
  /** Where the progress goes (progress.ts's bar on stderr; load-thread.ts's to the main thread). */
  progressBar?: typeof progressBar;
}

export interface LoadResult {
  traces: number;
  events: number;
  /** Files skipped because they could not be read. */
  skipped: number;
  seconds: number;
}

/**
 * Events appended between checkpoints: a few row groups, so the uncompressed
 * part stays small. DuckDB's block allocator keeps (keptBlocks) what the load
 * had in use at its peak, the compressed rows so far and the uncompressed
 * ones since the last checkpoint, and each of those pages is faulted in once
 * (several µs each here). 10 M-event set, busy machine, 5 runs each: 1 M rows
 * a checkpoint against 0.5 M, 146,000 page faults against 129,000 and 3 % more
 * CPU (with whole row groups, append.ts: 8 % fewer faults and 4 % less CPU).
 */
export const CHECKPOINT_EVERY = 500_000;
/*
 * DuckDB keeps all its threads during a load. On one thread (tried: the appender's
 * flush then runs where it is called, instead of the main thread polling for its tasks
 * under a mutex) a large load took less CPU on a busy machine, but on a quiet one its
 * wall time grew by a quarter (10 M set, alternating runs: 4.8-5.0 s against 3.6-4.0 s),
 * and the report's by a second.
 */

export async function loadTraces(connection: DuckDBConnection, allFiles: readonly string[], opts: LoadOptions): Promise<LoadResult> {
  const started = performance.now();
  const filters = opts.filters ?? {};
  // Header filters first: a trace of another process is never decoded.
  const files = headerFiltered(allFiles, filters);
  if (files.length === 0) throw new FtError(`none of the ${allFiles.length} trace files matches the filters`);
  await loadNames(connection);
  // Progress counts records (by the headers' counters), not file sizes: traces are sparse.
  const sizes = files.map(estimateRecords);
  const total = sizes.reduce((a, b) => a + b, 0);
  const keep = keptBlocks(total, opts.memory);
  if (keep !== null) await connection.run(`set block_allocator_memory = '${keep}'`);
  const progress = (opts.progressBar ?? progressBar)('loading', total, { quiet: opts.quiet });
  const warn = (message: string) => {
    progress?.clear();
    opts.warn(message);
  };
  const sink = await TraceSink.create(connection, opts.checkpointEvery ?? CHECKPOINT_EVERY);
  const failures: TraceError[] = [];
  let done = 0;
  let bytesDone = 0;
  try {
    for await (const p of preparedTraces(files, sizes, { recycle: true })) {
      if ('error' in p) {
        // A lone file's failure is the error itself, not a warning before it.
        if (opts.strict || files.length === 1) throw p.error;
        failures.push(p.error);
        warn(`${p.error.message} (skipped)`);
      } else {
        await sink.add(p.trace);
        if (p.trace.tornAt !== null) warn(`${p.file}: torn last record at byte ${p.trace.tornAt} ignored; the rest is loaded`);
      }
      bytesDone += sizes[done++]!;
      progress?.update(bytesDone, `${done}/${files.length} files, ${sink.events.toLocaleString('en-US')} events`);
    }
    sink.close();
    await applyRowFilters(connection, filters);
    // The memory the load freed is not handed back to the system here (DuckDB's
    // threads are moved up and back to flush its allocators): that cost ~0.8 s of
    // a 10 M-event load, and once the verdicts were no table, the report's peak
    // was the load's own either way (528 against 542 MB without it).
    await checkpoint(connection);
  } catch (err) {
    // The load's own error, not one from closing appenders whose rows are thrown away.
    try {
      sink.close();
    } catch { /* the load has failed already */ }
    throw err;
  } finally {
    progress?.finish();
  }
  if (sink.traces === 0 && failures.length > 0) throw new FtError(`none of the ${failures.length} trace files could be read`);
  return { traces: sink.traces, events: sink.events, skipped: failures.length, seconds: (performance.now() - started) / 1000 };
}

/**
 * CHECKPOINT, with no thread spinning while it runs. `connection.run` waits in a
 * thread of libuv's pool that asks DuckDB for a task in a tight loop, and a
 * checkpoint mostly has none to give it (DuckDB's own thread takes the query and
 * compresses the row groups): on two cores that loop took CPU from the
 * compression and the decode worker (3 % of a 10 M-event load's samples, 9 % of
 * a load without decoding). Here the main thread, idle during a checkpoint
 * anyway, runs the tasks the query has and otherwise sleeps a millisecond.
 */
async function checkpoint(connection: DuckDBConnection): Promise<void> {
  const pending = await connection.start('checkpoint');
  for (let state; (state = pending.runTask()) !== DuckDBPendingResultState.RESULT_READY;) {
    if (state === DuckDBPendingResultState.NO_TASKS_AVAILABLE) await sleep(1);
  }
  await pending.getResult();
}

/**
 * What DuckDB's block allocator keeps for a load of `records` (null: nothing).
 * A load that checkpoints frees and makes blocks at each checkpoint: kept (a
 * quarter of the budget), they are not faulted in afresh, which was 9-11 % of
 * a 10 M-event load. A smaller load would only pay for faulting in what is
 * kept (4,000 traces of 20 events, info: +0.25 s and +100 MB, 2.55 -> 2.8 s).
 * Synthetic sets (100,000-250,000 events a trace), load alone, without and
 * with keeping, 4-14 alternating runs each at load 5-13: 0.6 M events +6,000
 * minor faults (+12 %) and +10 MB, CPU no better; 1 M and 2 M +5,000-14,000
 * faults and +20-50 MB, CPU the same (median 2.5 against 2.4 s, 3.35 against
 * 3.4 s); 5 M 5.0 against 5.8 s of CPU (4 runs each, every one lower), +20-60 MB.
 */
export const KEEP_BLOCKS_FROM = 3_000_000;

export function keptBlocks(records: number, memory = DEFAULT_MEMORY): string | null {
  return records >= KEEP_BLOCKS_FROM ? blockAllocatorMemory(memory) : null;
}

/** The lookup tables of call kinds and event types. */
async function loadNames(connection: DuckDBConnection): Promise<void> {
  const calls = await connection.createAppender('calls');
  CALL_NAMES.forEach((name, call) => {
    if (call === 0) return;
    calls.appendUTinyInt(call);
    calls.appendVarchar(name);
    calls.appendBoolean(INTERVAL_CALLS.has(name));
    calls.endRow();
  });
  calls.closeSync();
  const types = await connection.createAppender('event_types');
  for (const [type, name] of Object.entries(EVENT_TYPE_NAMES)) {
    types.appendUTinyInt(Number(type));
    types.appendVarchar(name);
    types.endRow();
  }
  types.closeSync();
  const apis = await connection.createAppender('js_apis');
  JS_API_NAMES.forEach((name, api) => {
    if (api === 0) return;
    apis.appendUTinyInt(api);
    apis.appendVarchar(name);
    apis.appendVarchar(`js:${name}`);
    apis.appendVarchar(jsApiForm(name));
    apis.appendBoolean(/write|append/i.test(name));
    apis.appendVarchar(/datasync/i.test(name) ? 'fdatasync' : 'fsync');
    apis.endRow();
  });
  apis.closeSync();
}

/** How a Node API hands back its result: 'sync', 'stream', 'promise' or 'callback'. */
function jsApiForm(name: string): string {
  if (name.endsWith('Sync')) return 'sync';
  if (name.endsWith('Stream')) return 'stream';
  if (name.startsWith('filehandle.') || name.startsWith('fs.promises.')) return 'promise';
  return 'callback';
}

/**
 * An Int32Array reused from one trace to the next (the appender copies what it
 * is given at once), so the loader allocates nothing per trace for its columns.
 */
class Scratch {
  private array = new Int32Array(1024);

  /** The first n elements, contents undefined. */
  take(n: number): Int32Array {
    if (this.array.length < n) this.array = new Int32Array(Math.max(n, 2 * this.array.length));
    return this.array.subarray(0, n);
  }
}

/** The appenders of one load, and the file ids handed out so far. */
class TraceSink {
  traces = 0;
  events = 0;
  private readonly fileIds = new Map<string, number>();
  /** The trace_id column, and the file ids of the rows being appended. */
  private readonly traceIdColumn = new Scratch();
  private readonly fileIdColumn = new Scratch();
  private sinceCheckpoint = 0;
  private closed = false;

  private constructor(
    private readonly connection: DuckDBConnection,
    private readonly checkpointEvery: number,
    private readonly traceRows: DuckDBAppender,
    private readonly pathRows: DuckDBAppender,
    private readonly fileRows: DuckDBAppender,
    private readonly eventColumns: ColumnAppender,
    private readonly summaryColumns: ColumnAppender,
    private readonly histColumns: ColumnAppender,
    private readonly costColumns: ColumnAppender,
    private readonly jsColumns: ColumnAppender,
    private readonly siteRows: DuckDBAppender,
    private readonly jsSummaryColumns: ColumnAppender,
  ) {}

  static async create(connection: DuckDBConnection, checkpointEvery: number): Promise<TraceSink> {
    return new TraceSink(
      connection,
      checkpointEvery,
      await connection.createAppender('traces'),
      await connection.createAppender('paths'),
      await connection.createAppender('files'),
      await ColumnAppender.create(connection, 'events'),
      await ColumnAppender.create(connection, 'summary_entries'),
      await ColumnAppender.create(connection, 'summary_hist'),
      await ColumnAppender.create(connection, 'recorder_cost'),
      await ColumnAppender.create(connection, 'js_calls'),
      await connection.createAppender('js_sites'),
      await ColumnAppender.create(connection, 'js_summary_entries'),
    );
  }

  async add(trace: PreparedTrace): Promise<void> {
    const traceId = ++this.traces;
    this.addTrace(traceId, trace);
    const fileOf = this.addPaths(traceId, trace);
    const rows = (to: ColumnAppender, n: number, columns: Column[], pathColumn?: number, withPathId = false) => {
      if (n === 0) return;
      const out = [this.traceIdColumn.take(n).fill(traceId), ...columns];
      if (pathColumn !== undefined) {
        const fileIds = withFileIds(columns[pathColumn] as Uint32Array, fileOf, this.fileIdColumn.take(n));
        // The file id replaces the path id, or (summaries) follows it.
        out.splice(1 + pathColumn + (withPathId ? 1 : 0), withPathId ? 0 : 1, fileIds);
      }
      to.append(out, 0, n);
    };
    rows(this.eventColumns, trace.events, trace.columns, EVENT_PATH_COLUMN);
    rows(this.eventColumns, trace.kept, trace.keptColumns, EVENT_PATH_COLUMN);
    this.events += trace.events + trace.kept;
    this.sinceCheckpoint += trace.events + trace.kept;
    rows(this.summaryColumns, trace.summaries, trace.summaryColumns, SUMMARY_PATH_COLUMN, true);
    rows(this.jsSummaryColumns, trace.jsSummaries, trace.jsSummaryColumns, SUMMARY_PATH_COLUMN, true);
    rows(this.histColumns, trace.histRows, trace.histColumns);
    rows(this.costColumns, trace.costRows, trace.costColumns);
    if (trace.js > 0) {
      rows(this.jsColumns, trace.js, trace.jsColumns, JS_PATH_COLUMN);
      this.addSites(traceId, trace);
    }
    if (this.sinceCheckpoint >= this.checkpointEvery) await this.checkpoint();
  }

  /**
   * Compress what is loaded so far (an in-memory database keeps it uncompressed
   * until then): the whole row groups the appender handed over, while the rows
   * after them wait in it for the rest of their row group (append.ts).
   */
  async checkpoint(): Promise<void> {
    await checkpoint(this.connection);
    this.sinceCheckpoint = 0;
  }

  /** Close every appender, even when one fails (the first failure is thrown). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeEach([
      () => this.traceRows.closeSync(),
      () => this.pathRows.closeSync(),
      () => this.fileRows.closeSync(),
      () => this.eventColumns.close(),
      () => this.summaryColumns.close(),
      () => this.histColumns.close(),
      () => this.costColumns.close(),
      () => this.jsColumns.close(),
      () => this.siteRows.closeSync(),
      () => this.jsSummaryColumns.close(),
    ]);
  }

  /** The call sites the trace's Node calls name. */
  private addSites(traceId: number, trace: PreparedTrace): void {
    const names = new Map(trace.paths.map((p) => [p.id, p.name]));
    for (const id of new Set(jsSiteIds(trace))) {
      const site = names.get(id);
      if (id === 0 || site === undefined) continue;
      this.siteRows.appendInteger(traceId);
      this.siteRows.appendUInteger(id);
      this.siteRows.appendVarchar(site);
      this.siteRows.endRow();
    }
  }

  private addTrace(traceId: number, { file, size, header: h, stats, offsetNs }: PreparedTrace): void {
    const a = this.traceRows;
    a.appendInteger(traceId);
    a.appendVarchar(file);
    a.appendBigInt(BigInt(size));
    a.appendVarchar(h.host);
    a.appendVarchar(h.bootId);
    a.appendInteger(h.pid | 0);
    a.appendInteger(h.ppid | 0);
    a.appendBigInt(BigInt(h.uid));
    a.appendVarchar(h.exe);
    a.appendVarchar(h.cmdline.join(' '));
    a.appendBoolean(h.cmdlineTruncated);
    a.appendInteger(h.flags | 0);
    a.appendVarchar(h.recorderVersion);
    a.appendBigInt(BigInt(h.ringSlots));
    a.appendBigInt(BigInt.asIntN(64, h.nextSeq));
    a.appendBigInt(BigInt.asIntN(64, h.dropped));
    a.appendBigInt(BigInt.asIntN(64, h.maxBytes));
    a.appendBigInt(BigInt.asIntN(64, h.realtimeNs));
    a.appendBigInt(BigInt.asIntN(64, h.monotonicNs));
    a.appendBigInt(BigInt.asIntN(64, offsetNs));
    a.appendBigInt(BigInt(stats.records));
    a.appendBigInt(BigInt(stats.events));
    a.appendInteger(stats.torn);
    a.appendInteger(stats.incompletePaths);
    a.appendInteger(stats.unnamedEvents);
    a.appendInteger(stats.newerThanHeader);
    a.appendInteger(h.version);
    a.appendInteger(h.summary ? h.summaryIntervalS : 0);
    a.appendBigInt(BigInt(stats.keptEvents ?? 0));
    a.appendBigInt(BigInt(stats.keptInRing ?? 0));
    a.appendBigInt(BigInt(stats.summaryEntries ?? 0));
    a.appendBigInt(BigInt(stats.incompleteEntries ?? 0));
    a.appendBigInt(BigInt.asIntN(64, h.namesDropped));
    a.appendBigInt(BigInt.asIntN(64, h.alerts));
    a.appendBigInt(BigInt.asIntN(64, h.alertsSuppressed));
    a.appendInteger(h.alertMs | 0);
    a.appendInteger(h.alertFactor | 0);
    a.appendVarchar(ALERT_SINK_NAMES[h.alertSink] ?? String(h.alertSink));
    a.appendVarchar(programName(h));
    const stopped = (h.flags & HDR_DISABLED) !== 0;
    if (stopped) a.appendVarchar(`${STOP_REASONS[h.stopReason] || 'recording stopped'}${h.stopErrno ? ` (${errnoName(h.stopErrno)})` : ''}`);
    else a.appendNull();
    a.appendBigInt(BigInt.asIntN(64, h.alertsUnsent));
    a.appendBigInt(BigInt.asIntN(64, h.dirRemoved));
    a.appendBigInt(BigInt.asIntN(64, h.dirRemovedBytes));
    a.endRow();
  }

  /** The file id of a host's path, made on first sight. */
  private fileId(host: string, path: string, dev: bigint | null): number {
    const key = `${host}\0${dev === null ? '' : 'n'}${path}`;
    let fileId = this.fileIds.get(key);
    if (fileId !== undefined) return fileId;
    fileId = this.fileIds.size + 1;
    this.fileIds.set(key, fileId);
    const a = this.fileRows;
    a.appendInteger(fileId);
    a.appendVarchar(host);
    a.appendVarchar(path);
    if (dev === null) a.appendNull();
    else a.appendUBigInt(dev);
    a.appendBoolean(dev !== null);
    a.endRow();
    return fileId;
  }

  /** The trace's path table, and a function from its path ids to file ids (the host's unknown file for the rest). */
  private addPaths(traceId: number, trace: PreparedTrace): (pathId: number) => number {
    const host = trace.header.host;
    // Indexed by path id (small integers from 1 in what the recorder writes: V8 keeps them as a
    // plain array, a Map's hashing cost a large load's main thread 2 % of its samples).
    const byPath: number[] = [];
    const sites = new Set(jsSiteIds(trace));
    for (const p of trace.paths) {
      // A call site is a name in the names region, not a file (js_sites).
      if (sites.has(p.id) && p.dev === 0n && p.ino === 0n) continue;
      const fileId = this.fileId(host, p.name, p.dev);
      byPath[p.id] = fileId;
      const a = this.pathRows;
      a.appendInteger(traceId);
      a.appendUInteger(p.id);
      a.appendInteger(fileId);
      a.appendVarchar(p.name);
      a.appendUBigInt(p.dev);
      a.appendUBigInt(p.ino);
      a.endRow();
    }
    let unknown = 0;
    return (pathId) => byPath[pathId] ?? (unknown ||= this.fileId(host, '(unknown)', null));
  }
}

/** Call every one of `closers`, even after one throws; then throw the first error. */
export function closeEach(closers: ReadonlyArray<() => void>): void {
  let failure: { error: unknown } | null = null;
  for (const close of closers) {
    try {
      close();
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure !== null) throw failure.error;
}

/** Where the path id sits in the prepared event and summary columns (trace_id aside). */
const EVENT_PATH_COLUMN = 8;
const SUMMARY_PATH_COLUMN = 2;
const JS_PATH_COLUMN = 7;
const JS_SITE_COLUMN = 10;

function jsSiteIds(trace: PreparedTrace): Uint32Array {
  return trace.js > 0 ? (trace.jsColumns[JS_SITE_COLUMN] as Uint32Array) : new Uint32Array(0);
}

/** The file ids of `pathIds`, written into `fileIds`: one numeric lookup per distinct run of ids. */
function withFileIds(pathIds: Uint32Array, fileOf: (pathId: number) => number, fileIds: Int32Array): Int32Array {
  let lastPath = -1;
  let lastFile = 0;
  for (let i = 0; i < pathIds.length; i++) {
    const p = pathIds[i]!;
    if (p !== lastPath) {
      lastPath = p;
      lastFile = fileOf(p);
    }
    fileIds[i] = lastFile;
  }
  return fileIds;
}
