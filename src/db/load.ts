/**
 * Load decoded trace files into the tables of schema.sql, one file at a time:
 * events go in as whole columns (append.ts), so a file's memory is freed as
 * soon as its columns are in the database.
 *
 * A file that cannot be decoded is skipped with a warning, unless `strict`;
 * a torn last record is a warning and the rest of the file is loaded.
 */
import { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { statSync } from 'node:fs';
import { FtError, TraceError } from '../errors.js';
import { CALL_NAMES, EVENT_TYPE_NAMES } from '../trace/layout.js';
import { ColumnAppender } from './append.js';
import { INTERVAL_CALLS, type PreparedTrace } from './prepare.js';
import { progressBar } from './progress.js';
import { preparedTraces } from './source.js';

export interface LoadOptions {
  /** Stop at the first file that cannot be read, rather than skip it. */
  strict?: boolean;
  /** No progress bar. */
  quiet?: boolean;
  /** Where warnings go, one line each. */
  warn: (message: string) => void;
}

export interface LoadResult {
  traces: number;
  events: number;
  /** Files skipped because they could not be read. */
  skipped: number;
  seconds: number;
}

/** Events appended between checkpoints: a few row groups, so the uncompressed part stays small. */
const CHECKPOINT_EVERY = 1_000_000;


export async function loadTraces(connection: DuckDBConnection, files: readonly string[], opts: LoadOptions): Promise<LoadResult> {
  const started = performance.now();
  await loadNames(connection);
  const sizes = files.map((f) => statSync(f, { throwIfNoEntry: false })?.size ?? 0);
  const total = sizes.reduce((a, b) => a + b, 0);
  const progress = progressBar('loading', total, { quiet: opts.quiet });
  const warn = (message: string) => {
    progress?.clear();
    opts.warn(message);
  };
  const sink = await TraceSink.create(connection);
  const failures: TraceError[] = [];
  let done = 0;
  let bytesDone = 0;
  try {
    for await (const p of preparedTraces(files, total)) {
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
    await connection.run('checkpoint');
  } finally {
    progress?.finish();
    sink.close();
  }
  if (sink.traces === 0 && failures.length > 0) throw new FtError(`none of the ${failures.length} trace files could be read`);
  return { traces: sink.traces, events: sink.events, skipped: failures.length, seconds: (performance.now() - started) / 1000 };
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
}

/** The appenders of one load, and the file ids handed out so far. */
class TraceSink {
  traces = 0;
  events = 0;
  private readonly fileIds = new Map<string, number>();
  private sinceCheckpoint = 0;
  private closed = false;

  private constructor(
    private readonly connection: DuckDBConnection,
    private readonly traceRows: DuckDBAppender,
    private readonly pathRows: DuckDBAppender,
    private readonly fileRows: DuckDBAppender,
    private readonly eventColumns: ColumnAppender,
  ) {}

  static async create(connection: DuckDBConnection): Promise<TraceSink> {
    return new TraceSink(
      connection,
      await connection.createAppender('traces'),
      await connection.createAppender('paths'),
      await connection.createAppender('files'),
      await ColumnAppender.create(connection, 'events'),
    );
  }

  async add(trace: PreparedTrace): Promise<void> {
    const traceId = ++this.traces;
    this.addTrace(traceId, trace);
    this.addPaths(traceId, trace);
    if (trace.events > 0) {
      this.eventColumns.append([new Int32Array(trace.events).fill(traceId), ...trace.columns], 0, trace.events);
      this.events += trace.events;
      this.sinceCheckpoint += trace.events;
    }
    if (this.sinceCheckpoint >= CHECKPOINT_EVERY) await this.checkpoint();
  }

  /** Compress what is loaded so far (an in-memory database keeps it uncompressed until then). */
  async checkpoint(): Promise<void> {
    this.eventColumns.flush();
    await this.connection.run('checkpoint');
    this.sinceCheckpoint = 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.traceRows.closeSync();
    this.pathRows.closeSync();
    this.fileRows.closeSync();
    this.eventColumns.close();
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
    a.endRow();
  }

  private addPaths(traceId: number, trace: PreparedTrace): void {
    const host = trace.header.host;
    for (const p of trace.paths) {
      const key = `${host}\0${p.name}`;
      let fileId = this.fileIds.get(key);
      if (fileId === undefined) {
        fileId = this.fileIds.size + 1;
        this.fileIds.set(key, fileId);
        this.fileRows.appendInteger(fileId);
        this.fileRows.appendVarchar(host);
        this.fileRows.appendVarchar(p.name);
        this.fileRows.endRow();
      }
      const a = this.pathRows;
      a.appendInteger(traceId);
      a.appendUInteger(p.id);
      a.appendInteger(fileId);
      a.appendVarchar(p.name);
      a.appendUBigInt(p.dev);
      a.appendUBigInt(p.ino);
      a.endRow();
    }
  }
}
