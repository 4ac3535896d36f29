/**
 * The library makes a process's trace at its first sync, inside that call's
 * wait: the record of the Node call leaves the making out (and says so with
 * a flag), so the first call does not look slow because it was recorded.
 * strace delays the making (its linkat, which only the library calls) by
 * 1 s, so the difference cannot hide in noise (a loaded machine held a
 * callback's round trip 350 ms; strace stops only at linkat, by seccomp). Node 22's libuv sets up an
 * io_uring at startup, and the library makes the trace then (to say so in its
 * header): there no call waits for the making, and none is flagged.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { readTrace } from '../../src/trace/decode.js';
import { FLAG_JS_TRACE_MADE, HDR_IO_URING } from '../../src/trace/layout.js';
import { account, NODES, recorded, removeRuns, trackedRun } from './harness.js';
import { traceFiles } from '../traces.js';

test.after(removeRuns);

const DELAY_US = 1_000_000;
const SLOW_MAKING = ['strace', '--seccomp-bpf', '-f', '-qq', '-o', '/dev/null', '-e', 'trace=linkat', '-e', `inject=linkat:delay_enter=${DELAY_US}`];

for (const node of NODES) for (const form of ['sync', 'callback'] as const) {
  test(`${node.name}, ${form}: the first call's wait leaves out the ${DELAY_US / 1000} ms the trace took to make, and says so; the second has nothing to leave out`, () => {
    const r = trackedRun('first.cjs', [form], { node: node.bin, hook: 'require', wrap: SLOW_MAKING });
    assert.is(r.ran.status, 0, r.ran.stderr);
    const { waits } = account<{ waits: number[] }>(r);
    const { js, syncs } = recorded(r);
    assert.equal(js.map((j) => j.api), form === 'sync' ? ['fs.fsyncSync', 'fs.fsyncSync'] : ['fs.fsync', 'fs.fsync']);
    assert.is(syncs.length, 2);
    const [file] = traceFiles(r.traces);
    const atStart = (readTrace(join(r.traces, file!)).header.flags & HDR_IO_URING) !== 0;
    assert.is(atStart, Number(node.name.split(' ')[1]) >= 22, 'made at startup: Node 22 sets up an io_uring');
    assert.equal(js.map((j) => (j.flags & FLAG_JS_TRACE_MADE) !== 0), [!atStart, false]);
    // Waits are weighed beyond the first fsync's own time: on a disk another program
    // writes to, that fsync alone took 0.6 to 4 s (fio beside the test), and bounds on
    // the whole wait failed on it.
    const fsync = Number(syncs[0]!.durNs);
    // The program waited through the making (when it was in its first call); the record did not.
    assert.ok(atStart ? waits[0]! - fsync < DELAY_US * 1000 : waits[0]! - fsync >= DELAY_US * 1000,
      `program's first wait ${waits[0]} ns, its fsync ${fsync} ns`);
    // What the record holds beyond its fsync is less than the making alone took: the
    // making cannot be in it. (Under strace on a loaded machine a callback's round trip
    // alone can pass 100 ms.)
    const first = Number(js[0]!.durNs);
    assert.ok(first >= fsync, `recorded first wait ${first} ns, its fsync ${fsync} ns`);
    assert.ok(first - fsync < DELAY_US * 1000, `recorded first wait ${first} ns, its fsync ${fsync} ns`);
    assert.ok(first <= waits[0]! - (atStart ? 0 : DELAY_US * 1000), `recorded ${first} ns, program ${waits[0]} ns`);
    // The second: as the program measured it, within the hook's own work.
    assert.ok(Number(js[1]!.durNs) <= waits[1]!, `recorded ${js[1]!.durNs} ns, program ${waits[1]} ns`);
  });
}

test.run();
