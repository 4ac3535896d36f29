/**
 * The recorder under load (load.c): 16 threads on many files, a fork storm
 * with exec, signal handlers that sync while their thread is inside the
 * recorder. Every call is recorded exactly once (the trace's count per
 * thread, file and kind against the program's own account), nothing hangs
 * (a watchdog kills and fails), and the program's output is byte for byte
 * what it is without the recorder.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { basename, join } from 'node:path';
import { readTrace, type DecodedTrace } from '../../src/trace/decode.js';
import { figure } from '../figures.js';
import { cleanup, events, invariantProblems } from './harness.js';
import { fields, lines, n, runRaw, size } from './reliability.js';

const AREA = 'Recorder under load';

/** Trace counts by "tid file kind" (sync records only), file as a base name. */
function traceCounts(traces: DecodedTrace[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of traces) {
    for (const e of events(t)) {
      if (e.type !== 'sync') continue;
      const k = `${e.tid} ${e.path === null ? '?' : basename(e.path)} ${e.call}`;
      m.set(k, (m.get(k) ?? 0) + 1);
    }
  }
  return m;
}

/** The program's account: "calls tid= file= kind= n=" lines, as the same keys. */
function accountCounts(file: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of lines(file).filter((x) => x.startsWith('calls '))) {
    const f = fields(l);
    m.set(`${f.tid} ${f.file} ${f.kind}`, Number(f.n));
  }
  return m;
}

function sorted(m: Map<string, number>): Array<[string, number]> {
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

test('16 threads on 64 shared files: every call recorded exactly once, output unchanged', () => {
  const threads = 16;
  const rounds = size(3000, 40000);
  const files = 64;
  const env = { FSYNC_TRACE_MAX_BYTES: String(size(16, 512) << 20) };
  const bare = runRaw('load', (d) => [d.data, 'threads', String(threads), String(rounds), String(files), join(d.root, 'account')], { bare: true, env });
  const rec = runRaw('load', (d) => [d.data, 'threads', String(threads), String(rounds), String(files), join(d.root, 'account')], { env });
  assert.equal([rec.status, rec.signal, rec.stderr], [0, null, '']);
  assert.equal([bare.status, bare.signal, bare.stderr], [0, null, '']);
  assert.is(rec.stdout, bare.stdout, 'the program prints the same bytes with and without the recorder');
  assert.is(rec.files.length, 1);
  const trace = readTrace(join(rec.dirs.traces, rec.files[0]!));
  assert.equal(invariantProblems(trace), []);
  const want = accountCounts(join(rec.dirs.root, 'account'));
  const got = traceCounts([trace]);
  assert.equal(sorted(got), sorted(want));
  const calls = [...want.values()].reduce((a, b) => a + b, 0);
  assert.is(calls, threads * rounds);
  const failed = rec.stdout.split('\n').filter((l) => l.startsWith('thread ')).map((l) => Number(fields(l).failed));
  assert.equal(failed, Array(threads).fill(0));
  figure({
    area: AREA,
    case: '16 threads, 64 shared files',
    tried: `${threads} threads × ${n(rounds)} rounds, each a 100-byte pwrite then one of fsync, fdatasync, sync_file_range, pwritev2(RWF_DSYNC), an O_DSYNC write, on 64 files shared by all threads (${n(threads * rounds)} durability calls, ${n(threads * rounds)} plain writes)`,
    held: `${n(calls)} durability calls recorded exactly once (${n(want.size)} thread×file×kind counts equal the program's own); output byte-for-byte identical to the bare run; ${trace.header.dropped} dropped; no trace invariant broken`,
  });
});

test('a fork storm with exec: every process image recorded in its own file, every call once', () => {
  const [depth, width, each] = size([3, 4, 20], [4, 5, 40]);
  const args = (d: { data: string; root: string }) => [d.data, 'fork', String(depth), String(width), String(each), join(d.root, 'account')];
  const bare = runRaw('load', args, { bare: true });
  const rec = runRaw('load', args);
  assert.equal([rec.status, rec.signal, rec.stderr], [0, null, '']);
  assert.equal([bare.status, bare.signal, bare.stderr], [0, null, '']);
  assert.is(rec.stdout, bare.stdout);
  assert.match(rec.stdout, / all_ok=1\n/);
  const procs = lines(join(rec.dirs.root, 'account')).filter((l) => l.startsWith('proc ')).map(fields);
  const traces = rec.files.map((f) => readTrace(join(rec.dirs.traces, f)));
  assert.is(traces.length, procs.length, 'one trace file per process image');
  let calls = 0;
  for (const p of procs) {
    const mine = traces.filter((t) => t.header.pid === Number(p.pid));
    const counts = mine.map((t) => events(t).filter((e) => e.type === 'sync' && e.path === join(rec.dirs.data, p.name!)).length);
    assert.equal([p.name, p.failed, counts.reduce((a, b) => a + b, 0), counts.filter((c) => c > 0).length], [p.name, '0', each, 1]);
    calls += each;
  }
  for (const t of traces) assert.equal(invariantProblems(t), [], t.file);
  const forked = traces.filter((t) => t.header.flags & 0x2).length;
  const execs = procs.filter((p) => p.image === 'exec').length;
  figure({
    area: AREA,
    case: 'fork storm with exec',
    tried: `a process tree ${depth} levels deep, ${width} children forked at once per process (${n(procs.length - execs)} processes, ${execs} of the leaves exec again), ${each} fsyncs in every process image`,
    held: `${procs.length} trace files, one per image (${forked} flagged fork child); all ${n(calls)} fsyncs recorded exactly once, each in its own image's file; output identical to the bare run`,
  });
});

test('signal handlers that write and fsync while their thread is inside the recorder: each call once', () => {
  const threads = 4;
  const rounds = size(4000, 40000);
  const args = (d: { data: string; root: string }) => [d.data, 'signals', String(threads), String(rounds), join(d.root, 'account')];
  const bare = runRaw('load', args, { bare: true });
  // A ring that holds every record: a quarter of the file.
  const rec = runRaw('load', args, { env: { FSYNC_TRACE_MAX_BYTES: String(size(32, 1024) << 20) } });
  assert.equal([rec.status, rec.signal, rec.stderr], [0, null, '']);
  assert.equal([bare.status, bare.signal, bare.stderr], [0, null, '']);
  assert.is(rec.stdout, bare.stdout);
  assert.match(rec.stdout, /handler failed=0\n/);
  assert.is(rec.files.length, 1);
  const trace = readTrace(join(rec.dirs.traces, rec.files[0]!));
  assert.equal(invariantProblems(trace, { nested: true }), []);
  const account = join(rec.dirs.root, 'account');
  const want = accountCounts(account);
  assert.equal(sorted(traceCounts([trace])), sorted(want));
  const sig = fields(lines(account).find((l) => l.startsWith('signals '))!);
  const count = (prefix: string) => [...want.entries()].filter(([k]) => k.split(' ')[1]!.startsWith(prefix)).reduce((a, [, v]) => a + v, 0);
  const own = count('s');
  const handler = count('h');
  assert.ok(Number(sig.handled) > 100, `only ${sig.handled} handler runs: the storm did not happen`);
  figure({
    area: AREA,
    case: 'signal handlers inside the recorder',
    tried: `${threads} threads × ${n(rounds)} pwrite + fsync (a reopen every 256; a thread through its rounds goes on more slowly until the storm ends), ${n(Number(sig.sent))} SIGUSR1 sent to them every ~10 µs; each handler run pwrites and fsyncs a file of the interrupted thread's, so often from inside the recorder's own wrappers`,
    held: `${n(own)} thread fsyncs and ${n(handler)} handler fsyncs recorded exactly once each (per thread and file); output identical; ${trace.header.dropped} dropped; no hang`,
  });
});

test.after(cleanup);

test.run();
