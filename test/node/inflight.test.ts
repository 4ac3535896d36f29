/**
 * Pairing under load: 32 fs.fsync calls in flight over 4 files, 4,000 calls, each
 * paired with its own fsync (js_waits). The first sync makes the trace, and strace
 * delays the making (its linkat) by 300 ms: the calls that wait for it are recorded
 * without it (flag 0x20), so each one's recorded window ends before its own fsync
 * ended, or started. Before, those calls went unpaired, and every later pair of
 * their file was numbered one or more places off (1,705 of 20,000 calls unpaired in
 * one loaded run without strace). Every fs.fsync call is linked to its fsync (flag
 * 0x80, recorders/FORMAT.md): each is paired with it, exactly.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyzeSql } from '../../scripts/workloads/common.js';
import { FLAG_JS_LINKED, FLAG_JS_TRACE_MADE } from '../../src/trace/layout.js';
import { heldPastTwoLaps, namedSyncs } from '../links.js';
import { account, keptOnFailure, NODES, recorded, removeRuns, trackedRun } from './harness.js';

test.after(removeRuns);

const CALLS = 4000;
const SLOW_MAKING = ['strace', '-f', '-qq', '--seccomp-bpf', '-o', '/dev/null', '-e', 'trace=linkat', '-e', 'inject=linkat:delay_enter=300000'];

for (const node of NODES) for (const linked of [true, false]) test(`${node.name}: 32 calls in flight over 4 files, the first ones across the trace's making: ${linked ? 'every call linked (FSYNC_TRACE_JS_LINK=1) and paired with its own fsync' : 'by the windows alone (the default): all but a few in 1,000 paired, each fsync once'}, in the pool's order`, () => {
  const r = trackedRun('inflight.mjs', [String(CALLS)], { node: node.bin, tmpfs: true, wrap: SLOW_MAKING, env: linked ? { FSYNC_TRACE_JS_LINK: '1' } : {} });
  keptOnFailure(r, () => {
    assert.is(r.ran.status, 0, r.ran.stderr);
    assert.is(account<{ done: number }>(r).done, CALLS);
    const { files, js, syncs } = recorded(r);
    assert.is(js.length, CALLS);
    assert.is(syncs.filter((s) => s.call === 'fsync').length, CALLS);
    // Node 20 makes the trace at the first sync, with 32 calls in flight (those that waited
    // through the making are flagged: the first, and those queued behind it); Node 22 at startup.
    const flagged = js.filter((j) => (j.flags & FLAG_JS_TRACE_MADE) !== 0).length;
    if (Number(node.name.split(' ')[1]) >= 22) assert.is(flagged, 0);
    else assert.ok(flagged >= 1 && flagged <= 32, `${flagged} calls flagged`);
    // Linked: every call but those held while their bucket's ring went round twice, at most one
    // each (test/links.ts: a pool thread held off the processor between its sync and its
    // callback, under load); none when no call was held that long. The pool's syncs are kept.
    const jsThreads = new Set(js.map((j) => j.tid));
    const held = linked ? heldPastTwoLaps(js.map((j) => ({ fd: j.fd, startNs: j.startNs, endNs: j.startNs + j.durNs })), syncs.filter((s) => !jsThreads.has(s.tid))) : 0;
    const linkedCalls = js.filter((j) => (j.flags & FLAG_JS_LINKED) !== 0).length;
    if (linked) assert.ok(linkedCalls <= CALLS && linkedCalls >= CALLS - held, `${linkedCalls} of ${CALLS} calls linked, ${held} held while their bucket's ring went round twice`);
    else assert.is(linkedCalls, 0, 'linked calls');
    const unlinked = linked ? CALLS - linkedCalls : 0;
    const [row] = analyzeSql<{ calls: number; paired: number; flagged_paired: number; syscalls: number; crossed: number; ambiguous: number }>(`
      with p as (
        select w.*, (j.flags & 32) <> 0 as flagged,
          lag(epoch_ns(w.start) + w.queued_ns) over (partition by w.file_id order by w.start) as prev_sys_start
        from js_waits as w join js_calls as j using (trace_id, seq)
      )
      select count(*)::int as calls, (count(*) filter (where paired))::int as paired,
        (count(*) filter (where paired and flagged))::int as flagged_paired,
        count(distinct sys_seq)::int as syscalls,
        (count(*) filter (where epoch_ns(start) + queued_ns < prev_sys_start - 1000000))::int as crossed,
        (count(*) filter (where ambiguous))::int as ambiguous
      from p`, [r.traces]);
    // A pool thread may be preempted between taking a call's work and starting its fsync,
    // which then starts several places late (seen in a quiet CI run: a call queued for 1.6 ms,
    // its sync 1.2 ms long, started after ~10 later calls' syncs), which the windows alone
    // decided right but for 1 in 500 (one left over in one of 37 runs under the full suite's
    // load); the link decides every call.
    // (A call left unlinked is paired by the windows among the syncs no link named: it may
    // be left unpaired, or ambiguous.)
    if (linked && unlinked === 0) {
      assert.equal({ calls: row!.calls, paired: row!.paired, syscalls: row!.syscalls, flagged_paired: row!.flagged_paired, ambiguous: row!.ambiguous },
        { calls: CALLS, paired: CALLS, syscalls: CALLS, flagged_paired: flagged, ambiguous: 0 });
    } else if (linked) {
      assert.equal({ calls: row!.calls, flagged_paired: row!.flagged_paired }, { calls: CALLS, flagged_paired: flagged });
      assert.ok(row!.paired >= CALLS - unlinked && row!.syscalls === row!.paired && row!.ambiguous <= unlinked, `${row!.paired} of ${CALLS} paired, ${row!.syscalls} syncs, ${row!.ambiguous} ambiguous, ${unlinked} unlinked`);
    } else {
      assert.equal({ calls: row!.calls, flagged_paired: row!.flagged_paired, ambiguous: row!.ambiguous }, { calls: CALLS, flagged_paired: flagged, ambiguous: 0 });
      assert.ok(row!.paired >= CALLS - CALLS / 500 && row!.syscalls === row!.paired, `${row!.paired} of ${CALLS} paired, ${row!.syscalls} syncs`);
    }
    if (linked && unlinked === 0) {
      // Which sync the analyzer gave each call: per file (one run: 8 calls in flight
      // throughout), the k-th call to start the k-th linked sync to start (the pool's order)
      // when every such pair fits its call (the sync inside its window), else the syncs the
      // links name (queries/56_js_waits.sql). A pool thread held between taking a call's work
      // and starting its sync (1-40 ms at load 15) makes a pair of the pool's order miss its
      // call: seen in a kept run, files 2 and 3 (1 and 13 such pairs) kept the links' pairs,
      // which crossed 27 and 28 times (over the 40 allowed), files 1 and 4 none.
      assert.is(files.length, 1, 'one trace');
      const given = new Map(analyzeSql<{ seq: number; sys_seq: number | null }>('select seq::int as seq, sys_seq::int as sys_seq from js_waits', [r.traces]).map((x) => [x.seq, x.sys_seq]));
      const kept = syncs.filter((s) => s.call === 'fsync' && !jsThreads.has(s.tid));
      const byStart = <T extends { startNs: bigint; seq: number }>(a: T, b: T) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : a.seq - b.seq);
      const wrong: string[] = [];
      for (const fd of new Set(js.map((j) => j.fd))) {
        const calls = js.filter((j) => j.fd === fd).sort(byStart);
        const ofFd = kept.filter((s) => s.fd === fd);
        const named = namedSyncs(calls.map((j) => ofFd.filter((s) => s.startNs >= j.startNs && s.startNs <= j.endNs && Number(s.startNs & 0xffffffffn) === j.link)));
        assert.ok(named.every((s) => s !== null), `fd ${fd}: every link names a sync of the fd inside its call's window`);
        const pool = [...named].sort((a, b) => byStart(a!, b!));
        const fits = calls.every((j, k) => pool[k]!.startNs >= j.startNs && pool[k]!.startNs + pool[k]!.durNs <= j.endNs + 10000n);
        const expected = fits ? pool : named;
        calls.forEach((j, k) => { if (given.get(j.seq) !== expected[k]!.seq) wrong.push(`fd ${fd} call ${k} (${fits ? 'pool order' : 'as linked'}): sync ${given.get(j.seq)}, not ${expected[k]!.seq}`); });
      }
      assert.equal(wrong.slice(0, 5), [], `${wrong.length} calls paired with another sync`);
    } else {
      assert.ok(row!.crossed <= CALLS / 100, `${row!.crossed} pairs crossed`);
    }
  });
});

test.run();
