/**
 * The cost of a process's first sync, which makes its trace file: CPU time
 * and minor page faults of the calling thread (median of alternating bare
 * and recorded runs of first_sync.c), the system calls the recorder made in
 * it (strace, when installed), and the trace's resident bytes afterwards
 * (what tmpfs allocated). Printed by npm run bench:recorder; the machine's
 * own units (a raw system call, a first touch of an anonymous page) beside
 * it, since the creation's cost is mostly those.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { traceFiles } from '../traces.js';

function build(here: string): string {
  const out = join(here, 'build');
  mkdirSync(out, { recursive: true });
  const bin = join(out, 'first_sync');
  execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', join(here, 'first_sync.c'), '-o', bin]);
  return bin;
}

const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function once(bin: string, work: string, lib: string | null, traced = false): { cpu: number; faults: number; resident: number; calls: number } {
  const dir = mkdtempSync(join(work, 'first-'));
  const traces = join(dir, 'traces');
  mkdirSync(traces, { mode: 0o700 });
  const env: NodeJS.ProcessEnv = { ...process.env, FSYNC_TRACE_DIR: traces };
  for (const k of Object.keys(env)) if (k.startsWith('FSYNC_TRACE_') && k !== 'FSYNC_TRACE_DIR') delete env[k];
  delete env.LD_PRELOAD;
  if (lib) env.LD_PRELOAD = lib;
  const log = join(dir, 'strace.log');
  const argv = traced ? ['strace', '-o', log, bin, join(dir, 'f')] : [bin, join(dir, 'f')];
  const r = spawnSync(argv[0]!, argv.slice(1), { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`first_sync failed: ${r.stderr}`);
  const [cpu, faults] = r.stdout.trim().split(' ').map(Number);
  const files = traceFiles(traces);
  const resident = files.reduce((a, f) => a + statSync(join(traces, f)).blocks * 512, 0);
  const calls = traced ? syscallsIn(readFileSync(log, 'utf8')) : NaN;
  rmSync(dir, { recursive: true, force: true });
  return { cpu: cpu!, faults: faults!, resident, calls };
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
