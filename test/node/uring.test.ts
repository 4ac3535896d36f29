/**
 * libuv's io_uring: with UV_USE_IO_URING=1, Node 20's libuv (1.46) sends the
 * thread pool's file syncs to an io_uring polled by the kernel (SQPOLL): no
 * system call per sync, nothing the preload library can see. The hook still
 * records every call, exactly; the synchronous forms are paired (their fsync
 * is a system call on the JavaScript thread); the others are not, and the
 * trace's header says the program set up an io_uring. Node 22's libuv (1.51)
 * sets one up at startup but syncs files through the pool's system calls,
 * io_uring or not: every call paired.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeSql } from '../../scripts/workloads/common.js';
import { readTrace } from '../../src/trace/decode.js';
import { HDR_IO_URING } from '../../src/trace/layout.js';
import { NODES, recorded, removeRuns, trackedRun } from './harness.js';

test.after(removeRuns);

for (const node of NODES) {
  test(`${node.name}, UV_USE_IO_URING=1: every call recorded; paired unless libuv synced it through io_uring`, () => {
    const r = trackedRun('apis.mjs', ['1'], { node: node.bin, env: { UV_USE_IO_URING: '1' } });
    assert.is(r.ran.status, 0, r.ran.stderr);
    const { files, js, syncs } = recorded(r);
    assert.is(js.length, 15);
    assert.ok((readTrace(files[0]!).header.flags & HDR_IO_URING) !== 0, 'the header says: an io_uring');
    const rows = analyzeSql<{ form: string; paired: boolean }>('select form, paired from js_waits', [r.traces]);
    const unpaired = rows.filter((x) => !x.paired);
    if (Number(node.name.split(' ')[1]) >= 22) {
      assert.is(syncs.length, 15);
      assert.equal(unpaired, []);
    } else {
      // The four synchronous forms' fsyncs are the only ones the library saw.
      assert.is(syncs.length, 4);
      assert.equal(rows.filter((x) => x.paired).map((x) => x.form), ['sync', 'sync', 'sync', 'sync']);
      assert.is(unpaired.length, 11);
      assert.ok(unpaired.every((x) => x.form !== 'sync'));
    }
  });
}

test.run();
