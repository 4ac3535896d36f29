/**
 * The trace's pages made the old way, as on kernels before 5.14: under
 * nopopulate.c's seccomp filter, madvise(MADV_POPULATE_WRITE) fails with
 * EINVAL and the recorder falls back to fallocate(2) through the file. ring.c
 * makes 20,000 fsyncs (the 1 MiB test trace's ring laps several times): the
 * program runs as usual, the counts are exact, and the pages are made a step
 * (several chunks) per fallocate, the file opened once per step.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyzeJson, requireProgram, type SummaryJson } from '../../scripts/workloads/common.js';
import { account, bin, cleanup, donePid, invariantProblems, lazy, LIB, onlyTrace, run } from './harness.js';

const N = 20_000;

const ran = lazy(() => {
  const strace = requireProgram('strace', 'strace');
  return run(strace, (d) => ['-f', '-qq', '-o', join(d.root, 'strace.out'), '-e', 'trace=madvise,fallocate', '-E', `LD_PRELOAD=${LIB}`,
    bin('nopopulate'), bin('ring'), d.data, String(N), '4'], { bare: true });
});

test.after(cleanup);

test('without MADV_POPULATE_WRITE: the program as usual, every fsync counted, nothing dropped', () => {
  const r = ran();
  assert.is(r.status, 0, r.stderr);
  const lines = account(r.stdout);
  assert.equal(lines.find((l) => l.kind === 'done')?.f, { pid: String(donePid(lines)), fsyncs: String(N), failed: '0' });
  const t = onlyTrace(r);
  assert.equal(invariantProblems(t), []);
  assert.is(t.header.dropped, 0n);
  assert.is(analyzeJson<SummaryJson>(['summary', r.dirs.traces]).totals.by_kind.fsync, N);
});

test('the pages are made by fallocate, a step of several chunks at a time', () => {
  const r = ran();
  const out = readFileSync(join(r.dirs.root, 'strace.out'), 'utf8');
  const refused = out.split('\n').filter((l) => /MADV_POPULATE_WRITE\) = -1 EINVAL/.test(l));
  assert.is(refused.length, 1, 'asked once, then the old way for good');
  const lengths = [...out.matchAll(/fallocate\(\d+, 0, \d+, (\d+)\) += 0/g)].map((m) => Number(m[1]));
  assert.ok(lengths.length >= 8, `${lengths.length} fallocate calls`);
  // Past the ring's first 16 KiB the steps are 16 KiB (4 chunks): one call each, not four.
  assert.ok(lengths.filter((n) => n >= 16384).length >= lengths.length / 2, `lengths: ${lengths.slice(0, 20).join(' ')}`);
});

test.run();
