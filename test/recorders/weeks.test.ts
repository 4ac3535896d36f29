/**
 * Left on for weeks: a host where every process has the recorder preloaded.
 * A process that never syncs leaves nothing; one that syncs once leaves a
 * small file (measured from the blocks tmpfs allocated to it, i.e. the memory
 * it costs); what a process did before its first sync is still in its trace;
 * and the directory stays under FSYNC_TRACE_DIR_MAX_BYTES however many
 * processes come and go, removing ended processes' traces oldest first and
 * never a live one, with the removals counted in the remover's header.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTrace } from '../../src/trace/decode.js';
import { HEADER } from '../../src/trace/layout.js';
import { bin, cleanup, events, makeDirs, onlyTrace, run, start, syncEvents, type Dirs, type Started } from './harness.js';
import { n, runRaw, size } from './reliability.js';
import { figure } from '../figures.js';
import { analyzeJson } from '../../scripts/workloads/common.js';
import { traceFiles } from '../traces.js';

const AREA = 'Recorder left on for weeks';
const HDR_ENDED = 0x1;
/** A trace's mode while its image lives, and once it ended (exit, _exit, exec): ft_budget.h. */
const MODE_LIVE = 0o600;
const MODE_ENDED = 0o1600;

/** What tmpfs allocated to a file: the memory it costs. */
function allocated(file: string): number {
  return statSync(file).blocks * 512;
}

/** n ended traces made with no budget (none removes another): each one's allocated bytes, when it was made, and their sum. */
function makeEnded(dirs: Dirs, n: number): { before: Map<string, number>; startOf: Map<string, bigint>; endedBytes: number } {
  for (let i = 0; i < n; i++) assert.is(run('weeks', (d) => ['once', d.data], { dirs }).status, 0);
  const before = new Map(traceFiles(dirs.traces).map((f) => [f, allocated(join(dirs.traces, f))]));
  const startOf = new Map([...before.keys()].map((f) => [f, readTrace(join(dirs.traces, f)).header.realtimeNs]));
  return { before, startOf, endedBytes: [...before.values()].reduce((a, b) => a + b, 0) };
}

test.after(cleanup);

test('a process that opens, writes, renames and closes files but never syncs leaves no trace', () => {
  const files = size(200, 2000);
  const r = run('weeks', (d) => ['nosync', d.data, String(files)]);
  assert.is(r.status, 0, r.stderr);
  assert.equal(r.files, [], 'no trace file');
  const cat = run('/bin/cat', ['/etc/hostname']);
  assert.is(cat.status, 0, cat.stderr);
  assert.equal(cat.files, [], 'cat leaves no trace');
  figure({
    area: AREA,
    case: 'no sync, no trace',
    tried: `a process that creates, writes, reopens, dups, renames and closes ${n(files)} files without a sync; cat /etc/hostname`,
    held: 'no trace file left by either',
  });
});

test('a process that syncs once: a small trace, made at its first sync, with what came before it', () => {
  const r = run('weeks', (d) => ['once', d.data], { env: { FSYNC_TRACE_MAX_BYTES: undefined } });
  assert.is(r.status, 0, r.stderr);
  const trace = onlyTrace(r);
  const bytes = allocated(join(r.dirs.traces, r.files[0]!));
  assert.ok(bytes <= 64 << 10, `${bytes} bytes resident, expected at most 64 KiB`);
  assert.is(trace.header.maxBytes, 64n << 20n, 'made under the default 64 MiB cap');
  const kinds = events(trace).map((e) => `${e.type} ${e.path?.split('/').pop()}`);
  assert.equal(kinds, ['open once', 'sync once', 'close once'], 'the open made before the file existed is in it, in order');

  const ren = run('weeks', (d) => ['rename', d.data]);
  assert.is(ren.status, 0, ren.stderr);
  const t2 = onlyTrace(ren);
  const renames = events(t2).filter((e) => e.type === 'rename');
  assert.is(renames.length, 1, 'the rename before the first sync is recorded');
  assert.is(renames[0]!.path, join(ren.dirs.data, 'a'));
  assert.is(t2.paths.get(renames[0]!.writes)?.name, join(ren.dirs.data, 'b'), 'the rename names the new path');
  const syncs = syncEvents(t2);
  assert.is(syncs.length, 1);
  assert.is(syncs[0]!.path, join(ren.dirs.data, 'b'));
  assert.ok(renames[0]!.startNs < syncs[0]!.startNs);
  figure({
    area: AREA,
    case: 'one sync',
    tried: 'a process that writes one file and fsyncs it once, under the default 64 MiB cap',
    held: `its trace has ${n(bytes)} bytes allocated on tmpfs (at most 64 KiB); the open made before the file existed, and a rename made before the first sync, are in it in order`,
  });
});

test('the directory stays under its budget: ended traces go oldest first, a live one never', async () => {
  const runs = size(40, 200);
  const budget = 512 << 10;
  const dirs = makeDirs();
  const env = { FSYNC_TRACE_DIR_MAX_BYTES: String(budget) };
  // A live process that synced first: the oldest trace, never removed.
  const live = start('weeks', (d) => ['live', d.data], { dirs, env });
  await live.waitFor((s) => s.includes('ready'));
  try {
    await underBudget(dirs, env, live, runs, budget);
  } finally {
    live.child.kill('SIGKILL');
  }
});

async function underBudget(dirs: Dirs, env: Record<string, string>, live: Started, runs: number, budget: number): Promise<void> {
  const liveFile = traceFiles(dirs.traces)[0]!;
  let peak = 0;
  for (let i = 0; i < runs; i++) {
    const r = run('weeks', (d) => ['once', d.data], { dirs, env });
    assert.is(r.status, 0, r.stderr);
    const total = r.files.reduce((sum, f) => sum + allocated(join(dirs.traces, f)), 0);
    peak = Math.max(peak, total);
    assert.ok(total <= budget, `after run ${i + 1}: ${total} bytes in the directory, budget ${budget}`);
    assert.ok(r.files.includes(liveFile), `the live process's trace is still there after run ${i + 1}`);
  }
  const files = traceFiles(dirs.traces);
  const traces = files.map((f) => ({ f, t: readTrace(join(dirs.traces, f)) }));
  // Every trace but the live one is of an ended process; the ones kept are the newest.
  const ended = traces.filter((x) => x.f !== liveFile);
  assert.ok(ended.every((x) => (x.t.header.flags & HDR_ENDED) !== 0));
  const removed = traces.reduce((sum, x) => sum + Number(x.t.header.dirRemoved), 0);
  const keptStarts = ended.map((x) => x.t.header.realtimeNs).sort();
  // Removals are counted by whoever made them; the last runs' traces are kept,
  // so their counts plus those of removed traces add up to what is gone. The
  // kept ones are the newest `ended.length` of the runs.
  assert.ok(ended.length >= 2 && ended.length < runs, `${ended.length} of ${runs} ended traces kept`);
  assert.ok(removed >= 1, 'the kept headers count removals');
  const newestRun = run('weeks', (d) => ['once', d.data], { dirs, env });
  const after = newestRun.files.filter((f) => f !== liveFile).map((f) => readTrace(join(dirs.traces, f)).header.realtimeNs).sort();
  assert.ok(after[0]! >= keptStarts[0]!, 'the oldest ended traces went first');
  assert.ok(newestRun.files.includes(liveFile));
  live.child.kill('SIGKILL');
  const liveDone = await live.done();
  assert.is(liveDone.signal, 'SIGKILL');
  // Killed (a crash: no "ended" flag), it is now an ended process's trace: the oldest, so it goes first.
  for (let i = 0; i < 3; i++) run('weeks', (d) => ['once', d.data], { dirs, env });
  assert.ok(!readdirSync(dirs.traces).includes(liveFile), 'a killed process\'s trace is removed once it is the oldest');
  figure({
    area: AREA,
    case: 'directory budget',
    tried: `${n(runs)} processes that sync once, one after another, in a directory with FSYNC_TRACE_DIR_MAX_BYTES=${n(budget)} and a live process that synced first`,
    held: `after every run the traces' allocated bytes were within the budget (peak ${n(peak)}); ${ended.length} newest ended traces kept, removals counted in their headers (${n(removed)}); the live trace stayed until its process was killed, then went first`,
  });
}

test('tables that live as long as the service: 100,000 distinct files, each sync named right', () => {
  const files = size(100_000, 300_000);
  // A few hundred thousand syscalls: minutes on a busy machine, not a hang.
  const r = runRaw('weeks', (d) => ['many', d.data, String(files), '2'], { env: { FSYNC_TRACE_MAX_BYTES: undefined }, watchdogMs: 600_000 });
  assert.equal([r.status, r.stderr], [0, '']);
  assert.is(r.files.length, 1);
  const trace = readTrace(join(r.dirs.traces, r.files[0]!));
  // More files than the file table (65,536 slots) and the path store (65,536
  // ids) hold: each slot and id is reused once its file is closed.
  const syncs = syncEvents(trace);
  assert.ok(syncs.length > 65_536, `${syncs.length} syncs still in the ring`);
  const wrong = syncs.filter((e) => !e.path || !/\/f\d{7}$/.test(e.path));
  assert.equal(wrong.length, 0, `${wrong.length} syncs unnamed or misnamed, e.g. ${JSON.stringify(wrong[0], (_k, v) => (typeof v === "bigint" ? String(v) : v))}`);
  // Files are made in order: a sync's name follows from its place in time.
  const names = syncs.slice().sort((a, b) => (a.startNs < b.startNs ? -1 : 1)).map((e) => Number(e.path!.slice(-7)));
  const last = names[names.length - 1]!;
  assert.is(last, files - 1, 'the newest sync is on the last file');
  for (let i = 0; i < names.length; i++) {
    if (names[i] !== last - Math.floor((names.length - 1 - i) / 2)) assert.unreachable(`sync ${i} of the newest ${names.length} names f${names[i]}, expected f${last - Math.floor((names.length - 1 - i) / 2)}`);
  }
  // Every call counted exactly in the summaries, two per file.
  let calls = 0;
  for (let i = 0; i < trace.summaries.length; i++) calls += trace.summaries.calls[i]!;
  assert.is(calls, 2 * files, 'every fsync counted in the summaries');
  assert.is(trace.header.dropped, 0n);
  // Per file, from the summaries: every entry is named, each file's with its
  // exact 2 fsyncs: 100,000 distinct names are more than the names ring holds
  // beside the raw ring's, so the oldest entries' names went aside, into each
  // entry's own slots (the aside region).
  const { calls: byName, unnamed } = summaryByName(trace);
  const named = [...byName].filter(([k]) => /^f\d{7} 1$/.test(k));
  assert.is(unnamed, 0, 'every summary entry is named');
  assert.is(named.length, Math.min(files, trace.summaries.length), 'each file has its summary, under its own name');
  assert.ok(named.every(([, c]) => c === 2), `a named file with other than 2 fsyncs: ${named.find(([, c]) => c !== 2)?.join(' ')}`);
  assert.ok(trace.header.namesNext > BigInt(trace.header.names!.slots), 'the names ring went round');
  figure({
    area: AREA,
    case: 'tables reused',
    tried: `one process: ${n(files)} distinct files, each created, written, fsynced twice, closed and removed (the file table and the path store hold 65,536 each)`,
    held: `the ${n(syncs.length)} syncs still in the ring all carry their own file's exact name, in order; ${n(calls)} calls counted in the summaries (exact); all ${n(named.length)} files named in the summaries with exactly 2 fsyncs each (the names ring went round ${(Number(trace.header.namesNext) / trace.header.names!.slots).toFixed(1)} times: the oldest entries' names are in the aside region); nothing dropped`,
  });
});

test('read-only opens cost no table space: after 70,000 of them, a new file\'s syncs are named', () => {
  const opens = size(70_000, 200_000);
  const dirs = makeDirs();
  for (let i = 0; i < opens; i++) writeFileSync(join(dirs.data, `r${String(i).padStart(6, '0')}`), '');
  const r = run('weeks', (d) => ['readonly', d.data, String(opens)], { dirs });
  assert.is(r.status, 0, r.stderr);
  const trace = onlyTrace(r);
  const syncs = syncEvents(trace);
  assert.equal(syncs.map((e) => e.path), Array(5).fill(join(r.dirs.data, 'new')));
  figure({
    area: AREA,
    case: 'read-only opens',
    tried: `read-only opens and closes of ${n(opens)} distinct files, then 5 fsyncs of a new file`,
    held: 'all 5 fsyncs named (read-only opens take no file slot, path id or name)',
  });
});

/** Summary calls and entries per (name, call kind), and the entries with no name. */
function summaryByName(trace: ReturnType<typeof readTrace>): { calls: Map<string, number>; entries: Map<string, number>; unnamed: number } {
  const calls = new Map<string, number>();
  const entries = new Map<string, number>();
  let unnamed = 0;
  const s = trace.summaries;
  for (let i = 0; i < s.length; i++) {
    const name = s.pathId[i] ? trace.paths.get(s.pathId[i]!)?.name : '(no file)';
    if (name === undefined) {
      unnamed++;
      continue;
    }
    const key = `${name.split('/').pop()} ${s.call[i]}`;
    calls.set(key, (calls.get(key) ?? 0) + s.calls[i]!);
    entries.set(key, (entries.get(key) ?? 0) + 1);
  }
  return { calls, entries, unnamed };
}

const FSYNC = 1;

test('write-tmp-and-rename cycles share one summary entry per interval: a new inode of the same name counts into it', () => {
  const cycles = size(5_000, 40_000);
  const r = runRaw('weeks', (d) => ['cycles', d.data, String(cycles)], { watchdogMs: 600_000 });
  assert.equal([r.status, r.stderr], [0, '']);
  assert.is(r.files.length, 1);
  const trace = readTrace(join(r.dirs.traces, r.files[0]!));
  const { calls, entries, unnamed } = summaryByName(trace);
  assert.is(unnamed, 0, 'every summary entry named');
  // Ground truth: one fsync of state.tmp and one of the directory per cycle.
  assert.is(calls.get(`state.tmp ${FSYNC}`), cycles, 'every fsync of state.tmp counted');
  assert.is(calls.get(`data ${FSYNC}`), cycles, 'every fsync of the directory counted');
  // One entry per interval the run touched (a new inode each cycle took one before).
  const s = trace.summaries;
  const intervals = new Set<bigint>();
  for (let i = 0; i < s.length; i++) if (s.call[i] === FSYNC) intervals.add(s.intervalStartNs[i]!);
  assert.is(entries.get(`state.tmp ${FSYNC}`), intervals.size, `${entries.get(`state.tmp ${FSYNC}`)} entries for ${intervals.size} interval(s)`);
  assert.is(trace.header.dropped, 0n);
  figure({
    area: AREA,
    case: 'tmp+rename cycles',
    tried: `${n(cycles)} cycles of write state.tmp, fsync, rename over state, fsync the directory (a new inode each time)`,
    held: `state.tmp's ${n(cycles)} fsyncs counted exactly in ${entries.get(`state.tmp ${FSYNC}`)} summary entr${entries.get(`state.tmp ${FSYNC}`) === 1 ? 'y' : 'ies'} (one per interval), not one per inode`,
  });
});

test('summary entries keep their names while the names ring goes round several times', () => {
  const synced = size(400, 600);
  const others = size(4_000, 20_000);
  const r = runRaw('weeks', (d) => ['wrap', d.data, String(synced), String(others)], { watchdogMs: 600_000 });
  assert.equal([r.status, r.stderr], [0, '']);
  const trace = readTrace(join(r.dirs.traces, r.files[0]!));
  const slots = trace.header.names!.slots;
  const laps = Number(trace.header.namesNext) / slots;
  assert.ok(laps >= 3, `the names ring went round ${laps.toFixed(1)} times (${slots} slots)`);
  const { calls, unnamed } = summaryByName(trace);
  assert.is(unnamed, 0, `${unnamed} summary entries lost their names`);
  // Ground truth: s00000 .. each fsynced exactly twice; nothing else synced.
  const want = new Map<string, number>();
  for (let i = 0; i < synced; i++) want.set(`s${String(i).padStart(5, '0')} ${FSYNC}`, 2);
  assert.equal(new Map([...calls].filter(([k]) => !k.startsWith('(no file)'))), want);
  assert.is(trace.header.dropped, 0n);
  figure({
    area: AREA,
    case: 'summary names kept',
    tried: `${n(synced)} files fsynced twice, then ${n(others)} other files written and closed: the names ring (${n(slots)} slots) went round ${laps.toFixed(1)} times`,
    held: `every summary entry still named; each of the ${n(synced)} files has exactly 2 fsyncs in the summaries`,
  });
});

test('traces that grow keep the directory under its budget: ended ones go as live ones grow, live ones never, every removal counted and shown by info', async () => {
  const ended = size(60, 120);
  const growers = 4;
  const syncs = size(4_000, 8_000);
  const dirs = makeDirs();
  // Ended traces first.
  const { before, startOf, endedBytes } = makeEnded(dirs, ended);
  // A budget the ended traces fit in with room for about half the growth only
  // (four traces of ~290 KiB: a 1 MiB cap, 4,000 syncs).
  const room = 640 * 1024;
  const budget = endedBytes + room;
  const env = { FSYNC_TRACE_DIR_MAX_BYTES: String(budget) };
  const live = Array.from({ length: growers }, () => start('weeks', (d) => ['grow', d.data, String(syncs)], { dirs, env }));
  try {
    await Promise.all(live.map((p) => p.waitFor((s) => s.includes('ready'))));
    const files = traceFiles(dirs.traces);
    const liveFiles = files.filter((f) => !before.has(f));
    assert.is(liveFiles.length, growers, 'every live trace is there');
    const liveBytes = liveFiles.reduce((a, f) => a + allocated(join(dirs.traces, f)), 0);
    const total = files.reduce((a, f) => a + allocated(join(dirs.traces, f)), 0);
    assert.ok(liveBytes > room && liveBytes < budget, `the live traces grew by ${liveBytes} bytes: more than the room, less than the budget`);
    // Each grower looks again after growing by a quarter of the room it saw
    // (at least 64 KiB): four growing at once may pass the budget by that much.
    assert.ok(total <= budget + growers * 64 * 1024, `${total} bytes in the directory, budget ${budget}`);
    // Ground truth: what is gone is exactly what the live headers say they removed.
    const gone = [...before.keys()].filter((f) => !files.includes(f));
    assert.ok(gone.length >= 1, 'ended traces were removed as the live ones grew');
    const heads = liveFiles.map((f) => readTrace(join(dirs.traces, f)).header);
    const removed = heads.reduce((a, h) => a + Number(h.dirRemoved), 0);
    const removedBytes = heads.reduce((a, h) => a + Number(h.dirRemovedBytes), 0);
    assert.is(removed, gone.length, 'every removal counted once');
    assert.is(removedBytes, gone.reduce((a, f) => a + before.get(f)!, 0), 'with its allocated bytes');
    // Oldest first: what is left of the ended traces is the newest of them.
    const left = [...before.keys()].filter((f) => files.includes(f));
    const newestGone = gone.map((f) => startOf.get(f)!).reduce((a, b) => (a > b ? a : b));
    assert.ok(left.every((f) => startOf.get(f)! > newestGone), 'the oldest went first');
    const info = analyzeJson<{ traces: { dir_removed: number; dir_removed_bytes: number }[] }>(['info', dirs.traces]);
    assert.is(info.traces.reduce((a, t) => a + Number(t.dir_removed), 0), gone.length, 'info shows the removals');
    figure({
      area: AREA,
      case: 'budget while traces grow',
      tried: `${n(ended)} ended traces (${n(endedBytes)} bytes), then ${growers} processes at once each fsyncing ${n(syncs)} times, FSYNC_TRACE_DIR_MAX_BYTES=${n(budget)}`,
      held: `the directory held ${n(total)} bytes after the growth (live traces ${n(liveBytes)}); ${gone.length} oldest ended traces removed as the live ones grew, counted exactly in their headers and shown by info; no live trace removed`,
    });
  } finally {
    for (const p of live) p.child.kill('SIGKILL');
  }
});

/** A strace log's system calls between the program's consecutive fsyncs (its own writes left out). */
function gapsBetweenSyncs(log: string): string[][] {
  const gaps: string[][] = [];
  let gap: string[] | undefined;
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    if (line.startsWith('fsync(')) {
      if (gap) gaps.push(gap);
      gap = [];
    } else if (gap && line && !line.startsWith('write(')) gap.push(line);
  }
  return gaps; // the calls after the last fsync (the exit) are not a gap
}

test('a growing trace looks at a directory of many traces a few system calls at a time, and still removes the oldest ended ones', () => {
  const ended = size(100, 300);
  const syncs = 20_000;
  const dirs = makeDirs();
  const { before, startOf, endedBytes } = makeEnded(dirs, ended);
  // Room for the new trace's first pages, not for its growth (20,000 records, ~1.3 MB).
  const budget = endedBytes + 192 * 1024;
  const log = join(dirs.root, 'strace.log');
  const r = run('/usr/bin/strace', (d) => ['-o', log, bin('weeks'), 'grow', d.data, String(syncs), 'exit'], {
    dirs, env: { FSYNC_TRACE_DIR_MAX_BYTES: String(budget) }, timeoutMs: 120_000,
  });
  assert.is(r.status, 0, r.stderr);
  const gaps = gapsBetweenSyncs(log);
  assert.is(gaps.length, syncs - 1);
  // The first sync makes the trace and makes the look's first step (gap 0);
  // the rest of it, and every later look, is spread over the calls: no call
  // pays for more than a few entries (the old way read and opened every trace in one).
  const later = gaps.slice(1);
  const widest = later.reduce((w, g) => (g.length > w.length ? g : w), []);
  assert.ok(widest.length <= 16, `${widest.length} system calls between two fsyncs: ${widest.map((l) => l.slice(0, l.indexOf('('))).join(' ')}`);
  const looking = later.filter((g) => g.some((l) => l.startsWith('newfstatat(') && l.includes('.fstrace"'))).length;
  assert.ok(looking >= ended / 2, `the look's steps came in ${looking} calls`);
  // Ground truth: what is gone is what the grower's header says it removed, the oldest first.
  const files = traceFiles(dirs.traces);
  const grower = files.filter((f) => !before.has(f));
  assert.is(grower.length, 1);
  const head = readTrace(join(dirs.traces, grower[0]!)).header;
  const gone = [...before.keys()].filter((f) => !files.includes(f));
  assert.ok(gone.length >= 1, 'ended traces were removed as the trace grew');
  assert.is(Number(head.dirRemoved), gone.length, 'every removal counted once');
  assert.is(Number(head.dirRemovedBytes), gone.reduce((a, f) => a + before.get(f)!, 0), 'with its allocated bytes');
  const newestGone = gone.map((f) => startOf.get(f)!).reduce((a, b) => (a > b ? a : b));
  assert.ok([...before.keys()].filter((f) => files.includes(f)).every((f) => startOf.get(f)! > newestGone), 'the oldest went first');
  // A look lasts while the trace grows by what its steps took (under strace,
  // about one trace per block of 32 records): the directory may pass the
  // budget by that much, never by the whole growth.
  const total = files.reduce((a, f) => a + allocated(join(dirs.traces, f)), 0);
  const grown = allocated(join(dirs.traces, grower[0]!));
  assert.ok(total <= budget + 512 * 1024, `${total} bytes in the directory, budget ${budget} (the trace grew by ${grown})`);
  figure({
    area: AREA,
    case: 'budget looks in steps',
    tried: `${n(ended)} ended traces (${n(endedBytes)} bytes), then one process fsyncing ${n(syncs)} times under strace, FSYNC_TRACE_DIR_MAX_BYTES=${n(budget)}`,
    held: `at most ${widest.length} system calls between two fsyncs after the first (the look came in ${n(looking)} calls); ${gone.length} oldest ended traces removed, counted exactly in the header; the directory held ${n(total)} bytes after the trace grew to ${n(grown)}`,
  });
});

test('a directory over its budget with only live traces: the growing trace looks once, not at every 64 KiB', async () => {
  const lives = 10;
  const syncs = 20_000;
  const dirs = makeDirs();
  const live = Array.from({ length: lives }, () => start('weeks', (d) => ['live', d.data], { dirs }));
  try {
    await Promise.all(live.map((p) => p.waitFor((s) => s.includes('ready'))));
    const before = traceFiles(dirs.traces);
    assert.is(before.length, lives);
    const liveBytes = before.reduce((a, f) => a + allocated(join(dirs.traces, f)), 0);
    // Live traces alone pass the budget: nothing can be removed.
    const budget = liveBytes - 4096;
    const log = join(dirs.root, 'strace.log');
    const r = run('/usr/bin/strace', (d) => ['-o', log, bin('weeks'), 'grow', d.data, String(syncs), 'exit'], {
      dirs, env: { FSYNC_TRACE_DIR_MAX_BYTES: String(budget) }, timeoutMs: 120_000,
    });
    assert.is(r.status, 0, r.stderr);
    const files = traceFiles(dirs.traces);
    assert.ok(before.every((f) => files.includes(f)), 'no live trace removed');
    const grower = files.filter((f) => !before.includes(f));
    assert.is(grower.length, 1);
    const grown = allocated(join(dirs.traces, grower[0]!));
    // Without waiting, a look every 64 KiB of growth (the least step) would be several.
    assert.ok(grown > 3 * 64 * 1024, `the trace grew by ${grown} bytes: three looks' worth at the least step`);
    // Each look begins with one statfs; the one at the first sync found only
    // live traces, so the next waits for 8 MiB of growth.
    const looks = readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('statfs(')).length;
    assert.is(looks, 1, `${looks} looks at the directory`);
    assert.is(Number(readTrace(join(dirs.traces, grower[0]!)).header.dirRemoved), 0);
    figure({
      area: AREA,
      case: 'budget with only live traces',
      tried: `${lives} live processes' traces (${n(liveBytes)} bytes) over FSYNC_TRACE_DIR_MAX_BYTES=${n(budget)}, then one process fsyncing ${n(syncs)} times`,
      held: `one look at the directory (at the first sync) while the trace grew to ${n(grown)} bytes; no trace removed`,
    });
  } finally {
    for (const p of live) p.child.kill('SIGKILL');
  }
});

/**
 * n traces of live processes, made without running n processes: a real
 * trace's first pages (its header says it has not ended) under names that
 * carry a live pid (this test's own), made an hour ago, so older than any
 * other trace in the directory. Their names and allocated bytes.
 */
function makeLive(dirs: Dirs, n: number): { names: string[]; bytes: number } {
  const r = run('weeks', (d) => ['once', d.data]);
  assert.is(r.status, 0, r.stderr);
  const head = Buffer.from(readFileSync(join(r.dirs.traces, r.files[0]!)).subarray(0, 16384));
  head.writeUInt32LE(head.readUInt32LE(HEADER.flags) & ~HDR_ENDED, HEADER.flags);
  const s0 = Math.floor(Date.now() / 1000) - 3600;
  const names = Array.from({ length: n }, (_, i) => `live.${process.pid}.${s0 + Math.floor(i / 10)}.${String((i % 10) * 1000).padStart(9, '0')}.fstrace`);
  for (const f of names) writeFileSync(join(dirs.traces, f), head, { mode: MODE_LIVE });
  return { names, bytes: names.reduce((a, f) => a + allocated(join(dirs.traces, f)), 0) };
}

/** The pid a trace's name carries: <exe>.<pid>.<s>.<ns>.fstrace. */
function pidOf(file: string): number {
  return Number(file.split('.').at(-4));
}

/** A strace log's lines from the program's first fsync to its next call (the write of the line it prints). */
function firstSyncCalls(lines: string[]): string[] {
  const from = lines.findIndex((l) => l.startsWith('fsync('));
  const to = lines.findIndex((l, i) => i > from && (l.startsWith('newfstatat(1,') || l.startsWith('write(1,')));
  assert.ok(from >= 0 && to > from, 'the fsync and the line after it are in the strace log');
  return lines.slice(from + 1, to);
}

test('a new trace looks at a few of 1,000 live traces at its first sync, the rest when it ends: the budget holds, no live trace is opened', () => {
  const lives = 1000;
  const dirs = makeDirs();
  const { before, startOf, endedBytes } = makeEnded(dirs, 20);
  const live = makeLive(dirs, lives);
  // Room for the live traces and half the ended ones: the new trace's look
  // must remove the oldest ended ones, passing over 1,000 older live ones.
  const budget = live.bytes + Math.floor(endedBytes / 2);
  const log = join(dirs.root, 'strace.log');
  const r = run('/usr/bin/strace', (d) => ['-o', log, bin('weeks'), 'once', d.data], { dirs, env: { FSYNC_TRACE_DIR_MAX_BYTES: String(budget) }, timeoutMs: 120_000 });
  assert.is(r.status, 0, r.stderr);
  const lines = readFileSync(log, 'utf8').split('\n');
  const first = firstSyncCalls(lines);
  const isStat = (l: string) => l.startsWith('newfstatat(') && l.includes('.fstrace"');
  // The first sync makes the trace (~25 calls, the test below) and one step
  // of the look: a few traces stat'ed, not 1,000 stat'ed and opened (5,000+
  // calls before).
  // Two steps: one before the trace is made, one at its first record; each
  // stats at least 4 traces (ft_budget.c, FT_WALK_MIN), more only while its
  // ~8 us last (under strace, 4 calls take longer than that).
  const looked = first.filter(isStat).length;
  assert.ok(first.length <= 50, `${first.length} system calls in the first sync: ${first.map((l) => l.slice(0, l.indexOf('('))).join(' ')}`);
  assert.ok(looked >= 8 && looked <= 16, `${looked} traces looked at in the first sync`);
  // The rest of the look was made when the process ended: every trace
  // stat'ed once, a live one never opened (its name's pid lives, its mode
  // says it has not ended), an ended one opened only if it was to be removed
  // on its mode's word (these were: they exited).
  const files = traceFiles(dirs.traces);
  const mine = files.filter((f) => !before.has(f) && !live.names.includes(f));
  assert.is(mine.length, 1);
  const stats = lines.filter((l) => isStat(l) && !l.includes(mine[0]!)).length;
  assert.is(stats, lives + before.size, 'every other trace stat\'ed once in the look');
  // Its own: once at its end, for what it holds (the room it needs); the
  // look itself sees it only if the directory lists it after where the first
  // step had read to (not on this tmpfs: made after that read).
  const own = lines.filter((l) => isStat(l) && l.includes(mine[0]!)).length;
  assert.ok(own >= 1 && own <= 2, `its own trace stat'ed ${own} times`);
  assert.is(lines.filter((l) => l.startsWith('openat(') && l.includes('/live.')).length, 0, 'no live trace opened');
  assert.ok(live.names.every((f) => files.includes(f)), 'every live trace is still there');
  const head = readTrace(join(dirs.traces, mine[0]!)).header;
  const gone = [...before.keys()].filter((f) => !files.includes(f));
  assert.ok(gone.length >= 10, `${gone.length} ended traces removed`);
  assert.is(lines.filter((l) => l.startsWith('openat(') && l.includes('.fstrace"')).length, gone.length, 'an ended trace\'s header read only when it is removed');
  assert.is(Number(head.dirRemoved), gone.length, 'every removal counted once');
  assert.is(Number(head.dirRemovedBytes), gone.reduce((a, f) => a + before.get(f)!, 0), 'with its allocated bytes');
  const newestGone = gone.map((f) => startOf.get(f)!).reduce((a, b) => (a > b ? a : b));
  assert.ok([...before.keys()].filter((f) => files.includes(f)).every((f) => startOf.get(f)! > newestGone), 'the oldest ended went first');
  const total = files.reduce((a, f) => a + allocated(join(dirs.traces, f)), 0);
  assert.ok(total <= budget, `${total} bytes in the directory, budget ${budget}`);
  figure({
    area: AREA,
    case: 'first sync among 1,000 live traces',
    tried: `${n(lives)} live processes' traces (older than the rest) and ${before.size} ended ones, FSYNC_TRACE_DIR_MAX_BYTES=${n(budget)} (the live ones and half the ended), then a process that fsyncs once, under strace`,
    held: `its first sync made ${first.length} system calls and looked at ${looked} traces (before: every trace stat'ed and opened, 5,000+ calls); the look went on when it exited: ${gone.length} oldest ended traces removed, counted in its header, ${n(total)} bytes left; no live trace opened or removed`,
  });
});

test('a new trace over the budget removes the ended traces within 300 records, though its process is killed before it ends', async () => {
  const dirs = makeDirs();
  const { before, startOf, endedBytes } = makeEnded(dirs, 20);
  const live = makeLive(dirs, 1000);
  const budget = live.bytes + Math.floor(endedBytes / 2);
  // A step at every record while a look is on, each stat'ing at least 4
  // traces (FT_WALK_MIN): the 1,020 traces (and ., ..) in at most 256
  // steps, then at least one removal a step, at most 20: within 276 records
  // of the first, whatever the machine's load. Then it is SIGKILLed: no
  // exit finishes the look for it.
  const syncs = 300;
  const grower = start('weeks', (d) => ['grow', d.data, String(syncs)], { dirs, env: { FSYNC_TRACE_DIR_MAX_BYTES: String(budget) } });
  try {
    await grower.waitFor((s) => s.includes('ready'));
  } finally {
    grower.child.kill('SIGKILL');
  }
  await new Promise((res) => grower.child.once('exit', res));
  const files = traceFiles(dirs.traces);
  assert.ok(live.names.every((f) => files.includes(f)), 'every live trace is still there');
  const mine = files.filter((f) => pidOf(f) === grower.child.pid);
  assert.is(mine.length, 1);
  const head = readTrace(join(dirs.traces, mine[0]!)).header;
  assert.is(head.flags & HDR_ENDED, 0, 'killed: its image never ended');
  const gone = [...before.keys()].filter((f) => !files.includes(f));
  const total = files.reduce((a, f) => a + allocated(join(dirs.traces, f)), 0);
  assert.ok(total <= budget, `${total} bytes in the directory, budget ${budget}`);
  assert.ok(gone.length >= 10, `${gone.length} ended traces removed`);
  assert.is(Number(head.dirRemoved), gone.length, 'every removal counted once');
  assert.is(Number(head.dirRemovedBytes), gone.reduce((a, f) => a + before.get(f)!, 0), 'with its allocated bytes');
  const newestGone = gone.map((f) => startOf.get(f)!).reduce((a, b) => (a > b ? a : b));
  assert.ok([...before.keys()].filter((f) => files.includes(f)).every((f) => startOf.get(f)! > newestGone), 'the oldest ended went first');
  figure({
    area: AREA,
    case: 'budget kept promptly by a process that is killed',
    tried: `1,000 live processes' traces and ${before.size} ended ones, FSYNC_TRACE_DIR_MAX_BYTES=${n(budget)} (the live ones and half the ended), then a process that fsyncs ${syncs} times and is SIGKILLed`,
    held: `${gone.length} oldest ended traces removed by then (a step of the look at every record, at least 4 traces a step), counted in its header; ${n(total)} bytes left, under the budget; no live trace removed`,
  });
});

test('an image that exec\'d ended its trace though its pid lives on, and the budget removes it; a failed exec leaves it live', async () => {
  const dirs = makeDirs();
  // A live process's trace first (the oldest), then one that will exec.
  const live = start('weeks', (d) => ['live', d.data], { dirs });
  const exec = start('weeks', (d) => ['exec', d.data], { dirs });
  try {
    await live.waitFor((s) => s.includes('ready'));
    const liveFile = traceFiles(dirs.traces).find((f) => pidOf(f) === live.child.pid)!;
    assert.ok(liveFile, 'the live process\'s trace is named with its pid');
    await exec.waitFor((s) => s.includes('failed'));
    const execFile = traceFiles(dirs.traces).find((f) => f !== liveFile)!;
    const modeOf = (f: string) => statSync(join(dirs.traces, f)).mode & 0o7777;
    const endedFlag = (f: string) => readTrace(join(dirs.traces, f)).header.flags & HDR_ENDED;
    assert.is(modeOf(execFile), MODE_LIVE, 'after a failed exec the mode is a live one\'s again');
    assert.is(endedFlag(execFile), 0, 'and so is the header');
    exec.child.kill('SIGUSR1');
    // It execs sleep, which never syncs: its pid lives on, with no trace.
    const comm = `/proc/${exec.child.pid}/comm`;
    for (let i = 0; i < 2000 && readFileSync(comm, 'utf8').trim() !== 'sleep'; i++) await new Promise((res) => setTimeout(res, 10));
    assert.is(readFileSync(comm, 'utf8').trim(), 'sleep');
    assert.is(modeOf(execFile), MODE_ENDED, 'the exec\'d image\'s trace has the ended mode');
    assert.ok(endedFlag(execFile) !== 0, 'and its header says so');
    assert.is(modeOf(liveFile), MODE_LIVE);
    // Over the budget by any trace more: the exec'd one goes, the older live one stays.
    const budget = allocated(join(dirs.traces, liveFile)) + allocated(join(dirs.traces, execFile)) - 4096;
    const r = run('weeks', (d) => ['once', d.data], { dirs, env: { FSYNC_TRACE_DIR_MAX_BYTES: String(budget) } });
    assert.is(r.status, 0, r.stderr);
    assert.ok(!r.files.includes(execFile), 'the exec\'d process\'s trace is removed');
    assert.ok(r.files.includes(liveFile), 'the live one is kept');
    process.kill(exec.child.pid!, 0); // its pid still lives
    const mine = r.files.filter((f) => f !== liveFile);
    assert.is(mine.length, 1);
    assert.is(Number(readTrace(join(dirs.traces, mine[0]!)).header.dirRemoved), 1);
    assert.is(modeOf(mine[0]!), MODE_ENDED, 'an exited process\'s trace has the ended mode');
    figure({
      area: AREA,
      case: 'exec\'d traces',
      tried: 'a process that syncs, fails an exec, then execs sleep (its pid lives on); a live process\'s older trace; then a process over the budget',
      held: `the failed exec left the trace live (mode 0600, header not ended); after the exec it was mode 01600 and ended, and the budget removed it while its pid lived, keeping the older live trace`,
    });
  } finally {
    live.child.kill('SIGKILL');
    exec.child.kill('SIGKILL');
  }
});

test('the first sync makes the trace in a few system calls and four tmpfs pages', () => {
  // A budget the file system is always under: its look is one statfs.
  const dirs = makeDirs();
  const log = join(dirs.root, 'strace.log');
  const r = run('/usr/bin/strace', (d) => ['-o', log, bin('weeks'), 'once', d.data], { dirs, env: { FSYNC_TRACE_MAX_BYTES: undefined, FSYNC_TRACE_DIR_MAX_BYTES: String(2 ** 50) } });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.files.length, 1);
  // What the recorder did after the program's first fsync returned, up to the program's next call.
  const lines = readFileSync(log, 'utf8').split('\n');
  const from = lines.findIndex((l) => l.startsWith('fsync('));
  const to = lines.findIndex((l, i) => i > from && (l.startsWith('newfstatat(1,') || l.startsWith('write(1,')));
  assert.ok(from >= 0 && to > from, 'the fsync and the line after it are in the strace log');
  const calls = lines.slice(from + 1, to).filter((l) => !l.startsWith('close(3'));
  const names = calls.map((l) => l.slice(0, l.indexOf('(')));
  assert.ok(calls.length <= 27, `${calls.length} system calls: ${names.join(' ')}`);
  assert.is(names.filter((x) => x === 'fchmod' || x === 'futex' || x === 'fstatfs').length, 0, 'no fchmod (the mode is already 0600), no futex wake (nobody waited), one statfs');
  for (const proc of ['/proc/sys/kernel/random/boot_id', '/proc/self/cmdline']) {
    assert.is(calls.filter((l) => l.includes(`"${proc}"`)).length, 1, `${proc} opened once`);
  }
  assert.is(names.filter((x) => x === 'read').length, 2, 'each /proc file read once');
  const populates = calls.filter((l) => l.includes('MADV_POPULATE_WRITE')).map((l) => Number(/, (\d+), MADV_POPULATE_WRITE/.exec(l)![1]));
  assert.equal(populates, [8192, 4096, 4096], 'the header with the ring\'s first page, then the first page of the names and of the summaries');
  const bytes = allocated(join(r.dirs.traces, r.files[0]!));
  assert.is(bytes, 16384, 'four pages resident');
  figure({
    area: AREA,
    case: 'first sync',
    tried: 'a process that writes one file and fsyncs it once, under strace, default 64 MiB cap',
    held: `the trace was made in ${calls.length} system calls (36 before), 3 populates of 16 KiB in all; ${n(bytes)} bytes resident (28,672 before)`,
  });
});

test.run();
