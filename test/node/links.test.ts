/**
 * The exact link between a Node call and the system call that did its work
 * (recorders/FORMAT.md, "Linked calls"): with the library preloaded, every
 * fs.fsync, fs.fdatasync, filehandle.sync and filehandle.datasync call carries
 * flag 0x80 and the low 32 bits of the start_ns of a sync record of its
 * descriptor and kind that started inside its window, and no sync serves two
 * calls (programs/links.mjs: 32 in flight on one FileHandle and over 4 files,
 * a worker thread's calls beside the main thread's, a worker terminated with
 * calls in flight; with libuv's default pool of 4 threads and with 1). The
 * calls that failed (EBADF) are linked to their failed syncs; the Sync forms
 * are not linked; a hook whose addon loaded its own copy of the library links
 * nothing.
 */
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readTrace } from '../../src/trace/decode.js';
import { eventList, jsList, type JsCall, type TraceEvent } from '../../src/trace/events.js';
import { heldPastTwoLaps, namedSyncs } from '../links.js';
import { traceFiles } from '../traces.js';
import { account, countBy, keptOnFailure, NODES, removeRuns, trackedRun, type NodeRun } from './harness.js';

test.after(removeRuns);

const N = 2000;
const LINKED_APIS = ['fs.fsync', 'fs.fdatasync', 'filehandle.sync', 'filehandle.datasync'];
const KIND: Record<string, string> = { 'fs.fsync': 'fsync', 'filehandle.sync': 'fsync', 'fs.fdatasync': 'fdatasync', 'filehandle.datasync': 'fdatasync' };

type Call = JsCall & { end: bigint };

/** The run's calls (each with its window's end: its wait and, with flag 0x20, the trace's making) and syncs. */
function calls(r: NodeRun): { js: Call[]; syncs: TraceEvent[] } {
  const js: Call[] = [];
  const syncs: TraceEvent[] = [];
  for (const f of traceFiles(r.traces)) {
    const t = readTrace(join(r.traces, f));
    jsList(t).forEach((j, i) => js.push({ ...j, end: j.startNs + j.durNs + t.js.ivalStartNs[i]! }));
    for (const e of eventList(t)) if (e.type === 'sync') syncs.push(e);
  }
  return { js, syncs };
}

/** Each linked call's sync: of its fd and kind in its window with its low 32 bits (test/links.ts: of two that started in the same nanosecond, one each); null when none, or none left. */
function served(js: Call[], syncs: TraceEvent[]): (TraceEvent | null)[] {
  const byFd = new Map<number, TraceEvent[]>();
  for (const s of syncs) byFd.set(s.fd, [...(byFd.get(s.fd) ?? []), s]);
  return namedSyncs(js.map((j) => j.link === null ? [] :
    (byFd.get(j.fd) ?? []).filter((s) => s.call === KIND[j.api] && s.startNs >= j.startNs && s.startNs <= j.end && Number(s.startNs & 0xffffffffn) === j.link)));
}

interface Said {
  n: number;
  failed: string[];
  ebadf: number;
  fds: number[];
  bad: number;
}

for (const node of NODES) {
  for (const pool of ['4', '1']) {
    test(`${node.name}, UV_THREADPOOL_SIZE=${pool}: 32 filehandle.sync, fs.fsync/fs.fdatasync callbacks and filehandle.datasync in flight, a worker's calls beside: every call linked to a sync of its own fd and kind inside its window, none twice`, () => {
      const r = trackedRun('links.mjs', [String(N)], { node: node.bin, tmpfs: true, env: { UV_THREADPOOL_SIZE: pool, FSYNC_TRACE_JS_LINK: '1' } });
      keptOnFailure(r, () => {
        assert.is(r.ran.status, 0, r.ran.stderr);
        const said = account<Said>(r);
        assert.equal([said.failed, said.ebadf], [[], 300]);
        const { js, syncs } = calls(r);
        // (The terminated worker's calls: as many as it recorded.)
        const mine = js.filter((j) => !j.path?.endsWith('/cut.dat'));
        assert.equal(countBy(mine, (j) => j.api), {
          'filehandle.datasync': N / 4, 'filehandle.sync': N, 'fs.fdatasync': N / 2 + 150, 'fs.fdatasyncSync': 20,
          'fs.fsync': N / 2 + 150 + N / 4 + N / 4 + 64, 'fs.fsyncSync': 20,
        });
        const linkable = js.filter((j) => LINKED_APIS.includes(j.api));
        const pairs = served(linkable, syncs);
        // Every call linked but those held while their bucket's ring went round twice, at most
        // one each (test/links.ts; under load, the pool thread held off the processor between
        // its sync and its callback); none when no call was held that long. The syncs kept for
        // the calls are the pool's: those of the threads that run no JavaScript.
        const jsThreads = new Set(js.map((j) => j.tid));
        const held = heldPastTwoLaps(linkable.map((j) => ({ fd: j.fd, startNs: j.startNs, endNs: j.end })), syncs.filter((s) => !jsThreads.has(s.tid)));
        const unlinked = linkable.filter((j) => j.link === null).map((j) => `${j.api} fd ${j.fd} res ${j.res}`);
        assert.ok(unlinked.length <= held, `${unlinked.length} calls unlinked (${unlinked.slice(0, 5).join('; ')}), ${held} held while their bucket's ring went round twice`);
        const wrong = linkable.filter((j, k) => j.link !== null && pairs[k] === null).map((j) => `${j.api} fd ${j.fd} link ${j.link}`);
        assert.equal(wrong, [], 'every link is one sync of its fd and kind inside its window');
        const named = pairs.filter((s) => s !== null);
        assert.is(new Set(named.map((s) => s.seq)).size, named.length, 'no sync serves two calls');
        // The EBADF calls are linked to their failed syncs (recorded, res -9).
        const failed = linkable.map((j, k) => [j, pairs[k] ?? null] as const).filter(([j]) => j.res !== 0);
        assert.is(failed.length, 300);
        assert.ok(failed.every(([j, s]) => j.res === -9 && j.fd === said.bad && (s === null ? j.link === null : s.res === -9)), 'EBADF calls linked to their failed syncs');
        // The worker's calls, on a thread of their own, among them.
        const worker = linkable.filter((j) => j.path?.endsWith('/worker.dat'));
        assert.equal([worker.length, new Set(worker.map((j) => j.tid)).size, worker[0]!.tid === mine[0]!.tid], [N / 4, 1, false]);
        assert.ok(js.filter((j) => j.api.endsWith('Sync')).every((j) => j.link === null && (j.flags & 0x80) === 0));
      });
    });
  }

  test(`${node.name}: without FSYNC_TRACE_JS_LINK=1 (the default: linking costs the JavaScript thread), no call linked, syncs recorded`, () => {
    const r = trackedRun('links.mjs', ['400'], { node: node.bin, tmpfs: true });
    assert.is(r.ran.status, 0, r.ran.stderr);
    const { js, syncs } = calls(r);
    const linkable = js.filter((j) => LINKED_APIS.includes(j.api));
    assert.ok(linkable.length >= 400 + 400 + 100 + 300 + 100 + 100 + 64);
    assert.ok(syncs.length >= linkable.length - 300, `${syncs.length} syncs for ${linkable.length} calls`);
    assert.ok(js.every((j) => j.link === null && (j.flags & 0x80) === 0));
  });

  test(`${node.name}: the hook without the preloaded library (its addon loads its own copy): no call linked`, () => {
    const r = trackedRun('links.mjs', ['400'], { node: node.bin, tmpfs: true, preload: false });
    assert.is(r.ran.status, 0, r.ran.stderr);
    const { js, syncs } = calls(r);
    assert.is(syncs.length, 0);
    assert.ok(js.filter((j) => LINKED_APIS.includes(j.api)).length >= 400 + 400 + 100 + 300 + 100 + 100 + 64);
    assert.ok(js.every((j) => j.link === null && (j.flags & 0x80) === 0));
  });
}

test.run();
