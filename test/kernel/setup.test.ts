/**
 * fsync-record --kernel's set-up errors: one line each, naming what is
 * missing and how to get it, exit status 1, nothing recorded.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT, runSync } from '../../scripts/workloads/common.js';
import { RECORD_SH } from '../../scripts/workloads/etcd.js';
import { prepare, tracepoints } from '../../src/record/kernel/setup.js';

const fake = mkdtempSync(join(tmpdir(), 'fsync-kernel-setup-'));
test.after(() => rmSync(fake, { recursive: true, force: true }));

const program = 'tracepoint:syscalls:sys_enter_fsync { } tracepoint:io_uring:io_uring_complete { } tracepoint:syscalls:sys_enter_fsync { }';

test('the tracepoints a program names, once each', () => {
  assert.equal(tracepoints(program), ['syscalls:sys_enter_fsync', 'io_uring:io_uring_complete']);
});

test('not root', () => {
  assert.throws(() => prepare({ uid: 1000, path: '/usr/bin', tracefs: fake, program }), /^fsync-record --kernel: needs root \(bpftrace loads eBPF programs into the kernel\); run it with sudo$/);
});

test('bpftrace missing: the Debian package to install', () => {
  assert.throws(() => prepare({ uid: 0, path: fake, tracefs: fake, program }), /^fsync-record --kernel: bpftrace is not installed \(Debian\/Ubuntu: apt-get install bpftrace\)$/);
});

test('a tracepoint this kernel lacks is named', () => {
  mkdirSync(join(fake, 'events', 'syscalls', 'sys_enter_fsync'), { recursive: true });
  assert.throws(() => prepare({ uid: 0, path: '/usr/bin', tracefs: fake, program }),
    (e: Error) => e.message === `fsync-record --kernel: this kernel has no tracepoint io_uring:io_uring_complete (${fake}/events/io_uring/io_uring_complete is missing)`);
});

test('from the command line: one line, exit 1, no trace, the command not run', () => {
  const dir = join(fake, 'traces');
  const marker = join(fake, 'ran');
  // Node itself, so that PATH can be one without bpftrace.
  const noBpftrace = runSync(process.execPath, [join(ROOT, 'bin/fsync-record.js'), '--kernel', '--dir', dir, '--', 'touch', marker],
    { env: { ...process.env, PATH: '/nonexistent' } });
  assert.is(noBpftrace.stderr, 'fsync-record --kernel: bpftrace is not installed (Debian/Ubuntu: apt-get install bpftrace)\n');
  assert.is(noBpftrace.status, 1);
  const noProcess = runSync(RECORD_SH, ['--kernel', '--dir', dir, '--pid', '999999999']);
  assert.equal([noProcess.status, noProcess.stderr], [1, 'fsync-record --kernel: no process 999999999\n']);
  const badPages = runSync(RECORD_SH, ['--kernel', '--dir', dir, '--', 'touch', marker], { env: { ...process.env, FSYNC_KERNEL_BUFFER_PAGES: '3' } });
  assert.equal([badPages.status, badPages.stderr], [1, "fsync-record --kernel: FSYNC_KERNEL_BUFFER_PAGES must be a power of two, not '3'\n"]);
  const pidWithoutKernel = runSync(RECORD_SH, ['--pid', '1', '--', 'true']);
  assert.equal([pidWithoutKernel.status, pidWithoutKernel.stderr], [1, 'fsync-record: --pid needs --kernel\n']);
  assert.equal(readdirSync(fake).includes('ran'), false, 'the command did not run');
  assert.equal(readdirSync(fake).includes('traces') ? readdirSync(dir) : [], []);
});

test.run();
