/**
 * inherit.c under the recorder: a descriptor opened by the parent (this test)
 * and passed as fd 3 is named through /proc/self/fd; its number, once closed
 * and reused, names the new file.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { account, cleanup, events, expectedRes, invariantProblems, lazy, makeDirs, onlyTrace, run, said } from './harness.js';

const F_FD_RESOLVED = 0x2;

const inherited = lazy(() => {
  const dirs = makeDirs();
  const fd = openSync(join(dirs.data, 'inherited'), 'w');
  try {
    const r = run('inherit', [dirs.data], { dirs, extraFds: [fd] });
    const trace = onlyTrace(r);
    const all = events(trace);
    const syncs = all.filter((e) => e.type === 'sync');
    const lines = account(r.stdout);
    const mine = lines.filter((l) => l.kind === 'sync');
    if (syncs.length !== mine.length) throw new Error(`${syncs.length} sync events for ${mine.length} calls`);
    return { r, trace, all, lines, sync: new Map(mine.map((l, i) => [l.f.label!, syncs[i]!])) };
  } finally {
    closeSync(fd);
  }
});

function sync(label: string) {
  const e = inherited().sync.get(label);
  if (!e) throw new Error(`no sync line ${label}`);
  return e;
}

test.after(cleanup);

test('the program runs and every sync is recorded with its result', () => {
  const { r, all, lines } = inherited();
  assert.is(r.status, 0, r.stderr);
  assert.equal(all.filter((e) => e.type === 'sync').map((e) => [e.call, e.fd, e.res]),
    lines.filter((l) => l.kind === 'sync').map((l) => [l.f.call, Number(l.f.fd), expectedRes(l.f)]));
  assert.equal(invariantProblems(inherited().trace), []);
});

test('an inherited descriptor is named through /proc/self/fd at its first sync', () => {
  const e = sync('inh1');
  const data = inherited().r.dirs.data;
  assert.equal([e.fd, e.res, e.path, e.flags & F_FD_RESOLVED], [3, 0, `${data}/inherited`, F_FD_RESOLVED]);
  assert.equal([sync('inh2').path, sync('inh3').path], [`${data}/inherited`, `${data}/inherited`]);
});

test('once named, the inherited file has a write interval', () => {
  assert.equal([sync('inh2').bytes, sync('inh2').writes, sync('inh2').ivalStartNs], [50n, 1, sync('inh1').startNs]);
  assert.equal([sync('inh3').bytes, sync('inh3').writes, sync('inh3').ivalStartNs], [0n, 0, sync('inh2').startNs]);
});

test('the number reused by an open names the new file, from its open', () => {
  const { lines, all, r } = inherited();
  const e = sync('reused');
  const open = all.find((o) => o.type === 'open' && o.path === `${r.dirs.data}/reused`);
  assert.ok(open, 'an open event for the new file');
  assert.equal([Number(said(lines, 'open', 'reused').fd), open!.res], [3, 3]);
  assert.equal([e.fd, e.path, e.flags & F_FD_RESOLVED, e.bytes, e.writes, e.ivalStartNs],
    [3, `${r.dirs.data}/reused`, 0, 25n, 1, open!.startNs]);
});

test.run();
