// Exact counts from the real recorder: `summary --json` and `info --json` on traces whose
// ring lapped, checked against what the test programs say they did (killme.c prints
// every fsync that returned; load.c writes each thread's calls per file and kind).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cleanup, removeDirs, run, start } from '../recorders/harness.js';
import { at, tempDir, writeTrace } from '../fixtures/traces.js';
import { TraceWriter } from '../../src/trace/encode.js';
import { RecordType } from '../../src/trace/layout.js';

const BIN = fileURLToPath(new URL('../../bin/fsync-analyze.js', import.meta.url));
/** 1 MiB traces (the harness's default): a ring of 4,080 records. */
const RING = 4080;

interface SummaryJson {
  files: Array<{ path: string; calls: number; by_kind: Record<string, number>; errors: number; bytes: number; p50_ms: number }>;
  totals: { calls: number; by_kind: Record<string, number>; errors: number; processes: number; summarized_only: number; unaccounted: number; uncounted_records: number };
}
interface InfoJson {
  traces: Array<{ records: number; dropped: number; overwritten: number; calls: number; summarized_only: number; unaccounted: number; uncounted_records: number }>;
}

function analyze<T>(args: string[]): T {
  return JSON.parse(text([...args, '--json'])) as T;
}

function text(args: string[]): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return r.stdout;
}

const doneLines = (stdout: string): number => stdout.split('\n').filter((l) => l.startsWith('done ')).length;

/** Calls done so far, from the last whole line ("done I" after call I, from 0): read as output
 * arrives, so it must not rescan it all (12,000 rescans took over 20 s on a loaded machine). */
function doneSoFar(stdout: string): number {
  const end = stdout.lastIndexOf('\n');
  const m = /^done (\d+)$/.exec(stdout.slice(stdout.lastIndexOf('\n', end - 1) + 1, end));
  return m ? Number(m[1]) + 1 : 0;
}

test.after(cleanup);

test('the ring laps inside one interval and the process is killed mid-interval: every fsync counted', async () => {
  const N = 20_000;
  const p = start('killme', (d) => [d.data, String(N)]);
  await p.waitFor((out) => out.includes('\nwaiting\n'));
  p.child.kill('SIGKILL');
  const r = await p.done();
  try {
    assert.is(doneLines(r.stdout), N);
    const s = analyze<SummaryJson>(['summary', r.dirs.traces]);
    assert.equal(s.files.map((f) => [basename(f.path), f.calls, f.by_kind, f.bytes]), [['k', N, { fsync: N }, 10 * N]]);
    assert.is(s.totals.calls, N);
    assert.ok(s.totals.summarized_only >= N - RING, `${s.totals.summarized_only} calls from summaries only`);
    assert.is(s.totals.unaccounted, 0);
    const [t] = analyze<InfoJson>(['info', r.dirs.traces]).traces;
    assert.is(t!.calls, N);
    assert.is(t!.summarized_only, s.totals.summarized_only);
    // A record per fsync (and the open's and the path's): 20,000 written, a ring's worth held.
    assert.ok(t!.overwritten >= N - RING && t!.overwritten < N - RING + 100, `${t!.overwritten} records overwritten`);
  } finally {
    removeDirs(r.dirs);
  }
});

test('the ring starts mid-interval (1-s intervals, killed while running): counts within the one call in flight', async () => {
  const p = start('killme', (d) => [d.data, '0'], { env: { FSYNC_TRACE_SUMMARY_SECONDS: '1' } });
  await p.waitFor((out) => doneSoFar(out) >= 12_000);
  p.child.kill('SIGKILL');
  const r = await p.done();
  try {
    const done = doneLines(r.stdout);
    const s = analyze<SummaryJson>(['summary', r.dirs.traces]);
    assert.ok(s.totals.calls === done || s.totals.calls === done + 1, `${s.totals.calls} counted, ${done} reported done`);
    assert.ok(s.totals.summarized_only > 0);
    assert.is(s.totals.unaccounted, 0);
  } finally {
    removeDirs(r.dirs);
  }
});

test('8 threads on 4 shared files, five call kinds: every file and kind exact', () => {
  const threads = 8;
  const rounds = 3000;
  const r = run('load', (d) => [d.data, 'threads', String(threads), String(rounds), '4', join(d.root, 'account')]);
  try {
    assert.is(r.status, 0, r.stderr);
    const truth: Record<string, Record<string, number>> = {};
    for (const line of readFileSync(join(r.dirs.root, 'account'), 'utf8').split('\n')) {
      const m = /^calls tid=\d+ file=(\S+) kind=(\S+) n=(\d+)$/.exec(line);
      if (!m) continue;
      const kinds = (truth[basename(m[1]!)] ??= {});
      kinds[m[2]!] = (kinds[m[2]!] ?? 0) + Number(m[3]);
    }
    const s = analyze<SummaryJson>(['summary', r.dirs.traces]);
    const got: Record<string, Record<string, number>> = {};
    for (const f of s.files) got[basename(f.path)] = f.by_kind;
    assert.equal(got, truth);
    assert.is(s.totals.calls, threads * rounds);
    assert.ok(s.totals.summarized_only > threads * rounds - RING);
  } finally {
    removeDirs(r.dirs);
  }
});

/** killme under the recorder: N fsyncs, then killed while it waits. */
async function killme(n: number, env: Record<string, string> = {}) {
  const p = start('killme', (d) => [d.data, String(n)], { env });
  await p.waitFor((out) => out.includes('\nwaiting\n'));
  p.child.kill('SIGKILL');
  return p.done();
}

test('summaries off: the ring alone counts; a lapped ring says how many records it lost', async () => {
  const off = { FSYNC_TRACE_SUMMARY_SECONDS: '0' };
  const small = await killme(1000, off);
  const big = await killme(20_000, off);
  try {
    const s1 = analyze<SummaryJson>(['summary', small.dirs.traces]);
    assert.equal([s1.totals.calls, s1.totals.summarized_only, s1.totals.unaccounted, s1.totals.uncounted_records], [1000, 0, 0, 0]);
    const [i1] = analyze<InfoJson>(['info', small.dirs.traces]).traces;
    assert.equal([i1!.calls, i1!.overwritten, i1!.dropped, i1!.uncounted_records], [1000, 0, 0, 0]);
    assert.not.match(text(['summary', small.dirs.traces]), 'lapped');
    // The 1 MiB file is ring but for its names (an eighth): 14,280 slots, a record
    // per fsync, the rest rotated away.
    const s2 = analyze<SummaryJson>(['summary', big.dirs.traces]);
    const [i2] = analyze<InfoJson>(['info', big.dirs.traces]).traces;
    assert.is(s2.totals.calls, i2!.calls);
    assert.ok(s2.totals.calls <= 14_280 && s2.totals.calls >= 14_280 - 50, `${s2.totals.calls} fsyncs in the ring`);
    assert.ok(i2!.overwritten >= 20_000 - 14_280 && i2!.overwritten < 20_000 - 14_280 + 100, `${i2!.overwritten} overwritten`);
    assert.equal([s2.totals.summarized_only, s2.totals.unaccounted], [0, 0]);
    // No summary counts what the ring lost: said, as records (how many were syncs is not known).
    assert.equal([s2.totals.uncounted_records, i2!.uncounted_records], [i2!.overwritten, i2!.overwritten]);
    const lapped = `the ring of 1 trace without summaries (format v1, or FSYNC_TRACE_SUMMARY_SECONDS=0) lapped: ` +
      `${i2!.overwritten.toLocaleString('en-US')} older records (syncs, opens, closes, renames) were overwritten, and the sync calls among them are in no count here`;
    assert.ok(text(['summary', big.dirs.traces]).includes(lapped), 'summary says it');
    assert.ok(text(['info', big.dirs.traces]).includes(lapped), 'info says it');
  } finally {
    removeDirs(small.dirs);
    removeDirs(big.dirs);
  }
});

test('format v1: counts are the ring\'s, nothing summarized or unaccounted; a lapped ring\'s loss is in info, summary and the report', () => {
  const tmp = tempDir();
  try {
    const w = new TraceWriter({ version: 1, ringSlots: 16, pid: 7 });
    w.path({ id: 1, name: '/data/v1.log' });
    for (let i = 0; i < 40; i++) w.event({ type: RecordType.Sync, call: 1, startNs: at(i), durNs: 1_000_000n, pathId: 1 });
    const file = writeTrace(tmp.dir, 'v1.7.fstrace', w.bytes());
    const s = analyze<SummaryJson>(['summary', file]);
    assert.equal([s.totals.calls, s.totals.summarized_only, s.totals.unaccounted, s.totals.uncounted_records], [16, 0, 0, 25]);
    const [t] = analyze<InfoJson>(['info', file]).traces;
    assert.equal([t!.records, t!.overwritten, t!.calls, t!.uncounted_records], [16, 41 - 16, 16, 25]);
    // The report says so on its first screen.
    const html = join(tmp.dir, 'r.html');
    text(['report', '-q', '-o', html, file]);
    const said = /<p class="lede" id="uncounted">(.*?)<\/p>/.exec(readFileSync(html, 'utf8'))?.[1] ?? '';
    assert.is(said, '<b>Not every call is counted:</b> the ring of 1 trace without summaries (format v1, or recorded with ' +
      'FSYNC_TRACE_SUMMARY_SECONDS=0) lapped, and 25 older records (syncs, opens, closes, renames) were overwritten: ' +
      'the sync calls among them are in no count here, so the counts above are a lower bound.');
  } finally {
    tmp.cleanup();
  }
});

test.run();
