/**
 * Open the DuckDB database the analyzer works in: in memory by default, or a
 * file (`--db FILE`) that keeps the loaded traces for later `sql` calls.
 */
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { closeSync, existsSync, lstatSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { FtError } from '../errors.js';
import { spillRoot } from './disk.js';
import { DEFAULT_MEMORY, duckdbMemoryLimit } from './knobs.js';
import { removeAtExit } from './leftovers.js';

export interface Db {
  connection: DuckDBConnection;
  /** The database file, or null in memory. */
  file: string | null;
  /** For a kept database read through a filter: its catalog name (read only); the work goes to memory. */
  kept?: string;
  close(): void;
}

/**
 * In memory, tables live in an attached database that compresses them when
 * checkpointed (load.ts checkpoints as it goes): about 18 bytes an event
 * rather than 130. Spills go to a directory of our own under the system's
 * temporary directory, not `.tmp` in the working directory.
 */
const IN_MEMORY = 'analysis';
/** A kept database read through filters, attached read only. */
const KEPT = 'fsync_kept';

const SCHEMA = readFileSync(new URL('./schema.sql', import.meta.url), 'utf8');

/**
 * What a database kept by an earlier version lacks, added when it is opened:
 * the macros (all of schema.sql's, again), and the tables and columns added since.
 */
const UPGRADE = [
  ...SCHEMA.replace(/--.*$/gm, '').split(';').map((s) => s.trim()).filter((s) => s.startsWith('create or replace macro')),
  'alter table traces add column if not exists dir_removed bigint',
  'alter table traces add column if not exists dir_removed_bytes bigint',
  'create table if not exists events_context as select * from events limit 0',
  'create table if not exists filter_window (since_ns bigint, until_ns bigint, path_re varchar)',
  "insert into filter_window select ft_unbounded_since(), -ft_unbounded_since(), '.*' where not exists (select 1 from filter_window)",
].join(';\n');

/**
 * A fresh database, in memory or in `file`, with the loader's empty tables.
 * `name` is the file errors name (the database a load is for, not its loading file).
 */
export async function createDb(file: string | null, memory = DEFAULT_MEMORY, name = file, spill?: string): Promise<Db> {
  const db = await open(file, memory, name, spill);
  await db.connection.run(SCHEMA);
  return db;
}

/**
 * Where a load into the database `file` is made: a file beside it, renamed over
 * it (replaceDb) once the load has succeeded, so that a load that fails leaves
 * no half-written database, and an earlier one as it was. Its name says which
 * process makes it, as `FILE.loading-HOST_PIDNS_PID`: a pid means something
 * only on its host (FILE may be on a volume other hosts share: NFS) and in its
 * pid namespace (a container's bind mount, with the host's hostname).
 */
export function loadingFile(file: string, pid = process.pid): string {
  return `${file}.loading-${loader()}_${pid}`;
}

/** This host and pid namespace, as loading files name them: `HOST_PIDNS`. */
function loader(): string {
  // Hostnames are letters, digits, dots and dashes; anything else would blur the fields.
  const host = hostname().replace(/[^A-Za-z0-9.-]/g, '-') || 'localhost';
  return `${host}_${pidNamespace()}`;
}

/** The inode of this process's pid namespace (/proc/self/ns/pid -> "pid:[4026531836]"); 0 when it cannot be read. */
function pidNamespace(): string {
  try {
    return /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? '0';
  } catch {
    return '0';
  }
}

/**
 * Remove the loading files of `file` (and their logs) that processes no
 * longer running left behind: killed by a signal that no handler saw
 * (SIGKILL), or by a machine that went down. Only those of this host and pid
 * namespace (a pid elsewhere cannot be looked up here), only the user's own
 * files, and only those whose pid is gone (a pid alive, even another user's,
 * keeps its file). Names of other forms (an earlier version's
 * `FILE.loading-PID`) are left: where they come from is unknown.
 */
export function removeStaleLoading(file: string): void {
  const dir = dirname(file);
  const prefix = `${basename(file)}.loading-${loader()}_`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = name.startsWith(prefix) ? /^(\d+)(\.wal)?$/.exec(name.slice(prefix.length)) : null;
    const pid = m ? Number(m[1]) : 0;
    if (pid <= 0 || pid === process.pid || running(pid)) continue;
    const path = join(dir, name);
    try {
      if (lstatSync(path).uid === process.getuid?.()) rmSync(path, { force: true });
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Before a load replaces `file` (`--db FILE`): only a database of ours (or an
 * empty file, or none) may be replaced. Anything else there, a trace named by
 * mistake, a text file, another program's DuckDB database, is refused up front,
 * before any work, and left as it was.
 */
export async function assertReplaceable(file: string, memory = DEFAULT_MEMORY): Promise<void> {
  let size: number;
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw new FtError(`${file}: is a directory (--db names a database file)`);
    size = st.size;
  } catch (err) {
    if (err instanceof FtError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    throw new FtError(`${file}: cannot read: ${code === 'EACCES' ? 'permission denied' : firstLine((err as Error).message)}`);
  }
  if (size === 0) return;
  const refuse = (why: string) =>
    new FtError(`${file}: ${why}; not replaced (remove it, or name another file with --db)`);
  // A DuckDB file says "DUCK" at byte 8; only then is it worth opening.
  const magic = Buffer.alloc(4);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    readSync(fd, magic, 0, 4, 8);
  } catch (err) {
    throw new FtError(`${file}: cannot read: ${firstLine((err as Error).message)}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (magic.toString('latin1') !== 'DUCK') throw refuse('exists and is not an fsync-analyze database');
  let kept: Db;
  try {
    kept = await openDb(file, memory, true);
  } catch (err) {
    throw refuse(firstLine((err as Error).message).replace(`${file}: `, ''));
  }
  kept.close();
}

/** Remove a database file (closed) and its write-ahead log. */
export function removeDb(file: string): void {
  rmSync(file, { force: true });
  rmSync(`${file}.wal`, { force: true });
}

/**
 * Put the closed database `from` in the place of `file`. A log left beside
 * `file` (by a process that died) would be replayed into the new database:
 * it goes first.
 */
export function replaceDb(from: string, file: string): void {
  try {
    rmSync(`${file}.wal`, { force: true });
    renameSync(from, file);
    if (existsSync(`${from}.wal`)) renameSync(`${from}.wal`, `${file}.wal`);
  } catch (err) {
    removeDb(from);
    throw new FtError(`${file}: cannot write: ${firstLine((err as Error).message)}`);
  }
}

/**
 * A database an earlier `--db FILE` run left behind. With `scratch`, it is
 * attached read only (as `fsync_kept`) to a fresh database in memory, where the
 * analysis works on tables of schema.sql that the caller fills from it
 * (filter.ts copyKept): the kept file is not changed.
 */
export async function openDb(file: string, memory = DEFAULT_MEMORY, scratch = false): Promise<Db> {
  if (!existsSync(file)) throw new FtError(`${file}: no such database (load traces into it first: --db ${file} TRACES...)`);
  const db = scratch ? await open(null, memory) : await open(file, memory);
  try {
    if (scratch) {
      await db.connection.run(`attach '${file.replace(/'/g, "''")}' as ${KEPT} (read_only)`);
      db.kept = KEPT;
    }
    const found = await db.connection.runAndReadAll(
      "select count(*) from duckdb_tables() where database_name = $name and table_name in ('traces', 'events', 'paths', 'files')",
      { name: db.kept ?? (await currentDatabase(db.connection)) });
    if (Number(found.getRows()[0]![0]) !== 4) throw new FtError(`${file}: not an fsync-analyze database (no traces, events, paths and files tables)`);
    await db.connection.run(scratch ? SCHEMA : UPGRADE);
  } catch (err) {
    db.close();
    if (err instanceof FtError) throw err;
    throw new FtError(`${file}: cannot open: ${firstLine((err as Error).message)}`);
  }
  return db;
}

async function currentDatabase(connection: DuckDBConnection): Promise<string> {
  return String((await connection.runAndReadAll('select current_database()')).getRows()[0]![0]);
}

/**
 * `spill`: DuckDB's spill directory, made (and removed at exit) by the caller;
 * without it, one of our own.
 */
async function open(file: string | null, memory: string, name = file, given?: string): Promise<Db> {
  const own = given === undefined ? makeSpillDir() : null;
  const spill = given ?? own!.path;
  const removeSpill = () => own?.remove();
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(file ?? ':memory:', {
      threads: String(availableParallelism()),
      temp_directory: spill,
      memory_limit: duckdbMemoryLimit(memory),
      // Memory DuckDB frees goes back to the system in the background, not at its
      // next allocation: the loader's peak does not stay resident.
      // (A large load keeps its buffer manager's blocks: load.ts.)
      allocator_background_threads: 'true',
    });
  } catch (err) {
    removeSpill();
    throw new FtError(`${name ?? 'database'}: cannot open: ${firstLine((err as Error).message)}`);
  }
  const connection = await instance.connect();
  if (file === null) await connection.run(`attach ':memory:' as ${IN_MEMORY} (compress); use ${IN_MEMORY}`);
  return {
    connection,
    file,
    close() {
      connection.closeSync();
      instance.closeSync();
      removeSpill();
    },
  };
}

/**
 * A new directory for DuckDB's spills, under the system's temporary directory:
 * removed by `remove()`, or however the process ends before that, even by a
 * signal in the middle of a query (leftovers.ts).
 */
export function makeSpillDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(spillRoot(), 'fsync-analyze-'));
  const unwatch = removeAtExit(path);
  return {
    path,
    remove() {
      rmSync(path, { recursive: true, force: true });
      unwatch();
    },
  };
}

function firstLine(text: string): string {
  return text.split('\n')[0]!;
}
