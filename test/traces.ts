import { readdirSync } from 'node:fs';

/**
 * The trace files in a trace directory, sorted by name: only `*.fstrace`. A trace
 * directory also holds other files (`fsync-trace-alerts.log` on a machine with no
 * syslog socket, the budget's own bookkeeping), so a test must never count the
 * directory's entries as traces.
 */
export function traceFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.fstrace')).sort();
}
