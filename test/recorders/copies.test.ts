/**
 * copies.c under the recorder: an O_TMPFILE file takes the name linkat gives
 * it; bytes copied in by copy_file_range, sendfile and splice count in the
 * write interval the next fsync makes durable; aio_fsync is recorded when it
 * completes; a program that set up an io_uring says so in its trace header
 * (its syncs need the kernel-side source). (Before issue 13: h.dat kept the
 * "#ino (deleted)" name, the copies' fsyncs reported 0 bytes, aio_fsync was
 * not seen, nothing said io_uring.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { account, cleanup, events, invariantProblems, onlyTrace, run } from './harness.js';

test.after(cleanup);

const HDR_IO_URING = 0x10;

test('linkat names an O_TMPFILE file; copies count in write intervals', () => {
  const r = run('copies', (d) => [d.data, 'files']);
  assert.is(r.status, 0, r.stderr);
  const t = onlyTrace(r);
  assert.equal(invariantProblems(t), []);
  const said = account(r.stdout).filter((l) => l.kind === 'sync');
  const got = events(t).filter((e) => e.type === 'sync');
  assert.equal(got.map((e) => [e.call, e.path, e.bytes, e.writes]), said.map((l) => ['fsync', l.f.path, BigInt(l.f.bytes!), Number(l.f.writes)]));
  assert.is(t.header.flags & HDR_IO_URING, 0);
});

test('aio_fsync: one fsync of aio.dat, recorded when it completed', () => {
  const r = run('copies', (d) => [d.data, 'aio']);
  assert.is(r.status, 0, r.stderr);
  const t = onlyTrace(r);
  const got = events(t).filter((e) => e.type === 'sync');
  assert.equal(got.map((e) => [e.call, e.path, e.res]), [['fsync', `${r.dirs.data}/aio.dat`, 0]]);
});

for (const mode of ['uring', 'uring-asm']) {
  test(`${mode}: the header says the program set up an io_uring`, () => {
    const r = run('copies', (d) => [d.data, mode]);
    assert.is(r.status, 0, r.stderr);
    const t = onlyTrace(r);
    assert.is(t.header.flags & HDR_IO_URING, HDR_IO_URING);
  });
}

test.run();
