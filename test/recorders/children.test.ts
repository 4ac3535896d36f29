/**
 * children.c under the recorder: a vfork child, a raw clone(CLONE_VM |
 * CLONE_VFORK) child and posix_spawn run in the parent's memory. Whatever
 * they do must leave the parent's trace as if they had done nothing: named
 * after the parent, every event the parent's, every descriptor named right.
 * (Before issue 13: a vfork or clone child that recorded first took the trace
 * — named after the dead child, the parent's events under the child's tid,
 * the parent's closes lost; after a recorded parent, the child's descriptor
 * named the parent's next file.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { account, cleanup, donePid, events, invariantProblems, run, said } from './harness.js';

test.after(cleanup);

for (const mode of ['vfork-first', 'vfork-after', 'clone', 'spawn']) {
  test(`${mode}: one trace, the parent's, every event its own and named right`, () => {
    const r = run('children', (d) => [d.data, mode]);
    assert.is(r.status, 0, r.stderr);
    const lines = account(r.stdout);
    const pid = donePid(lines);
    assert.equal(r.files.map((f) => f.split('.')[1]), [String(pid)], 'the only trace is named after the parent');
    const t = r.traces[0]!;
    assert.is(t.header.pid, pid);
    assert.equal(invariantProblems(t), []);
    const all = events(t);
    assert.equal([...new Set(all.map((e) => e.tid))], [pid], 'every event is the parent\'s');
    const expected: Array<[string, bigint]> = [];
    if (mode === 'vfork-after') expected.push([said(lines, 'sync', 'before').path!, 7n]);
    expected.push([said(lines, 'sync', 'mkstemp').path!, 10n], [said(lines, 'sync', 'open').path!, 20n]);
    assert.equal(all.filter((e) => e.type === 'sync').map((e) => [e.path, e.bytes]), expected);
    assert.is(all.filter((e) => e.type === 'close').length, expected.length, 'every close of the parent is recorded');
    assert.ok(all.every((e) => !e.path?.endsWith('/child.log')), 'nothing of the child');
  });
}

test.run();
