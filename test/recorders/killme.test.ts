/**
 * killme.c under the recorder, killed with SIGKILL: every fsync that returned
 * before the kill is in the trace, because records go through a shared
 * mapping of the file and need no exit handler to reach it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DecodedTrace } from '../../src/trace/decode.js';
import { cleanup, events, invariantProblems, onlyTrace, removeDirs, type RunResult, start } from './harness.js';

const HDR_ENDED = 0x1;

const doneLines = (stdout: string): number => stdout.split('\n').filter((l) => l.startsWith('done ')).length;

/** The fsyncs of the trace, checked to be the program's: one 10-byte write each, intervals chained. */
function checkedFsyncs(r: RunResult, trace: DecodedTrace) {
  const all = events(trace);
  const open = all.find((e) => e.type === 'open' && e.path === `${r.dirs.data}/k`);
  assert.ok(open, 'the open of k survives');
  const fsyncs = all.filter((e) => e.type === 'sync');
  fsyncs.forEach((e, i) => {
    const prev = i === 0 ? open!.startNs : fsyncs[i - 1]!.startNs;
    assert.equal([e.call, e.res, e.path, e.bytes, e.writes, e.ivalStartNs], ['fsync', 0, `${r.dirs.data}/k`, 10n, 1, prev], `fsync ${i}`);
  });
  return fsyncs;
}

test('killed mid-run: every fsync reported done is in the trace, at most one more', async () => {
  const p = start('killme', (d) => [d.data, '0'], { env: { FSYNC_TRACE_MAX_BYTES: String(16 << 20) } });
  await p.waitFor((out) => doneLines(out) >= 300);
  p.child.kill('SIGKILL');
  const r = await p.done();
  try {
    assert.is(r.signal, 'SIGKILL');
    const reported = doneLines(r.stdout);
    const trace = onlyTrace(r);
    assert.equal(invariantProblems(trace), []);
    assert.is(trace.header.flags & HDR_ENDED, 0, 'a killed process did not end normally');
    const fsyncs = checkedFsyncs(r, trace);
    assert.ok(fsyncs.length >= reported && fsyncs.length <= reported + 1,
      `${fsyncs.length} fsyncs in the trace, ${reported} reported done before the kill`);
  } finally {
    removeDirs(r.dirs);
  }
});

test('killed while waiting: exactly the fsyncs it made', async () => {
  const p = start('killme', (d) => [d.data, '200']);
  await p.waitFor((out) => out.includes('\nwaiting\n'));
  p.child.kill('SIGKILL');
  const r = await p.done();
  try {
    assert.is(r.signal, 'SIGKILL');
    assert.is(doneLines(r.stdout), 200);
    const trace = onlyTrace(r);
    assert.equal(invariantProblems(trace), []);
    assert.is(checkedFsyncs(r, trace).length, 200);
    assert.is(trace.header.flags & HDR_ENDED, 0);
  } finally {
    removeDirs(r.dirs);
  }
});

test.after(cleanup);

test.run();
