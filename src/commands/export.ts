/** `export`: the tables and the analysis as Parquet, CSV or Arrow files in a directory. */
import { EXPORT_TABLES, exportTables, type ExportFormat } from '../db/export.js';
import { analysisBindings } from '../db/outliers.js';
import { count, json, table } from './format.js';
import { analysisParams, out, withSession, type AnalysisOptions, type LoadOptions } from './options.js';

export interface ExportOptions extends LoadOptions, AnalysisOptions {
  format: ExportFormat;
  out: string;
  tables?: string[];
  partition?: boolean;
  json?: boolean;
}

export async function exportCommand(traces: string[], o: ExportOptions): Promise<void> {
  const done = await withSession(traces, o, async (s) =>
    exportTables(s, await analysisBindings(s, analysisParams(o)), { format: o.format, dir: o.out, tables: o.tables ?? [...EXPORT_TABLES], partition: o.partition }));
  if (o.json) {
    await out(json({ dir: o.out, format: o.format, files: done }));
    return;
  }
  await out(table(
    [{ title: 'table' }, { title: 'file' }, { title: 'rows', align: 'right' }],
    done.map((d) => [d.table, `${o.out.replace(/\/$/, '')}/${d.name}`, count(d.rows)]),
  ));
}
