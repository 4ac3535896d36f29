/**
 * symlinks.c under the recorder: an open through a symlink is named as the
 * program made it: the link, in its directory's canonical name. The file's
 * own records, from its first sync on (the sync, the close), name the file:
 * the kernel's name for it, symlinks resolved. A symlinked directory on the
 * way is resolved in every record. A file opened read-only, and a
 * directory, have no open record: they are named at their first sync.
 * test/kernel/lint.test.ts holds the kernel-side recorder to the same names.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cleanup, events, invariantProblems, onlyTrace, run } from './harness.js';

/** What each open of symlinks.c is named in its open, sync and close records. */
const SYMLINK_RECORDS = [
  // made by the program before it syncs anything (held, then placed)
  'open real/f created', 'close real/f', 'open g created', 'close g',
  'open lf', 'sync real/f', 'close real/f', // lf -> real/f
  'open real/h created', 'sync real/h', 'close real/h', // alias/h, alias -> real
  'open real/lg', 'sync g', 'close g', // alias/lg -> ../g: the link, in real
  'open lf', 'sync real/f', 'close real/f', // openat(DIR's descriptor, "lf")
  'open real/f', 'sync real/f', 'close real/f', // real/f, O_NOFOLLOW
  'sync real/f', 'close real/f', // lf opened read-only: no open record, named at its sync
  'sync real', 'close real', // alias, a directory: the same
];

test('an open through a symlink names the link, the file\'s syncs and closes the file; directories on the way canonically', () => {
  const r = run('symlinks', (d) => [d.data]);
  assert.is(r.status, 0, r.stderr);
  const trace = onlyTrace(r);
  const d = r.dirs.data;
  const lines = events(trace).filter((e) => (e.path ?? '').startsWith(`${d}/`))
    .map((e) => `${e.type} ${e.path!.slice(d.length + 1)}${e.type === 'open' && (e.flags & 0x100) !== 0 ? ' created' : ''}`);
  assert.equal(lines, SYMLINK_RECORDS);
  assert.equal(invariantProblems(trace), []);
});

test.after(cleanup);
test.run();
