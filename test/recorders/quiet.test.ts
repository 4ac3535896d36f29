/**
 * quiet.c under strace, bare and recorded: what the recorder adds to the
 * opens, closes and renames of files that never sync (issue 12: "name a file
 * when it first matters"). A write open costs one statx of the descriptor
 * (the file's inode: writes through any descriptor of it belong to one
 * interval; and its birth time: did an O_CREAT open create it?), a close
 * nothing, an unlink nothing (the name is one the process knows, made from
 * memory), a rename one fstatat (the renamed file's inode); names come from
 * the paths given, after the directory names the recorder learned. And the names
 * stay right when a directory is replaced behind the recorder's back, or a
 * file is opened through a symlink: its first sync asks the kernel.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { TraceEvent } from '../../src/trace/events.js';
import { account, bin, childEnv, cleanup, ensureBuilt, events, invariantProblems, lazy, makeDirs, onlyTrace, run, said, type Said } from './harness.js';

/** System calls the program made with `rounds` rounds, from strace -c's table, by name. */
function syscalls(mode: string, rounds: number, recorded: boolean, synced: boolean): Map<string, number> {
  ensureBuilt();
  const dirs = makeDirs();
  const out = join(dirs.root, 'strace.txt');
  const args = ['-f', '-c', '-o', out, bin('quiet'), dirs.data, mode, String(rounds), ...(synced ? ['synced'] : [])];
  const r = spawnSync('strace', args, { env: childEnv(dirs, { bare: !recorded }), encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0 || !r.stdout.includes(`done rounds=${rounds}`)) throw new Error(`quiet ${mode} failed: ${r.status} ${r.stderr}`);
  const calls = new Map<string, number>();
  // "% time  seconds  usecs/call  calls  errors  syscall", errors blank when none
  for (const m of readFileSync(out, 'utf8').matchAll(/^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$/gm)) {
    calls.set(m[2]!, Number(m[1]));
  }
  if (!calls.has('total')) throw new Error(`no total in strace -c's output:\n${readFileSync(out, 'utf8')}`);
  return calls;
}

/**
 * System calls per round: the difference between 600 rounds and 200 (what a run does once cancels
 * out), without the trace's own growth: with a trace, a madvise(MADV_POPULATE_WRITE) makes the
 * ring's next 4 KiB every 64 records (0.02 to 0.06 per round here: counted apart).
 */
function perRound(mode: string, recorded: boolean, synced: boolean): [number, number] {
  const [a, b] = [syscalls(mode, 200, recorded, synced), syscalls(mode, 600, recorded, synced)];
  const d = (name: string): number => (b.get(name) ?? 0) - (a.get(name) ?? 0);
  return [(d('total') - d('madvise')) / 400, d('madvise') / 400];
}
// mode: [bare, recorded] system calls per round
const WANT: Record<string, [number, number]> = {
  write: [3, 4],   // open, write, close + statx of the descriptor
  rel: [3, 4],     // the same by a relative name
  dir: [2, 2],     // open, close: a directory opened read-only costs nothing until it is synced
  creat: [3, 4],   // + the same statx: the file's birth time says whether the open created it
  excl: [4, 5],    // open, write, close, unlink + statx (an unlink of a name the process knows: named from memory)
  rename: [2, 4],  // two renames + one fstatat each
  relren: [2, 4],
};

for (const synced of [false, true]) {
  test(`opens, closes and renames of files that never sync: system calls per round, bare and recorded${synced ? ' (the process has a trace)' : ''}`, () => {
    const modes = Object.keys(WANT);
    const got = modes.map((m) => [m, perRound(m, false, synced), perRound(m, true, synced)] as const);
    assert.equal(got.map(([m, bare, rec]) => [m, bare[0], rec[0]]), modes.map((m) => [m, ...WANT[m]!]));
    for (const [m, bare, rec] of got) {
      assert.is(bare[1], 0, `${m}: no madvise bare`);
      assert.ok(rec[1] <= (synced ? 0.1 : 0), `${m}: ${rec[1]} madvise per round recorded`);
    }
  });
}

/** The names a label's open and its sync carry: the sync on its fd, and the last open of that fd before it. */
function named(evs: TraceEvent[], lines: Said[], label: string): [string | null | undefined, string | null | undefined] {
  const fd = Number(said(lines, 'sync', label).fd);
  const sync = evs.find((e) => e.type === 'sync' && e.fd === fd);
  const open = evs.filter((e) => e.type === 'open' && e.fd === fd && sync && e.seq < sync.seq).at(-1);
  return [open?.path, sync?.path];
}

const swap = lazy(() => run('quiet', (d) => [d.data, 'swap', '0']));

test('swap: the program runs as it does bare', () => {
  const r = swap();
  assert.is(r.status, 0, r.stderr);
  assert.equal(account(r.stdout).filter((l) => l.kind === 'sync').map((l) => l.f.ret), ['0', '0', '0', '0', '0']);
});

test('a directory replaced behind the recorder\'s back: the first sync names the file right, and later opens too', () => {
  const r = swap();
  const trace = onlyTrace(r);
  assert.equal(invariantProblems(trace), []);
  const lines = account(r.stdout);
  const evs = events(trace);
  const at = (p: string): string => join(r.dirs.data, p);
  assert.equal(
    ['f', 'g', 'h', 'w2', 'link'].map((l) => [l, ...named(evs, lines, l)]),
    [
      ['f', at('real/f'), at('real/f')],
      // named from the directory learned before it was moved: the open says so, its sync knows better
      ['g', at('real/g'), at('moved/g')],
      // the wrong name made the recorder forget what it had learned: asked again
      ['h', at('moved/h'), at('moved/h')],
      ['w2', at('w2'), at('w2')],
      // opened through a symlink: the open gives the link's name, the sync the file's
      ['link', at('link'), at('w')],
    ]);
});

test('the working directory: relative names follow chdir and fchdir', () => {
  const r = run('quiet', (d) => [d.data, 'cwd', '0']);
  assert.is(r.status, 0, r.stderr);
  const lines = account(r.stdout);
  const evs = events(onlyTrace(r));
  const at = (p: string): string => join(r.dirs.data, p);
  const labels = { w: 'w', sub_w: 'sub/w', c: 'c' };
  assert.equal(Object.keys(labels).map((l) => [l, ...named(evs, lines, l)]),
  Object.entries(labels).map(([l, p]) => [l, at(p), at(p)]));
});

test.after(cleanup);
test.run();
