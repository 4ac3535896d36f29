/**
 * Prepared trace files, in order, for the loader. A large load decodes in a
 * worker thread, a file or two ahead, while the main thread appends what is
 * ready to DuckDB; a small one decodes inline, sparing the worker's start-up.
 * Small files go to the worker in batches (one message each way per batch).
 */
import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { TraceError } from '../errors.js';
import { readTraceHeader } from '../trace/decode.js';
import { prepareTrace, transferables, type PreparedTrace } from './prepare.js';

/** Files to prepare, or column buffers given back for reuse. */
export type WorkerRequest = { id: number; files: string[] } | { recycle: ArrayBuffer[] };

/** One file's outcome in the worker. */
export type WorkerResult =
  | { trace: PreparedTrace }
  | { traceError: { file: string; offset: number | undefined; message: string } };

/** `reusedBytes`: how much of the buffers given back the worker has used again so far. */
export type WorkerReply = { id: number; results: WorkerResult[]; reusedBytes: number } | { id: number; internal: string };

/** One file's outcome: its prepared trace, or why it could not be read. */
export type Prepared = { file: string; trace: PreparedTrace } | { file: string; error: TraceError };

/** Inputs of at least this many records (by their headers' counters) are decoded in a worker thread. */
const WORKER_THRESHOLD = 500_000;
/** Records decoded ahead of the file being appended (at least one file): a few files of a
 * busy process, or hundreds of nearly empty ones, so the thread hand-offs do not dominate. */
const AHEAD_RECORDS = 1_000_000;
/** A batch for the worker: consecutive files up to this many records (at least one file) ... */
const BATCH_RECORDS = 50_000;
/** ... and this many files, so the first batch is back soon. */
const BATCH_FILES = 64;

/**
 * The records a trace holds, by its header's counters (what decode.ts will
 * read); its size in slots when the header cannot be read (decoding says why).
 */
export function estimateRecords(file: string): number {
  const h = readTraceHeader(file);
  if (h === null) return Math.floor((statSync(file, { throwIfNoEntry: false })?.size ?? 0) / 64);
  const held = (slots: number, next: bigint) => Math.min(slots, Number(next));
  return held(h.ringSlots, h.nextSeq) + (h.keep ? held(h.keep.slots, h.keepNext) : 0) +
    (h.summary ? held(h.summary.slots, h.summaryNext * 3n) : 0) + (h.names ? held(h.names.slots, h.namesNext) : 0);
}

export interface PrepareOptions {
  /**
   * The caller is done with a trace's columns once it asks for the next trace
   * (it has appended them): the worker may then write later traces into their
   * buffers. A trace yielded earlier must not be read after that.
   */
  recycle?: boolean;
  /** Filled in as the worker replies: bytes of given-back buffers it used again. */
  stats?: { reusedBytes: number };
}

/** The files prepared in order; `records` are their estimateRecords. */
export async function* preparedTraces(files: readonly string[], records: readonly number[], opts: PrepareOptions = {}): AsyncGenerator<Prepared> {
  const total = records.reduce((a, b) => a + b, 0);
  if (total < WORKER_THRESHOLD || files.length < 2) {
    for (const file of files) yield prepareInline(file);
    return;
  }
  const pool = new DecodeWorker();
  try {
    const pending: Array<{ batch: Promise<Prepared[]>; records: number }> = [];
    let next = 0;
    let ahead = 0;
    const fill = () => {
      while (next < files.length && (pending.length === 0 || ahead + records[next]! <= AHEAD_RECORDS)) {
        const from = next;
        let batchRecords = records[next++]!;
        while (next < files.length && next - from < BATCH_FILES && batchRecords + records[next]! <= BATCH_RECORDS) batchRecords += records[next++]!;
        ahead += batchRecords;
        pending.push({ batch: pool.prepare(files.slice(from, next)), records: batchRecords });
      }
    };
    fill();
    while (pending.length > 0) {
      const { batch, records: done } = pending.shift()!;
      const prepared = await batch;
      if (opts.stats) opts.stats.reusedBytes = pool.reusedBytes;
      ahead -= done;
      fill();
      yield* prepared;
      // The traces of a batch may share buffers: they go back together, once all are used.
      if (opts.recycle) pool.recycle(prepared);
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
  private readonly waiting = new Map<number, { files: string[]; resolve: (p: Prepared[]) => void; reject: (e: Error) => void }>();
  private ids = 0;
  /** The worker's last report of buffers it reused. */
  reusedBytes = 0;

  constructor() {
    // Compiled (dist/), the worker is plain JavaScript; from the sources, an entry that loads tsx first.
    const compiled = import.meta.url.endsWith('.js');
    this.worker = new Worker(new URL(compiled ? './decode-worker.js' : './decode-worker.mjs', import.meta.url));
    this.worker.on('message', (reply: WorkerReply) => this.settle(reply));
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', (code) => this.failAll(new Error(`decode worker exited with code ${code}`)));
  }

  /** The files prepared, in order. */
  prepare(files: string[]): Promise<Prepared[]> {
    const id = ++this.ids;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { files, resolve, reject });
      this.worker.postMessage({ id, files } satisfies WorkerRequest);
    });
  }

  /** Give the columns of traces the caller is done with back to the worker. */
  recycle(prepared: readonly Prepared[]): void {
    const buffers = new Set<ArrayBuffer>();
    for (const p of prepared) if ('trace' in p) for (const b of transferables(p.trace)) buffers.add(b);
    if (buffers.size > 0) this.worker.postMessage({ recycle: [...buffers] } satisfies WorkerRequest, [...buffers]);
  }

  async close(): Promise<void> {
    this.waiting.clear();
    await this.worker.terminate();
  }

  private settle(reply: WorkerReply): void {
    const w = this.waiting.get(reply.id);
    if (!w) return;
    this.waiting.delete(reply.id);
    if ('internal' in reply) {
      w.reject(new Error(`decode worker: ${reply.internal}`));
      return;
    }
    this.reusedBytes = reply.reusedBytes;
    w.resolve(reply.results.map((r, i) => ('trace' in r
      ? { file: w.files[i]!, trace: r.trace }
      : { file: w.files[i]!, error: rebuild(r.traceError) })));
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
