/** `sql`: any query over the loaded tables and the analysis (queries/ builds what it names). */
import { existsSync } from 'node:fs';
import { FtError } from '../errors.js';
import { analysisBindings } from '../db/outliers.js';
import { queries } from '../db/queries.js';
import { json, table } from './format.js';
import { analysisParams, out, withSession, type AnalysisOptions, type LoadOptions } from './options.js';

export interface SqlOptions extends LoadOptions, AnalysisOptions {
  json?: boolean;
}

export async function sql(text: string, traces: string[], o: SqlOptions): Promise<void> {
  // `sql traces/ "select ..."` (or `sql traces/ events`): the traces given first would otherwise
  // be run as the query and the query looked for as trace files ("no trace files found in ...").
  if (existsSync(text) && traces.some((t) => !existsSync(t))) {
    throw new FtError(`sql: the query comes first, then the traces: fsync-analyze sql "QUERY" ${text}`);
  }
  await withSession(traces, o, async (s) => {
    const b = await analysisBindings(s, analysisParams(o));
    const named = queries().map((q) => q.name).filter((n) => new RegExp(`\\b${n}\\b`, 'i').test(text));
    await s.buildMissing(named, b);
    let reader;
    try {
      reader = await s.connection.runAndReadAll(text);
    } catch (err) {
      throw new FtError(`sql: ${(err as Error).message.split('\n')[0]}`);
    }
    const rows = reader.getRowObjectsJson();
    if (o.json) {
      await out(json(rows));
      return;
    }
    const names = reader.columnNames();
    await out(table(
      names.map((n, i) => ({ title: n, align: numeric(rows, n) ? 'right' : 'left' })),
      rows.map((r) => names.map((n) => cell(r[n]))),
    ));
    await out(`(${rows.length} row${rows.length === 1 ? '' : 's'})\n`);
  });
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function numeric(rows: Record<string, unknown>[], name: string): boolean {
  return rows.length > 0 && rows.every((r) => r[name] === null || typeof r[name] === 'number' || /^-?\d+(\.\d+)?$/.test(String(r[name])));
}
