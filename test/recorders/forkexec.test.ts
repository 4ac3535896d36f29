/**
 * forkexec.c under the recorder: a parent, its fork child and the program the
 * child execs each record into a file of their own, with their own header.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DecodedTrace } from '../../src/trace/decode.js';
import { account, bin, cleanup, events, invariantProblems, lazy, run } from './harness.js';

const HDR_ENDED = 0x1;
const HDR_FORKED = 0x2;
const F_FD_RESOLVED = 0x2;

const forked = lazy(() => {
  const r = run('forkexec', (d) => [d.data, bin('execd')]);
  const procs = Object.fromEntries(account(r.stdout).filter((l) => l.kind === 'proc').map((l) => [l.f.role!, { pid: Number(l.f.pid), ppid: Number(l.f.ppid) }]));
  const byPid = (pid: number, exe: string): DecodedTrace | undefined => r.traces.find((t) => t.header.pid === pid && t.header.exe === bin(exe));
  return { r, procs, parent: byPid(procs.parent!.pid, 'forkexec'), child: byPid(procs.child!.pid, 'forkexec'), execd: byPid(procs.child!.pid, 'execd') };
});

function syncs(t: DecodedTrace | undefined) {
  assert.ok(t, 'the trace exists');
  return events(t!).filter((e) => e.type === 'sync').map((e) => ({ fd: e.fd, res: e.res, tid: e.tid, path: e.path, bytes: e.bytes, writes: e.writes, resolved: e.flags & F_FD_RESOLVED }));
}

test.after(cleanup);

test('three process images, three trace files, none for the child that recorded nothing', () => {
  const { r, procs } = forked();
  assert.is(r.status, 0, r.stderr);
  assert.equal(r.files.map((f) => f.replace(/\.\d+\.\d+\.fstrace$/, '')).sort(),
    [`execd.${procs.child!.pid}`, `forkexec.${procs.child!.pid}`, `forkexec.${procs.parent!.pid}`].sort());
  assert.not.ok(r.traces.some((t) => t.header.pid === procs.quiet!.pid));
  for (const t of r.traces) assert.equal(invariantProblems(t), [], t.file);
});

test('the parent trace holds the parent calls only, before and after the fork', () => {
  const { parent, procs, r } = forked();
  assert.equal([parent?.header.ppid, parent?.header.flags], [process.pid, HDR_ENDED]);
  const p = `${r.dirs.data}/parent`;
  const fd = syncs(parent)[0]?.fd ?? -1;
  assert.equal(syncs(parent), [
    { fd, res: 0, tid: procs.parent!.pid, path: p, bytes: 10n, writes: 1, resolved: 0 },
    { fd, res: 0, tid: procs.parent!.pid, path: p, bytes: 30n, writes: 1, resolved: 0 },
  ]);
});

test('the fork child records into its own file, flagged as a fork child', () => {
  const { child, procs, r } = forked();
  assert.equal([child?.header.pid, child?.header.ppid, child?.header.flags], [procs.child!.pid, procs.parent!.pid, HDR_FORKED | HDR_ENDED]);
  assert.equal(syncs(child).map((s) => [s.tid, s.path, s.bytes, s.writes, s.res]),
    [[procs.child!.pid, `${r.dirs.data}/child`, 20n, 1, 0]]);
});

test('the exec\'d program gets its own file, and names the descriptor it inherited', () => {
  const { execd, procs, r } = forked();
  const fd = Number(account(r.stdout).find((l) => l.kind === 'exec')!.f.fd);
  assert.equal([execd?.header.pid, execd?.header.ppid, execd?.header.exe, execd?.header.cmdline],
    [procs.child!.pid, procs.parent!.pid, bin('execd'), ['execd', r.dirs.data, String(fd)]]);
  assert.ok((execd!.header.flags & HDR_ENDED) !== 0);
  const got = syncs(execd);
  assert.equal(got.map((s) => [s.fd, s.tid, s.res, s.path, s.resolved]), [
    [fd, procs.child!.pid, 0, `${r.dirs.data}/inherited`, F_FD_RESOLVED],
    [got[1]?.fd, procs.child!.pid, 0, `${r.dirs.data}/execd_own`, 0],
  ]);
  assert.equal([got[1]?.bytes, got[1]?.writes], [40n, 1]);
});

test.run();
