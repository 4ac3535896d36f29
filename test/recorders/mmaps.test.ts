/**
 * mmaps.c under the recorder: msync names the file that is mapped at its
 * address — after mremap moved a mapping and another took its place, after
 * a partial munmap, after the file was renamed, with 100 mappings at once,
 * and whatever read-only or private mappings the program holds. (Before
 * issue 13: c.dat recorded as b.dat and the moved b.dat unnamed, the rest of
 * a partly unmapped file unnamed, the old name after a rename, mappings past
 * 64 unnamed, read-only and private mappings filling the table.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { account, cleanup, events, invariantProblems, onlyTrace, run } from './harness.js';

test.after(cleanup);

for (const mode of ['mremap', 'partial', 'rename', 'many', 'readonly']) {
  test(`${mode}: every msync names the file mapped at its address`, () => {
    const r = run('mmaps', (d) => [d.data, mode]);
    assert.is(r.status, 0, r.stderr);
    const t = onlyTrace(r);
    assert.equal(invariantProblems(t), []);
    const said = account(r.stdout).filter((l) => l.kind === 'msync');
    const got = events(t).filter((e) => e.type === 'sync' && e.call === 'msync');
    assert.equal(got.map((e) => [e.path, e.res]), said.map((l) => [l.f.path, 0]));
  });
}

test.run();
