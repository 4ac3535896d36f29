import { readdirSync } from 'node:fs';

/**
 * The trace files in a trace directory, sorted by name: only `*.fstrace`. A trace
 * directory may hold other files (`fsync-trace-alerts.log` on a machine with no
 * syslog socket), so a test must never count the directory's entries as traces.
 */
export function traceFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.fstrace')).sort();
}
