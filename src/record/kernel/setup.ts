/**
 * What `fsync-record --kernel` needs before it can trace, each missing piece
 * a one-line error: root, bpftrace (Debian package `bpftrace`), tracefs
 * (mounted here when it is not), and every tracepoint fsync.bt names.
 * RLIMIT_MEMLOCK is raised by bpftrace itself; on kernels from 5.11 on, BPF
 * memory is charged to the cgroup instead and the limit does not matter.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FtError } from '../../errors.js';

export const PROGRAM = fileURLToPath(new URL('../../../recorders/kernel/fsync.bt', import.meta.url));
export const TRACEFS = '/sys/kernel/tracing';

/** The bpftrace executable on PATH, or null. */
export function findBpftrace(path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const file = join(dir, 'bpftrace');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

/** The tracepoints ("category:name") a bpftrace program attaches to. */
export function tracepoints(program: string): string[] {
  return [...new Set([...program.matchAll(/tracepoint:(\w+):(\w+)/g)].map((m) => `${m[1]}:${m[2]}`))];
}

/** What prepare() looks at; tests give other values. */
export interface Host {
  uid: number;
  path: string;
  tracefs: string;
  program: string;
}

const thisHost = (): Host => ({ uid: process.getuid?.() ?? 0, path: process.env.PATH ?? '', tracefs: TRACEFS, program: readFileSync(PROGRAM, 'utf8') });

/** Check everything and return the bpftrace path and the program text. */
export function prepare(host: Host = thisHost()): { bpftrace: string; program: string } {
  if (host.uid !== 0) {
    throw new FtError('fsync-record --kernel: needs root (bpftrace loads eBPF programs into the kernel); run it with sudo');
  }
  const bpftrace = findBpftrace(host.path);
  if (!bpftrace) throw new FtError('fsync-record --kernel: bpftrace is not installed (Debian/Ubuntu: apt-get install bpftrace)');
  mountTracefs(host.tracefs);
  for (const tp of tracepoints(host.program)) {
    const [category, name] = tp.split(':') as [string, string];
    const dir = join(host.tracefs, 'events', category, name);
    if (!existsSync(dir)) throw new FtError(`fsync-record --kernel: this kernel has no tracepoint ${tp} (${dir} is missing)`);
  }
  return { bpftrace, program: host.program };
}

function mountTracefs(tracefs: string): void {
  if (existsSync(join(tracefs, 'events'))) return;
  const r = spawnSync('mount', ['-t', 'tracefs', 'nodev', tracefs], { encoding: 'utf8' });
  if (!existsSync(join(tracefs, 'events'))) {
    const why = (r.stderr || r.error?.message || `mount exited with ${r.status}`).trim().split('\n')[0];
    throw new FtError(`fsync-record --kernel: tracefs is not mounted and mounting it failed (mount -t tracefs nodev ${tracefs}: ${why})`);
  }
}
