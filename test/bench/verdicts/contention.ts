/**
 * Real contention: a noisy neighbour on the same device. While recorded
 * processes sync small writes to files on the machine's disk, `fio` (not
 * recorded, as another tenant would not be) runs two writers for a few
 * seconds: one through the page cache in 1-MiB blocks, made durable every
 * 64 MiB (writeback storms), one with O_DIRECT and 32 1-MiB writes in flight
 * (a full device queue). The device's queue and the file system's journal are
 * shared, so the recorded programs' syncs wait behind them: on this project's
 * VM a few calls in a hundred of every process, some for seconds. Nothing is injected; the ground truth comes
 * from the construction and the recording:
 *   - the neighbour's window: from just before fio starts until a second after it
 *     exits (its last flush is done by then: --end_fsync);
 *   - normal: every call outside that window;
 *   - slowed: a call inside it that took at least 1.25 x max(10 ms, 3 x the p99 of
 *     its process's calls outside the window) — the documented rule, against a
 *     baseline that knows when the neighbour ran, clear of the half-octave
 *     histogram's 1.22x precision;
 *   - the window's other calls are neither (made under contention, but not
 *     clearly slow): an outlier among them is counted apart, not as false.
 * Every incident holding a slowed call must be one 'device' incident: several
 * processes on the device slow at once.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { analyzeSql, requireProgram } from '../../../scripts/workloads/common.js';
import type { Injected, Truth } from './score.js';

export interface Neighbour {
  /** fio starts this many ms after the scenario's start ... */
  fromMs: number;
  /** ... and writes for this long. */
  forMs: number;
}

/** When the neighbour ran, ns since the epoch (from its start to a second after it exited). */
export interface Window {
  fromNs: bigint;
  toNs: bigint;
}

const SETTLE_NS = 1_000_000_000n;

/** Run fio as the neighbour, `n.fromMs` after `t0` (epoch ms), writing `file`.*; resolves with its window. */
export async function runNeighbour(n: Neighbour, t0: number, file: string): Promise<Window> {
  const fio = requireProgram('fio', 'fio');
  await new Promise((r) => setTimeout(r, Math.max(0, t0 + n.fromMs - Date.now())));
  const env = { ...process.env };
  delete env.LD_PRELOAD;
  const args = [
    `--runtime=${Math.max(1, Math.round(n.forMs / 1000))}`, '--time_based', '--size=1G', '--rw=write', '--bs=1M', '--end_fsync=1',
    '--name=buffered', `--filename=${file}.buffered`, '--ioengine=psync', '--fdatasync=64',
    '--name=direct', `--filename=${file}.direct`, '--ioengine=libaio', '--direct=1', '--iodepth=32',
  ];
  const fromNs = BigInt(Date.now()) * 1_000_000n;
  await new Promise<void>((resolve, reject) => {
    const child = spawn(fio, args, { env, cwd: dirname(file), stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`fio exited ${code}: ${err}`))));
  });
  return { fromNs, toNs: BigInt(Date.now()) * 1_000_000n + SETTLE_NS };
}

interface Call {
  pid: number;
  tid: number;
  start_ns: bigint | number | string;
  latency_ms: number;
}

/** The truth of a contention run, from its recorded calls and the neighbour's window. */
export function contentionTruth(traces: string, w: Window): Truth {
  const calls = analyzeSql<Call>('select pid, tid, start_ns::varchar as start_ns, latency_ms from intervals', [traces])
    .map((c) => ({ ...c, startNs: BigInt(c.start_ns) }));
  const inside = (startNs: bigint) => startNs >= w.fromNs && startNs <= w.toNs;
  const bars = new Map<number, number>();
  for (const pid of new Set(calls.map((c) => c.pid))) {
    const quiet = calls.filter((c) => c.pid === pid && !inside(c.startNs)).map((c) => c.latency_ms).sort((a, b) => a - b);
    const p99 = quiet.length ? quiet[Math.min(quiet.length - 1, Math.ceil(0.99 * quiet.length) - 1)]! : 0;
    bars.set(pid, 1.25 * Math.max(10, 3 * p99));
  }
  const contended = calls.filter((c) => inside(c.startNs));
  const injected: Injected[] = contended.filter((c) => c.latency_ms >= bars.get(c.pid)!)
    .map((c) => ({ pid: c.pid, tid: c.tid, startNs: c.startNs }));
  return {
    injected,
    excusedCalls: contended.length - injected.length,
    excused: (o) => inside(o.startNs),
    scope: 'device',
  };
}

/** The neighbour's file, in the scenario's data directory (on the disk the recorded files are on). */
export function neighbourFile(data: string): string {
  return join(data, 'neighbour.fio');
}
