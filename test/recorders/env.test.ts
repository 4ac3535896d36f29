/**
 * The recorder's environment: when it writes a file at all, FSYNC_TRACE_DISABLE,
 * an unusable FSYNC_TRACE_DIR, FSYNC_TRACE_WRITE_SAMPLE, and odd values of
 * every setting, the always-on ones included.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { account, cleanup, comparable, events, invariantProblems, makeDirs, onlyTrace, removeDirs, run, said } from './harness.js';

const F_WRITE_TIME_SAMPLED = 0x1;

test('/bin/true leaves no trace file', () => {
  const r = run('/bin/true', []);
  try {
    assert.equal([r.status, r.stderr, r.files], [0, '', []]);
  } finally {
    removeDirs(r.dirs);
  }
});

test('FSYNC_TRACE_DISABLE=1 records nothing and changes nothing', () => {
  const off = run('calls', (d) => [d.data], { env: { FSYNC_TRACE_DISABLE: '1' } });
  const bare = run('calls', (d) => [d.data], { bare: true });
  try {
    assert.equal([off.status, off.stderr, off.files], [0, '', []]);
    assert.equal(comparable(off), comparable(bare));
  } finally {
    removeDirs(off.dirs);
    removeDirs(bare.dirs);
  }
});

test('a trace directory that cannot be made changes nothing for the program', () => {
  const dirs = makeDirs();
  writeFileSync(join(dirs.root, 'plain-file'), '');
  const where = join(dirs.root, 'plain-file', 'traces');
  const r = run('calls', [dirs.data], { dirs, env: { FSYNC_TRACE_DIR: where } });
  const bare = run('calls', (d) => [d.data], { bare: true });
  try {
    assert.is(r.status, 0, r.stderr);
    assert.equal(comparable(r).map((l) => l.replaceAll(dirs.data, 'DATA')), comparable(bare));
    assert.not.ok(existsSync(where));
  } finally {
    removeDirs(dirs);
    removeDirs(bare.dirs);
  }
});

test('odd settings change nothing for the program, and any file they leave decodes', () => {
  const bare = run('calls', (d) => [d.data], { bare: true });
  const settings: Array<Record<string, string>> = [
    { FSYNC_TRACE_WRITE_SAMPLE: '0' }, { FSYNC_TRACE_WRITE_SAMPLE: 'often' }, { FSYNC_TRACE_WRITE_SAMPLE: '-3' },
    { FSYNC_TRACE_MAX_BYTES: '100' }, { FSYNC_TRACE_MAX_BYTES: String(4096 + 64) }, { FSYNC_TRACE_MAX_BYTES: 'big' },
    { FSYNC_TRACE_MAX_BYTES: '99999999999999999999999' }, { FSYNC_TRACE_DIR: 'relative/dir' },
    // The always-on settings: garbage is the default, 0 is off, anything goes to no harm.
    { FSYNC_TRACE_SUMMARY_SECONDS: 'often' }, { FSYNC_TRACE_SUMMARY_SECONDS: '0' }, { FSYNC_TRACE_SUMMARY_SECONDS: '99999999' },
    { FSYNC_TRACE_ALERT_MS: '-1' }, { FSYNC_TRACE_ALERT_MS: '1', FSYNC_TRACE_ALERT_TO: 'relative/path' },
    { FSYNC_TRACE_ALERT_MS: '1', FSYNC_TRACE_ALERT_TO: '/nonexistent/dir/alerts' }, { FSYNC_TRACE_ALERT_FACTOR: '0', FSYNC_TRACE_ALERT_MIN_MS: '0' },
    { FSYNC_TRACE_COST_PERIOD: '1' }, { FSYNC_TRACE_COST_PERIOD: '0' }, { FSYNC_TRACE_ALERT_EVERY: 'x' },
    { FSYNC_TRACE_MAX_BYTES: '100', FSYNC_TRACE_SUMMARY_SECONDS: '1', FSYNC_TRACE_COST_PERIOD: '1' },
  ];
  try {
    for (const env of settings) {
      const r = run('calls', (d) => [d.data], { env }); // run() decodes every file it finds
      try {
        const what = JSON.stringify(env);
        assert.equal([what, r.status, r.signal, r.stderr], [what, 0, null, '']);
        assert.equal(comparable(r), comparable(bare), what);
        for (const t of r.traces) assert.equal(invariantProblems(t), [], what);
      } finally {
        removeDirs(r.dirs);
      }
    }
  } finally {
    removeDirs(bare.dirs);
  }
});

/** The one fsync of sample.c, after WRITES writes of SIZE bytes. */
function sampled(sample: string, writes: number, size: number) {
  const r = run('sample', (d) => [d.data, String(writes), String(size)], { env: { FSYNC_TRACE_WRITE_SAMPLE: sample } });
  try {
    assert.is(r.status, 0, r.stderr);
    const trace = onlyTrace(r);
    assert.equal(invariantProblems(trace), []);
    const syncs = events(trace).filter((e) => e.type === 'sync');
    assert.is(syncs.length, 1);
    assert.is(said(account(r.stdout), 'sync', 'sample').ret, '0');
    return syncs[0]!;
  } finally {
    removeDirs(r.dirs);
  }
}

test('FSYNC_TRACE_WRITE_SAMPLE=1 times every write: exact counts, no extrapolation', () => {
  const e = sampled('1', 20, 1 << 20);
  assert.equal([e.bytes, e.writes, e.flags & F_WRITE_TIME_SAMPLED], [20n << 20n, 20, 0]);
  assert.ok(e.writeUs > 0, '20 MiB of writes take some time');
  assert.ok(BigInt(e.writeUs) * 1000n <= e.startNs - e.ivalStartNs, `${e.writeUs} µs within ${e.startNs - e.ivalStartNs} ns`);
});

test('FSYNC_TRACE_WRITE_SAMPLE=0 or garbage: counts stay exact', () => {
  for (const v of ['0', 'often']) {
    const e = sampled(v, 20, 1 << 10);
    assert.equal([v, e.bytes, e.writes], [v, 20n << 10n, 20]);
  }
});

test('FSYNC_TRACE_WRITE_SAMPLE=4 times some writes: counts still exact, time extrapolated', () => {
  const e = sampled('4', 20, 1 << 20);
  assert.equal([e.bytes, e.writes, e.flags & F_WRITE_TIME_SAMPLED], [20n << 20n, 20, F_WRITE_TIME_SAMPLED]);
  assert.ok(e.writeUs > 0, 'extrapolated from the timed writes');
});

test.after(cleanup);

test.run();
