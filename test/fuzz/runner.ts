/**
 * Runs a fuzz campaign: the decode stage in a worker thread under a watchdog
 * (a case that runs longer than `hangMs` is a hang; a worker that dies, say
 * out of memory, is a crash of the case it was running; either way the
 * campaign goes on from the next case), then a sample of the cases that
 * decoded through DuckDB: loaded, queried as `summary` and `info` do, and some
 * rendered as a report. Every failing case is written to `failDir` with what
 * is needed to replay it.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { bindings, DEFAULT_PARAMS } from '../../src/db/params.js';
import { reportData } from '../../src/db/report.js';
import { Session } from '../../src/db/session.js';
import { fileSummaries, totals, traceInfo } from '../../src/db/summary.js';
import { renderReport } from '../../src/report/render.js';
import { makeCase, type Seed } from './mutate.js';
import { typedErrorProblem } from './oracle.js';
import type { CaseResult, WorkerJob } from './worker.js';

export interface FuzzOptions {
  seeds: Seed[];
  seed: number;
  cases: number;
  /** Cases that decoded to load into DuckDB (spread evenly over the run). */
  dbCases: number;
  /** Of those, how many also render a report. */
  reportCases: number;
  /** Where failing cases are written. */
  failDir: string;
  /** A case running longer than this is a hang. */
  hangMs?: number;
  log?: (line: string) => void;
}

export interface Failure {
  index: number;
  stage: 'decode' | 'database';
  kind: 'crash' | 'hang' | 'died';
  detail: string;
  file: string;
}

export interface FuzzResult {
  seed: number;
  cases: number;
  decoded: number;
  refused: number;
  failures: Failure[];
  /** Per case in the decode stage. */
  msMean: number;
  msMax: number;
  /** Largest ArrayBuffer growth of one case, absolute and over its input size. */
  maxBuffers: number;
  maxBuffersRatio: number;
  maxHeap: number;
  /** Largest input. */
  maxSize: number;
  peakRss: number;
  db: { cases: number; loaded: number; refused: number; reports: number; msMean: number; msMax: number; peakRss: number };
  seconds: number;
}

/** Write a failing case where it can be replayed: its bytes, and how it was made. */
function keepFailure(o: FuzzOptions, index: number, detail: string): string {
  mkdirSync(o.failDir, { recursive: true });
  let c: ReturnType<typeof makeCase>;
  try {
    c = makeCase(o.seeds, o.seed, index);
  } catch (err) {
    // The mutator itself failed: keep what it said instead of bytes.
    c = { index, seed: '(none)', ops: [`makeCase threw: ${(err as Error).message}`], bytes: new Uint8Array(0) };
  }
  const file = join(o.failDir, `seed-${o.seed}-case-${index}.fstrace`);
  writeFileSync(file, c.bytes);
  writeFileSync(`${file}.txt`, [
    `seed ${o.seed} case ${index}: ${c.seed}; ${c.ops.join(', ')}`,
    detail,
    `replay: npm run fuzz -- --replay ${file}   (or: npm run fuzz -- --seed ${o.seed} --from ${index} --cases 1, with the same seed files)`,
    '',
  ].join('\n'));
  return file;
}

/** The decode stage: [0, cases) in worker threads, restarted after a hang or a death. */
async function decodeStage(o: FuzzOptions, onResult: (r: CaseResult) => void, failures: Failure[]): Promise<number> {
  const hangMs = o.hangMs ?? 20_000;
  // Results come in batches: after a hang or a death, a new worker starts
  // from the first case not reported, skipping the cases that failed.
  let from = 0;
  const skip: number[] = [];
  let peakRss = 0;
  while (from < o.cases) {
    const progress = new SharedArrayBuffer(8);
    const words = new Int32Array(progress);
    Atomics.store(words, 0, from);
    const job: WorkerJob = { seeds: o.seeds, seed: o.seed, from, to: o.cases, skip, progress };
    const worker = new Worker(new URL('./worker.mjs', import.meta.url), {
      workerData: job,
      resourceLimits: { maxOldGenerationSizeMb: 1024 },
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'FORCE_COLOR' && k !== 'NO_COLOR')),
    });
    let reported = from;
    const ended = await new Promise<{ next: number; failure?: Omit<Failure, 'file'> }>((resolve) => {
      let lastDone = -1;
      let lastChange = Date.now();
      const timer = setInterval(() => {
        const done = Atomics.load(words, 1);
        if (done !== lastDone) {
          lastDone = done;
          lastChange = Date.now();
        } else if (Date.now() - lastChange > hangMs) {
          clearInterval(timer);
          const index = Atomics.load(words, 0);
          void worker.terminate();
          resolve({ next: reported, failure: { index, stage: 'decode', kind: 'hang', detail: `no result after ${hangMs} ms` } });
        }
      }, 250);
      worker.on('message', (m: { results: CaseResult[]; rss: number }) => {
        peakRss = Math.max(peakRss, m.rss);
        m.results.forEach(onResult);
        reported = m.results[m.results.length - 1]!.index + 1;
      });
      worker.on('error', (err) => {
        clearInterval(timer);
        const index = Atomics.load(words, 0);
        resolve({ next: reported, failure: { index, stage: 'decode', kind: 'died', detail: `the worker died: ${err.stack ?? err.message}` } });
      });
      worker.on('exit', () => {
        clearInterval(timer);
        resolve({ next: o.cases });
      });
    });
    if (ended.failure) {
      skip.push(ended.failure.index);
      failures.push({ ...ended.failure, file: keepFailure(o, ended.failure.index, `${ended.failure.kind}: ${ended.failure.detail}`) });
      o.log?.(`case ${ended.failure.index}: ${ended.failure.kind}: ${ended.failure.detail.split('\n')[0]}`);
    }
    from = ended.next;
  }
  return peakRss;
}

/** Load one case into a fresh database and query it as `summary`, `info` (and `report`) do. */
async function dbCase(file: string, report: boolean): Promise<'loaded' | 'refused' | { problem: string }> {
  let session: Session;
  try {
    session = await Session.open({ inputs: [file], quiet: true, warn: () => undefined });
  } catch (err) {
    const problem = typedErrorProblem(err, file);
    return problem ? { problem } : 'refused';
  }
  try {
    const b = bindings(DEFAULT_PARAMS);
    await fileSummaries(session, b);
    await totals(session, b);
    await traceInfo(session, b);
    if (report) renderReport(await reportData(session, DEFAULT_PARAMS));
    return 'loaded';
  } catch (err) {
    // Once loaded, nothing about the input may fail a query.
    return { problem: `after loading: ${typedErrorProblem(err, file) ?? (err as Error).message}` };
  } finally {
    session.close();
  }
}

/** The database stage: `dbCases` of the decoded cases, evenly spread, one at a time with a watchdog. */
async function databaseStage(o: FuzzOptions, decoded: number[], failures: Failure[]): Promise<FuzzResult['db']> {
  const hangMs = o.hangMs ?? 20_000;
  const pick = decoded.length <= o.dbCases ? decoded : Array.from({ length: o.dbCases }, (_, j) => decoded[Math.floor((j * decoded.length) / o.dbCases)]!);
  const reportEvery = o.reportCases > 0 ? Math.max(1, Math.floor(pick.length / o.reportCases)) : Infinity;
  const dir = mkdtempSync(join(existsShm() ? '/dev/shm' : tmpdir(), 'fsync-fuzz-'));
  const db = { cases: 0, loaded: 0, refused: 0, reports: 0, msMean: 0, msMax: 0, peakRss: 0 };
  let msTotal = 0;
  try {
    for (const [j, index] of pick.entries()) {
      const c = makeCase(o.seeds, o.seed, index);
      const file = join(dir, `case-${index}.fstrace`);
      writeFileSync(file, c.bytes);
      const report = j % reportEvery === 0 && db.reports < o.reportCases;
      const t0 = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        dbCase(file, report),
        new Promise<{ problem: string; hang: true }>((resolve) => {
          timer = setTimeout(() => resolve({ problem: `no result after ${hangMs} ms`, hang: true }), hangMs);
        }),
      ]);
      clearTimeout(timer);
      const ms = performance.now() - t0;
      msTotal += ms;
      db.msMax = Math.max(db.msMax, ms);
      db.peakRss = Math.max(db.peakRss, process.memoryUsage().rss);
      db.cases++;
      rmSync(file, { force: true });
      if (outcome === 'loaded') {
        db.loaded++;
        if (report) db.reports++;
      } else if (outcome === 'refused') {
        db.refused++;
      } else {
        const kind = 'hang' in outcome ? 'hang' : 'crash';
        failures.push({ index, stage: 'database', kind, detail: outcome.problem, file: keepFailure(o, index, `database stage: ${kind}: ${outcome.problem}`) });
        o.log?.(`case ${index} (database): ${kind}: ${outcome.problem.split('\n')[0]}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  db.msMean = db.cases ? msTotal / db.cases : 0;
  return db;
}

function existsShm(): boolean {
  try {
    return statSync('/dev/shm').isDirectory();
  } catch {
    return false;
  }
}

export async function fuzz(o: FuzzOptions): Promise<FuzzResult> {
  const t0 = performance.now();
  const failures: Failure[] = [];
  const decoded: number[] = [];
  let refused = 0;
  let msTotal = 0;
  let msMax = 0;
  let maxBuffers = 0;
  let maxBuffersRatio = 0;
  let maxHeap = 0;
  let maxSize = 0;
  let done = 0;
  const peakRss = await decodeStage(o, (r) => {
    done++;
    if (r.verdict === 'decoded') decoded.push(r.index);
    else if (r.verdict === 'refused') refused++;
    else {
      const file = keepFailure(o, r.index, `decode stage: crash: ${r.detail}`);
      failures.push({ index: r.index, stage: 'decode', kind: 'crash', detail: r.detail ?? '', file });
      o.log?.(`case ${r.index}: crash: ${(r.detail ?? '').split('\n')[0]} (${r.seedName}; ${r.ops?.join(', ')})`);
    }
    msTotal += r.ms;
    msMax = Math.max(msMax, r.ms);
    maxBuffers = Math.max(maxBuffers, r.buffers);
    maxBuffersRatio = Math.max(maxBuffersRatio, r.buffers / Math.max(1, r.size));
    maxHeap = Math.max(maxHeap, r.heap);
    maxSize = Math.max(maxSize, r.size);
    if (done % 10_000 === 0) o.log?.(`${done.toLocaleString('en-US')} cases: ${decoded.length} decoded, ${refused} refused, ${failures.length} failures`);
  }, failures);
  const db = await databaseStage(o, decoded, failures);
  return {
    seed: o.seed, cases: o.cases, decoded: decoded.length, refused, failures,
    msMean: done ? msTotal / done : 0, msMax, maxBuffers, maxBuffersRatio, maxHeap, maxSize, peakRss,
    db, seconds: (performance.now() - t0) / 1000,
  };
}
