/**
 * exitpaths.c under the recorder: a fork child that ends with _exit or _Exit
 * (no destructor runs) is flagged ended like one that calls exit; one killed
 * by SIGKILL is not, so `info` tells a crash from a normal end.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { account, cleanup, run, syncEvents } from './harness.js';

const HDR_ENDED = 0x1;
const HDR_FORKED = 0x2;

test.after(cleanup);

test('fork children: _exit, _Exit and exit flag the trace ended; SIGKILL does not', () => {
  const r = run('exitpaths', (d) => [d.data]);
  assert.is(r.status, 0, r.stderr);
  const procs = account(r.stdout).filter((l) => l.kind === 'proc').map((l) => [l.f.role!, Number(l.f.pid)] as const);
  assert.equal(procs.map(([role]) => role), ['_exit', '_Exit', 'exit', 'killed']);
  const flags = Object.fromEntries(procs.map(([role, pid]) => {
    const t = r.traces.filter((x) => x.header.pid === pid);
    assert.is(t.length, 1, `${role}: one trace`);
    assert.equal(syncEvents(t[0]!).map((e) => [e.call, e.res, e.path]), [['fsync', 0, `${r.dirs.data}/${role}`]], role);
    return [role, t[0]!.header.flags];
  }));
  assert.equal(flags, { _exit: HDR_ENDED | HDR_FORKED, _Exit: HDR_ENDED | HDR_FORKED, exit: HDR_ENDED | HDR_FORKED, killed: HDR_FORKED });
});

test.run();
