/**
 * Privilege changes under the recorder, run as root with a root-owned 0700
 * trace directory: a child that switches to another user records into a
 * directory of that user's own under the configured one (uid-N, 0700, owned
 * by N), and the analyzer, given the configured directory, finds it. Three
 * ways: a fork child that calls setuid itself, a program exec'd by setpriv
 * already as another user, and the real case of issue 13, mandb run as user
 * man (apt's man-db trigger), counted against strace. (Before issue 13:
 * nothing was recorded for any of them: the other user cannot write root's
 * directory.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeJson, forEveryone, requireProgram, type SummaryJson } from '../../scripts/workloads/common.js';
import { account, bin, cleanup, LIB, makeDirs, run, type Dirs } from './harness.js';
import { readTrace } from '../../src/trace/decode.js';
import { traceFiles } from '../traces.js';

test.after(cleanup);

const NOBODY = 65534;

/** Test directories with root's 0700 trace directory, and a data directory user nobody may write. */
function nobodyDirs(): Dirs {
  const d = makeDirs();
  chmodSync(d.traces, 0o700);
  chmodSync(d.root, 0o755);
  chownSync(d.data, NOBODY, NOBODY);
  return d;
}

function kinds(traces: string): Record<string, Record<string, number>> {
  const s = analyzeJson<SummaryJson>(['summary', traces]);
  return Object.fromEntries(s.files.map((f) => [f.path, f.by_kind]));
}

test('a fork child that drops to another user records into uid-N, found from the configured directory', () => {
  const d = nobodyDirs();
  const r = run('privdrop', [d.data, String(NOBODY)], { dirs: d });
  assert.is(r.status, 0, r.stderr);
  const child = account(r.stdout).find((l) => l.kind === 'child')!.f;
  assert.is(child.status, '0');
  const own = join(d.traces, `uid-${NOBODY}`);
  assert.ok(existsSync(own), 'uid-65534 made');
  const st = statSync(own);
  assert.equal([st.uid, st.mode & 0o777], [NOBODY, 0o700]);
  assert.equal(traceFiles(own).map((f) => f.split('.')[1]), [child.pid]);
  assert.equal(kinds(d.traces), {
    [`${d.data}/parent.dat`]: { fsync: 1 },
    [`${d.data}/child.dat`]: { fsync: 1, fdatasync: 1 },
  });
});

test('a program started as another user (setpriv) records into uid-N', () => {
  const d = nobodyDirs();
  const calls = forEveryone(bin('calls'));
  const r = run('/usr/bin/setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', calls, d.data], { dirs: d, env: { LD_PRELOAD: forEveryone(LIB) } });
  assert.is(r.status, 0, r.stderr);
  const syncs = account(r.stdout).filter((l) => l.kind === 'sync').length;
  const own = join(d.traces, `uid-${NOBODY}`);
  assert.ok(existsSync(own), 'uid-65534 made');
  const s = analyzeJson<SummaryJson>(['summary', d.traces]);
  assert.is(s.totals.calls, syncs);
});

test('a user\'s traces under root\'s directory keep to the budget in its uid-N directory, oldest ended first', () => {
  const d = nobodyDirs();
  const weeks = forEveryone(bin('weeks'));
  const once = (env: Record<string, string> = {}) => {
    const r = run('/usr/bin/setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', weeks, 'once', d.data], { dirs: d, env: { LD_PRELOAD: forEveryone(LIB), ...env } });
    assert.is(r.status, 0, r.stderr);
  };
  for (let i = 0; i < 6; i++) once();
  const own = join(d.traces, `uid-${NOBODY}`);
  const bytes = (f: string) => statSync(join(own, f)).blocks * 512;
  const before = traceFiles(own);
  assert.is(before.length, 6);
  const starts = new Map(before.map((f) => [f, readTrace(join(own, f)).header.realtimeNs]));
  const startOf = (f: string) => starts.get(f)!;
  const budget = Math.floor(before.reduce((a, f) => a + bytes(f), 0) / 2);
  // Before the fix the look read root's directory (only uid-N directories in
  // it): nothing was ever removed here.
  once({ FSYNC_TRACE_DIR_MAX_BYTES: String(budget) });
  const after = traceFiles(own);
  const gone = before.filter((f) => !after.includes(f));
  assert.ok(gone.length >= 3, `${gone.length} of 6 ended traces removed`);
  assert.ok(after.reduce((a, f) => a + bytes(f), 0) <= budget, 'the uid-N directory is under the budget');
  const newestGone = gone.map(startOf).reduce((a, b) => (a > b ? a : b));
  assert.ok(before.filter((f) => after.includes(f)).every((f) => startOf(f) > newestGone), 'the oldest went first');
  const mine = after.filter((f) => !before.includes(f));
  assert.is(mine.length, 1);
  assert.is(Number(readTrace(join(own, mine[0]!)).header.dirRemoved), gone.length, 'counted in the remover\'s header');
});

test('mandb as user man (the man-db trigger of apt-get --reinstall): every fsync and msync recorded', () => {
  const mandb = requireProgram('mandb', 'man-db');
  const d = nobodyDirs(); // its data directory is man's below
  const man = join(d.data, 'man');
  mkdirSync(join(man, 'man1'), { recursive: true });
  for (const page of ['ls.1.gz', 'cp.1.gz', 'mv.1.gz']) copyFileSync(join('/usr/share/man/man1', page), join(man, 'man1', page));
  const manUid = Number(spawnSync('id', ['-u', 'man'], { encoding: 'utf8' }).stdout);
  const manGid = Number(spawnSync('id', ['-g', 'man'], { encoding: 'utf8' }).stdout);
  spawnSync('chown', ['-R', 'man:man', d.data]);
  const args = [`--reuid=${manUid}`, `--regid=${manGid}`, '--init-groups', mandb, '-q', '-c', man];
  // Ground truth: strace counts the calls of the same run, bare.
  const truth = spawnSync('strace', ['-f', '-qq', '-c', '-U', 'name,calls', '-e', 'trace=fsync,fdatasync,msync', '-o', join(d.root, 'strace.out'), 'setpriv', ...args], { encoding: 'utf8' });
  assert.is(truth.status, 0, truth.stderr);
  spawnSync('chown', ['-R', 'man:man', d.data]);
  const r = run('/usr/bin/setpriv', [...args], { dirs: d, env: { LD_PRELOAD: forEveryone(LIB) } });
  assert.is(r.status, 0, r.stderr);
  const counted = Object.fromEntries([...spawnSync('cat', [join(d.root, 'strace.out')], { encoding: 'utf8' }).stdout.matchAll(/^\s*(fsync|fdatasync|msync)\s+(\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
  const s = analyzeJson<SummaryJson>(['summary', d.traces]);
  assert.ok((counted.fsync ?? 0) + (counted.msync ?? 0) > 0, JSON.stringify(counted));
  assert.equal(s.totals.by_kind, counted);
});

test.run();
