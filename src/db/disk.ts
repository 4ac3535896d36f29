/**
 * A full file system, as the user is told about it: one line naming the file
 * that could not be written (or the directory DuckDB spills to), not an
 * internal error. DuckDB says "Could not write file "PATH": No space left on
 * device" when a write fails, and "failed to offload data block" when its
 * spill files would outgrow max_temp_directory_size, which it sets by default
 * to 90 % of the space free where they go; Node's fs says ENOSPC.
 */
import { tmpdir } from 'node:os';
import { FtError } from '../errors.js';

/** Where DuckDB's spill directories are made (connect.ts makeSpillDir); FSYNC_ANALYZE_TMPDIR is for tests. */
export function spillRoot(): string {
  return process.env.FSYNC_ANALYZE_TMPDIR ?? tmpdir();
}

const FULL: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
};
/** DuckDB's text of those (strerror's), and the file it names. */
const DUCKDB_FULL = /file "([^"]*)": (No space left on device|Disk quota exceeded)/;
const DUCKDB_SPILL_FULL = /failed to offload data block/;
/** DuckDB's spill files (duckdb_temp_storage_DEFAULT-0.tmp, ...), in a directory of makeSpillDir's. */
const DUCKDB_SPILL_FILE = /\/duckdb_temp_[^/]*$/;

/**
 * `err` as the user's error when a full file system caused it, or null. The
 * file named is `file` when given (the one the user named: a database rather
 * than its loading file), else the one the error names (a log, its database); a spill file
 * names the spill directories' place instead, with what to do about it.
 */
export function diskFull(err: unknown, file?: string): FtError | null {
  const message = (err as Error | undefined)?.message ?? String(err);
  const spill = (why: string) =>
    new FtError(`${spillRoot()}: cannot write DuckDB's spill files: ${why} (raise --memory, or set TMPDIR to a larger file system)`);
  // DuckDB stops spilling short of a full disk (its limit is 90 % of the space free): as full.
  if (DUCKDB_SPILL_FULL.test(message)) return spill(FULL.ENOSPC!);
  const duckdb = DUCKDB_FULL.exec(message);
  if (duckdb) {
    const path = duckdb[1]!;
    const why = duckdb[2]!.toLowerCase();
    if (DUCKDB_SPILL_FILE.test(path)) return spill(why);
    // A database's write-ahead log (FILE.wal) is named as the database, the file users know.
    return new FtError(`${file ?? path.replace(/\.wal$/, '')}: cannot write: ${why}`);
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const what = code === undefined ? undefined : FULL[code];
  if (what === undefined) return null;
  const path = file ?? (err as NodeJS.ErrnoException).path;
  return new FtError(`${path ?? 'output'}: cannot write: ${what}`);
}
