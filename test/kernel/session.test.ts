/**
 * The kernel-side process model, fed fsync.bt's lines by hand (no root, no
 * bpftrace): names from opens, dups and directory renames, write intervals
 * handed over with a sync, sync writes, fork children, lost events, and the
 * exact summaries, read back with the trace decoder.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseLine, parseOutput, type KernelLine } from '../../src/record/kernel/lines.js';
import { KernelSession } from '../../src/record/kernel/session.js';
import { readTrace, type DecodedTrace } from '../../src/trace/decode.js';
import { eventList } from '../../src/trace/events.js';
import { FLAG_LAST_CLOSE, FLAG_NO_INTERVAL, HDR_ENDED, HDR_FORKED, HDR_KERNEL } from '../../src/trace/layout.js';

const PID = process.pid; // a live process: its cwd and exe are read from /proc
const CHILD = 4_000_000; // no such process: a fork child takes its parent's names
const T0 = 5_000_000_000n;
const ms = (n: number) => T0 + BigInt(n) * 1_000_000n;

function lines(text: string): KernelLine[] {
  return text.trim().split('\n').map((l) => {
    const parsed = parseLine(l.trim().replace(/\\t/g, '\t'));
    if (!parsed) throw new Error(`not a line: ${l}`);
    return parsed;
  });
}

function record(text: string, lost: [number, bigint][] = []): { traces: DecodedTrace[]; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fsync-kernel-session-'));
  const s = new KernelSession({ dir, maxBytes: 1 << 20, anchor: { monotonicNs: T0, realtimeNs: 1_767_225_600_000_000_000n } });
  for (const l of lines(text)) s.handle(l);
  for (const [n, at] of lost) s.lost(n, at);
  s.flush(ms(100_000), true);
  const traces = readdirSync(dir).sort().map((f) => readTrace(join(dir, f)));
  return { traces, dir };
}

const cwd = process.cwd();

test('bpftrace output: printf lines, the ready mark, lost events', () => {
  assert.equal(parseOutput('{"type": "printf", "data": "B\\n"}'), { type: 'ready' });
  assert.equal(parseOutput('{"type": "lost_events", "data": {"events": 17}}'), { type: 'lost', events: 17 });
  assert.equal(parseOutput('{"type": "attached_probes", "data": {"probes": 52}}'), { type: 'other' });
  assert.equal(parseOutput('not json'), { type: 'other' });
  const out = parseOutput('{"type": "printf", "data": "X 12 345\\n"}');
  assert.equal(out, { type: 'line', line: { kind: 'X', at: 12n, pid: 345 } });
  assert.is(parseLine('S nonsense'), null);
});

test('an fsync closes the writes handed over with it; the next interval starts at the fsync', () => {
  const { traces, dir } = record(`
    N ${ms(1)} 7\\tmissing.txt
    N ${ms(2)} 7\\tdata.db
    O ${ms(3)} ${PID} 7 5 ${ms(2)} 66 -100
    S ${ms(14)} 1 ${PID} 7 5 ${ms(10)} 4000000 0 0 0 0 8192 2 30000
    S ${ms(30)} 2 ${PID} 7 5 ${ms(20)} 9000000 0 0 0 0 100 1 5000
    C ${ms(40)} ${PID} 7 5 50 1 1000
  `);
  assert.is(traces.length, 1);
  const t = traces[0]!;
  assert.is(t.header.flags, HDR_KERNEL);
  assert.is(t.header.pid, PID);
  const ev = eventList(t);
  assert.equal(ev.map((e) => [e.type, e.call, e.path]), [
    ['open', null, join(cwd, 'data.db')],
    ['sync', 'fsync', join(cwd, 'data.db')],
    ['sync', 'fdatasync', join(cwd, 'data.db')],
    ['close', null, join(cwd, 'data.db')],
  ], 'the failed open of missing.txt (no O line) does not shift the names');
  assert.equal([ev[0]!.writes, ev[0]!.durNs], [66, 1_000_000n]);
  assert.equal([ev[1]!.bytes, ev[1]!.writes, ev[1]!.writeUs, ev[1]!.ivalStartNs, ev[1]!.durNs], [8192n, 2, 30, ms(2), 4_000_000n]);
  assert.equal([ev[2]!.bytes, ev[2]!.writes, ev[2]!.ivalStartNs], [100n, 1, ms(10)]);
  assert.equal([ev[3]!.bytes, ev[3]!.writes, ev[3]!.ivalStartNs, ev[3]!.flags & FLAG_LAST_CLOSE], [50n, 1, ms(20), FLAG_LAST_CLOSE]);
  // The summaries count every call, with the latency histogram.
  const sum = t.summaries;
  assert.is(sum.length, 2);
  assert.equal([...sum.call].sort(), [1, 2]);
  assert.equal([...sum.calls], [1, 1]);
  assert.is([...sum.sumNs].reduce((a, b) => a + b, 0n), 13_000_000n);
  rmSync(dir, { recursive: true });
});

test('a dup names the same file; a renamed directory renames the files open under it', () => {
  const { traces, dir } = record(`
    N ${ms(1)} 7\\t/srv/wal.tmp/0.wal
    O ${ms(2)} ${PID} 7 9 ${ms(1)} 577 -100
    D ${ms(3)} ${PID} 9 12
    S ${ms(5)} 2 ${PID} 7 12 ${ms(4)} 1000 0 0 0 0 64 1 10
    N ${ms(6)} 7\\t/srv/wal.tmp
    N ${ms(6)} 7\\t/srv/wal
    R ${ms(7)} ${PID} 7 ${ms(6)} -100 -100
    S ${ms(9)} 2 ${PID} 7 9 ${ms(8)} 1000 0 0 0 0 32 1 10
  `);
  const ev = eventList(traces[0]!);
  assert.equal(ev.map((e) => [e.type, e.path]), [
    ['open', '/srv/wal.tmp/0.wal'],
    ['sync', '/srv/wal.tmp/0.wal'],
    ['rename', '/srv/wal.tmp'],
    ['sync', '/srv/wal/0.wal'],
  ]);
  assert.equal([ev[3]!.bytes, ev[3]!.ivalStartNs], [32n, ms(4)], 'the interval goes on under the new name');
  rmSync(dir, { recursive: true });
});

test('created opens, links (by name, by descriptor, through /proc/self/fd) and unlinks of names used; an O_TMPFILE file named at its link', () => {
  const { traces, dir } = record(`
    N ${ms(1)} 7\\t/srv/new
    O ${ms(2)} ${PID} 7 3 ${ms(1)} 577 -100 1 11
    N ${ms(3)} 7\\t/srv/old
    O ${ms(4)} ${PID} 7 4 ${ms(3)} 577 -100 0 12
    N ${ms(5)} 7\\t/srv/before
    O ${ms(6)} ${PID} 7 5 ${ms(5)} 577 -100
    N ${ms(7)} 7\\t/srv
    O ${ms(8)} ${PID} 7 6 ${ms(7)} ${0o20200001} -100 0 99
    N ${ms(9)} 7\\t/srv/new
    N ${ms(9)} 7\\t/srv/hard
    L ${ms(10)} ${PID} 7 ${ms(9)} -100 -100 0
    N ${ms(11)} 7\\t
    N ${ms(11)} 7\\t/srv/byfd
    L ${ms(12)} ${PID} 7 ${ms(11)} 4 -100 ${0x1000}
    N ${ms(13)} 7\\t/proc/self/fd/6
    N ${ms(13)} 7\\t/srv/named
    L ${ms(14)} ${PID} 7 ${ms(13)} -100 -100 ${0x400}
    N ${ms(15)} 7\\t/srv/hard
    U ${ms(16)} ${PID} 7 ${ms(15)} -100
    N ${ms(16)} 7\\t/srv/never.sock
    U ${ms(17)} ${PID} 7 ${ms(16)} -100
    S ${ms(19)} 1 ${PID} 7 6 ${ms(18)} 1000 0 0 0 0 10 1 5
  `);
  const ev = eventList(traces[0]!);
  const to = (e: (typeof ev)[number]) => (e.type === 'link' ? traces[0]!.paths.get(e.writes)?.name : undefined);
  assert.equal(ev.map((e) => [e.type, e.path, to(e), e.flags & 0x100]), [
    ['open', '/srv/new', undefined, 0x100],
    ['open', '/srv/old', undefined, 0],
    ['open', '/srv/before', undefined, 0], // a line from before the field: not known to have created
    ['open', '/srv/#99 (deleted)', undefined, 0],
    ['link', '/srv/new', '/srv/hard', 0],
    ['link', '/srv/old', '/srv/byfd', 0],
    ['link', '/srv/#99 (deleted)', '/srv/named', 0],
    ['unlink', '/srv/hard', undefined, 0], // not /srv/never.sock: a name the process never used
    ['sync', '/srv/named', undefined, 0],
  ]);
  rmSync(dir, { recursive: true });
});

test('O_DSYNC writes are sync calls whose interval includes the write; the next starts when it returned', () => {
  const { traces, dir } = record(`
    N ${ms(1)} 7\\t/srv/log
    O ${ms(2)} ${PID} 7 4 ${ms(1)} 4097 -100
    W ${ms(12)} 8 ${PID} 7 4 ${ms(10)} 2000000 100 0 0 0
    W ${ms(22)} 8 ${PID} 7 4 ${ms(20)} 2000000 -5 0 0 0
  `);
  const ev = eventList(traces[0]!).filter((e) => e.type === 'sync');
  assert.equal(ev.map((e) => [e.call, e.bytes, e.writes, e.ivalStartNs, e.res]), [
    ['o_dsync_write', 100n, 1, ms(1), 100],
    ['o_dsync_write', 0n, 0, ms(12), -5],
  ]);
  rmSync(dir, { recursive: true });
});

test('a fork child has a trace of its own, with its parent descriptors; exec and exit end traces', () => {
  const { traces, dir } = record(`
    N ${ms(1)} 7\\t/srv/a
    O ${ms(2)} ${PID} 7 3 ${ms(1)} 1 -100
    F ${ms(3)} ${PID} ${CHILD}
    S ${ms(5)} 1 ${CHILD} ${CHILD} 3 ${ms(4)} 1000 0 0 0 0 10 1 1
    X ${ms(6)} ${CHILD}
    S ${ms(8)} 5 ${PID} 7 -1 ${ms(7)} 1000 0 0 0 0 0 0 0
  `, [[3, ms(7)], [5, ms(5000)]]);
  assert.is(traces.length, 2);
  const child = traces.find((t) => t.header.pid === CHILD)!;
  const parent = traces.find((t) => t.header.pid === PID)!;
  assert.is(child.header.flags, HDR_KERNEL | HDR_FORKED | HDR_ENDED);
  assert.is(child.header.ppid, PID);
  assert.equal(eventList(child).map((e) => [e.call, e.path, e.bytes]), [['fsync', '/srv/a', 10n]]);
  const sync = eventList(parent).find((e) => e.type === 'sync')!;
  assert.equal([sync.call, sync.fd, sync.pathId, sync.flags & FLAG_NO_INTERVAL], ['sync', -1, 0, FLAG_NO_INTERVAL]);
  // Lost events count in every trace recorded when they were reported (the child's up to 2 s after its end).
  assert.equal([parent.header.dropped, child.header.dropped], [8n, 3n]);
  rmSync(dir, { recursive: true });
});

test('a process that made no sync call leaves no trace', () => {
  const { traces, dir } = record(`
    N ${ms(1)} 7\\t/srv/a
    O ${ms(2)} ${PID} 7 3 ${ms(1)} 0 -100
    C ${ms(3)} ${PID} 7 3 0 0 0
  `);
  assert.is(traces.length, 0);
  rmSync(dir, { recursive: true });
});

test.run();
