/**
 * stdio.c under the recorder: fopen/fflush/fsync(fileno(f))/fclose names the
 * right file, and an fd number that stdio (or close_range) frees and stdio
 * takes again is never charged to the file that had it before.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { account, cleanup, events, expectedRes, invariantProblems, lazy, onlyTrace, run } from './harness.js';

const stdio = lazy(() => run('stdio', (d) => [d.data]));

test.after(cleanup);

test('each fsync of a stdio stream names its own file, on the same fd number', () => {
  const r = stdio();
  assert.is(r.status, 0, r.stderr);
  const trace = onlyTrace(r);
  assert.equal(invariantProblems(trace), []);
  const lines = account(r.stdout).filter((l) => l.kind === 'sync');
  const fd = Number(account(r.stdout).find((l) => l.kind === 'done')!.f.fd);
  assert.equal(lines.map((l) => Number(l.f.fd)), [fd, fd, fd, fd, fd], 'the program reused one number');
  const got = events(trace).filter((e) => e.type === 'sync').map((e) => [e.call, e.fd, e.res, e.path]);
  assert.equal(got, lines.map((l) => [l.f.call, fd, expectedRes(l.f), `${r.dirs.data}/${l.f.label}`]));
});

test.run();
