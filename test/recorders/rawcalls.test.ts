/**
 * rawcalls.c under the recorder: calls made through syscall(2) are recorded
 * like their libc functions, and a descriptor closed behind the recorder's
 * back (syscall(SYS_close), close_range by syscall(2) or by an inline system
 * call) never lends its old name to the next file on its number. (Before
 * issue 13: the socket that took a.dat's number counted its 1000 bytes into
 * a.dat's interval, the mkstemp files were named b0..c2, syscall(SYS_fsync)
 * was not recorded.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { account, cleanup, events, invariantProblems, lazy, onlyTrace, run } from './harness.js';

test.after(cleanup);

const ran = lazy(() => run('rawcalls', (d) => [d.data]));

test('every sync recorded, named as the program names it, with its true interval', () => {
  const r = ran();
  assert.is(r.status, 0, r.stderr);
  const t = onlyTrace(r);
  // close_range closes its descriptors at one instant: their records share a start.
  assert.equal(invariantProblems(t, { nested: true }), []);
  const calls = account(r.stdout).filter((l) => l.kind === 'sync');
  const expected = calls.map((l) => {
    const f = l.f;
    const [bytes, writes] = f.label === 'close' ? [1n, 1] : [10n, 1];
    return [f.label!.startsWith('sys_fdatasync') ? 'fdatasync' : 'fsync', Number(f.fd), f.path, bytes, writes, 0];
  });
  const got = events(t).filter((e) => e.type === 'sync').map((e) => [e.call, e.fd, e.path, e.bytes, e.writes, e.res]);
  assert.equal(got, expected);
});

test('syscall(SYS_close) is a close: recorded, and the name is forgotten', () => {
  const r = ran();
  const t = onlyTrace(r);
  const closes = events(t).filter((e) => e.type === 'close' && e.path === `${r.dirs.data}/a.dat`);
  assert.equal(closes.map((e) => [e.fd, e.bytes]), [[3, 100n], [5, 0n]]);
});

test.run();
