/**
 * Node under the recorder: libuv calls libc's fsync and fdatasync, from the
 * main thread for fs.fsyncSync and from its worker threads for FileHandle.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { TraceEvent } from '../../src/trace/events.js';
import { account, cleanup, events, invariantProblems, lazy, onlyTrace, run } from './harness.js';

const SCRIPT = `
const fs = require('fs');
const file = process.argv[1];
const fd = fs.openSync(file, 'w');
fs.writeSync(fd, Buffer.alloc(100));
fs.fsyncSync(fd);
fs.writeSync(fd, Buffer.alloc(30));
fs.fdatasyncSync(fd);
fs.closeSync(fd);
(async () => {
  const fh = await fs.promises.open(file, 'a');
  await fh.write(Buffer.alloc(50));
  await fh.sync();
  await fh.datasync();
  await fh.close();
  console.log('done pid=' + process.pid);
})();
`;

function inTime(evs: TraceEvent[]): TraceEvent[] {
  return [...evs].sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
}

// io_uring would take libuv's async file calls past libc (a documented blind
// spot): keep libuv on its thread pool, so the test is about what it says.
const node = lazy(() => run(process.execPath, (d) => ['-e', SCRIPT, join(d.data, 'node-file')], { env: { UV_USE_IO_URING: '0' } }));

test.after(cleanup);

test('fs.fsyncSync, fs.fdatasyncSync, FileHandle.sync and .datasync are recorded for the file', () => {
  const r = node();
  assert.is(r.status, 0, r.stderr);
  const pid = Number(account(r.stdout).find((l) => l.kind === 'done')?.f.pid);
  assert.is(pid, r.pid);
  const trace = onlyTrace(r);
  assert.equal(invariantProblems(trace), []);
  assert.is(trace.header.exe, realpathSync(process.execPath));
  const file = join(r.dirs.data, 'node-file');
  // Worker threads claim sequence numbers in blocks of their own: order by time.
  const syncs = inTime(events(trace).filter((e) => e.type === 'sync' && e.path === file));
  assert.equal(syncs.map((e) => [e.call, e.res]), [['fsync', 0], ['fdatasync', 0], ['fsync', 0], ['fdatasync', 0]]);
  assert.equal(syncs.map((e) => [e.bytes, e.writes]), [[100n, 1], [30n, 1], [50n, 1], [0n, 0]]);
});

test('sync calls run on the main thread, FileHandle calls on libuv workers', () => {
  const r = node();
  const syncs = inTime(events(onlyTrace(r)).filter((e) => e.type === 'sync' && e.path === join(r.dirs.data, 'node-file')));
  assert.equal(syncs.slice(0, 2).map((e) => e.tid), [r.pid, r.pid]);
  assert.ok(syncs.slice(2).every((e) => e.tid !== r.pid), 'FileHandle.sync/datasync ran off the main thread');
});

test.run();
