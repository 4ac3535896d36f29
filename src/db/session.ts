/**
 * One command's database: traces loaded into a fresh one, or a database kept
 * by an earlier `--db FILE` run; and the queries built in it so far.
 */
import { JSDuckDBValueConverter, type DuckDBValue, type JS } from '@duckdb/node-api';
import { FtError } from '../errors.js';
import { expandInputs } from '../inputs.js';
import { assertReplaceable, createDb, loadingFile, makeSpillDir, openDb, removeDb, removeStaleLoading, replaceDb, type Db } from './connect.js';
import { removeAtExit } from './leftovers.js';
import { diskFull } from './disk.js';
import { copyKept, hasFilters, type Filters } from './filter.js';
import { loadTraces, type LoadResult } from './load.js';
import { loadIntoFile } from './load-thread.js';
import { build, type Bindings } from './queries.js';

export interface SessionOptions {
  /** Trace files, directories or globs. */
  inputs: readonly string[];
  /** Keep the database in this file; without inputs, read the one kept there. */
  db?: string;
  strict?: boolean;
  quiet?: boolean;
  warn: (message: string) => void;
  /** Only these traces and rows (filter.ts); applied while loading. */
  filters?: Filters;
  /** DuckDB's memory limit ('1GB'); beyond it, it spills to a temporary directory. */
  memory?: string;
}

export class Session {
  private readonly built = new Map<string, string>();

  private constructor(
    private readonly db: Db,
    /** What was loaded, or null for a kept database. */
    readonly load: LoadResult | null,
  ) {}

  static async open(opts: SessionOptions): Promise<Session> {
    if (opts.inputs.length === 0 && opts.db === undefined) {
      throw new FtError('no trace files given (name trace files, directories or globs, or a database kept with --db FILE)');
    }
    if (opts.inputs.length === 0) {
      if (!opts.filters || !hasFilters(opts.filters)) return new Session(await openDb(opts.db!, opts.memory), null);
      // Filtered: the kept database read only, the chosen rows copied to memory.
      const db = await openDb(opts.db!, opts.memory, true);
      try {
        await copyKept(db.connection, db.kept!, opts.filters);
        return new Session(db, null);
      } catch (err) {
        db.close();
        throw err;
      }
    }
    const files = expandInputs(opts.inputs, opts.warn);
    if (opts.db === undefined) {
      const db = await createDb(null, opts.memory);
      try {
        return new Session(db, await loadTraces(db.connection, files, opts));
      } catch (err) {
        db.close();
        throw err;
      }
    }
    // A database to keep is loaded beside its file and takes its place once loaded (connect.ts),
    // a large one in a worker thread, so that a signal is not kept waiting (load-thread.ts).
    const target = opts.db;
    await assertReplaceable(target, opts.memory);
    const loading = loadingFile(target);
    removeStaleLoading(target);
    removeDb(loading);
    // Interrupted (SIGINT, SIGTERM: Ctrl-C, kill) or ended by an error, the load leaves no loading file.
    const spill = makeSpillDir();
    const unwatched = [removeAtExit(loading), removeAtExit(`${loading}.wal`)];
    try {
      const load = await loadIntoFile({
        file: loading, name: target, files, spill: spill.path, memory: opts.memory, strict: opts.strict, quiet: opts.quiet, filters: opts.filters,
      }, opts);
      replaceDb(loading, target);
      return new Session(await openDb(target, opts.memory), load);
    } catch (err) {
      removeDb(loading);
      throw diskFull(err, target) ?? err;
    } finally {
      spill.remove();
      for (const unwatch of unwatched) unwatch();
    }
  }

  get connection() {
    return this.db.connection;
  }

  /** Build the named queries' tables (and what they read), again only when the parameters change. */
  async build(names: readonly string[], bindings: Bindings): Promise<void> {
    await build(this.connection, names, bindings, this.built);
  }

  /** Build only those not already in a kept database (for `sql`). */
  async buildMissing(names: readonly string[], bindings: Bindings): Promise<void> {
    const existing = await this.rows("select table_name from duckdb_tables() where database_name = current_database() union all select view_name from duckdb_views() where database_name = current_database()");
    const have = new Set(existing.map((r) => String(r.table_name)));
    await this.build(names.filter((n) => !have.has(n)), bindings);
  }

  /** Rows of a query as plain objects. */
  async rows(sql: string, values?: Record<string, DuckDBValue>) {
    const reader = values ? await this.connection.runAndReadAll(sql, values) : await this.connection.runAndReadAll(sql);
    return reader.getRowObjectsJS();
  }

  /** Rows of a query as plain objects, a data chunk at a time. */
  async *stream(sql: string, values?: Record<string, DuckDBValue>): AsyncGenerator<Record<string, JS>[]> {
    const result = values ? await this.connection.stream(sql, values) : await this.connection.stream(sql);
    const names = result.columnNames();
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) return;
      const columns = chunk.convertColumns(JSDuckDBValueConverter);
      const rows: Record<string, JS>[] = [];
      for (let i = 0; i < chunk.rowCount; i++) {
        const row: Record<string, JS> = {};
        names.forEach((n, c) => {
          row[n] = columns[c]![i] ?? null;
        });
        rows.push(row);
      }
      yield rows;
    }
  }

  close(): void {
    this.db.close();
  }
}
