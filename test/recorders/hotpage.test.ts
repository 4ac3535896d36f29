/**
 * The pages a recorded fsync and a recorded pwrite touch (ft_base.h, "the
 * hot page", FT_HOT_PAGE). On a kernel with page-table isolation and no
 * PCID, each system call empties the TLB, so every distinct page a wrapper
 * touches before or after the real call costs a page walk (~5 ns on this
 * project's VM): the wrappers are laid out to touch as few as they can, and
 * a change of code or compiler can undo that without any test of behaviour
 * noticing. This counts them, under valgrind's lackey (every instruction and
 * data access of test/recorders/pagewalk.c), against the same program bare.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { openSync, readFileSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { bin, cleanup, ensureBuilt, LIB, makeDirs } from './harness.js';

const PAGE = 4096n;

interface Mapping { lo: bigint; hi: bigint; offset: bigint; perms: string; path: string }
interface Info { marker: bigint; fsync: bigint; pwrite: bigint; stack: bigint; maps: Mapping[] }

function readInfo(file: string): Info {
  const lines = readFileSync(file, 'utf8').split('\n');
  const addr = (name: string) => BigInt(lines.find((l) => l.startsWith(`${name} `))!.split(' ')[1]!);
  const maps = lines.slice(4).filter((l) => l.trim()).map((l) => {
    const [range, perms, offset, , , path = ''] = l.trim().split(/\s+/);
    const [lo, hi] = range!.split('-').map((x) => BigInt(`0x${x}`));
    return { lo: lo!, hi: hi!, offset: BigInt(`0x${offset}`), perms: perms!, path };
  });
  return { marker: addr('marker'), fsync: addr('fsync'), pwrite: addr('pwrite'), stack: addr('stack'), maps };
}

/** The addresses of the `syscall` instructions (0f 05) in the first 160 bytes of libc's function at fn. */
function syscallSites(info: Info, fn: bigint): Set<bigint> {
  const m = info.maps.find((x) => x.lo <= fn && fn < x.hi && x.path.includes('libc'))!;
  const fd = openSync(m.path, 'r');
  const bytes = Buffer.alloc(160);
  readSync(fd, bytes, 0, bytes.length, Number(fn - m.lo + m.offset));
  closeSync(fd);
  const sites = new Set<bigint>();
  for (let i = 0; i + 1 < bytes.length; i++) if (bytes[i] === 0x0f && bytes[i + 1] === 0x05) sites.add(fn + BigInt(i));
  return sites;
}

/** What a page is, for the counts below. */
function kind(info: Info, page: bigint): string {
  const a = page * PAGE;
  const m = info.maps.find((x) => x.lo <= a && a < x.hi);
  if (!m) return 'unmapped';
  if (m.lo <= info.stack && info.stack < m.hi) return 'stack';
  if (m.path.endsWith('libfsync_recorder.so')) return m.perms.includes('x') ? 'lib-code' : 'lib-other';
  if (m.path.includes('libc.so')) return m.perms.includes('x') ? 'libc-code' : 'libc-other';
  if (m.path.endsWith('/pagewalk')) return 'program';
  if (m.path.startsWith('/') && !m.path.includes('fsync-recorder-test')) return `other ${m.path}`;
  return 'data'; // anonymous memory (our .bss, tables, TLS) and the trace file
}

type Counts = Record<string, number>;

/**
 * Runs pagewalk under lackey and returns, for the most common shape of the
 * calls in its second half, the distinct pages of each kind touched before
 * and after the system call.
 */
function walk(op: 'fsync' | 'write' | 'js', preload: boolean): { before: Counts; after: Counts; calls: number } {
  const dirs = makeDirs();
  const info = join(dirs.root, 'info');
  const log = join(dirs.root, 'lackey');
  const env = { ...process.env, FSYNC_TRACE_DIR: dirs.traces, FSYNC_TRACE_MAX_BYTES: String(4 << 20) } as NodeJS.ProcessEnv;
  if (preload) env.LD_PRELOAD = LIB;
  else delete env.LD_PRELOAD;
  const r = spawnSync('valgrind', ['--tool=lackey', '--trace-mem=yes', `--log-file=${log}`, bin('pagewalk'), op, '600', dirs.data, info], { env, encoding: 'utf8' });
  assert.is(r.status, 0, `valgrind: ${r.stderr}`);
  const inf = readInfo(info);
  // A Node call's record makes no system call: all of it is "before".
  const sites = op === 'js' ? new Set<bigint>() : syscallSites(inf, op === 'fsync' ? inf.fsync : inf.pwrite);
  assert.ok(op === 'js' || sites.size > 0, 'a syscall instruction in libc\'s function');
  type Seg = { before: Set<string>; after: Set<string>; half: 'before' | 'after' };
  const segs: Seg[] = [];
  let cur: Seg | null = null;
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    const m = /^ ?([ILSM]) +([0-9a-f]+),/.exec(line);
    if (!m) continue;
    const addr = BigInt(`0x${m[2]}`);
    if (m[1] === 'I' && addr === inf.marker) {
      if (cur) segs.push(cur);
      cur = { before: new Set(), after: new Set(), half: 'before' };
      continue;
    }
    if (!cur) continue;
    if (m[1] === 'I' && sites.has(addr)) {
      cur.half = 'after';
      continue;
    }
    cur[cur.half].add(`${m[1] === 'I' ? 'I' : 'D'}${addr / PAGE}`);
  }
  const late = segs.slice(segs.length / 2, -1).filter((s) => s.half === 'after' || op === 'js');
  const shape = (s: Seg, half: 'before' | 'after'): Counts => {
    const c: Counts = {};
    for (const p of s[half]) {
      const k = kind(inf, BigInt(p.slice(1)));
      c[k] = (c[k] ?? 0) + 1;
    }
    return c;
  };
  const key = (s: Seg) => JSON.stringify([shape(s, 'before'), shape(s, 'after')]);
  const tally = new Map<string, number>();
  for (const s of late) tally.set(key(s), (tally.get(key(s)) ?? 0) + 1);
  // The plain call: the shape with the fewest pages among those of at least
  // 5% of the calls. The others are its rarer cases: a new block of ring
  // slots (1 in 32), a timed write (1 in 16), the cost count (1 in 64), and,
  // often under valgrind, which runs a call ~100 times slower, the clock's
  // re-anchoring (ft_now_slow: every ~1.5 ms of TSC ticks).
  const total = (c: Counts) => Object.values(c).reduce((a, b) => a + b, 0);
  const [plain] = [...tally.entries()]
    .filter(([, n]) => n >= late.length / 20)
    .map(([k]) => JSON.parse(k) as [Counts, Counts])
    .sort((a, b) => total(a[0]) + total(a[1]) - total(b[0]) - total(b[1]));
  return { before: plain![0], after: plain![1], calls: late.length };
}

const have = spawnSync('valgrind', ['--version']).status === 0;

test('the fsync and sync wrappers are page-aligned and under a page each', () => {
  ensureBuilt();
  const nm = spawnSync('nm', ['-S', LIB], { encoding: 'utf8' });
  assert.is(nm.status, 0, nm.stderr);
  for (const name of ['fsync', 'fdatasync', 'syncfs']) {
    const row = nm.stdout.split('\n').find((l) => l.endsWith(` T ${name}`));
    assert.ok(row, `${name} in the library`);
    const [at, size] = row!.split(' ').map((x) => parseInt(x, 16));
    assert.is(at! % 4096, 0, `${name} starts a page`);
    assert.ok(size! > 1000 && size! <= 4096, `${name} is ${size} bytes: its whole path inline, within its page`);
  }
});

test('a recorded fsync touches 4 pages more than the bare call before it and 6 after', () => {
  assert.ok(have, 'valgrind is installed (.ci/run)');
  ensureBuilt();
  const bare = walk('fsync', false);
  const rec = walk('fsync', true);
  assert.ok(rec.calls >= 250, `${rec.calls} calls looked at`);
  // Ours: one page of code on each side (fsync's wrapper, its whole path);
  // no GOT, .rodata or .data page of the library; nothing of libc but the
  // system call's own page (errno is reached without __errno_location).
  assert.equal([rec.before['lib-code'], rec.after['lib-code']], [1, 1]);
  assert.equal([rec.before['lib-other'] ?? 0, rec.after['lib-other'] ?? 0], [0, 0]);
  assert.equal([rec.before['libc-other'] ?? 0, rec.after['libc-other'] ?? 0], [0, 0]);
  assert.equal(rec.after['libc-code'], bare.after['libc-code']);
  // Data: before the call the hot page, the thread's state and the file's
  // entry; after it the hot page, the thread's state, the file's track, the
  // trace's state, the summary entry and the ring's slot (the file's entry
  // is not touched again: its life was read before; nor the trace header:
  // the ring's and the names ring's heads are read from their copies in the
  // trace's state, struct ft_ctx).
  assert.is((rec.before.data ?? 0) - (bare.before.data ?? 0), 3, JSON.stringify({ rec: rec.before, bare: bare.before }));
  assert.is((rec.after.data ?? 0) - (bare.after.data ?? 0), 6, JSON.stringify({ rec: rec.after, bare: bare.after }));
});

test('a recorded pwrite touches 3 pages more than the bare call before it and 2 after', () => {
  assert.ok(have, 'valgrind is installed (.ci/run)');
  ensureBuilt();
  const bare = walk('write', false);
  const rec = walk('write', true);
  assert.equal([rec.before['lib-code'], rec.after['lib-code']], [1, 1]);
  assert.equal([rec.before['lib-other'] ?? 0, rec.after['lib-other'] ?? 0], [0, 0]);
  assert.equal([rec.before['libc-other'] ?? 0, rec.after['libc-other'] ?? 0], [0, 0]);
  // Before: the hot page (descriptor table, real function) and the thread's
  // countdowns; after: the file's entry (its one add).
  assert.is((rec.before.data ?? 0) - (bare.before.data ?? 0), 2, JSON.stringify({ rec: rec.before, bare: bare.before }));
  assert.is((rec.after.data ?? 0) - (bare.after.data ?? 0), 1, JSON.stringify({ rec: rec.after, bare: bare.after }));
});

/*
 * A Node call's record (fsync_trace_js_record, reached through the hook's
 * addon once the call settled) and its clock (fsync_trace_js_now, at the
 * call) share one page of code, as a sync wrapper's path is one page; like
 * the wrappers, the record saves and restores errno through the thread
 * pointer, not libc's __errno_location (our GOT, libc's code and libc's GOT).
 * A Node call's record runs right after the system calls that woke the
 * event loop, so each page is a walk. It was 4 pages of our code (ft_emit
 * and ft_summary_add apart, each across a page boundary), one of our GOT and
 * two of libc.
 */
test('a Node call\'s record and clock are on one page of code, and the record touches no other page of ours or of libc', () => {
  assert.ok(have, 'valgrind is installed (.ci/run)');
  ensureBuilt();
  const nm = spawnSync('nm', ['-S', LIB], { encoding: 'utf8' });
  assert.is(nm.status, 0, nm.stderr);
  const at = (name: string) => {
    const row = nm.stdout.split('\n').find((l) => l.endsWith(` T ${name}`));
    assert.ok(row, `${name} in the library's code`);
    return row!.split(' ').map((x) => parseInt(x, 16));
  };
  const [rec0, recSize] = at('fsync_trace_js_record');
  const [now0, nowSize] = at('fsync_trace_js_now');
  assert.is(rec0! % 4096, 0, 'the record starts a page');
  assert.ok(now0! >= rec0! && now0! + nowSize! <= rec0! + 4096 && recSize! <= 4096, 'the clock on the record\'s page');
  const rec = walk('js', true);
  assert.ok(rec.calls >= 250, `${rec.calls} calls looked at`);
  assert.equal([rec.before['lib-code'] ?? 0, rec.before['lib-other'] ?? 0, rec.before['libc-code'] ?? 0, rec.before['libc-other'] ?? 0],
    [1, 0, 0, 0], JSON.stringify(rec.before));
});

test.after(cleanup);
test.run();
