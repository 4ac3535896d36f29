/**
 * Options every command shares: where the traces or the database are, and
 * the knobs of the analysis. Values are checked as they are parsed, so a bad
 * one is a usage error before anything is loaded.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { FtError } from '../errors.js';
import { DEFAULT_PARAMS, parseDuration, parseNumber, type AnalysisParams } from '../db/params.js';
import { Session } from '../db/session.js';

export interface LoadOptions {
  db?: string;
  strict?: boolean;
  quiet?: boolean;
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
    .option('-q, --quiet', 'no progress bar');
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

/** Load the traces (or open the kept database), run `fn`, and close. */
export async function withSession<T>(traces: string[], o: LoadOptions, fn: (s: Session) => Promise<T>): Promise<T> {
  const session = await Session.open({ inputs: traces, db: o.db, strict: o.strict, quiet: o.quiet, warn });
  try {
    return await fn(session);
  } finally {
    session.close();
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
