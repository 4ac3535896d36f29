/**
 * The analyzer under bad input: thousands of mutations of real traces (every
 * sample, and one recorded now), each decoded and prepared for loading in a
 * worker under a watchdog, and a sample of them loaded into DuckDB, queried
 * and rendered. Every case must end in a result or a typed one-line error
 * naming the file, within bounds of time and memory.
 *
 * FUZZ_SEED fixes the run seed (printed either way), FUZZ_CASES the count.
 * Failing cases go to .fuzz-failures/ with how to replay them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { figure } from '../figures.js';
import { cleanup, lazy, ROOT } from '../recorders/harness.js';
import { freshSeed, makeCase, MUTATION_NAMES } from './mutate.js';
import { fuzz } from './runner.js';
import { allSeeds } from './seeds.js';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : freshSeed();
const CASES = Number(process.env.FUZZ_CASES ?? 4000);
const DB_CASES = 150;
const REPORT_CASES = 12;
const FAIL_DIR = join(ROOT, '.fuzz-failures');
const MiB = 1024 * 1024;

const seeds = lazy(() => allSeeds());

test.after(() => cleanup());

test('a case is a pure function of the run seed and its index', () => {
  const s = seeds();
  assert.ok(s.length >= 20, `${s.length} seeds`);
  assert.ok(s.some((x) => x.name.startsWith('recorded now')), 'a trace recorded by this tree is a seed');
  const a = makeCase(s, 1234, 77);
  const b = makeCase(s, 1234, 77);
  assert.equal([a.seed, a.ops], [b.seed, b.ops]);
  assert.ok(Buffer.from(a.bytes).equals(Buffer.from(b.bytes)));
  const others = Array.from({ length: 20 }, (_, i) => makeCase(s, 1234, i));
  assert.ok(new Set(others.map((c) => c.ops.join())).size >= 18, 'cases differ from one index to the next');
  // Every kind of mutation shows up in a few hundred cases.
  const kinds = new Set<string>();
  for (let i = 0; i < 400; i++) for (const op of makeCase(s, 99, i).ops) kinds.add(op.split(':')[0]!);
  assert.equal([...kinds].sort(), [...MUTATION_NAMES].sort(), `kinds seen: ${[...kinds].join(' ')}`);
});

test('the watchdog reports a case that never ends as a hang, with its index, and the run goes on', async () => {
  const failDir = mkdtempSync(join(tmpdir(), 'fsync-fuzz-selftest-'));
  process.env.FSYNC_FUZZ_SELFTEST_HANG = '3';
  // The limit is generous (case 3 never ends; the others take milliseconds):
  // a loaded machine starts a worker in over a second, and 1 s took case 0 for a hang.
  try {
    const r = await fuzz({ seeds: seeds(), seed: 5, cases: 8, dbCases: 0, reportCases: 0, failDir, hangMs: 8000 });
    assert.equal(r.failures.map((f) => [f.index, f.kind, f.stage]), [[3, 'hang', 'decode']]);
    assert.is(r.decoded + r.refused, 7, 'the other seven cases ran');
    assert.match(readFileSync(`${r.failures[0]!.file}.txt`, 'utf8'), 'seed 5 case 3: ');
  } finally {
    delete process.env.FSYNC_FUZZ_SELFTEST_HANG;
    rmSync(failDir, { recursive: true, force: true });
  }
});

test(`${CASES} mutated traces: each a result or a typed one-line error, in bounded time and memory`, async () => {
  console.log(`fuzz: seed ${SEED} (FUZZ_SEED=${SEED} repeats this run), ${CASES} cases`);
  const s = seeds();
  const r = await fuzz({ seeds: s, seed: SEED, cases: CASES, dbCases: DB_CASES, reportCases: REPORT_CASES, failDir: FAIL_DIR, log: (l) => console.log(`fuzz: ${l}`) });
  const failures = r.failures.map((f) => `case ${f.index} (${f.stage}, ${f.kind}): ${f.detail.split('\n')[0]} -> ${f.file}`);
  assert.equal(failures, [], `seed ${SEED}`);
  assert.is(r.decoded + r.refused, CASES);
  // The mutations reach both sides: a fuzzer whose cases were all refused at the magic would prove little.
  assert.ok(r.decoded > CASES / 10 && r.refused > CASES / 10, `${r.decoded} decoded, ${r.refused} refused`);
  // The database stage loads what the decode stage prepared: it refuses nothing the loader's own checks accepted.
  const dbCases = Math.min(DB_CASES, r.decoded);
  assert.equal([r.db.cases, r.db.loaded, r.db.refused, r.db.reports], [dbCases, dbCases, 0, Math.min(REPORT_CASES, dbCases)]);
  // Each case's ArrayBuffer growth is checked against 8x its input + 1 MiB in the oracle; the process as a whole:
  assert.ok(r.peakRss < 1024 * MiB && r.db.peakRss < 1536 * MiB, `peak RSS ${r.peakRss} / ${r.db.peakRss}`);
  const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
  console.log(`fuzz: ${r.decoded} decoded, ${r.refused} refused, 0 failures; ${r.msMean.toFixed(2)} ms/case (max ${r.msMax.toFixed(0)} ms); ` +
    `max ${mib(r.maxBuffers)} of buffers (${r.maxBuffersRatio.toFixed(2)}x input); DuckDB: ${r.db.cases} cases, ${r.db.msMean.toFixed(0)} ms/case; ${r.seconds.toFixed(1)} s`);
  const n = (x: number) => x.toLocaleString('en-US');
  figure({
    area: 'Analyzer under bad input',
    case: 'mutated traces, decoded in memory',
    tried: `${n(CASES)} cases (seed ${SEED}) from ${s.length} seeds (${s.length - 1} samples + 1 recorded now): bit flips, byte runs, truncations (random and at header/record boundaries), splices, duplicated/swapped records, edge values in header and record fields, wrong version/magic`,
    held: `${n(CASES)} of ${n(CASES)} ended in a trace (${n(r.decoded)}) or a one-line TraceError (${n(r.refused)}); 0 crashes, 0 hangs; ${r.msMean.toFixed(2)} ms/case (max ${r.msMax.toFixed(0)} ms); at most ${r.maxBuffersRatio.toFixed(2)}× the input in new buffers (bound 8× + 1 MiB); peak RSS ${mib(r.peakRss)}`,
  });
  figure({
    area: 'Analyzer under bad input',
    case: 'mutated traces, loaded and queried',
    tried: `${n(r.db.cases)} of the decoded cases loaded into DuckDB and queried as summary and info do; ${r.db.reports} also rendered as the HTML report`,
    held: `${n(r.db.loaded)} analyzed, ${n(r.db.refused)} refused with a TraceError, 0 internal errors; ${r.db.msMean.toFixed(0)} ms/case (max ${r.db.msMax.toFixed(0)} ms); peak RSS ${mib(r.db.peakRss)}`,
  });
});

test.run();
