/**
 * `report`: the self-contained HTML report. The renderer (src/report/) is
 * loaded only here, and the file is written beside its target and renamed
 * into place, so no half-written report ever exists.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { errnoWords, FtError } from '../errors.js';
import { diskFull } from '../db/disk.js';
import { syncPhase } from '../db/progress.js';
import { reportData } from '../db/report.js';
import type { ReportData } from '../report/data.js';
import { analysisParams, withSession, type AnalysisOptions, type LoadOptions } from './options.js';

export interface ReportOptions extends LoadOptions, AnalysisOptions {
  out: string;
}

type Render = (data: ReportData) => string;

export async function report(traces: string[], o: ReportOptions): Promise<void> {
  const render = await loadRenderer();
  const started = Date.now();
  const data = await withSession(traces, o, (s) => reportData(s, analysisParams(o)));
  // Rendering is synchronous: announced up front when what came before took seconds.
  const html = syncPhase('rendering', { quiet: o.quiet, likelySlow: Date.now() - started > 2000 }, () => render(data));
  writeAtomically(o.out, html);
  if (!o.quiet) process.stderr.write(`fsync-analyze: wrote ${o.out}\n`);
}

async function loadRenderer(): Promise<Render> {
  const where = '../report/render.js';
  let mod: { renderReport?: Render };
  try {
    mod = (await import(where)) as { renderReport?: Render };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes('render')) {
      throw new FtError('report: the HTML renderer (src/report/render.ts) is not installed in this build');
    }
    throw err;
  }
  if (typeof mod.renderReport !== 'function') throw new FtError('report: src/report/render.ts has no renderReport(data) function');
  return mod.renderReport;
}

/** Write `text` to a temporary file in the target's directory, then rename it over the target. */
export function writeAtomically(file: string, text: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (err) {
    // The temporary file may not be there to remove (a directory the user may not search
    // fails rmSync too): the write's own error is the one to report.
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing was written
    }
    const full = diskFull(err, file);
    if (full) throw full;
    const code = (err as NodeJS.ErrnoException).code;
    if (code) throw new FtError(`${file}: cannot write the report (${errnoWords(code)})`);
    throw err;
  }
}
