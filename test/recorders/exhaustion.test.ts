/**
 * The recorder when it runs out of something, or someone takes its file
 * away: a tiny tmpfs that fills up, RLIMIT_NOFILE at 0, descriptors at the
 * top of the table, the trace deleted or truncated while the program writes
 * to it (the SIGBUS hole, ft_signal.c). The program runs on unharmed: same
 * output as without the recorder, exit 0. Where records were lost and a
 * header is left to say so, `dropped` counts them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readTrace } from '../../src/trace/decode.js';
import { figure } from '../figures.js';
import { cleanup, events, invariantProblems, makeDirs } from './harness.js';
import { fields, lines, n, runRaw, size } from './reliability.js';
import { traceFiles } from '../traces.js';

const AREA = 'Recorder exhaustion';
const HDR_DISABLED = 0x4;
const STOP_TRUNCATED = 3; // STOP_REASONS[3] in src/trace/layout.ts

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

/** A tmpfs of `bytes`, mounted for the length of fn, then unmounted. */
function withTmpfs<T>(bytes: number, fn: (mnt: string) => T): T {
  const dirs = makeDirs();
  const mnt = join(dirs.root, 'tiny');
  mkdirSync(mnt);
  sh('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tmpfs', mnt]);
  try {
    return fn(mnt);
  } finally {
    sh('umount', [mnt]);
  }
}

/** Fill a filesystem to the last byte. */
function fill(mnt: string): void {
  spawnSync('dd', ['if=/dev/zero', `of=${join(mnt, 'filler')}`, 'bs=4096'], { encoding: 'utf8' });
  const df = spawnSync('df', ['--output=avail', '-B1', mnt], { encoding: 'utf8' });
  assert.is(Number(df.stdout.split('\n')[1]), 0, 'the tmpfs is full');
}

test('a tiny tmpfs: too small for a trace, full, and filling up: the program never notices', () => {
  const threads = 4;
  const rounds = size(3000, 30000);
  const args = (d: { data: string; root: string }) => [d.data, 'threads', String(threads), String(rounds), '8', join(d.root, 'account')];
  const bare = runRaw('load', args, { bare: true });
  assert.is(bare.status, 0, bare.stderr);
  const calls = threads * rounds;

  // 4 KiB: not room for the header and the ring's first chunk (8 KiB).
  const small = withTmpfs(4 << 10, (mnt) => {
    const r = runRaw('load', args, { env: { FSYNC_TRACE_DIR: join(mnt, 'traces') } });
    return { r, left: traceFiles(join(mnt, 'traces')) };
  });
  assert.equal([small.r.status, small.r.signal, small.r.stderr, small.r.stdout], [0, null, '', bare.stdout]);
  assert.equal(small.left, [], 'a trace that could not be made is not left behind');

  // Full to the last byte before the program starts.
  const full = withTmpfs(1 << 20, (mnt) => {
    mkdirSync(join(mnt, 'traces'), { mode: 0o700 });
    fill(mnt);
    const r = runRaw('load', args, { env: { FSYNC_TRACE_DIR: join(mnt, 'traces') } });
    return { r, left: traceFiles(join(mnt, 'traces')) };
  });
  assert.equal([full.r.status, full.r.signal, full.r.stderr, full.r.stdout], [0, null, '', bare.stdout]);
  assert.equal(full.left, []);

  // 512 KiB for a ring of 2 MiB (an 8 MiB file): it fills up while the threads record.
  const filling = withTmpfs(512 << 10, (mnt) => {
    const r = runRaw('load', args, { env: { FSYNC_TRACE_DIR: join(mnt, 'traces'), FSYNC_TRACE_MAX_BYTES: String(8 << 20) } });
    const files = traceFiles(join(mnt, 'traces'));
    assert.is(files.length, 1, 'the trace made before the tmpfs filled up stays');
    const file = join(mnt, 'traces', files[0]!);
    const trace = readTrace(file);
    return { r, trace, syncs: events(trace).filter((e) => e.type === 'sync').length };
  });
  assert.equal([filling.r.status, filling.r.signal, filling.r.stderr, filling.r.stdout], [0, null, '', bare.stdout]);
  const h = filling.trace.header;
  assert.is(h.flags & HDR_DISABLED, HDR_DISABLED, 'the header says recording stopped');
  assert.ok(h.dropped > 0n, 'drops are counted');
  assert.ok(BigInt(filling.syncs) + h.dropped >= BigInt(calls), `${filling.syncs} recorded + ${h.dropped} dropped < ${calls} calls`);
  assert.equal(invariantProblems(filling.trace).filter((p) => !p.startsWith('dropped')), []);
  figure({
    area: AREA,
    case: 'tiny, full and filling tmpfs',
    tried: `the trace directory on a tmpfs the test mounts: 4 KiB (too small for a trace), 1 MiB filled to the last byte before the start, and 512 KiB under an 8 MiB file; each time ${threads} threads × ${n(rounds)} pwrite + sync calls (${n(calls)} durability calls)`,
    held: `exit 0 and output byte-for-byte the bare run's, all three; no file left where none could be made; on the filling tmpfs ${n(filling.syncs)} calls recorded, then recording stopped (header flag "disabled") with ${n(h.dropped)} records counted dropped (recorded + dropped ≥ calls)`,
  });
});

test('RLIMIT_NOFILE at 0: the program sees its EMFILE, the recorder drops and goes on', () => {
  const rounds = size(10000, 100000);
  const bareAfter = runRaw('fdlimit', (d) => [d.data, 'min', 'after', String(rounds)], { bare: true });
  // A ring that holds every call: what is not in it was dropped, not overwritten
  // (the ring is a quarter of the file).
  const after = runRaw('fdlimit', (d) => [d.data, 'min', 'after', String(rounds)], { env: { FSYNC_TRACE_MAX_BYTES: String(size(4, 32) << 20) } });
  assert.equal([after.status, after.signal, after.stderr, after.stdout], [0, null, '', bareAfter.stdout]);
  assert.match(after.stdout, /open=-1 errno_emfile=1 dup=-1 errno_emfile=1/);
  assert.is(after.files.length, 1);
  const trace = readTrace(join(after.dirs.traces, after.files[0]!));
  const syncs = events(trace).filter((e) => e.type === 'sync');
  const onA = syncs.filter((e) => e.path === join(after.dirs.data, 'a')).length;
  const onB = syncs.filter((e) => e.path === join(after.dirs.data, 'b')).length;
  assert.is(onB, 10, 'recording goes on once descriptors are back');
  // The file grows through its mapping (MADV_POPULATE_WRITE), which needs no
  // descriptor: not one record is lost to the program's shortage.
  assert.is(trace.header.dropped, 0n, 'no record needed a descriptor');
  assert.is(onA, rounds + 1, 'every sync on a is recorded');
  assert.is(trace.header.flags & HDR_DISABLED, 0, 'a passing shortage does not stop the recording');
  assert.equal(invariantProblems(trace).filter((p) => !p.startsWith('dropped')), []);

  // At 0 before the first record: the trace cannot be made yet; each record
  // meanwhile is counted dropped, and the file is made once descriptors are back.
  const bareBefore = runRaw('fdlimit', (d) => [d.data, 'min', 'before', '100'], { bare: true });
  const before = runRaw('fdlimit', (d) => [d.data, 'min', 'before', '100']);
  assert.equal([before.status, before.signal, before.stderr, before.stdout], [0, null, '', bareBefore.stdout]);
  assert.is(before.files.length, 1);
  const late = readTrace(join(before.dirs.traces, before.files[0]!));
  const lateSyncs = events(late).filter((e) => e.type === 'sync');
  assert.equal([late.header.dropped, lateSyncs.length, lateSyncs.every((e) => e.path === join(before.dirs.data, 'b'))], [100n, 10, true]);
  figure({
    area: AREA,
    case: 'RLIMIT_NOFILE at 0',
    tried: `RLIMIT_NOFILE lowered to 0 after the trace was made, ${n(rounds)} pwrite + fsync on an open file, an open and a dup that must fail with EMFILE, then the limit restored and 10 fsyncs of a new file; and the limit at 0 before the first record`,
    held: `output identical (the program's own EMFILEs included), exit 0; all ${n(onA)} of ${n(rounds + 1)} fsyncs recorded while the program had no descriptor to spare (the file grows through its mapping, which needs none), then all 10 after the limit came back (recording not stopped); at 0 from the start, the trace is made at the first record after the limit came back, with the ${late.header.dropped} fsyncs made before counted dropped`,
  });
});

test('descriptors at the top of the table: every call on them named and recorded', () => {
  const k = size(50, 500);
  const bare = runRaw('fdlimit', (d) => [d.data, 'high', String(k)], { bare: true });
  const r = runRaw('fdlimit', (d) => [d.data, 'high', String(k)], { env: { FSYNC_TRACE_MAX_BYTES: String(32 << 20) } });
  assert.equal([r.status, r.signal, r.stderr, r.stdout], [0, null, '', bare.stdout]);
  const f = fields(r.stdout.split('\n')[0]!);
  const base = Number(f.base);
  const trace = readTrace(join(r.dirs.traces, r.files[0]!));
  assert.equal(invariantProblems(trace), []);
  const syncs = events(trace).filter((e) => e.type === 'sync');
  const byFd = new Map<number, number>();
  for (const e of syncs) byFd.set(e.fd, (byFd.get(e.fd) ?? 0) + 1);
  const want = new Map<number, number>();
  for (let i = 0; i < 64; i++) want.set(base + i, k);
  want.set(Number(f.dupfd), k);
  want.set(Number(f.top), k);
  assert.equal([...byFd.entries()].sort((a, b) => a[0] - b[0]), [...want.entries()].sort((a, b) => a[0] - b[0]));
  assert.ok(syncs.every((e) => e.path === join(r.dirs.data, e.fd === Number(f.top) ? 'g' : 'h') && e.bytes === 10n && e.writes === 1));
  figure({
    area: AREA,
    case: 'descriptors up to the limit',
    tried: `RLIMIT_NOFILE raised as far as allowed (here ${n(Number(f.top) + 1)}: the VM's hard limit; 200,000 with CAP_SYS_RESOURCE), one file dup2'ed to ${n(base)}..${n(base + 63)}, F_DUPFD to ${n(Number(f.dupfd))}, another dup3'ed to ${n(Number(f.top))}; ${k} pwrite + fsync on each of the 66`,
    held: `all ${n(syncs.length)} fsyncs recorded on their own descriptor number, named, with their exact one-write interval; output identical`,
  });
});

test('the trace deleted, or truncated, while 8 threads write to it: no SIGBUS, nothing changes', () => {
  const threads = 8;
  const rounds = size(4000, 40000);
  const bare = runRaw('sigbus', (d) => [d.data, 'trunc', '0', String(threads), String(rounds)], { bare: true });
  assert.is(bare.status, 0, bare.stderr);
  const cases = [-1, 0, 4096, 4096 + 64 * 1000, 300_000];
  const left: string[] = [];
  for (const cut of cases) {
    const r = runRaw('sigbus', (d) => [d.data, 'trunc', String(cut), String(threads), String(rounds)], { env: { FSYNC_TRACE_MAX_BYTES: String(4 << 20) } });
    const what = cut < 0 ? 'deleted' : `truncated to ${cut}`;
    assert.equal([what, r.status, r.signal, r.stderr, r.stdout], [what, 0, null, '', bare.stdout]);
    assert.equal(lines(join(r.dirs.data, 'note')), [`truncated=1 size=${cut}`], 'the program found its trace and cut it');
    if (cut < 0) {
      assert.equal(r.files, []);
      left.push('deleted: no file');
      continue;
    }
    assert.is(r.files.length, 1);
    const file = join(r.dirs.traces, r.files[0]!);
    const bytes = statSync(file).size;
    if (cut >= 4096) {
      // What is left is a trace: its header and the records before the cut.
      const t = readTrace(file);
      assert.equal([t.header.pid > 0, t.stats.torn <= 1], [true, true]);
      // The recorder's next store faulted: the header says recording stopped, and why.
      assert.equal([t.header.stopReason, t.header.flags & HDR_DISABLED], [STOP_TRUNCATED, HDR_DISABLED], what);
      left.push(`${cut} B: reads, ${events(t).length} records, stop reason "truncated"`);
    } else {
      left.push(`${cut} B: ${bytes} B left`);
    }
  }
  figure({
    area: AREA,
    case: 'trace deleted or truncated while recording',
    tried: `${threads} threads × ${n(rounds)} pwrite + fsync; a quarter of the way in the trace file is deleted, or truncated (\`truncate\`) to ${cases.filter((c) => c >= 0).map((c) => `${n(c)} B`).join(', ')} — the recorder's next store into its shared mapping of the file would raise SIGBUS in the program`,
    held: `all ${cases.length} runs exit 0 with output byte-for-byte the bare run's: the recorder's SIGBUS handler replaces its mapping with anonymous memory and stops recording; what is left of a file cut at ≥ 4096 B still decodes (${left.join('; ')})`,
  });
});

test("the program's own SIGBUS handling is exactly what it is without the recorder", () => {
  const bare = runRaw('sigbus', (d) => [d.data, 'own'], { bare: true });
  const r = runRaw('sigbus', (d) => [d.data, 'own']);
  assert.equal([r.status, r.signal, r.stderr], [0, null, '']);
  assert.is(r.stdout, bare.stdout);
  assert.equal(lines(join(r.dirs.data, 'note')), ['truncated=1 size=0']);
  const out = r.stdout.split('\n');
  assert.ok(out.includes('after-trace caught=0'), "the recorder's own fault never reaches the program's handler");
  assert.ok(out.some((l) => l.startsWith('own-fault caught=1 code_adrerr=1')), "the program's own fault does");
  const dieBare = runRaw('sigbus', (d) => [d.data, 'die'], { bare: true });
  const die = runRaw('sigbus', (d) => [d.data, 'die']);
  assert.equal([die.status, die.signal, die.stdout], [dieBare.status, dieBare.signal, dieBare.stdout]);
  assert.equal([die.signal, die.stdout], ['SIGBUS', 'before-fault\n']);
  const queries = out.filter((l) => l.startsWith('query ')).length;
  figure({
    area: AREA,
    case: "the program's own SIGBUS",
    tried: `a program that installs its own SIGBUS handler (SA_SIGINFO | SA_RESETHAND | SA_ONSTACK, a mask), has its trace truncated under it, faults in a truncated mapping of its own, then uses signal(), sysv_signal(), SIG_IGN and SIG_DFL with kill() and raise(), and queries the disposition ${queries} times; and one that faults with SIG_DFL`,
    held: `output byte-for-byte the bare run's: the recorder's fault never reached the program's handler, the program's own fault did (once, then SA_RESETHAND), every query returned what the program had set (handler, flags, mask); the SIG_DFL fault killed it with SIGBUS as without the recorder`,
  });
});

test.after(cleanup);

test.run();
