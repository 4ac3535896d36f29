/**
 * The fuzz worker: decodes and prepares cases [from, to) in memory and posts
 * what each came to. Before each case it stores the case's index in the
 * shared progress word, so the parent knows which case was running if the
 * worker hangs or dies.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { makeCase, type Seed } from './mutate.js';
import { decodeCase } from './oracle.js';

export interface WorkerJob {
  seeds: Seed[];
  seed: number;
  from: number;
  to: number;
  /** Cases not to run again: the ones that hung or killed an earlier worker. */
  skip: number[];
  /** Int32Array over a SharedArrayBuffer: [case running, cases done]. */
  progress: SharedArrayBuffer;
}

/** One case as the worker reports it; details only for crashes. */
export interface CaseResult {
  index: number;
  verdict: 'decoded' | 'refused' | 'crash';
  ms: number;
  buffers: number;
  heap: number;
  size: number;
  detail?: string;
  seedName?: string;
  ops?: string[];
}

const job = workerData as WorkerJob;
const progress = new Int32Array(job.progress);
let batch: CaseResult[] = [];
let rss = 0;
const skip = new Set(job.skip);
for (let i = job.from; i < job.to; i++) {
  if (skip.has(i)) continue;
  Atomics.store(progress, 0, i);
  // The watchdog's own test: this case never ends.
  if (process.env.FSYNC_FUZZ_SELFTEST_HANG === String(i)) for (;;);
  const c = makeCase(job.seeds, job.seed, i);
  const o = decodeCase(c.bytes, `case-${i}.fstrace`);
  const r: CaseResult = { index: i, verdict: o.verdict, ms: o.ms, buffers: o.buffers, heap: o.heap, size: c.bytes.length };
  if (o.verdict === 'crash') Object.assign(r, { detail: o.detail, seedName: c.seed, ops: c.ops });
  batch.push(r);
  Atomics.add(progress, 1, 1);
  if (batch.length === 250 || i === job.to - 1) {
    rss = Math.max(rss, process.memoryUsage().rss);
    parentPort!.postMessage({ results: batch, rss });
    batch = [];
  }
}
