/**
 * Export the loaded tables and the analysis to files other tools read:
 * Parquet and CSV through DuckDB's COPY, Arrow IPC through apache-arrow
 * (arrow.ts). Files are written into a staging directory beside the target
 * and moved in only once all are complete, so a failed export leaves no half
 * of itself behind.
 */
import { quotedIdentifier } from '@duckdb/node-api';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FtError } from '../errors.js';
import { writeArrow } from './arrow.js';
import { diskFull } from './disk.js';
import type { Bindings } from './queries.js';
import type { Session } from './session.js';
import { num } from './values.js';

export type ExportFormat = 'parquet' | 'csv' | 'arrow';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['parquet', 'csv', 'arrow'];

/** Loaded tables, then the analysis queries worth keeping (the Node hook's: js_*). */
export const EXPORT_TABLES = [
  'traces', 'files', 'paths', 'events', 'calls', 'summary_hist', 'recorder_cost', 'js_calls', 'js_sites', 'js_apis',
  'intervals', 'baselines', 'outliers', 'incidents', 'file_stats', 'summaries', 'daily', 'alerts', 'js_waits', 'js_counts',
] as const;
const LOADED = new Set(['traces', 'files', 'paths', 'events', 'calls', 'summary_hist', 'recorder_cost', 'js_calls', 'js_sites', 'js_apis']);

/** Tables with a host and a start that can be split into host=/day= directories. */
const PARTITIONABLE: Record<string, string> = {
  events: "select events.*, traces.host, strftime(events.start, '%Y-%m-%d') as day from events join traces using (trace_id)",
  intervals: "select *, strftime(start, '%Y-%m-%d') as day from intervals",
  summaries: "select *, strftime(start, '%Y-%m-%d') as day from summaries",
};

export interface ExportOptions {
  format: ExportFormat;
  dir: string;
  tables: readonly string[];
  /** Parquet only: events, intervals and summaries as host=H/day=D/ directories (Hive partitioning). */
  partition?: boolean;
}

export interface Exported {
  table: string;
  /** File (or, partitioned, directory) name within the target directory. */
  name: string;
  rows: number;
}

export async function exportTables(session: Session, bindings: Bindings, o: ExportOptions): Promise<Exported[]> {
  for (const t of o.tables) {
    if (!(EXPORT_TABLES as readonly string[]).includes(t)) {
      throw new FtError(`cannot export '${t}': the tables are ${EXPORT_TABLES.join(', ')}`);
    }
  }
  if (o.partition && o.format !== 'parquet') throw new FtError('--partition needs --format parquet');
  await session.build(o.tables.filter((t) => !LOADED.has(t)), bindings);
  // The first directory this made, if any: a failed export removes it again.
  const made = makeDir(o.dir, o.dir);
  let staging: string | undefined;
  try {
    try {
      staging = mkdtempSync(join(o.dir, '.export-'));
    } catch (err) {
      throw outError(o.dir, err);
    }
    const done: Exported[] = [];
    for (const table of o.tables) done.push(await exportOne(session, table, staging, o));
    for (const name of readdirSync(staging)) {
      rmSync(join(o.dir, name), { recursive: true, force: true });
      renameSync(join(staging, name), join(o.dir, name));
    }
    return done;
  } catch (err) {
    if (made !== undefined) rmSync(made, { recursive: true, force: true });
    // A file that did not fit is named by the directory asked for, not the staging one it was in.
    throw diskFull(err, o.dir) ?? err;
  } finally {
    if (staging !== undefined) rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Make the target directory and its missing parents; returns the first one it made (none: the
 * target was there). Not mkdirSync's `recursive`: on a path the kernel refuses with ENOENT
 * whatever its parents (/proc/x) it retries for ever.
 */
function makeDir(dir: string, target: string): string | undefined {
  try {
    mkdirSync(dir);
    return dir;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      // A dangling symbolic link, or a loop of them, is there but cannot be followed.
      let isDir: boolean;
      try {
        isDir = statSync(dir).isDirectory();
      } catch (statErr) {
        throw outError(target, statErr);
      }
      if (isDir) return undefined;
      throw new FtError(`${dir === target ? dir : `${target}: ${dir}`}: not a directory`);
    }
    if (code !== 'ENOENT' || dirname(dir) === dir) throw outError(target, err);
  }
  const made = makeDir(dirname(dir), target);
  try {
    mkdirSync(dir);
  } catch (err) {
    if (made !== undefined) rmSync(made, { recursive: true, force: true });
    throw outError(target, err);
  }
  return made ?? dir;
}

/** A user's mistake in -o as a one-line error; anything else as it is. */
function outError(dir: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (!code) return err as Error;
  const full = diskFull(err, dir);
  if (full) return full;
  const why: Record<string, string> = { EACCES: 'permission denied', ENOENT: 'no such file or directory', ENOTDIR: 'not a directory', EROFS: 'read-only file system', ELOOP: 'too many levels of symbolic links' };
  return new FtError(`${dir}: cannot write the export (${why[code] ?? code})`);
}

async function exportOne(session: Session, table: string, staging: string, o: ExportOptions): Promise<Exported> {
  const all = `select * from ${quotedIdentifier(table)}`;
  if (o.format === 'arrow') {
    const name = `${table}.arrow`;
    return { table, name, rows: await writeArrow(session.connection, all, join(staging, name)) };
  }
  const partitioned = o.partition === true && PARTITIONABLE[table] !== undefined;
  const name = partitioned ? table : `${table}.${o.format}`;
  const source = partitioned ? PARTITIONABLE[table]! : all;
  const options = o.format === 'csv'
    ? 'format csv, header true'
    : `format parquet, compression zstd${partitioned ? ', partition_by (host, day)' : ''}`;
  const [r] = await session.rows(`copy (${source}) to $file (${options})`, { file: join(staging, name) });
  return { table, name, rows: num(r?.Count) };
}
