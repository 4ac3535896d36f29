/**
 * A load into a database file (`--db FILE`, into its loading file). A large
 * one runs in a worker thread (load-worker.ts) so that the main thread stays
 * free for the signals: DuckDB's appender hands its rows over synchronously, a
 * row group at a time (append.ts), and a signal handler on the thread doing it
 * waits for each to finish (up to 1.3 s seen on a busy machine, 2.7 s in a
 * review; `npm run bench:interrupt`). Here SIGINT or SIGTERM finds the main
 * thread waiting, removes the loading file and the spill directory
 * (leftovers.ts) and ends the process, worker included, at once; the loading
 * file was never the database, so nothing half-written is left where FILE is.
 */
import { Worker } from 'node:worker_threads';
import { FtError } from '../errors.js';
import { createDb } from './connect.js';
import { diskFull } from './disk.js';
import { headerFiltered, type Filters } from './filter.js';
import { loadTraces, type LoadOptions, type LoadResult } from './load.js';
import { progressBar, type Progress } from './progress.js';
import { estimateRecords } from './source.js';

/** What the worker is given (structured-cloned: plain data). */
export interface LoadRequest {
  file: string;
  /** The database the load is for, named in errors. */
  name: string;
  files: readonly string[];
  /** DuckDB's spill directory, made (and removed) by the main thread. */
  spill: string;
  memory?: string;
  strict?: boolean;
  quiet?: boolean;
  filters?: Filters;
  checkpointEvery?: number;
}

/** What the worker posts back: warnings and progress as they come, then the outcome. */
export type LoadReply =
  | { warn: string }
  | { progress: { start: [string, number] } | { update: [number, string] } | { clear: true } | { finish: true } }
  | { done: LoadResult }
  | { error: { message: string; exitCode: number } }
  | { internal: string };

/**
 * Loads of fewer records (by the headers' counters) run on the main thread:
 * each of their synchronous steps is short, and a worker's start (its own
 * modules, DuckDB's among them) would cost more than they do (`info --db` of a
 * small sample, alternating runs at load 10: 2.65 s against 3.25 s, medians).
 */
export const THREAD_RECORDS = 250_000;

/**
 * Internal, for tests: with FSYNC_ANALYZE_SHOW_LOAD_THREAD=1 in the environment,
 * a load into a file says on stderr which thread runs it and for how many
 * records (`fsync-analyze: load: worker thread, 400,000 records`).
 */
const SHOW_THREAD = process.env.FSYNC_ANALYZE_SHOW_LOAD_THREAD === '1';

/** Load `files` into the database file `request.file`, closed when this resolves. */
export function loadIntoFile(request: LoadRequest, opts: Pick<LoadOptions, 'warn' | 'quiet'>): Promise<LoadResult> {
  // Only the traces the header filters keep are loaded (load.ts): only they count.
  const records = headerFiltered(request.files, request.filters ?? {}).reduce((n, f) => n + estimateRecords(f), 0);
  const inWorker = records >= THREAD_RECORDS;
  if (SHOW_THREAD) process.stderr.write(`fsync-analyze: load: ${inWorker ? 'worker' : 'main'} thread, ${records.toLocaleString('en-US')} records\n`);
  return inWorker ? loadInWorker(request, opts) : fillDb(request, opts);
}

/** Make the database, load into it, close it: the load proper, on whichever thread runs it. */
export async function fillDb(request: LoadRequest, opts: Pick<LoadOptions, 'warn' | 'quiet' | 'progressBar'>): Promise<LoadResult> {
  try {
    const db = await createDb(request.file, request.memory, request.name, request.spill);
    try {
      return await loadTraces(db.connection, request.files, { ...request, ...opts });
    } finally {
      db.close();
    }
  } catch (err) {
    // The loading file (or its log) that did not fit is named as the database it was for.
    throw diskFull(err, request.name) ?? err;
  }
}

function loadInWorker(request: LoadRequest, opts: Pick<LoadOptions, 'warn' | 'quiet'>): Promise<LoadResult> {
  // Compiled (dist/), the worker is plain JavaScript; from the sources, an entry that loads tsx first.
  const compiled = import.meta.url.endsWith('.js');
  const worker = new Worker(new URL(compiled ? './load-worker.js' : './load-worker.mjs', import.meta.url), { workerData: request });
  let progress: Progress | null = null;
  return new Promise<LoadResult>((resolve, reject) => {
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      progress?.finish();
      // Its database is closed by now (or was never opened).
      void worker.terminate();
      f();
    };
    worker.on('message', (reply: LoadReply) => {
      if ('warn' in reply) opts.warn(reply.warn);
      else if ('progress' in reply) {
        const p = reply.progress;
        if ('start' in p) progress = progressBar(p.start[0], p.start[1], { quiet: opts.quiet });
        else if ('update' in p) progress?.update(...p.update);
        else if ('clear' in p) progress?.clear();
        else progress?.finish();
      } else if ('done' in reply) settle(() => resolve(reply.done));
      else if ('error' in reply) settle(() => reject(new FtError(reply.error.message, reply.error.exitCode)));
      else settle(() => reject(new Error(`load worker: ${reply.internal}`)));
    });
    worker.on('error', (err) => settle(() => reject(err)));
    worker.on('exit', (code) => settle(() => reject(new Error(`load worker exited with code ${code} before its load ended`))));
  });
}
