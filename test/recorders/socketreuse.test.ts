/**
 * Real Node 20: a TCP socket takes the number of a file Node closed (libuv
 * closes with a raw system call), and sends 1 MiB in 16 writes; the file is
 * opened again, 1 byte written and fsynced. The fsync's interval is 1 byte in
 * 1 write. (Before issue 13: 1,048,577 bytes in 17 writes — the socket's
 * writes counted into the file that had its number.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { account, cleanup, events, onlyTrace, ROOT, run } from './harness.js';

test.after(cleanup);

test('the file\'s fsync makes durable its own 1 byte, not the socket\'s 1 MiB', () => {
  const r = run(process.execPath, (d) => [join(ROOT, 'test/fixtures/socketreuse.mjs'), d.data]);
  assert.is(r.status, 0, r.stderr);
  const fds = account(r.stdout).find((l) => l.kind === 'fds')!.f;
  assert.is(fds.file, fds.socket, 'the socket took the file\'s number');
  const t = onlyTrace(r);
  const syncs = events(t).filter((e) => e.type === 'sync');
  assert.equal(syncs.map((e) => [e.call, e.path, e.bytes, e.writes, e.res]), [['fsync', `${r.dirs.data}/log.dat`, 1n, 1, 0]]);
});

test.run();
