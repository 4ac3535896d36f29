/**
 * Prepared trace files, in order, for the loader. A large load decodes in a
 * worker thread, a file or two ahead, while the main thread appends what is
 * ready to DuckDB; a small one decodes inline, sparing the worker's start-up.
 */
import { Worker } from 'node:worker_threads';
import { TraceError } from '../errors.js';
import { prepareTrace, type PreparedTrace } from './prepare.js';

export interface WorkerRequest {
  id: number;
  file: string;
}

export type WorkerReply =
  | { id: number; trace: PreparedTrace }
  | { id: number; traceError: { file: string; offset: number | undefined; message: string } }
  | { id: number; internal: string };

/** One file's outcome: its prepared trace, or why it could not be read. */
export type Prepared = { file: string; trace: PreparedTrace } | { file: string; error: TraceError };

/** Inputs at least this large (bytes) are decoded in a worker thread. */
const WORKER_THRESHOLD = 32 * 1024 * 1024;
/** Files decoded ahead of the one being appended. */
const AHEAD = 2;

export async function* preparedTraces(files: readonly string[], totalBytes: number): AsyncGenerator<Prepared> {
  if (totalBytes < WORKER_THRESHOLD || files.length < 2) {
    for (const file of files) yield prepareInline(file);
    return;
  }
  const pool = new DecodeWorker();
  try {
    const pending: Array<Promise<Prepared>> = [];
    let next = 0;
    while (next < files.length && pending.length < AHEAD) pending.push(pool.prepare(files[next++]!));
    while (pending.length > 0) {
      const done = await pending.shift()!;
      if (next < files.length) pending.push(pool.prepare(files[next++]!));
      yield done;
    }
  } finally {
    await pool.close();
  }
}

function prepareInline(file: string): Prepared {
  try {
    return { file, trace: prepareTrace(file) };
  } catch (err) {
    if (err instanceof TraceError) return { file, error: err };
    throw err;
  }
}

/** A worker thread running decode-worker (compiled, or through decode-worker.mjs, which loads tsx). */
class DecodeWorker {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (p: Prepared) => void; reject: (e: Error) => void }>();
  private ids = 0;

  constructor() {
    // Compiled (dist/), the worker is plain JavaScript; from the sources, an entry that loads tsx first.
    const compiled = import.meta.url.endsWith('.js');
    this.worker = new Worker(new URL(compiled ? './decode-worker.js' : './decode-worker.mjs', import.meta.url));
    this.worker.on('message', (reply: WorkerReply) => this.settle(reply));
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', (code) => this.failAll(new Error(`decode worker exited with code ${code}`)));
  }

  prepare(file: string): Promise<Prepared> {
    const id = ++this.ids;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, file } satisfies WorkerRequest);
    });
  }

  async close(): Promise<void> {
    this.waiting.clear();
    await this.worker.terminate();
  }

  private settle(reply: WorkerReply): void {
    const w = this.waiting.get(reply.id);
    if (!w) return;
    this.waiting.delete(reply.id);
    if ('trace' in reply) w.resolve({ file: reply.trace.file, trace: reply.trace });
    else if ('traceError' in reply) w.resolve({ file: reply.traceError.file, error: rebuild(reply.traceError) });
    else w.reject(new Error(`decode worker: ${reply.internal}`));
  }

  private failAll(err: Error): void {
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }
}

/** The worker's TraceError, made again on this side of the thread boundary. */
function rebuild(e: { file: string; offset: number | undefined; message: string }): TraceError {
  const prefix = e.offset === undefined ? `${e.file}: ` : `${e.file}: at byte ${e.offset}: `;
  return new TraceError(e.file, e.offset, e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message);
}
