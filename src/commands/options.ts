/**
 * Options every command shares: where the traces or the database are, and
 * the knobs of the analysis. Values are checked as they are parsed, so a bad
 * one is a usage error before anything is loaded.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { FtError } from '../errors.js';
import { DEFAULT_MEMORY, DEFAULT_PARAMS, DUCKDB_SHARE, memoryBytes, parseDuration, parseNumber, type AnalysisParams } from '../db/knobs.js';
import type { Session } from '../db/session.js';
import { parseTime, type Filters } from '../db/filter.js';

export interface LoadOptions {
  db?: string;
  strict?: boolean;
  quiet?: boolean;
  memory?: string;
  since?: string;
  until?: string;
  pid?: number[];
  exe?: string;
  path?: string;
  host?: string;
}

export interface AnalysisOptions {
  window?: number;
  threshold?: number;
  factor?: number;
  floor?: number;
  minHistory?: number;
  gap?: number;
  volumeRatio?: number;
}

/** A commander argument parser from one of ours: an FtError becomes a usage error. */
function parser<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (err) {
      if (err instanceof FtError) throw new InvalidArgumentError(err.message);
      throw err;
    }
  };
}

export function withLoadOptions(cmd: Command): Command {
  return cmd
    .option('--db <file>', 'keep the loaded database in FILE; with no traces named, read the one kept there')
    .option('--strict', 'stop at the first trace file that cannot be read (default: warn and skip it)')
    .option('-q, --quiet', 'no progress on stderr')
    .addOption(new Option('--memory <size>', `memory budget, e.g. 512MB, 4GB: DuckDB's limit is ${DUCKDB_SHARE * 100}% of it; past that, work spills to a temporary directory (default ${DEFAULT_MEMORY})`)
      .argParser(parser(parseMemory)))
    .addOption(new Option('--since <time>', 'only calls from this time on: ISO 8601 (UTC unless it says), or a duration back from the newest event (2h)')
      .argParser(parser((v) => (parseTime(v, '--since'), v))))
    .addOption(new Option('--until <time>', 'only calls before this time: as --since')
      .argParser(parser((v) => (parseTime(v, '--until'), v))))
    .addOption(new Option('--pid <pid>', 'only this process (repeatable); other traces are not decoded')
      .argParser((v: string, prev: number[] | undefined) => [...(prev ?? []), pidNumber(v)]))
    .option('--exe <name>', 'only processes of this executable (its path or file name, or the name it ran as)')
    .option('--path <glob>', "only files whose path matches: a glob ('*' within a directory, '**' across; a pattern without '/' matches anywhere), or text the path contains")
    .option('--host <name>', 'only traces recorded on this host');
}

/** A memory size: a number and a unit (KB, MB, GB, TB, KiB, MiB, GiB, TiB). */
function parseMemory(text: string): string {
  if (memoryBytes(text) === null) throw new FtError(`--memory: not a size: '${text}' (expected e.g. 512MB or 4GB)`);
  return text.trim();
}

function pidNumber(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a process id, not '${text}'`);
  return n;
}

/** The filters of a command's options (db/filter.ts). */
export function filtersOf(o: LoadOptions): Filters {
  return { since: o.since, until: o.until, pids: o.pid, exe: o.exe, path: o.path, host: o.host };
}

export function withAnalysisOptions(cmd: Command): Command {
  const d = DEFAULT_PARAMS;
  return cmd
    .addOption(new Option('--window <duration>', `how far back a sync's baseline looks (default ${d.windowSeconds / 60}m)`)
      .argParser(parser((v) => positive(parseDuration(v), '--window'))))
    .addOption(new Option('--threshold <ms>', `every sync at least this slow is an outlier (default ${d.thresholdMs})`)
      .argParser(parser((v) => parseDuration(v, 'ms'))))
    .addOption(new Option('--factor <k>', `a sync is slow at k times its baseline's p99 (default ${d.factor})`)
      .argParser(parser((v) => parseNumber(v, '--factor', 1))))
    .addOption(new Option('--floor <ms>', `... and at least this slow (default ${d.floorMs} ms)`)
      .argParser(parser((v) => parseDuration(v, 'ms'))))
    .addOption(new Option('--min-history <n>', `syncs a baseline needs; a file family with fewer is not judged (default ${d.minHistory})`)
      .argParser(parser((v) => Math.round(parseNumber(v, '--min-history', 1)))))
    .addOption(new Option('--gap <duration>', `outliers on one device closer than this form one incident (default ${d.gapSeconds}s)`)
      .argParser(parser((v) => parseDuration(v))))
    .addOption(new Option('--volume-ratio <r>', `a slow sync that flushed r times the usual bytes, and is no slower per byte, is 'write-volume' (default ${d.volumeRatio})`)
      .argParser(parser((v) => parseNumber(v, '--volume-ratio', 1))));
}

function positive(n: number, what: string): number {
  if (!(n > 0)) throw new FtError(`${what} must be more than 0`);
  return n;
}

export function analysisParams(o: AnalysisOptions): AnalysisParams {
  const d = DEFAULT_PARAMS;
  return {
    windowSeconds: o.window ?? d.windowSeconds,
    thresholdMs: o.threshold ?? d.thresholdMs,
    factor: o.factor ?? d.factor,
    floorMs: o.floor ?? d.floorMs,
    minHistory: o.minHistory ?? d.minHistory,
    gapSeconds: o.gap ?? d.gapSeconds,
    volumeRatio: o.volumeRatio ?? d.volumeRatio,
  };
}

export function warn(message: string): void {
  process.stderr.write(`fsync-analyze: warning: ${message}\n`);
}

/**
 * Load the traces (or open the kept database), run `fn`, and close. A full
 * file system on the way (DuckDB's spill files, a kept database's log, a file
 * a query writes) is the user's one-line error (disk.ts).
 */
export async function withSession<T>(traces: string[], o: LoadOptions, fn: (s: Session) => Promise<T>): Promise<T> {
  const { Session } = await import('../db/session.js');
  const { diskFull } = await import('../db/disk.js');
  try {
    const session = await Session.open({ inputs: traces, db: o.db, strict: o.strict, quiet: o.quiet, warn, filters: filtersOf(o), memory: o.memory });
    try {
      const { phase } = await import('../db/progress.js');
      return await phase('analysis', { quiet: o.quiet }, () => fn(session));
    } finally {
      session.close();
    }
  } catch (err) {
    throw diskFull(err) ?? err;
  }
}

/** Write to stdout and wait until it is taken, so a large output is not cut at exit. */
export function out(text: string): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(text)) resolve();
    else process.stdout.once('drain', resolve);
  });
}

/**
 * Rows to show: `--limit N`, where 0 means all; without it, all in JSON and
 * the first `tableRows` in a table.
 */
export function rowLimit(limit: number | undefined, json: boolean | undefined, tableRows: number): number | undefined {
  if (limit === 0) return undefined;
  return limit ?? (json ? undefined : tableRows);
}
