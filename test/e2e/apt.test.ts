/**
 * apt-get reinstalling a small package (liburing-dev: 2 headers, a static
 * library, 129 man pages), recorded end to end as root, the way CI runs:
 * apt-get runs dpkg (twice: unpack, then configure and triggers), dpkg runs
 * the man-db trigger, which runs mandb as user `man` (setpriv). Every sync
 * call of the run is counted against strace's count of the same command,
 * per program and call kind; dpkg's syncs name the files of the package
 * (each written as NAME.dpkg-new) and dpkg's own database; mandb's name its
 * index and are in the trace directory's uid-N directory of user man, found
 * by the analyzer from the configured directory. (Before issue 13: mandb's
 * 1 fsync and 27 msync were not recorded: user man cannot write root's
 * directory.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeJson, analyzeSql, freshDir, RECORD, removeDir, requireProgram, runOk, type SummaryJson } from '../../scripts/workloads/common.js';

const PACKAGE = 'liburing-dev'; // installed by .ci/run; its .deb is in apt's cache once installed
const KINDS = ['fsync', 'fdatasync', 'msync', 'sync_file_range', 'syncfs', 'sync'];

const dirs: string[] = [];
test.after(() => dirs.forEach(removeDir));

function reinstall(): string[] {
  return ['install', '-y', '-q', '--reinstall', '--no-download', '-o', 'DPkg::Lock::Timeout=600', PACKAGE];
}

/** strace's count of the sync calls of every process of the run, by executable and kind. */
function straced(apt: string, root: string): Record<string, Record<string, number>> {
  const out = join(root, 'strace.out');
  runOk(requireProgram('strace', 'strace'), ['-f', '-qq', '-o', out, '-e', `trace=${KINDS.join(',')},execve`, '-e', 'signal=none', apt, ...reinstall()], { timeout: 600_000 });
  const exe = new Map<string, string>();
  const counts: Record<string, Record<string, number>> = {};
  for (const line of readFileSync(out, 'utf8').split('\n')) {
    const m = /^(\d+) +(\w+)\((.*)$/.exec(line);
    if (!m) continue;
    const [, pid, call, rest] = m;
    if (call === 'execve') {
      if (!/= -1 /.test(rest!)) exe.set(pid!, /^"([^"]*)"/.exec(rest!)![1]!);
      continue;
    }
    const who = exe.get(pid!) ?? `pid ${pid}`;
    counts[who] ??= {};
    counts[who]![call!] = (counts[who]![call!] ?? 0) + 1;
  }
  return counts;
}

test(`apt-get install --reinstall ${PACKAGE}: every sync of apt, dpkg and mandb (as user man) recorded and named`, () => {
  assert.is(process.getuid?.(), 0, 'apt-get --reinstall needs root (CI runs as root)');
  const apt = requireProgram('apt-get', 'apt');
  const root = freshDir('e2e-apt');
  dirs.push(root);
  chmodSync(root, 0o755);
  const traces = join(root, 'traces');
  mkdirSync(traces, { mode: 0o700 });
  // The package must be in apt's cache (downloaded here only when it is not).
  runOk(apt, ['install', '-y', '-q', '--reinstall', '--download-only', '-o', 'DPkg::Lock::Timeout=600', PACKAGE], { timeout: 600_000 });
  const truth = straced(apt, root);
  runOk(RECORD, ['--quiet', '--dir', traces, '--', apt, ...reinstall()], { timeout: 600_000 });

  // Per program and kind, what the trace holds is what strace counted.
  const rows = analyzeSql<{ exe: string; kind: string; n: number }>(
    "select t.exe, c.name as kind, count(*)::integer as n from events e join traces t using (trace_id) join calls c on c.call = e.call where e.type = 3 group by all order by all",
    [traces]);
  const got: Record<string, Record<string, number>> = {};
  for (const r of rows) (got[r.exe] ??= {})[r.kind] = r.n;
  assert.equal(got, truth);
  // What dpkg and mandb are known to do: dpkg fsyncs each unpacked file and its database,
  // and starts writeback with sync_file_range; mandb (gdbm) msyncs its index.
  const dpkg = truth['/usr/bin/dpkg'] ?? {};
  const mandb = truth['/usr/bin/mandb'] ?? {};
  assert.ok((dpkg.fsync ?? 0) >= 10 && (dpkg.sync_file_range ?? 0) >= 100, JSON.stringify(truth));
  assert.ok((mandb.msync ?? 0) >= 1, JSON.stringify(truth));

  // Attributed right. dpkg writes each file of the package as NAME.dpkg-new and starts its
  // writeback with sync_file_range, once per file; it fsyncs them before renaming them into
  // place unless told --force-unsafe-io (Docker images set it in /etc/dpkg/dpkg.cfg.d);
  // its other fsyncs are its database (/var/lib/dpkg and files under it). mandb's are on
  // its index under /var/cache/man.
  const regular = [...new Set(runOk(requireProgram('dpkg', 'dpkg'), ['-L', PACKAGE]).stdout.split('\n'))]
    .filter((f) => f !== '' && lstatSync(f, { throwIfNoEntry: false })?.isFile()).sort();
  const synced = analyzeSql<{ exe: string; kind: string; path: string; n: number }>(
    'select t.exe, c.name as kind, f.path, count(*)::integer as n from events e join traces t using (trace_id) join calls c on c.call = e.call join files f using (file_id) where e.type = 3 group by all order by all',
    [traces]);
  const of = (exe: string, kind: string) => synced.filter((r) => r.exe === exe && r.kind === kind);
  const unpacked = (r: { path: string }) => r.path.replace(/\.dpkg-new$/, '');
  assert.equal(of('/usr/bin/dpkg', 'sync_file_range').map((r) => [unpacked(r), r.n]), regular.map((f) => [f, 1]));
  const unsafeIo = runOk('sh', ['-c', 'cat /etc/dpkg/dpkg.cfg /etc/dpkg/dpkg.cfg.d/* 2>/dev/null || true']).stdout.split('\n').some((l) => l.trim() === 'force-unsafe-io');
  const dpkgFsyncs = of('/usr/bin/dpkg', 'fsync');
  const database = dpkgFsyncs.filter((r) => /^\/var\/lib\/dpkg(\/|$)/.test(r.path));
  assert.ok(database.length >= 3, JSON.stringify(dpkgFsyncs));
  assert.equal(dpkgFsyncs.filter((r) => !database.includes(r)).map((r) => [unpacked(r), r.n]), unsafeIo ? [] : regular.map((f) => [f, 1]));
  assert.equal(synced.filter((r) => r.exe === '/usr/bin/mandb' && !r.path.startsWith('/var/cache/man/')), []);

  // mandb ran as user man: its trace is in uid-N, N being man's uid, a directory of man's own.
  const manUid = Number(runOk('id', ['-u', 'man']).stdout);
  const own = join(traces, `uid-${manUid}`);
  assert.equal([statSync(own).uid, statSync(own).mode & 0o777], [manUid, 0o700]);
  assert.equal(readdirSync(own).map((f) => f.split('.')[0]), ['mandb']);
  const s = analyzeJson<SummaryJson>(['summary', traces]);
  const total = (k: string) => Object.values(truth).reduce((n, c) => n + (c[k] ?? 0), 0);
  assert.equal(s.totals.by_kind, Object.fromEntries(KINDS.filter((k) => total(k) > 0).map((k) => [k, total(k)])));
});

test.run();
