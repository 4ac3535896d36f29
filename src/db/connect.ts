/**
 * Open the DuckDB database the analyzer works in: in memory by default, or a
 * file (`--db FILE`) that keeps the loaded traces for later `sql` calls.
 */
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { FtError } from '../errors.js';

export interface Db {
  connection: DuckDBConnection;
  /** The database file, or null in memory. */
  file: string | null;
  close(): void;
}

const SCHEMA = readFileSync(new URL('./schema.sql', import.meta.url), 'utf8');

/** A fresh database, in memory or in `file`, with the loader's empty tables. */
export async function createDb(file: string | null): Promise<Db> {
  const db = await open(file);
  await db.connection.run(SCHEMA);
  return db;
}

/** A database an earlier `--db FILE` run left behind. */
export async function openDb(file: string): Promise<Db> {
  if (!existsSync(file)) throw new FtError(`${file}: no such database (load traces into it first: --db ${file} TRACES...)`);
  const db = await open(file);
  const found = await db.connection.runAndReadAll(
    "select count(*) from duckdb_tables() where database_name = current_database() and table_name in ('traces', 'events', 'paths', 'files')");
  if (Number(found.getRows()[0]![0]) !== 4) {
    db.close();
    throw new FtError(`${file}: not an fsync-analyze database (no traces, events, paths and files tables)`);
  }
  return db;
}

async function open(file: string | null): Promise<Db> {
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(file ?? ':memory:', { threads: String(availableParallelism()) });
  } catch (err) {
    throw new FtError(`${file}: cannot open database: ${firstLine((err as Error).message)}`);
  }
  const connection = await instance.connect();
  return {
    connection,
    file,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

function firstLine(text: string): string {
  return text.split('\n')[0]!;
}
