/**
 * spawn.c under the recorder: posix_spawn runs its child in the parent's
 * memory until the exec; the parent's file keeps the parent's calls only and
 * the spawned program gets a file of its own.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { account, bin, cleanup, events, invariantProblems, lazy, run } from './harness.js';

const HDR_ENDED = 0x1;
const F_FD_RESOLVED = 0x2;

const spawned = lazy(() => run('spawn', (d) => [d.data, bin('execd')]));

test.after(cleanup);

test('two files: the spawner\'s and the spawned program\'s', () => {
  const r = spawned();
  assert.is(r.status, 0, r.stderr);
  const child = account(r.stdout).find((l) => l.kind === 'spawned')!.f;
  assert.is(child.status, '0');
  assert.equal(r.files.map((f) => f.replace(/\.\d+\.\d+\.fstrace$/, '')).sort(), [`execd.${child.pid}`, `spawn.${r.pid}`]);
  for (const t of r.traces) assert.equal(invariantProblems(t), [], t.file);
});

test('the spawner\'s file holds its two fsyncs and nothing of the child', () => {
  const r = spawned();
  const t = r.traces.find((x) => x.header.pid === r.pid)!;
  assert.is(t.header.flags, HDR_ENDED);
  assert.equal(events(t).filter((e) => e.type === 'sync').map((e) => [e.tid, e.path, e.bytes]),
    [[r.pid, `${r.dirs.data}/spawner`, 10n], [r.pid, `${r.dirs.data}/spawner`, 10n]]);
  assert.ok(events(t).every((e) => e.tid === r.pid));
});

test('the spawned program records its own calls, with its own header', () => {
  const r = spawned();
  const child = account(r.stdout).find((l) => l.kind === 'spawned')!.f;
  const t = r.traces.find((x) => x.header.pid === Number(child.pid))!;
  assert.equal([t.header.ppid, t.header.exe, t.header.cmdline, t.header.flags],
    [r.pid, bin('execd'), ['execd', r.dirs.data, child.fd], HDR_ENDED]);
  assert.equal(events(t).filter((e) => e.type === 'sync').map((e) => [e.path, e.flags & F_FD_RESOLVED, e.res]),
    [[`${r.dirs.data}/inherited`, F_FD_RESOLVED, 0], [`${r.dirs.data}/execd_own`, 0, 0]]);
});

test.run();
