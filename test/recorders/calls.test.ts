/**
 * calls.c under the recorder: every kind of durability call, with exact
 * counts, results, errno values and write intervals.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { TraceEvent } from '../../src/trace/events.js';
import { account, cleanup, comparable, donePid, events, expectedRes, invariantProblems, lazy, onlyTrace, run, said } from './harness.js';

const EBADF = 9;
const EINVAL = 22;
const MS_ASYNC = 1;
const MS_SYNC = 4;
const SYNC_FILE_RANGE_WRITE = 2;
const F_NO_INTERVAL = 0x4;
const F_LAST_CLOSE = 0x10;

const recorded = lazy(() => run('calls', (d) => [d.data], { env: { FSYNC_TRACE_WRITE_SAMPLE: '1' } }));
const bare = lazy(() => run('calls', (d) => [d.data], { bare: true }));

/** The run, its trace, and its events matched with the program's lines by label. */
const matched = lazy(() => {
  const r = recorded();
  const lines = account(r.stdout);
  const trace = onlyTrace(r);
  const all = events(trace);
  const inData = (e: TraceEvent): boolean => e.path?.startsWith(`${r.dirs.data}/`) ?? false;
  const pair = (kind: string, evs: TraceEvent[]): Map<string, TraceEvent> => {
    const mine = lines.filter((l) => l.kind === kind);
    if (mine.length !== evs.length) {
      throw new Error(`${evs.length} ${kind} events for the program's ${mine.length} ${kind} calls:\n`
        + evs.map((e) => `  ${e.call ?? e.type} fd=${e.fd} res=${e.res} ${e.path}`).join('\n'));
    }
    return new Map(mine.map((l, i) => [l.f.label!, evs[i]!]));
  };
  return {
    r,
    lines,
    trace,
    all,
    sync: pair('sync', all.filter((e) => e.type === 'sync')),
    open: pair('open', all.filter((e) => e.type === 'open' && inData(e))),
    close: pair('close', all.filter((e) => e.type === 'close' && inData(e))),
  };
});

function sync(label: string): TraceEvent {
  const e = matched().sync.get(label);
  if (!e) throw new Error(`no sync line ${label}`);
  return e;
}
function open(label: string): TraceEvent {
  const e = matched().open.get(label);
  if (!e) throw new Error(`no open line ${label}`);
  return e;
}
function close(label: string): TraceEvent {
  const e = matched().close.get(label);
  if (!e) throw new Error(`no close line ${label}`);
  return e;
}
function path(name: string): string {
  return `${recorded().dirs.data}/${name}`;
}

/**
 * When the interval after `e` began: an fsync or fdatasync closes the interval
 * as it starts (a write that lands during it is the next interval's); a sync
 * write makes its own data durable, so the next interval begins as it returns.
 */
function end(e: TraceEvent): bigint {
  return e.startNs + e.durNs;
}

/** The write interval of an event, as one comparable object. */
function interval(e: TraceEvent): { bytes: bigint; writes: number; ivalStartNs: bigint } {
  return { bytes: e.bytes, writes: e.writes, ivalStartNs: e.ivalStartNs };
}

test.after(cleanup);

test('the program runs as it does without the recorder and leaves one trace', () => {
  const r = recorded();
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr, '');
  assert.equal(comparable(r), comparable(bare()));
  assert.is(r.files.length, 1);
  assert.match(r.files[0]!, new RegExp(`^calls\\.${donePid(account(r.stdout))}\\.\\d+\\.\\d+\\.fstrace$`));
});

test('the trace is well formed: durations, per-thread order, names, nothing dropped', () => {
  assert.equal(invariantProblems(matched().trace), []);
  assert.ok(matched().all.every((e) => e.tid === donePid(matched().lines)), 'one thread, whose tid is the pid');
});

test('sync events are the program calls, in order, with their results', () => {
  const { lines, all } = matched();
  const want = lines.filter((l) => l.kind === 'sync').map((l) => ({ call: l.f.call, fd: Number(l.f.fd), res: expectedRes(l.f) }));
  const got = all.filter((e) => e.type === 'sync').map((e) => ({ call: e.call, fd: e.fd, res: e.res }));
  assert.equal(got, want);
});

test('failed calls fail as libc says, and are recorded with -errno', () => {
  const { lines } = matched();
  const errnoOf = (label: string): number => Number(said(lines, 'sync', label).errno);
  assert.equal(
    ['bad1', 'bad2', 'bad3', 'pipe1', 'pipe2', 'bad4', 'bad5', 'bad6'].map(errnoOf),
    [EBADF, EBADF, EBADF, EINVAL, EINVAL, EINVAL, EBADF, EBADF],
  );
  assert.equal(
    ['bad1', 'bad2', 'bad3', 'pipe1', 'pipe2', 'bad4', 'bad5', 'bad6'].map((l) => sync(l).res),
    [-EBADF, -EBADF, -EBADF, -EINVAL, -EINVAL, -EINVAL, -EBADF, -EBADF],
  );
  assert.equal([sync('bad1').fd, sync('bad2').fd, sync('bad1').pathId, sync('bad2').pathId], [-1, 9999, 0, 0]);
});

test('a successful call leaves errno as it was', () => {
  assert.is(said(matched().lines, 'sync', 'a8').errno_after, '777');
  assert.is(sync('a8').res, 0);
});

test('fsync and fdatasync close the write interval of the file', () => {
  assert.equal(interval(sync('a1')), { bytes: 225n, writes: 4, ivalStartNs: open('a').startNs }, 'write+pwrite+writev+pwritev since the open');
  assert.equal(interval(sync('a2')), { bytes: 10n, writes: 1, ivalStartNs: sync('a1').startNs });
  assert.equal(interval(sync('a3')), { bytes: 0n, writes: 0, ivalStartNs: sync('a2').startNs });
  assert.equal(interval(sync('a7')), { bytes: 7n, writes: 1, ivalStartNs: sync('a3').startNs }, 'sync_file_range, syncfs and sync close nothing');
  assert.equal(interval(sync('a8')), { bytes: 0n, writes: 0, ivalStartNs: sync('a7').startNs });
  for (const l of ['a1', 'a2', 'a3', 'a7', 'a8']) assert.is(sync(l).path, path('a'), l);
});

test('sync_file_range records its offset, flags and nbytes', () => {
  const e = sync('a4');
  assert.equal({ res: e.res, fd: e.fd, path: e.path, ...interval(e) },
    { res: 0, fd: Number(said(matched().lines, 'sync', 'a4').fd), path: path('a'), bytes: 4096n, writes: SYNC_FILE_RANGE_WRITE, ivalStartNs: 8192n });
  assert.equal(interval(sync('bad4')), { bytes: 0n, writes: 0xff, ivalStartNs: 0n });
});

test('syncfs names the file it was given; sync has no file; neither has an interval', () => {
  const fs = sync('a5');
  assert.equal({ path: fs.path, ...interval(fs), noInterval: fs.flags & F_NO_INTERVAL },
    { path: path('a'), bytes: 0n, writes: 0, ivalStartNs: 0n, noInterval: F_NO_INTERVAL });
  const s = sync('a6');
  assert.equal({ fd: s.fd, pathId: s.pathId, res: s.res, ...interval(s), noInterval: s.flags & F_NO_INTERVAL },
    { fd: -1, pathId: 0, res: 0, bytes: 0n, writes: 0, ivalStartNs: 0n, noInterval: F_NO_INTERVAL });
});

test('O_DSYNC writes are sync events whose interval includes the write', () => {
  assert.equal([sync('b1'), sync('b2'), sync('b3')].map((e) => [e.call, e.res, e.path]), [
    ['o_dsync_write', 11, path('b')], ['o_dsync_write', 22, path('b')], ['o_dsync_write', 33, path('b')],
  ]);
  assert.equal(interval(sync('b1')), { bytes: 11n, writes: 1, ivalStartNs: open('b').startNs });
  assert.equal(interval(sync('b2')), { bytes: 22n, writes: 1, ivalStartNs: end(sync('b1')) });
  assert.equal(interval(sync('b3')), { bytes: 33n, writes: 1, ivalStartNs: end(sync('b2')) });
  assert.equal(interval(sync('b4')), { bytes: 0n, writes: 0, ivalStartNs: end(sync('b3')) }, 'an fsync after sync writes finds nothing');
});

test('O_SYNC writes are o_sync_write events', () => {
  assert.equal([sync('c1'), sync('c2')].map((e) => [e.call, e.res, e.path, e.bytes, e.writes]), [
    ['o_sync_write', 44, path('c'), 44n, 1], ['o_sync_write', 11, path('c'), 11n, 1],
  ]);
  assert.is(sync('c1').ivalStartNs, open('c').startNs);
  assert.is(sync('c2').ivalStartNs, end(sync('c1')));
  assert.equal(interval(close('c')), { bytes: 0n, writes: 0, ivalStartNs: end(sync('c2')) });
});

test('pwritev2 with RWF_DSYNC and RWF_SYNC are sync writes; without a flag, a plain write', () => {
  assert.equal([sync('d1'), sync('d2'), sync('d3')].map((e) => [e.call, e.res, e.path]), [
    ['rwf_dsync_write', 10, path('d')], ['rwf_sync_write', 20, path('d')], ['fsync', 0, path('d')],
  ]);
  assert.equal(interval(sync('d1')), { bytes: 15n, writes: 2, ivalStartNs: open('d').startNs }, 'the plain write before it, and itself');
  assert.equal(interval(sync('d2')), { bytes: 20n, writes: 1, ivalStartNs: end(sync('d1')) });
  assert.equal(interval(sync('d3')), { bytes: 30n, writes: 1, ivalStartNs: end(sync('d2')) });
});

test('msync records address, flags and length, and names the mapped file', () => {
  const { lines } = matched();
  const addr = (label: string): bigint => BigInt(said(lines, 'sync', label).addr!);
  const got = ['e1', 'e2', 'e3', 'e5'].map((l) => ({ label: l, fd: sync(l).fd, res: sync(l).res, path: sync(l).path, ...interval(sync(l)) }));
  assert.equal(got, [
    { label: 'e1', fd: -1, res: 0, path: path('e'), bytes: addr('e1'), writes: MS_SYNC, ivalStartNs: 8192n },
    { label: 'e2', fd: -1, res: 0, path: path('e'), bytes: addr('e2'), writes: MS_ASYNC, ivalStartNs: 4096n },
    { label: 'e3', fd: -1, res: -EINVAL, path: path('e'), bytes: addr('e3'), writes: MS_SYNC, ivalStartNs: 100n },
    { label: 'e5', fd: -1, res: 0, path: path('g'), bytes: addr('e5'), writes: MS_SYNC, ivalStartNs: 8192n },
  ]);
  assert.is(addr('e5'), addr('e1'), 'the program mapped g where e was');
});

test('msync of an anonymous mapping has no file', () => {
  const e = sync('e4');
  assert.equal({ res: e.res, pathId: e.pathId, path: e.path, bytes: e.bytes },
    { res: 0, pathId: 0, path: null, bytes: BigInt(said(matched().lines, 'sync', 'e4').addr!) });
});

test('the write interval belongs to the file, not the descriptor', () => {
  assert.equal({ fd: sync('f3').fd, path: sync('f3').path, ...interval(sync('f3')) },
    { fd: Number(said(matched().lines, 'open', 'f2').fd), path: path('f'), bytes: 30n, writes: 2, ivalStartNs: open('f1').startNs });
  assert.equal({ fd: sync('f4').fd, ...interval(sync('f4')) },
    { fd: Number(said(matched().lines, 'open', 'f1').fd), bytes: 5n, writes: 1, ivalStartNs: sync('f3').startNs });
});

test('open events: the descriptor, the flags as given, the absolute name', () => {
  const { lines } = matched();
  const want = lines.filter((l) => l.kind === 'open').map((l) => ({ label: l.f.label, res: Number(l.f.fd), writes: Number(l.f.flags), path: l.f.path }));
  const got = want.map((w) => ({ label: w.label, res: open(w.label!).res, writes: open(w.label!).writes, path: open(w.label!).path }));
  assert.equal(got, want);
  assert.equal(want.map((w) => w.writes), [0o1101, 0o1101 | 0o10000, 0o1101 | 0o4010000, 0o1101, 0o1102, 0o1102, 0o1101, 0o1, 0o1102], 'the flags calls.c passed');
});

test('close events: unsynced writes, and the last close of the file flagged', () => {
  const a = close('a');
  assert.equal({ path: a.path, res: a.res, last: a.flags & F_LAST_CLOSE, ...interval(a) },
    { path: path('a'), res: 0, last: F_LAST_CLOSE, bytes: 13n, writes: 1, ivalStartNs: sync('a8').startNs });
  assert.equal([close('a_dup').path, close('a_dup').flags & F_LAST_CLOSE], [path('a'), 0], 'the dup closed first is not the last');
  assert.equal([close('f1').flags & F_LAST_CLOSE, close('f2').flags & F_LAST_CLOSE], [0, F_LAST_CLOSE]);
  assert.equal(interval(close('f2')), { bytes: 0n, writes: 0, ivalStartNs: sync('f4').startNs });
  assert.equal(['b', 'c', 'd', 'e', 'g'].map((l) => [close(l).path, close(l).flags & F_LAST_CLOSE]),
    ['b', 'c', 'd', 'e', 'g'].map((l) => [path(l), F_LAST_CLOSE]));
});

test('successful open, write, dup, fcntl, mmap, msync, munmap, rename, fsync and close leave errno alone', () => {
  const kept = matched().lines.filter((l) => l.kind === 'errno').map((l) => [l.f.label, l.f.after]);
  assert.equal(kept, ['open', 'write', 'pwrite', 'dup', 'fcntl', 'mmap', 'msync', 'munmap', 'rename', 'fsync', 'close', 'close40', 'close_last'].map((l) => [l, '777']));
});

test('msync does not close the interval; a renamed file is synced under its new name', () => {
  assert.equal([sync('h1').call, sync('h1').path], ['msync', path('h')]);
  assert.equal({ path: sync('h2').path, ...interval(sync('h2')) }, { path: path('h_renamed'), bytes: 4106n, writes: 2, ivalStartNs: open('h').startNs });
  assert.equal([close('h_dup').flags & F_LAST_CLOSE, close('h_40').flags & F_LAST_CLOSE, close('h').flags & F_LAST_CLOSE], [0, 0, F_LAST_CLOSE]);
  assert.equal([close('h').path, close('h').bytes], [path('h_renamed'), 0n]);
});

test('with every write timed, write time fits inside its interval and is not extrapolated', () => {
  const timed = [...matched().sync.values()].filter((e) => e.writes > 0 && ['fsync', 'fdatasync'].includes(e.call!));
  assert.ok(timed.length >= 5);
  for (const e of timed) {
    assert.is(e.flags & 0x1, 0, `seq ${e.seq}: flag 0x1 with FSYNC_TRACE_WRITE_SAMPLE=1`);
    assert.ok(BigInt(e.writeUs) * 1000n <= e.startNs - e.ivalStartNs + BigInt(e.writes) * 1000n,
      `seq ${e.seq}: ${e.writeUs} µs of writes in an interval of ${e.startNs - e.ivalStartNs} ns`);
  }
});

test.run();
