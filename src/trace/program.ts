/**
 * The name users know a process by, from its trace header: the kernel's
 * `comm` (the base name of the path it was exec'd by: `redis-server`, where
 * the executable resolves to the `redis-check-rdb` its symlink points to; a
 * script's own name, where argv[0] is its interpreter). `comm` holds at most
 * 15 bytes, so where it is a cut-off of argv[0]'s base name, that name is
 * whole. Traces from before `comm` was recorded: argv[0]'s base name (its
 * first word, less a trailing ':', as in PostgreSQL's "postgres: walwriter"),
 * else the executable's.
 */
import type { TraceHeader } from './decode.js';

/** Bytes the kernel keeps of a process's name (TASK_COMM_LEN less its NUL). */
const COMM_MAX = 15;

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function programName(h: Pick<TraceHeader, 'comm' | 'cmdline' | 'exe'>): string {
  // A process title written over argv ("postgres: checkpointer") is one string: its first word.
  const argv0 = baseName((h.cmdline[0] ?? '').split(' ')[0]!).replace(/:$/, '');
  if (h.comm) return Buffer.byteLength(h.comm) >= COMM_MAX && argv0.startsWith(h.comm) ? argv0 : h.comm;
  return argv0 || baseName(h.exe) || h.exe;
}
