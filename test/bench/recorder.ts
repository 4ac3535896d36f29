/**
 * npm run bench:recorder — what the recorder adds to each call.
 *
 * Runs test/bench/recorder_bench.c bare and under the recorder, alternating,
 * and prints the median CPU nanoseconds per call of each and the difference:
 * a 64-byte pwrite and an fsync on tmpfs, in 1 and 8 threads. The recorder
 * runs with its defaults (summaries, keep ring, alerts and cost sampling on)
 * once more with all of that off (the ring only, as in format version 1), and
 * once in a small trace whose ring it laps many times (the steady state). Where strace
 * or bpftrace are installed, the same calls under them, for comparison, and
 * under the kernel-side recorder (fsync-record --kernel; root). Last, the cost
 * of a process's first sync, which makes its trace (creation.ts).
 *
 *   npm run bench:recorder [-- --runs 7 --calls 200000 --lib PATH --no-tracers]
 *
 * It ends with the stall counts (calls over 50 µs) and what a fresh tmpfs page
 * costs this machine: a fresh ring's first lap pays that every 64 records.
 *
 * How the figures are made trustworthy on a shared, noisy VM:
 *  - every variant's figure is the median, over the alternations, of its
 *    difference with the bare run of the same alternation (adjacent runs see
 *    the same machine state), printed with the quartiles of those
 *    differences: "+X (Q1..Q3)"; the order of the variants rotates from one
 *    alternation to the next, so none always runs first or last;
 *  - single-thread runs are pinned to one CPU (taskset, when installed), the
 *    same one for every variant; 8-thread runs are not pinned (they must
 *    show what sharing the cores costs);
 *  - "paired in-process" (recorder_bench ... paired): in one process, blocks
 *    of 500 calls through the recorder alternate with blocks through libc's
 *    own function, so both see the same file, caches and moment; the median
 *    of the pairs' differences, with quartiles, and the same method with no
 *    recorder at all (both blocks libc's), which shows the method's noise;
 *  - the load averages at the start and the end are printed with the figures.
 *
 * --lib runs another build of the recorder (to compare two builds on one
 * machine state); --no-tracers skips strace, bpftrace and the kernel side;
 * --no-pin runs single-thread runs unpinned.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { libraryPath } from '../../src/record/launch.js';
import { creationCost, crowdedFirstSync } from './creation.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const RUNS = flag('runs', 7);
const LIB_ARG = args.indexOf('--lib');
const LIB = LIB_ARG >= 0 ? args[LIB_ARG + 1]! : libraryPath();
const TRACERS = !args.includes('--no-tracers');
const CALLS = flag('calls', 200_000);
const PIN = !args.includes('--no-pin') && spawnSync('sh', ['-c', 'command -v taskset']).status === 0;
/** The CPU single-thread runs are pinned to: the last one. */
const CPU = String(Math.max(0, cpus().length - 1));

type Mode = 'bare' | 'recorded' | 'ring-only' | 'lapped' | 'strace' | 'bpftrace' | 'kernel';

/** fsync-record --kernel (root, bpftrace): the kernel-side recorder, beside the preload. */
const RECORD_SH = fileURLToPath(new URL('../../bin/fsync-record', import.meta.url));

/**
 * A 4 MiB trace, whose 1 MiB ring the run goes round many times: the steady
 * state of a recorder left on, where the kernel no longer has to allocate and
 * zero the ring's tmpfs pages (a fresh ring's first lap pays that, ~35 ns a record).
 */
const LAPPED = { FSYNC_TRACE_MAX_BYTES: String(4 << 20) };

/** The always-on parts switched off: what the recorder cost before them. */
const RING_ONLY = {
  FSYNC_TRACE_SUMMARY_SECONDS: '0', FSYNC_TRACE_ALERT_MS: '0', FSYNC_TRACE_ALERT_FACTOR: '0',
  FSYNC_TRACE_ALERT_TO: 'off', FSYNC_TRACE_COST_PERIOD: '0',
};

function build(): string {
  const out = join(here, 'build');
  mkdirSync(out, { recursive: true });
  const bin = join(out, 'recorder_bench');
  execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-pthread', join(here, 'recorder_bench.c'), '-o', bin, '-ldl']);
  return bin;
}

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** The program and its arguments, pinned to CPU when it runs one thread (and pinning is on). */
function pinned(bin: string, argv: string[], threads: number): [string, string[]] {
  return PIN && threads === 1 ? ['taskset', ['-c', CPU, bin, ...argv]] : [bin, argv];
}

/** The environment of a recorder variant. */
function variantEnv(mode: Mode, traceDir: string): NodeJS.ProcessEnv {
  const env = { ...process.env, FSYNC_TRACE_DIR: traceDir };
  if (mode === 'recorded') return { ...env, LD_PRELOAD: LIB };
  if (mode === 'ring-only') return { ...env, ...RING_ONLY, LD_PRELOAD: LIB };
  if (mode === 'lapped') return { ...env, ...LAPPED, LD_PRELOAD: LIB };
  return env;
}

/** One run: mean CPU and wall ns per call, as the benchmark program printed them. */
function runOnce(bin: string, mode: Mode, op: string, threads: number, calls: number, dir: string, traceDir: string): { cpu: number; wall: number } {
  const argv = [op, String(threads), String(calls), dir];
  const env = { ...process.env, FSYNC_TRACE_DIR: traceDir };
  let res;
  if (mode === 'bare' || mode === 'recorded' || mode === 'ring-only' || mode === 'lapped') {
    const [cmd, cargs] = pinned(bin, argv, threads);
    res = spawnSync(cmd, cargs, { env: variantEnv(mode, traceDir), encoding: 'utf8' });
  } else if (mode === 'strace') {
    const sys = op === 'write' ? 'pwrite64' : op;
    res = spawnSync('strace', ['-f', '-T', '-qq', '-e', `trace=${sys}`, '-o', '/dev/null', bin, ...argv], { env, encoding: 'utf8' });
  } else if (mode === 'kernel') {
    res = spawnSync(RECORD_SH, ['--kernel', '--quiet', '--dir', traceDir, '--', bin, ...argv], { env, encoding: 'utf8' });
  } else {
    res = spawnSync('bpftrace', ['-q', '-e', bpfProgram(op), '-c', [bin, ...argv].join(' ')], { env, encoding: 'utf8' });
  }
  const m = /^(\d+(?:\.\d+)?) (\d+(?:\.\d+)?)\s*$/m.exec(res.stdout ?? '');
  if (res.status !== 0 || !m) {
    throw new Error(`${mode} ${op} x${threads} failed (status ${res.status}): ${res.stderr || res.stdout}`);
  }
  return { cpu: Number(m[1]), wall: Number(m[2]) };
}

/** A bpftrace program that times the syscall per thread, as a tracing tool would. */
function bpfProgram(op: string): string {
  const sys = op === 'write' ? 'pwrite64' : op;
  return `tracepoint:syscalls:sys_enter_${sys} /pid == cpid/ { @s[tid] = nsecs; }
tracepoint:syscalls:sys_exit_${sys} /@s[tid]/ { @lat = hist(nsecs - @s[tid]); delete(@s[tid]); }
END { clear(@lat); clear(@s); }`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The first and third quartiles (nearest rank). */
function quartiles(xs: number[]): [number, number] {
  const s = [...xs].sort((a, b) => a - b);
  return [s[Math.floor((s.length - 1) / 4)]!, s[Math.ceil(((s.length - 1) * 3) / 4)]!];
}

/** Median of paired differences, with their quartiles: "+X (Q1..Q3)". */
function added(diffs: number[]): string {
  const [q1, q3] = quartiles(diffs);
  const f = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(0)}`;
  return `**${f(median(diffs))}** (${f(q1)}..${f(q3)})`;
}

/**
 * In one process, blocks through the recorder against blocks through libc
 * (recorder_bench ... paired), RUNS times per variant, alternating: the
 * median over runs of each run's median difference, with the quartiles of
 * those. "none" runs the same method with no recorder: its noise floor.
 */
function pairedCells(bin: string, op: string, threads: number, dir: string, traceDir: string): Record<'none' | 'recorded' | 'lapped', string> {
  const out = { none: [] as number[], recorded: [] as number[], lapped: [] as number[] };
  for (let r = 0; r < RUNS; r++) {
    for (const mode of ['bare', 'recorded', 'lapped'] as const) {
      const [cmd, cargs] = pinned(bin, [op, String(threads), String(CALLS), dir, 'paired'], threads);
      const res = spawnSync(cmd, cargs, { env: variantEnv(mode, traceDir), encoding: 'utf8' });
      const m = /^paired (\S+) (\S+) (\S+) (\S+) (\S+) (\d+)$/m.exec(res.stdout ?? '');
      if (res.status !== 0 || !m) throw new Error(`paired ${mode} ${op} x${threads} failed (status ${res.status}): ${res.stderr || res.stdout}`);
      out[mode === 'bare' ? 'none' : mode].push(Number(m[3]));
    }
    rmSync(traceDir, { recursive: true, force: true });
    mkdirSync(traceDir, { mode: 0o700 });
  }
  return { none: added(out.none), recorded: added(out.recorded), lapped: added(out.lapped) };
}

const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

/**
 * Stalls: how many of 100,000 fsyncs took over 50 µs, bare and recorded on a
 * fresh trace (its first lap: the file grows under the calls), medians of
 * alternating runs. Each call is timed on its own, so this is a run apart.
 */
function stallCounts(bin: string, traceDir: string): string {
  const work = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'fsync-bench-stalls-'));
  const count = (preload: boolean): number => {
    rmSync(traceDir, { recursive: true, force: true });
    mkdirSync(traceDir, { recursive: true, mode: 0o700 });
    const env = { ...process.env, FSYNC_TRACE_DIR: traceDir, ...(preload ? { LD_PRELOAD: LIB } : {}) };
    const [cmd, cargs] = pinned(bin, ['fsync', '1', '100000', work, 'stalls'], 1);
    const r = spawnSync(cmd, cargs, { env, encoding: 'utf8' });
    const m = /^slow (\d+)$/m.exec(r.stdout ?? '');
    if (r.status !== 0 || !m) throw new Error(`stalls run failed (status ${r.status}): ${r.stderr}`);
    return Number(m[1]);
  };
  const bare: number[] = [];
  const recorded: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    bare.push(count(false));
    recorded.push(count(true));
  }
  rmSync(work, { recursive: true, force: true });
  return `fsync calls over 50 µs per 100,000 (fresh trace, median of ${RUNS}): bare ${median(bare)}, recorded ${median(recorded)} (runs: bare ${bare.join(' ')}; recorded ${recorded.join(' ')})`;
}

/**
 * What a fresh tmpfs page costs here (median of RUNS): made as the recorder
 * makes its trace's pages, then first written. A fresh ring's first lap pays
 * it once per 64 records (4 KiB / 64-byte records) on top of the steady
 * state, whatever the recorder does on the calling thread.
 */
function pageCost(bin: string): string {
  const work = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'fsync-bench-pages-'));
  const populate: number[] = [];
  const first: number[] = [];
  const dist: Record<'steps' | 'first' | 'remapped', number[][]> = { steps: [], first: [], remapped: [] };
  for (let i = 0; i < RUNS; i++) {
    const [cmd, cargs] = pinned(bin, ['pages', '16', work], 1);
    const r = spawnSync(cmd, cargs, { encoding: 'utf8' });
    const m = /^pages (\d+) (\d+)$/m.exec(r.stdout ?? '');
    if (r.status !== 0 || !m) throw new Error(`pages run failed (status ${r.status}): ${r.stderr}`);
    populate.push(Number(m[1]));
    first.push(Number(m[2]));
    for (const k of ['steps', 'first', 'remapped'] as const) {
      const q = new RegExp(`^${k} (\\S+) (\\S+) (\\S+) (\\S+)$`, 'm').exec(r.stdout);
      if (q) dist[k].push(q.slice(1).map(Number));
    }
  }
  rmSync(work, { recursive: true, force: true });
  const p = median(populate);
  const f = median(first);
  const d = (k: 'steps' | 'first' | 'remapped') => [0, 1, 2, 3].map((at) => median(dist[k].map((x) => x[at]!)).toFixed(1)).join(' / ');
  return `a fresh tmpfs page (median of ${RUNS}): ${(p / 1000).toFixed(1)} µs to make (MADV_POPULATE_WRITE, 8 KiB steps) + ${(f / 1000).toFixed(1)} µs at its first store = ${((p + f) / 64).toFixed(0)} ns per 64-byte record on a fresh ring's first lap
  µs p50 / p90 / p99 / max, wall: 8 KiB populate step ${d('steps')}; a page's first store ${d('first')}; the same page's first store through a new mapping (already allocated) ${d('remapped')}`;
}

function main(): void {
  const bin = build();
  const work = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'ft-bench-'));
  const traceDir = join(work, 'traces');
  mkdirSync(traceDir, { mode: 0o700 });
  const tools: Mode[] = [];
  if (TRACERS && have('strace')) tools.push('strace');
  if (TRACERS && have('bpftrace') && process.getuid?.() === 0 && existsSync('/sys/kernel/tracing/events/syscalls')) tools.push('bpftrace', 'kernel');
  const rows: string[] = [];
  const loadStart = load();
  console.log(`recorder benchmark: ${RUNS} alternating runs of ${CALLS} calls per thread, median CPU ns per call, files on tmpfs; load average ${loadStart}; single-thread runs ${PIN ? `pinned to CPU ${CPU}` : 'not pinned'}`);
  for (const op of ['write', 'fsync']) {
    for (const threads of [1, 8]) {
      const bare: Array<{ cpu: number; wall: number }> = [];
      const recorded: number[] = [];
      const ringOnly: number[] = [];
      const lapped: number[] = [];
      const order = ['bare', 'recorded', 'ring-only', 'lapped'] as const;
      for (let r = 0; r < RUNS; r++) {
        // The order rotates: no variant always runs first, or right after another.
        for (let k = 0; k < order.length; k++) {
          const mode = order[(k + r) % order.length]!;
          const x = runOnce(bin, mode, op, threads, CALLS, work, traceDir);
          if (mode === 'bare') bare.push(x);
          else (mode === 'recorded' ? recorded : mode === 'ring-only' ? ringOnly : lapped).push(x.cpu);
        }
        rmSync(traceDir, { recursive: true, force: true });
        mkdirSync(traceDir, { mode: 0o700 });
      }
      const b = median(bare.map((x) => x.cpu));
      const rec = median(recorded);
      const diff = (xs: number[]) => added(xs.map((x, i) => x - bare[i]!.cpu));
      const paired = pairedCells(bin, op, threads, work, traceDir);
      // A tracer stops the thread while it works, which CPU time does not
      // see: compare tracers in wall time, one thread only.
      const bareWall = median(bare.map((x) => x.wall));
      const others = threads > 1 ? [] : tools.map((tool) => {
        const n = Math.max(2000, Math.floor(CALLS / 20));
        const xs = [0, 1, 2].map(() => runOnce(bin, tool, op, threads, n, work, traceDir));
        const wall = `+${(median(xs.map((x) => x.wall)) - bareWall).toFixed(0)} ns`;
        // The kernel-side recorder's probes run in the program's own syscalls: its CPU time shows them.
        if (tool === 'kernel') return `fsync-record --kernel ${wall} (CPU +${(median(xs.map((x) => x.cpu)) - b).toFixed(0)} ns)`;
        return `${tool} ${wall}`;
      });
      const label = op === 'write' ? 'pwrite 64 B' : 'fsync';
      const row = `| ${label} | ${threads} | ${b.toFixed(0)} | ${rec.toFixed(0)} | ${diff(recorded)} | ${diff(ringOnly)} | ${diff(lapped)} | ${paired.recorded} | ${paired.lapped} | ${paired.none} | ${others.join(', ') || (threads > 1 ? '' : 'none installed')} |`;
      rows.push(row);
      console.log(row);
    }
  }
  const creation = `${creationCost(here, work, LIB, RUNS * 3)}\n${crowdedFirstSync(here, work, LIB, RUNS)}`;
  const table = [
    '| call | threads | bare ns | recorded ns | added ns (Q1..Q3) | added, always-on off | added, ring lapped | paired in-process, fresh | paired, lapped | paired, no recorder (noise) | tracers, added wall ns |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
  console.log(`\n${table}`);
  const slow = stallCounts(bin, traceDir);
  console.log(`\n${slow}`);
  rmSync(work, { recursive: true, force: true }); // after the stall runs, which make traceDir again
  const page = pageCost(bin);
  console.log(page);
  console.log(`\n${creation}`);
  const loads = `load average at the start ${loadStart}, at the end ${load()}`;
  console.log(loads);
  const out = process.env.BENCH_OUT;
  if (out) writeFileSync(out, `${table}\n\n${slow}\n${page}\n\n${creation}\n${loads}\n`);
}

main();
