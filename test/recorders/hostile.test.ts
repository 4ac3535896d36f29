/**
 * A hostile or odd environment (env.test.ts has the plain cases: disabled,
 * a directory that cannot be made, odd sizes). What the recorder does in
 * each case, decided here and in ft_create.c and ft_trace.c:
 *
 *  - FSYNC_TRACE_DIR a symlink (dangling or not), owned by another user,
 *    writable by group or others (sticky bit or not), or not a directory:
 *    refused — nothing is written anywhere, the program runs on unrecorded.
 *    (A planted symlink at the trace *file* is out of reach: only the owner
 *    can write in a directory that passes, and the file is made unnamed
 *    and linked in with linkat, which never follows a symlink.)
 *  - missing: its last component is made, 0700; a missing parent: refused.
 *  - relative: to the working directory the process starts in, made
 *    absolute at start, so a later chdir changes nothing.
 *  - any umask, 0777 and 0 included: the directory is 0700 and the file
 *    0600, and recording works.
 *  - a setuid program run by another user: the loader ignores LD_PRELOAD
 *    (and the recorder turns itself off under AT_SECURE): nothing recorded.
 *  - file names with newlines, control bytes, invalid UTF-8, PATH_MAX
 *    length: recorded byte for byte (the decoder shows them as UTF-8 with
 *    U+FFFD for invalid bytes); a path longer than PATH_MAX has no name the
 *    kernel can give, and its events are recorded unnamed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, chownSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTrace } from '../../src/trace/decode.js';
import { figure } from '../figures.js';
import { bin, cleanup, comparable, ensureBuilt, events, invariantProblems, makeDirs, run } from './harness.js';
import { n, rawPaths, runRaw, size } from './reliability.js';
import { traceFiles } from '../traces.js';

const AREA = 'Hostile environment';
const NOBODY = 65534;
const NOGROUP = 65534;

test('a trace directory that is a symlink, not ours, or open to others: refused, nothing written', () => {
  const bare = run('calls', (d) => [d.data], { bare: true });
  const cases: Array<[string, (root: string) => string]> = [
    ['symlink to a good directory', (root) => { mkdirSync(join(root, 'real'), { mode: 0o700 }); symlinkSync(join(root, 'real'), join(root, 't')); return join(root, 't'); }],
    ['dangling symlink', (root) => { symlinkSync(join(root, 'nowhere'), join(root, 't')); return join(root, 't'); }],
    ['owned by another user', (root) => { mkdirSync(join(root, 't'), { mode: 0o700 }); chownSync(join(root, 't'), NOBODY, NOGROUP); return join(root, 't'); }],
    ['world-writable, no sticky bit', (root) => { mkdirSync(join(root, 't')); chmodSync(join(root, 't'), 0o777); return join(root, 't'); }],
    ['world-writable with the sticky bit', (root) => { mkdirSync(join(root, 't')); chmodSync(join(root, 't'), 0o1777); return join(root, 't'); }],
    ['group-writable', (root) => { mkdirSync(join(root, 't')); chmodSync(join(root, 't'), 0o770); return join(root, 't'); }],
    ['a plain file', (root) => { writeFileSync(join(root, 't'), 'precious\n'); return join(root, 't'); }],
    ['missing parent', (root) => join(root, 'no', 'such', 't')],
  ];
  for (const [name, make] of cases) {
    const dirs = makeDirs();
    const where = make(dirs.root);
    const before = listing(dirs.root);
    const r = run('calls', [dirs.data], { dirs, env: { FSYNC_TRACE_DIR: where } });
    assert.equal([name, r.status, r.signal, r.stderr], [name, 0, null, '']);
    assert.equal(comparable(r), comparable(bare), name);
    assert.equal(listing(dirs.root).filter((p) => !p.startsWith('data')), before.filter((p) => !p.startsWith('data')), `${name}: nothing made or changed outside data/`);
    if (name === 'a plain file') assert.is(readFileSync(where, 'utf8'), 'precious\n');
  }
  figure({
    area: AREA,
    case: 'unsafe trace directories',
    tried: `FSYNC_TRACE_DIR as ${cases.map(([c]) => c).join(', ')} (calls.c: every durability call kind)`,
    held: `all ${cases.length} refused: no file written or changed anywhere, no directory made; the program's output identical to the bare run and exit 0 each time (it runs on unrecorded)`,
  });
});

/** Every path under root (symlinks not followed) with its mode, owner and size, for a before/after comparison. */
function listing(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const st = lstatSync(join(root, rel));
    out.push(`${rel} ${st.mode.toString(8)} ${st.uid} ${st.isFile() ? st.size : ''}`);
    if (st.isDirectory()) for (const e of readdirSync(join(root, rel)).sort()) walk(join(rel, e));
  };
  for (const e of readdirSync(root).sort()) walk(e);
  return out;
}

test('a missing trace directory is made 0700; a relative one is taken from the start directory', () => {
  const rounds = size(10000, 100000);
  const dirs = makeDirs();
  const fresh = join(dirs.root, 'fresh');
  const r = runRaw('hostile', [dirs.data, 'chdir', '10'], { dirs, env: { FSYNC_TRACE_DIR: fresh } });
  assert.equal([r.status, r.stderr], [0, '']);
  assert.is(statSync(fresh).mode & 0o7777, 0o700);
  assert.is(traceFiles(fresh).length, 1);

  // Relative, and the program moves its working directory after the trace
  // is made: the ring still grows (it is reopened by name to do so).
  const bare = runRaw('hostile', (d) => [d.data, 'chdir', String(rounds)], { bare: true });
  const rel = runRaw('hostile', (d) => [d.data, 'chdir', String(rounds)], { env: { FSYNC_TRACE_DIR: 'rel-traces', FSYNC_TRACE_MAX_BYTES: String(size(8, 128) << 20) } });
  assert.equal([rel.status, rel.stderr, rel.stdout], [0, '', bare.stdout]);
  const files = traceFiles(join(rel.dirs.root, 'rel-traces'));
  assert.is(files.length, 1, 'in the directory the program started in');
  assert.not.ok(existsSync(join(rel.dirs.data, 'rel-traces')));
  const trace = readTrace(join(rel.dirs.root, 'rel-traces', files[0]!));
  assert.equal(invariantProblems(trace), []);
  const syncs = events(trace).filter((e) => e.type === 'sync').length;
  assert.is(syncs, 2 * rounds);
  figure({
    area: AREA,
    case: 'missing or relative trace directory',
    tried: `FSYNC_TRACE_DIR missing (its parent exists), and relative ("rel-traces") with the program doing chdir after its first record, then ${n(2 * rounds)} pwrite + fsync on files opened before and after the chdir`,
    held: `the missing one made with mode 0700; the relative one resolved against the start directory: all ${n(syncs)} fsyncs recorded there, 0 dropped (before the fix: recording stopped at the first ring growth after the chdir)`,
  });
});

test('any umask (0777, 0), as root and as another user: directory 0700, file 0600 (01600 once its process ended), all recorded', () => {
  const rounds = 2000;
  const results: string[] = [];
  for (const user of ['root', 'nobody'] as const) {
    for (const umask of [0o777, 0o000, 0o022]) {
      const dirs = makeDirs();
      // A home of the user's own, so that the trace directory can be made in it.
      const home = join(dirs.root, 'home');
      mkdirSync(home, { mode: 0o700 });
      const ids = user === 'nobody' ? { uid: NOBODY, gid: NOGROUP } : {};
      if (user === 'nobody') {
        chmodSync(dirs.root, 0o755);
        chownSync(home, NOBODY, NOGROUP);
        chownSync(dirs.data, NOBODY, NOGROUP);
      }
      const where = join(home, 'traces');
      const r = runRaw('hostile', [dirs.data, 'chdir', String(rounds)], { dirs, env: { FSYNC_TRACE_DIR: where }, umask, ...ids });
      const what = `${user} umask ${umask.toString(8).padStart(4, '0')}`;
      assert.equal([what, r.status, r.stderr, r.stdout], [what, 0, '', `chdir rounds=${2 * rounds} failed=0\ndone\n`]);
      assert.is(statSync(where).mode & 0o7777, 0o700, what);
      const files = traceFiles(where);
      assert.is(files.length, 1, what);
      const st = statSync(join(where, files[0]!));
      // 0600 while the process lives; the sticky bit once it ended (ft_budget.h), as here.
      assert.equal([what, st.mode & 0o7777, st.uid], [what, 0o1600, user === 'nobody' ? NOBODY : 0]);
      const trace = readTrace(join(where, files[0]!));
      assert.equal(invariantProblems(trace), [], what);
      assert.is(events(trace).filter((e) => e.type === 'sync').length, 2 * rounds, what);
      results.push(what);
    }
  }
  figure({
    area: AREA,
    case: 'odd umask',
    tried: `umask 0777, 0000 and 0022, each as root and as user nobody, the trace directory made by the recorder; ${n(2 * rounds)} fsyncs each`,
    held: `all ${results.length} runs: directory mode 0700 and file mode 0600 (01600 after the process ended) whatever the umask (before the fix, umask 0777 made them 0000, and as nobody no trace could be made), owned by the user, every fsync recorded`,
  });
});

test('a setuid program run by another user: nothing recorded, nothing broken', () => {
  ensureBuilt();
  const dirs = makeDirs();
  chmodSync(dirs.root, 0o755);
  chownSync(dirs.data, NOBODY, NOGROUP);
  const suid = join(dirs.root, 'calls-suid');
  copyFileSync(bin('calls'), suid);
  chownSync(suid, 0, 0);
  chmodSync(suid, 0o4755);
  // The trace directory is root's and would pass the checks for a root
  // process: if the recorder were loaded and on, it would write here.
  const bareDirs = makeDirs();
  chmodSync(bareDirs.root, 0o755);
  chownSync(bareDirs.data, NOBODY, NOGROUP);
  const bare = runRaw(suid, [bareDirs.data], { dirs: bareDirs, bare: true, uid: NOBODY, gid: NOGROUP });
  const r = runRaw(suid, [dirs.data], { dirs, uid: NOBODY, gid: NOGROUP });
  assert.equal([r.status, r.signal, r.stderr], [0, null, '']);
  assert.equal([bare.status, bare.stderr], [0, '']);
  const same = (out: string, data: string) => out.split(data).join('DATA').replace(/ (addr|pid)=\d+/g, ' $1=N');
  assert.is(same(r.stdout, dirs.data), same(bare.stdout, bareDirs.data));
  assert.equal(readdirSync(dirs.traces), []);
  const syncs = r.stdout.split('\n').filter((l) => l.startsWith('sync ')).length;
  figure({
    area: AREA,
    case: 'setuid program',
    tried: `calls.c copied, chown root, chmod u+s, run as user nobody with LD_PRELOAD set (${syncs} durability calls), a root-owned 0700 trace directory waiting`,
    held: 'nothing recorded (the loader ignores LD_PRELOAD in a setuid program; the recorder would turn itself off under AT_SECURE), exit 0, output identical to the bare setuid run',
  });
});

test('file names with newlines, control bytes, invalid UTF-8 and PATH_MAX length: byte-exact', () => {
  const bare = runRaw('hostile', (d) => [d.data, 'names'], { bare: true });
  const r = runRaw('hostile', (d) => [d.data, 'names'], { env: { FSYNC_TRACE_MAX_BYTES: String(4 << 20) } });
  assert.equal([r.status, r.signal, r.stderr], [0, null, '']);
  assert.is(r.stdout, bare.stdout);
  const names = r.stdout.split('\n').filter((l) => l.startsWith('file ')).map((l) => Buffer.from(/name=([0-9a-f]+)/.exec(l)![1]!, 'hex'));
  const file = join(r.dirs.traces, r.files[0]!);
  const trace = readTrace(file);
  const raw = rawPaths(file);
  const syncs = events(trace).filter((e) => e.type === 'sync');
  const deep = names.pop()!; // "too-deep": beyond PATH_MAX
  assert.is(deep.toString(), 'too-deep');
  let exact = 0;
  let longest = 0;
  for (const name of names) {
    const want = Buffer.concat([Buffer.from(`${r.dirs.data}/`), name]);
    const mine = syncs.filter((e) => e.pathId !== 0 && raw.get(e.pathId)?.equals(want));
    assert.is(mine.length, 3, `3 fsyncs named ${JSON.stringify(want.toString('latin1'))}`);
    // The decoder's string is the bytes as UTF-8 with replacement (U+FFFD).
    assert.ok(mine.every((e) => e.path === want.toString('utf8')));
    exact += mine.length;
    longest = Math.max(longest, want.length);
  }
  assert.is(longest, 4095, 'one path is PATH_MAX - 1 bytes long');
  const unnamed = syncs.filter((e) => e.pathId === 0);
  assert.is(unnamed.length, 3, 'the file beyond PATH_MAX: recorded, unnamed');
  assert.ok(unnamed.every((e) => (e.flags & 0x8) !== 0 && e.res === 0));
  figure({
    area: AREA,
    case: 'odd file names',
    tried: `${names.length} files whose names hold a newline, a tab, control bytes and an escape sequence, invalid UTF-8 (0xff 0xfe, a lone continuation byte, an overlong and a surrogate encoding), a 255-byte name and an absolute path of ${n(longest)} bytes (PATH_MAX - 1), plus one nested beyond PATH_MAX; 3 pwrite + fsync each`,
    held: `all ${exact} fsyncs named by the exact bytes of their path (read raw from the path records; the decoder shows the same bytes as UTF-8 with U+FFFD); the 3 beyond PATH_MAX recorded with the "could not be named" flag; output identical`,
  });
});

test.after(cleanup);

test.run();
