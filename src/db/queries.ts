/**
 * The analysis in queries/: one query per file, `NN_name.sql`, each kept as a
 * table (or, when its header says `kept as: view`, a view) named `name`.
 *
 * A query's header names its inputs; those that are other queries are built
 * first, so asking for `outliers` builds `intervals` and `baselines` on the
 * way. A table's parameters are bound, never pasted in: a query gets exactly
 * the `$parameters` its text uses. DuckDB's views take no parameters, so a
 * view's are written into its text as typed literals (quoted, cast to the
 * binding's type): the view keeps the values it was built with.
 */
import { DuckDBConnection, quotedIdentifier, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Query {
  /** The table or view it makes: the file name without NN_ and .sql. */
  name: string;
  file: string;
  sql: string;
  kept: 'table' | 'view';
  /** Its header says `kept as: table, rows in any order`: built without preserving insertion order (faster; its readers join by key or order what they read). */
  anyOrder: boolean;
  /** Other queries this one reads. */
  inputs: string[];
  /** The `$parameters` the text uses. */
  params: string[];
}

export type Bindings = Record<string, { value: DuckDBValue; type: DuckDBType }>;

export const QUERIES_DIR = fileURLToPath(new URL('../../queries/', import.meta.url));

let cache: Query[] | undefined;

/** The queries, in file order. */
export function queries(): Query[] {
  if (cache) return cache;
  const files = readdirSync(QUERIES_DIR).filter((f) => /^\d\d_[a-z0-9_]+\.sql$/.test(f)).sort();
  const parsed = files.map((f) => parse(f, readFileSync(QUERIES_DIR + f, 'utf8')));
  const names = new Set(parsed.map((q) => q.name));
  for (const q of parsed) q.inputs = q.inputs.filter((i) => names.has(i));
  cache = parsed;
  return parsed;
}

export function query(name: string): Query {
  const q = queries().find((x) => x.name === name);
  if (!q) throw new Error(`no query named ${name} in ${QUERIES_DIR}`);
  return q;
}

function parse(file: string, text: string): Query {
  const name = file.replace(/^\d\d_/, '').replace(/\.sql$/, '');
  const header = text.match(/^(?:--.*\n)+/)?.[0] ?? '';
  const field = (key: string) => new RegExp(`^--\\s*${key}:\\s*(.*)$`, 'mi').exec(header)?.[1]?.trim() ?? '';
  const body = text.replace(/--.*$/gm, '');
  const kept = /^view\b/i.test(field('kept as')) ? 'view' : 'table';
  const params = [...new Set([...body.matchAll(/\$([a-z_][a-z0-9_]*)/g)].map((m) => m[1]!))];
  return {
    name,
    file,
    sql: text,
    kept,
    anyOrder: kept === 'table' && /\bin any order\b/i.test(field('kept as')),
    inputs: field('inputs').split(/[\s,]+/).filter(Boolean),
    params,
  };
}

/**
 * Build `names` and what they read. `built` remembers, per query, the
 * parameter values it was built with (its own and its inputs'): a session
 * passes the same map to every call, and a query is built again only when
 * those change.
 */
export async function build(connection: DuckDBConnection, names: readonly string[], bindings: Bindings, built: Map<string, string>): Promise<void> {
  for (const name of names) await buildOne(connection, query(name), bindings, built);
}

async function buildOne(connection: DuckDBConnection, q: Query, bindings: Bindings, built: Map<string, string>): Promise<string> {
  const inputs: string[] = [];
  for (const input of q.inputs) inputs.push(await buildOne(connection, query(input), bindings, built));
  const [values, types] = bind(q, bindings);
  const signature = JSON.stringify([values, inputs], (_k, v) => (typeof v === 'bigint' ? String(v) : v));
  if (built.get(q.name) === signature) return signature;
  // A database kept by an earlier version may hold it as the other kind (verdicts was a table);
  // once the session has built it, it is of its own kind.
  const other = q.kept === 'view' ? 'table' : 'view';
  if (!built.has(q.name) && (await exists(connection, other, q.name))) await connection.run(`drop ${other} ${quotedIdentifier(q.name)}`);
  const text = q.kept === 'view' ? withLiterals(q.sql, values, types) : q.sql;
  const sql = `create or replace ${q.kept} ${quotedIdentifier(q.name)} as\n${text}`;
  if (q.anyOrder) await connection.run('set preserve_insertion_order = false');
  try {
    await (q.params.length > 0 && q.kept === 'table' ? connection.run(sql, values, types) : connection.run(sql));
  } finally {
    if (q.anyOrder) await connection.run('reset preserve_insertion_order');
  }
  built.set(q.name, signature);
  return signature;
}

async function exists(connection: DuckDBConnection, kind: 'table' | 'view', name: string): Promise<boolean> {
  const catalog = kind === 'table' ? 'select table_name as name from duckdb_tables()' : 'select view_name as name from duckdb_views()';
  const found = await connection.runAndReadAll(`select count(*) from (${catalog} where database_name = current_database() and name = $name)`, { name });
  return Number(found.getRows()[0]![0]) > 0;
}

/** A view's text with each `$parameter` replaced by its value as a typed literal: `('0.5'::DOUBLE)`. */
function withLiterals(sql: string, values: Record<string, DuckDBValue>, types: Record<string, DuckDBType>): string {
  return sql.replace(/\$([a-z_][a-z0-9_]*)/g, (whole, name: string) => {
    if (!(name in values)) return whole;
    return `('${String(values[name]).replace(/'/g, "''")}'::${types[name]!.toString()})`;
  });
}

/** Run a query's text as it is (for tests and reads that keep no table). */
export async function select(connection: DuckDBConnection, name: string, bindings: Bindings) {
  const q = query(name);
  const [values, types] = bind(q, bindings);
  return q.params.length > 0 ? connection.runAndReadAll(q.sql, values, types) : connection.runAndReadAll(q.sql);
}

function bind(q: Query, bindings: Bindings): [Record<string, DuckDBValue>, Record<string, DuckDBType>] {
  const values: Record<string, DuckDBValue> = {};
  const types: Record<string, DuckDBType> = {};
  for (const p of q.params) {
    const b = bindings[p];
    if (!b) throw new Error(`${q.file}: no value for $${p}`);
    values[p] = b.value;
    types[p] = b.type;
  }
  return [values, types];
}

