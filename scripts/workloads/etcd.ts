/**
 * etcd (Debian etcd-server, a Go program the preload cannot see) recorded
 * kernel-side: `fsync-record --kernel -- etcd ...` on a fresh data directory,
 * N `etcdctl put`s, etcd's own /metrics read before it stops. Optionally a
 * noisy neighbour: from one put on, another process (not recorded) writes a
 * large file to the same disk and syncs it, and etcd's WAL syncs queue behind
 * it. (strace's inject=...:delay_exit would not do here: ptrace stops the
 * thread outside the kernel's syscall enter→exit, so the kernel-side recorder
 * does not see that delay, while etcd's own histogram does.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort, requireProgram, ROOT, runOk, sleep } from './common.js';

export const RECORD_SH = join(ROOT, 'bin/fsync-record');

export interface EtcdRun {
  traces: string;
  data: string;
  metrics: string;
  /**
   * CLOCK_MONOTONIC (the traces' clock) just before /metrics was asked for and
   * just after it answered: a sync that ended before `scrape[0]` is in etcd's
   * figures, one that began after `scrape[1]` is not (e.g. the WAL's last sync
   * when etcd closes it on SIGTERM).
   */
  scrape: [bigint, bigint];
  status: number | null;
}

export interface EtcdOptions {
  /** Trace directory. */
  traces: string;
  /** etcd's data directory. */
  data: string;
  puts: number;
  /** After put number `afterPut`, write and fdatasync `mib` MiB to `file` (same disk), not recorded. */
  neighbour?: { afterPut: number; mib: number; file: string };
}

/** Start etcd under the kernel-side recorder, put, read /metrics, stop it with SIGTERM. */
export async function recordEtcd(o: EtcdOptions): Promise<EtcdRun> {
  const etcd = requireProgram('etcd', 'etcd-server');
  const etcdctl = requireProgram('etcdctl', 'etcd-client');
  const [client, peer] = [await freePort(), await freePort()];
  const curl = `http://127.0.0.1:${client}`;
  const args = [etcd, '--name', 'ft', '--data-dir', o.data, '--listen-client-urls', curl, '--advertise-client-urls', curl,
    '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
    '--initial-cluster', `ft=http://127.0.0.1:${peer}`, '--log-level', 'error'];
  const rec = spawn(RECORD_SH, ['--kernel', '--dir', o.traces, '--', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  rec.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => rec.on('exit', (code) => r(code)));
  try {
    await healthy(curl, rec, () => stderr);
    let neighbour: Promise<unknown> = Promise.resolve();
    for (let i = 1; i <= o.puts; i++) {
      runOk(etcdctl, ['--endpoints', curl, 'put', `key${i}`, `value${i}`], { env: { ...process.env, ETCDCTL_API: '3' } });
      if (o.neighbour && i === o.neighbour.afterPut) {
        const dd = spawn('dd', ['if=/dev/zero', `of=${o.neighbour.file}`, 'bs=1M', `count=${o.neighbour.mib}`, 'conv=fdatasync'], { stdio: 'ignore' });
        neighbour = new Promise((r) => dd.on('exit', r));
      }
    }
    await neighbour;
    const asked = process.hrtime.bigint();
    const metrics = await (await fetch(`${curl}/metrics`)).text();
    const scrape: [bigint, bigint] = [asked, process.hrtime.bigint()];
    rec.kill('SIGTERM');
    const status = await exited;
    return { traces: o.traces, data: o.data, metrics, scrape, status };
  } catch (err) {
    rec.kill('SIGTERM');
    await exited;
    throw err;
  }
}

async function healthy(url: string, rec: ChildProcess, stderr: () => string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    if (rec.exitCode !== null) throw new Error(`fsync-record --kernel exited with ${rec.exitCode}: ${stderr()}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // not up yet
    }
    await sleep(250);
  }
  throw new Error(`etcd did not come up at ${url}: ${stderr()}`);
}

/** A Prometheus histogram from etcd's /metrics: cumulative counts by upper bound (s), sum and count. */
export function histogram(metrics: string, name: string): { buckets: [number, number][]; sum: number; count: number } {
  const buckets: [number, number][] = [];
  let sum = NaN;
  let count = NaN;
  for (const line of metrics.split('\n')) {
    const b = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`).exec(line);
    if (b) buckets.push([b[1] === '+Inf' ? Infinity : Number(b[1]), Number(b[2])]);
    if (line.startsWith(`${name}_sum `)) sum = Number(line.split(' ')[1]);
    if (line.startsWith(`${name}_count `)) count = Number(line.split(' ')[1]);
  }
  return { buckets, sum, count };
}
