// Linked Node calls (flag 0x80, recorders/FORMAT.md "Node call records"): the loader's
// js_calls.link_ns against links constructed from known sync start times.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RecordType } from '../../src/trace/layout.js';
import { TraceWriter } from '../../src/trace/encode.js';
import { openTraces } from '../fixtures/session.js';

const WAL = { id: 1, name: '/data/wal', dev: 0x801n, ino: 5n, fd: 7 };
const LINKED = 0x80;
const low32 = (ns: bigint) => Number(ns & 0xffff_ffffn);

test('js_calls.link_ns: how long after the call its linked sync started, mod 2^32 ns, across a wrap of the low 32 bits; 0 when not linked', async () => {
  const w = new TraceWriter({ ringSlots: 64, pid: 700, host: 'h1', exe: '/usr/bin/node' });
  w.path(WAL);
  // Call starts and their syncs' starts (monotonic ns): one crossing 2^32, one 5 s late (k = 1), one unlinked.
  const cases: Array<[bigint, bigint | null]> = [
    [0x1_ffff_ff00n, 0x2_0000_0100n],
    [0x3_0000_0000n, 0x3_0000_0000n + 5_000_000_000n],
    [0x4_0000_0000n, null],
  ];
  for (const [start, sync] of cases) {
    w.event({ type: RecordType.Js, call: 1, startNs: start, durNs: 6_000_000_000n, tid: 700, fd: WAL.fd, pathId: WAL.id,
      flags: sync === null ? 0 : LINKED, writeUs: sync === null ? 0 : low32(sync) });
  }
  const o = await openTraces({ 'node.700.fstrace': w.bytes() });
  try {
    const rows = await o.session.rows('select flags, link_ns from js_calls order by start');
    assert.equal(rows.map((r) => [r.flags, Number(r.link_ns)]), [[LINKED, 0x200], [LINKED, 5_000_000_000 - 2 ** 32], [0, 0]]);
  } finally {
    o.close();
  }
});

test.run();
