// A full file system as the user's one-line error (db/disk.ts), from the error texts DuckDB and
// Node give: the file named is the one the user named when given, else the one the error names;
// DuckDB's spill files name the temporary directory.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { diskFull, spillRoot } from '../../src/db/disk.js';
import { FtError } from '../../src/errors.js';

// The spill directories' place (this process's; the suites share one process: not set here).
const ROOT = spillRoot();
const SPILL = `${ROOT}: cannot write DuckDB's spill files: no space left on device (raise --memory, or set TMPDIR to a larger file system)`;

function message(err: unknown, file?: string): [string, number] | null {
  const e = diskFull(err, file);
  return e === null ? null : [e.message, e.exitCode];
}

test('DuckDB could not write a file: named as given, or as DuckDB names it', () => {
  const err = new Error('Failed to append: Failed to commit: Could not write file "/data/x.duckdb.loading-h_1_2.wal": No space left on device');
  assert.equal(message(err, '/data/x.duckdb'), ['/data/x.duckdb: cannot write: no space left on device', 1]);
  assert.equal(message(err), ['/data/x.duckdb.loading-h_1_2: cannot write: no space left on device', 1]);
  // A kept database's log, written as the analysis builds its tables there: the database.
  const wal = new FtError('/data/x.duckdb: cannot open: IO Error: Could not write file "/data/x.duckdb.wal": No space left on device');
  assert.equal(message(wal), ['/data/x.duckdb: cannot write: no space left on device', 1]);
  const quota = new FtError('sql: IO Error: Could not write file "out.csv": Disk quota exceeded');
  assert.equal(message(quota), ['out.csv: cannot write: disk quota exceeded', 1]);
});

test("DuckDB's spill files: the temporary directory, whatever file the caller names", () => {
  const write = new Error(`IO Error: Could not write file "${ROOT}/fsync-analyze-Ab12Cd/duckdb_temp_storage_DEFAULT-0.tmp": No space left on device`);
  assert.equal(message(write, '/data/x.duckdb'), [SPILL, 1]);
  const offload = new Error('Out of Memory Error: failed to offload data block of size 224.0 KiB (768.0 KiB/921.5 KiB used).');
  assert.equal(message(offload, '/data/x.duckdb'), [SPILL, 1]);
  const quota = new Error(`IO Error: Could not write file "${ROOT}/fsync-analyze-Ab12Cd/duckdb_temp_storage_DEFAULT-1.tmp": Disk quota exceeded`);
  assert.equal(message(quota), [SPILL.replace('no space left on device', 'disk quota exceeded'), 1]);
});

test("Node's ENOSPC and EDQUOT: the file given, else the error's path", () => {
  const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  assert.equal(message(enospc, 'r.html'), ['r.html: cannot write: no space left on device', 1]);
  const edquot = Object.assign(new Error("EDQUOT: disk quota exceeded, mkdir 'out/x'"), { code: 'EDQUOT', path: 'out/x' });
  assert.equal(message(edquot), ['out/x: cannot write: disk quota exceeded', 1]);
});

test('anything else is not a full disk', () => {
  assert.is(diskFull(new Error('IO Error: Could not write file "x": Permission denied')), null);
  assert.is(diskFull(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }), 'r.html'), null);
  assert.is(diskFull(new FtError('x.duckdb: cannot write: no space left on device')), null);
  assert.is(diskFull(undefined), null);
});

test.run();
