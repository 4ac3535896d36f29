/**
 * Programs the preload cannot see, recorded kernel-side: a Go program (raw
 * syscalls), a `gcc -static` program and io_uring syncs through liburing, in
 * one process tree under `fsync-record --kernel -- sh -c ...`; and --pid
 * attached to a static program that is already running.
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyzeJson, freshDir, once, removeDir, requireProgram, runOk, type SummaryJson } from '../../scripts/workloads/common.js';
import { RECORD_SH } from '../../scripts/workloads/etcd.js';
import { readTrace } from '../../src/trace/decode.js';
import { eventList } from '../../src/trace/events.js';
import { FLAG_FD_RESOLVED, FLAG_NO_INTERVAL, HDR_ENDED, HDR_KERNEL, TRACE_MODE_ENDED } from '../../src/trace/layout.js';
import { traceFiles } from '../traces.js';

const SRC = join(import.meta.dirname, 'programs');
const root = freshDir('kernel-programs');
test.after(() => removeDir(root));

const build = once(() => {
  const bin = join(root, 'bin');
  runOk('mkdir', ['-p', bin]);
  runOk(requireProgram('go', 'golang-go'), ['build', '-o', join(bin, 'gofsync'), join(SRC, 'gofsync.go')],
    { env: { ...process.env, GOCACHE: join(root, 'gocache'), GOPATH: join(root, 'gopath'), GO111MODULE: 'off' } });
  runOk('gcc', ['-static', '-O2', '-o', join(bin, 'static_fsync'), join(SRC, 'static_fsync.c')]);
  runOk('gcc', ['-O2', '-o', join(bin, 'uring_fsync'), join(SRC, 'uring_fsync.c'), '-luring']);
  return bin;
});

const tree = once(() => {
  const bin = build();
  const data = join(root, 'data');
  const traces = join(root, 'tree');
  runOk('mkdir', ['-p', data]);
  const script = `${bin}/gofsync ${data}/go.dat 20 && ${bin}/static_fsync ${data}/static.dat 30 && ${bin}/uring_fsync ${data}/uring.dat 10`;
  const r = runOk(RECORD_SH, ['--kernel', '--dir', traces, '--', '/bin/sh', '-c', script], { timeout: 300_000 });
  return { data, traces, stdout: r.stdout, summary: analyzeJson<SummaryJson>(['summary', traces]) };
});

const file = (s: SummaryJson, path: string) => s.files.find((f) => f.path === path);

test('the programs ran as usual under the recorder', () => {
  const { stdout } = tree();
  assert.is(stdout, 'synced 21\nsynced 31\nfsync 5 fdatasync 5 sync_file_range 1\n');
});

test('Go: every fsync and the fdatasync, with their write intervals', () => {
  const { data, summary } = tree();
  const go = file(summary, join(data, 'go.dat'));
  assert.equal(go?.by_kind, { fsync: 20, fdatasync: 1 });
  assert.is(go?.bytes, 20 * 100);
});

test('gcc -static: every fsync and the fdatasync', () => {
  const { data, summary } = tree();
  const st = file(summary, join(data, 'static.dat'));
  assert.equal(st?.by_kind, { fsync: 30, fdatasync: 1 });
  assert.is(st?.bytes, 30 * 512);
});

test('io_uring: IORING_OP_FSYNC (with and without DATASYNC) and SYNC_FILE_RANGE', () => {
  const { data, summary } = tree();
  const u = file(summary, join(data, 'uring.dat'));
  assert.equal(u?.by_kind, { fsync: 5, fdatasync: 5, sync_file_range: 1 });
  assert.is(u?.bytes, 10 * 4096, 'each io_uring sync closes the write before it');
});

test('one kernel-side trace per process that synced; the shell has none', () => {
  const { traces, summary } = tree();
  assert.is(summary.totals.processes, 3);
  const files = traceFiles(traces);
  assert.equal(files.map((f) => f.split('.')[0]), ['gofsync', 'static_fsync', 'uring_fsync']);
  for (const f of files) {
    const t = readTrace(join(traces, f));
    assert.is(t.header.flags & (HDR_KERNEL | HDR_ENDED), HDR_KERNEL | HDR_ENDED, `${f}: kernel-side, ended`);
    assert.is(statSync(join(traces, f)).mode & 0o7000, TRACE_MODE_ENDED, `${f}: the ended mode bit, as the preload's (FORMAT.md, "File mode")`);
    assert.ok(t.header.recorderVersion.startsWith('kernel-'), t.header.recorderVersion);
  }
});

test('--pid attaches to a running program and follows it to its end', async () => {
  const bin = build();
  const data = join(root, 'attached.dat');
  const traces = join(root, 'attached');
  const N = 300;
  const prog = spawn(join(bin, 'static_fsync'), [data, String(N), '40'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const rec = spawn(RECORD_SH, ['--kernel', '--pid', String(prog.pid), '--dir', traces], { stdio: ['ignore', 'ignore', 'pipe'] });
  let ready = false;
  let stderr = '';
  await new Promise<void>((res, rej) => {
    createInterface({ input: rec.stderr! }).on('line', (line) => {
      stderr += `${line}\n`;
      if (/recording process/.test(line)) {
        ready = true;
        res();
      }
    });
    rec.on('exit', () => (ready ? undefined : rej(new Error(`fsync-record exited: ${stderr}`))));
  });
  const [status] = await Promise.all([new Promise((r) => rec.on('exit', r)), new Promise((r) => prog.on('exit', r))]);
  assert.is(status, 0, stderr);
  const files = traceFiles(traces);
  assert.is(files.length, 1);
  const t = readTrace(join(traces, files[0]!));
  assert.is(t.header.pid, prog.pid);
  const syncs = eventList(t).filter((e) => e.type === 'sync');
  const fsyncs = syncs.filter((e) => e.call === 'fsync');
  // Attaching takes seconds; the program was well under way, and ran on to its end.
  assert.ok(fsyncs.length >= 20 && fsyncs.length < N, `${fsyncs.length} fsync calls seen of ${N}`);
  assert.is(syncs.at(-1)?.call, 'fdatasync');
  for (const e of syncs) {
    assert.is(e.path, data, 'named through /proc/PID/fd at first sight');
    assert.is(e.flags & FLAG_FD_RESOLVED, FLAG_FD_RESOLVED);
  }
  // The first sync's interval began before the attach; every later one closes exactly one write.
  assert.is(fsyncs[0]!.flags & FLAG_NO_INTERVAL, FLAG_NO_INTERVAL);
  for (const e of fsyncs.slice(1)) assert.equal([e.bytes, e.writes], [512n, 1]);
});

/** Start `fsync-record --kernel --pid` on a process; resolve once it is recording. */
async function attach(pid: number, traces: string) {
  const rec = spawn(RECORD_SH, ['--kernel', '--pid', String(pid), '--dir', traces], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise<number | null>((r) => rec.on('exit', (code) => r(code)));
  await new Promise<void>((res, rej) => {
    createInterface({ input: rec.stderr! }).on('line', (line) => {
      stderr += `${line}\n`;
      if (/recording process/.test(line)) res();
    });
    void exited.then(() => rej(new Error(`fsync-record exited: ${stderr}`)));
  });
  return { rec, exited, stderr: () => stderr };
}

test('SIGTERM stops an attached recording cleanly: the trace is written, the program runs on', async () => {
  const bin = build();
  const data = join(root, 'term.dat');
  const traces = join(root, 'term');
  const prog = spawn(join(bin, 'static_fsync'), [data, '100000', '20'], { stdio: 'ignore' });
  const progExit = new Promise((r) => prog.on('exit', r));
  try {
    const { rec, exited, stderr } = await attach(prog.pid!, traces);
    await new Promise((r) => setTimeout(r, 1500));
    rec.kill('SIGTERM');
    assert.is(await exited, 0, stderr());
    assert.is(prog.exitCode, null, 'the program was not stopped');
    const files = traceFiles(traces);
    assert.is(files.length, 1);
    const t = readTrace(join(traces, files[0]!));
    assert.is(t.header.flags, HDR_KERNEL, 'kernel-side, and not ended: the program still runs');
    assert.is(statSync(join(traces, files[0]!)).mode & 0o7000, 0, 'and its mode has no ended bit');
    const fsyncs = eventList(t).filter((e) => e.call === 'fsync');
    assert.ok(fsyncs.length >= 10, `${fsyncs.length} fsync calls in 1.5 s of 20 ms rounds`);
    assert.match(stderr(), /1 kernel-side trace file in /);
  } finally {
    prog.kill('SIGKILL');
    await progExit;
  }
});

test('events the tracer lost are counted as dropped, and said', () => {
  const bin = build();
  const traces = join(root, 'lost');
  const N = 100_000;
  // One page per CPU for bpftrace's output, and fsync on tmpfs (a microsecond each): it must overflow.
  const r = runOk(RECORD_SH, ['--kernel', '--dir', traces, '--', join(bin, 'static_fsync'), join('/dev/shm', `fsync-kernel-lost-${process.pid}`), String(N)],
    { env: { ...process.env, FSYNC_KERNEL_BUFFER_PAGES: '1' }, timeout: 300_000 });
  runOk('rm', ['-f', join('/dev/shm', `fsync-kernel-lost-${process.pid}`)]);
  const said = /the tracer lost (\d+) events: counted as dropped/.exec(r.stderr);
  assert.ok(said, r.stderr);
  const files = traceFiles(traces);
  assert.is(files.length, 1);
  const t = readTrace(join(traces, files[0]!));
  assert.is(t.header.dropped, BigInt(said![1]!));
  const summary = analyzeJson<SummaryJson>(['summary', traces]);
  const seen = summary.totals.by_kind.fsync ?? 0;
  assert.ok(seen < N, `${seen} of ${N} fsync calls seen`);
  assert.ok(seen + Number(t.header.dropped) >= N, `${seen} seen + ${t.header.dropped} lost < ${N}`);
});

test.run();
