/**
 * The cost of a process's first sync, which makes its trace file: CPU time
 * and minor page faults of the calling thread (median of alternating bare
 * and recorded runs of first_sync.c), the system calls the recorder made in
 * it (strace, when installed), and the trace's resident bytes afterwards
 * (what tmpfs allocated). Printed by npm run bench:recorder; the machine's
 * own units (a raw system call, a first touch of an anonymous page) beside
 * it, since the creation's cost is mostly those. Then the same first sync
 * in a directory of 1,000 live processes' traces over its budget (a busy
 * host): its look at the directory is spread over later calls and the
 * process's end (ft_budget.c), so the whole run's wall time is printed too.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { traceFiles } from '../traces.js';
import { HEADER } from '../../src/trace/layout.js';

function build(here: string): string {
  const out = join(here, 'build');
  mkdirSync(out, { recursive: true });
  const bin = join(out, 'first_sync');
  execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', join(here, 'first_sync.c'), '-o', bin]);
  return bin;
}

const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Once { cpu: number; faults: number; resident: number; calls: number; wallNs: number }

/** One run of first_sync; in `shared` (a trace directory kept between runs) if given, else in a fresh one. */
function once(bin: string, work: string, lib: string | null, traced = false, shared?: { traces: string; budget: number }): Once {
  const dir = mkdtempSync(join(work, 'first-'));
  const traces = shared?.traces ?? join(dir, 'traces');
  if (!shared) mkdirSync(traces, { mode: 0o700 });
  const env: NodeJS.ProcessEnv = { ...process.env, FSYNC_TRACE_DIR: traces };
  for (const k of Object.keys(env)) if (k.startsWith('FSYNC_TRACE_') && k !== 'FSYNC_TRACE_DIR') delete env[k];
  if (shared) env.FSYNC_TRACE_DIR_MAX_BYTES = String(shared.budget);
  delete env.LD_PRELOAD;
  if (lib) env.LD_PRELOAD = lib;
  const log = join(dir, 'strace.log');
  const argv = traced ? ['strace', '-o', log, bin, join(dir, 'f')] : [bin, join(dir, 'f')];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { env, encoding: 'utf8' });
  const wallNs = Number(process.hrtime.bigint() - t0);
  if (r.status !== 0) throw new Error(`first_sync failed: ${r.stderr}`);
  const [cpu, faults] = r.stdout.trim().split(' ').map(Number);
  const files = shared ? [] : traceFiles(traces);
  const resident = files.reduce((a, f) => a + statSync(join(traces, f)).blocks * 512, 0);
  const calls = traced ? syscallsIn(readFileSync(log, 'utf8')) : NaN;
  // In a shared directory, the run's own (ended) trace goes, so that every
  // run finds the same directory: else the next run's look would remove it.
  if (shared && lib) for (const f of traceFiles(traces)) if (!f.startsWith('live.')) rmSync(join(traces, f), { force: true });
  rmSync(dir, { recursive: true, force: true });
  return { cpu: cpu!, faults: faults!, resident, calls, wallNs };
}

/** The recorder's system calls inside the first fsync: between it and the getppid that marks its end. */
function syscallsIn(log: string): number {
  const lines = log.split('\n');
  const from = lines.findIndex((l) => l.startsWith('fsync('));
  const to = lines.findIndex((l, i) => i > from && l.startsWith('getppid('));
  return from >= 0 && to > from ? to - from - 1 : NaN;
}

export function creationCost(here: string, work: string, lib: string, runs: number): string {
  const bin = build(here);
  const bare: number[] = [];
  const rec: number[] = [];
  const faults: number[] = [];
  const bareFaults: number[] = [];
  let resident = 0;
  for (let i = 0; i < runs; i++) {
    const b = once(bin, work, null);
    bare.push(b.cpu);
    bareFaults.push(b.faults);
    const r = once(bin, work, lib);
    rec.push(r.cpu);
    faults.push(r.faults);
    resident = Math.max(resident, r.resident);
  }
  let calls = 'strace not installed';
  if (spawnSync('strace', ['-V']).status === 0) calls = `${once(bin, work, lib, true).calls} system calls`;
  const [sys, fault] = execFileSync(bin, ['--units'], { encoding: 'utf8' }).trim().split(' ').map(Number);
  const us = (ns: number) => (ns / 1000).toFixed(0);
  return `first fsync of a process (makes its trace), median of ${runs}: bare ${us(median(bare))} µs CPU, recorded ${us(median(rec))} µs ` +
    `(+${us(median(rec) - median(bare))} µs), ${calls}, ${median(faults) - median(bareFaults)} more page faults; ` +
    `trace resident after one sync: ${resident} bytes; this machine: a system call ${sys} ns, a first touch of an anonymous page ${((fault ?? 0) / 1000).toFixed(1)} µs`;
}

/**
 * A trace directory as a busy host has it: `lives` traces of live processes
 * (a real trace's first pages, its header not ended, under names that carry
 * this process's pid), a budget their bytes alone pass, so a look has
 * nothing to remove (each run's own trace is removed after it: once).
 * Returns the directory and the budget.
 */
function crowdedDir(bin: string, work: string, lib: string, lives: number): { traces: string; budget: number } {
  const seed = mkdtempSync(join(work, 'seed-'));
  const seedTraces = join(seed, 'traces');
  mkdirSync(seedTraces, { mode: 0o700 });
  const env: NodeJS.ProcessEnv = { ...process.env, FSYNC_TRACE_DIR: seedTraces, LD_PRELOAD: lib };
  const r = spawnSync(bin, [join(seed, 'f')], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`first_sync failed: ${r.stderr}`);
  const head = Buffer.from(readFileSync(join(seedTraces, traceFiles(seedTraces)[0]!)).subarray(0, 16384));
  head.writeUInt32LE(head.readUInt32LE(HEADER.flags) & ~1, HEADER.flags); // not ended
  rmSync(seed, { recursive: true, force: true });
  const traces = mkdtempSync(join(work, 'crowded-'));
  const s0 = Math.floor(Date.now() / 1000) - 3600;
  let bytes = 0;
  for (let i = 0; i < lives; i++) {
    const f = join(traces, `live.${process.pid}.${s0 + Math.floor(i / 10)}.${String((i % 10) * 1000).padStart(9, '0')}.fstrace`);
    writeFileSync(f, head, { mode: 0o600 });
    bytes += statSync(f).blocks * 512;
  }
  return { traces, budget: bytes - 4096 };
}

/** The first fsync's CPU time among 1,000 live traces over the budget, and the whole run's wall time, bare and recorded, alternating. */
export function crowdedFirstSync(here: string, work: string, lib: string, runs: number, lives = 1000): string {
  const bin = build(here);
  const shared = crowdedDir(bin, work, lib, lives);
  const bare: Once[] = [];
  const rec: Once[] = [];
  for (let i = 0; i < runs; i++) {
    bare.push(once(bin, work, null, false, shared));
    rec.push(once(bin, work, lib, false, shared));
  }
  let calls = 'strace not installed';
  if (spawnSync('strace', ['-V']).status === 0) calls = `${once(bin, work, lib, true, shared).calls} system calls`;
  rmSync(shared.traces, { recursive: true, force: true });
  const us = (ns: number) => (ns / 1000).toFixed(0);
  const cpu = (xs: Once[]) => median(xs.map((x) => x.cpu));
  const wall = (xs: Once[]) => median(xs.map((x) => x.wallNs));
  return `first fsync with ${lives.toLocaleString('en')} live traces in the directory over its budget, median of ${runs} alternating: bare ${us(cpu(bare))} µs CPU, ` +
    `recorded ${us(cpu(rec))} µs (+${us(cpu(rec) - cpu(bare))} µs), ${calls}; the whole run (start to exit, where the rest of the look is made) ` +
    `bare ${(wall(bare) / 1e6).toFixed(1)} ms, recorded ${(wall(rec) / 1e6).toFixed(1)} ms`;
}
