/**
 * Files and directories the analyzer makes for its own use (DuckDB's spill
 * directory, a load's loading file) and removes however the process ends: at
 * its normal end, after an error or process.exit (the 'exit' event), and at
 * SIGINT, SIGTERM or SIGHUP, after which the process ends by that signal as it
 * would have. Only SIGKILL (or a machine going down) leaves them: loading files
 * so left are removed at the next load (connect.ts removeStaleLoading).
 *
 * The signal handlers are installed only while something is to be removed, so
 * a command that made nothing keeps the signals' default actions.
 */
import { rmSync } from 'node:fs';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const owned = new Set<string>();

/**
 * Remove `path` (a directory with what it holds) when the process ends, unless
 * the function returned is called first (the caller then removed, renamed or
 * kept it).
 */
export function removeAtExit(path: string): () => void {
  if (owned.size === 0) watch(true);
  owned.add(path);
  return () => {
    if (owned.delete(path) && owned.size === 0) watch(false);
  };
}

function removeAll(): void {
  for (const path of owned) {
    try {
      rmSync(path, { recursive: true, force: true });
    } catch {
      // not ours to remove any more, or the file system is gone: nothing else to do at exit
    }
  }
  owned.clear();
}

function onSignal(sig: NodeJS.Signals): void {
  removeAll();
  watch(false);
  // Without a listener the signal's own action comes back: the process ends by it.
  process.kill(process.pid, sig);
}

function watch(on: boolean): void {
  if (on) {
    process.on('exit', removeAll);
    for (const sig of SIGNALS) process.on(sig, onSignal);
  } else {
    process.off('exit', removeAll);
    for (const sig of SIGNALS) process.off(sig, onSignal);
  }
}
