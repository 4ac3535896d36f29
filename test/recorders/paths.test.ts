/**
 * paths.c and fortify.c under the recorder: the name of every event is the
 * file's absolute, canonical, current path, however the file was opened,
 * duplicated or renamed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import type { TraceEvent } from '../../src/trace/events.js';
import {
  account, bin, cleanup, comparable, ensureBuilt, events, expectedRes, invariantProblems, lazy, onlyTrace, removeDirs, run, type RunResult, said,
} from './harness.js';

const F_FD_RESOLVED = 0x2;

/** Dynamic symbols a binary imports (nm -D), without their versions. */
function imports(program: string): string[] {
  ensureBuilt();
  const nm = spawnSync('nm', ['-D', '--undefined-only', bin(program)], { encoding: 'utf8' });
  assert.is(nm.status, 0, nm.stderr);
  return nm.stdout.split('\n').map((l) => l.trim().split(/\s+/).pop()!.replace(/@.*/, '')).filter(Boolean);
}

/** A run's events matched to its own lines of `kind` by order. */
function pairs(r: RunResult, kind: 'sync' | 'open', evs: TraceEvent[]): Map<string, TraceEvent> {
  // A directory opened read-only ("dir") has no open record: it is named when it is synced.
  const mine = account(r.stdout).filter((l) => l.kind === kind && (kind !== 'open' || (Number(l.f.ret) >= 0 && l.f.label !== 'dir')));
  if (mine.length !== evs.length) {
    throw new Error(`${evs.length} ${kind} events for the program's ${mine.length}:\n`
      + evs.map((e) => `  ${e.call ?? e.type} fd=${e.fd} res=${e.res} ${e.path}`).join('\n'));
  }
  return new Map(mine.map((l, i) => [l.f.label!, evs[i]!]));
}

const paths = lazy(() => {
  const r = run('paths', (d) => [d.data]);
  const trace = onlyTrace(r);
  const all = events(trace);
  const opens = all.filter((e) => e.type === 'open' && e.res >= 0);
  return { r, trace, all, sync: pairs(r, 'sync', all.filter((e) => e.type === 'sync')), open: pairs(r, 'open', opens) };
});
const pathsBare = lazy(() => run('paths', (d) => [d.data], { bare: true }));

function sync(label: string): TraceEvent {
  const e = paths().sync.get(label);
  if (!e) throw new Error(`no sync line ${label}`);
  return e;
}
function at(name: string): string {
  return `${paths().r.dirs.data}/${name}`;
}

test.after(cleanup);

test('paths.c imports each open variant under its own name', () => {
  const got = imports('paths');
  for (const sym of ['open', 'open64', 'openat', 'openat64', 'creat', 'creat64', 'dup', 'dup2', 'dup3', 'fcntl', 'rename', 'renameat', 'renameat2']) {
    assert.ok(got.includes(sym), `paths imports ${sym}`);
  }
  assert.not.ok(got.includes('__open_2'), 'paths is built without _FORTIFY_SOURCE');
});

test('paths.c runs as it does without the recorder, failed open and rename included', () => {
  const r = paths().r;
  assert.is(r.status, 0, r.stderr);
  assert.equal(comparable(r), comparable(pathsBare()));
  assert.is(said(account(r.stdout), 'open', 'missing').errno, '2');
  assert.is(said(account(r.stdout), 'rename', 'rename_missing').errno, '2');
  assert.equal(invariantProblems(paths().trace), []);
});

test('every sync is recorded in order with its result', () => {
  const lines = account(paths().r.stdout).filter((l) => l.kind === 'sync');
  assert.equal(paths().all.filter((e) => e.type === 'sync').map((e) => [e.call, e.fd, e.res]),
    lines.map((l) => [l.f.call, Number(l.f.fd), expectedRes(l.f)]));
});

test('each open variant names the file by its canonical absolute path', () => {
  const want: Record<string, string> = {
    open: 'p_open', open64: 'p_open64', dir: 'sub', openat: 'sub/p_openat', openat64: 'sub/p_openat64',
    creat: 'p_creat', creat64: 'p_creat64', rel: 'p_rel', dots: 'p_dots', slashes: 'sub/p_slashes', up: 'p_up',
  };
  const labels = Object.keys(want);
  assert.equal(labels.map((l) => [l, sync(l).path]), labels.map((l) => [l, at(want[l]!)]), 'the fsync after each open');
  const opened = labels.filter((l) => l !== 'dir');
  assert.equal(opened.map((l) => [l, paths().open.get(l)?.path]), opened.map((l) => [l, at(want[l]!)]), 'the open events');
  const lines = account(paths().r.stdout);
  assert.equal(opened.map((l) => [l, paths().open.get(l)?.res, paths().open.get(l)?.writes]),
    opened.map((l) => [l, Number(said(lines, 'open', l).fd), Number(said(lines, 'open', l).flags)]), 'res = fd, writes = flags');
  assert.is(paths().all.filter((e) => e.type === 'open' && e.path === at('sub')).length, 0, 'a directory opened read-only: no open record');
  for (const l of labels) assert.is(sync(l).flags & F_FD_RESOLVED, 0, `${l}: seen opened, not resolved through /proc`);
});

test('a file opened through a symlink is named by its canonical path', () => {
  assert.is(sync('link').path, at('p_open'));
});

test('dup, dup2, dup3 and fcntl(F_DUPFD*) keep the name', () => {
  const lines = account(paths().r.stdout);
  const labels = ['dup', 'dup2', 'dup3', 'f_dupfd', 'f_dupfd_cloexec', 'dup2_over'];
  assert.equal(labels.map((l) => [l, sync(l).fd, sync(l).res, sync(l).path]),
    labels.map((l) => [l, Number(said(lines, 'sync', l).fd), 0, at('p_open')]));
  assert.equal([sync('dup2').fd, sync('dup3').fd], [50, 51]);
  assert.ok(sync('f_dupfd').fd >= 60 && sync('f_dupfd_cloexec').fd >= 70);
  assert.is(sync('dup2_over').fd, sync('open64').fd, 'dup2 onto the descriptor of p_open64 now names p_open');
});

test('writes through duplicates count in the file interval', () => {
  const e = sync('dup_writes');
  assert.equal([e.path, e.bytes, e.writes, e.ivalStartNs], [at('p_open'), 7n, 2, sync('dup2_over').startNs]);
});

test('rename, renameat and renameat2 are rename events linking the old name to the new', () => {
  const renames = paths().all.filter((e) => e.type === 'rename' && e.res === 0 && e.path !== at('olddir'));
  const names = (e: TraceEvent): [string | null, string | null] => [e.path, paths().trace.paths.get(e.writes)?.name ?? null];
  assert.equal(renames.map(names), [
    [at('p_creat'), at('p_renamed')],
    [at('sub/p_openat'), at('sub/p_openat_moved')],
    [at('p_rel'), at('sub/p_rel_moved')],
  ]);
  for (const e of renames) assert.ok(e.writes !== e.pathId && e.writes !== 0, 'the new name has its own path id');
  const seqs = ['creat', 'rename', 'renamed'].map((l) => (l === 'rename' ? renames[0]!.seq : sync(l).seq));
  assert.ok(seqs[0]! < seqs[1]! && seqs[1]! < seqs[2]!, 'the rename event comes between the syncs around it');
});

test('after a rename, events carry the new name and the interval goes on', () => {
  assert.equal(['renamed', 'renamedat', 'renamedat2'].map((l) => sync(l).path),
    [at('p_renamed'), at('sub/p_openat_moved'), at('sub/p_rel_moved')]);
  const e = sync('renamed');
  assert.equal([e.bytes, e.writes, e.ivalStartNs], [9n, 1, sync('creat').startNs]);
});

test('after its directory is renamed, a file is synced under its current name', () => {
  assert.is(sync('indir').path, at('olddir/f'));
  assert.is(sync('indir_moved').path, at('newdir/f'));
});

test('dup2 of a descriptor onto itself, and failed dups, change nothing', () => {
  const lines = account(paths().r.stdout);
  assert.equal(['dup3_self', 'dup2_bad', 'dupfd_bad'].map((l) => [l, said(lines, 'dup', l).errno]), [['dup3_self', '22'], ['dup2_bad', '9'], ['dupfd_bad', '22']]);
  const self = sync('dup2_self');
  const after = sync('after_bad_dups');
  assert.equal([self.path, self.flags & F_FD_RESOLVED, self.bytes, self.writes, self.ivalStartNs],
    [at('p_open'), 0, 2n, 1, sync('dup_writes').startNs]);
  assert.equal([after.path, after.flags & F_FD_RESOLVED, after.bytes, after.writes, after.ivalStartNs],
    [at('p_open'), 0, 3n, 1, self.startNs]);
});

test('other fcntl commands and O_TMPFILE modes pass through as without the recorder', () => {
  const pick = (r: RunResult) => comparable(r).filter((l) => l.startsWith('fcntl ') || l.startsWith('tmpfile '));
  const got = pick(paths().r);
  assert.is(got.length, 7);
  assert.equal(got, pick(pathsBare()));
  assert.ok(got.includes('tmpfile label=tmpfile mode=640'));
});

test('opening something that is not a file or a directory is no open event', () => {
  assert.not.ok(paths().all.some((e) => e.path === '/dev/null'));
});

test('a descriptor number far above 1024 is tracked like any other', () => {
  const e = sync('high_fd');
  assert.ok(e.fd > 10000, `fd ${e.fd}`);
  assert.equal([e.path, e.res, e.flags & F_FD_RESOLVED, e.bytes, e.writes, e.ivalStartNs],
    [at('p_open'), 0, 0, 6n, 1, sync('after_bad_dups').startNs]);
});

test('a name of more than 1000 bytes is recorded whole', () => {
  const name = at(['a', 'b', 'c', 'd', 'e'].map((ch) => ch.repeat(200)).join('/') + '/p_long');
  assert.ok(name.length > 1000);
  assert.equal([sync('long').path, paths().open.get('long')?.path], [name, name]);
});

const fortified = lazy(() => run('fortify', (d) => [d.data, '1'])); // 1 = O_WRONLY

test('fortify.c reaches open through the fortified __open_2 family', () => {
  const got = imports('fortify');
  for (const sym of ['__open_2', '__open64_2', '__openat_2', '__openat64_2']) assert.ok(got.includes(sym), `fortify imports ${sym}`);
});

test('opens through __open_2, __open64_2, __openat_2, __openat64_2 are seen', () => {
  const r = fortified();
  assert.is(r.status, 0, r.stderr);
  const trace = onlyTrace(r);
  assert.equal(invariantProblems(trace), []);
  const lines = account(r.stdout);
  const all = events(trace);
  const labels = ['open', 'open64', 'openat', 'openat64'];
  const at = (name: string): string => `${r.dirs.data}/${name}`;
  const opens = all.filter((e) => e.type === 'open' && e.writes === 1);
  assert.equal(opens.map((e) => [e.res, e.writes, e.path]),
    labels.map((l) => [Number(said(lines, 'open', l).fd), 1, at(`f_${l}`)]));
  const syncs = all.filter((e) => e.type === 'sync');
  assert.equal(syncs.map((e) => [e.fd, e.res, e.path, e.bytes, e.writes, e.flags & F_FD_RESOLVED]),
    labels.map((l) => [Number(said(lines, 'sync', l).fd), 0, at(`f_${l}`), 17n, 1, 0]));
  assert.equal(syncs.map((e) => e.ivalStartNs), opens.map((e) => e.startNs), 'each interval starts at its fortified open');
  removeDirs(r.dirs);
});

test.run();
