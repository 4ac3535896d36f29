/**
 * SQLite workloads: the sqlite3 shell (Debian package `sqlite3`) run under the
 * recorder, either on a whole script at once or paced, one transaction at a
 * time, with an optional slow stretch made by strace's fault injection.
 *
 * What SQLite 3.40 syncs, per transaction (HAVE_FDATASYNC: every sync is an
 * fdatasync, the directory's too):
 *   rollback journal, synchronous=FULL: the journal twice (its content, then
 *     its header's page count), the directory once (the journal was just
 *     created), the database once; the journal is deleted, not synced again.
 *   WAL, synchronous=FULL: the WAL once per commit; the first commit into a
 *     fresh WAL also syncs its header and then the directory; closing the last
 *     connection checkpoints: the WAL once, the database once.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { RECORD, recorderLibrary, requireProgram, runOk, type Ran } from './common.js';

export function sqlite3(): string {
  return requireProgram('sqlite3', 'sqlite3');
}

export function strace(): string {
  return requireProgram('strace', 'strace');
}

/** Run `sqlite3 db` on a script under fsync-record; it must succeed. */
export function recordSqlite(db: string, script: string, traceDir: string, maxBytes: number): Ran {
  return runOk(RECORD, ['--quiet', '--dir', traceDir, '--max-bytes', String(maxBytes), '--', sqlite3(), db], { input: script });
}

/** Run `sqlite3 db` on a script without the recorder (to set a database up). */
export function plainSqlite(db: string, script: string): Ran {
  return runOk(sqlite3(), [db], { input: script });
}

/** A stretch of slow fdatasync calls, injected by strace. */
export interface SlowStretch {
  /** The 1-based indexes of the process's fdatasync calls to delay: first..last. */
  first: number;
  last: number;
  /** How long each of them is made to take longer. */
  delayMs: number;
  /** strace's own log of the calls (-ttt), read back into PacedResult.delayed. */
  log?: string;
}

export interface PacedOptions {
  db: string;
  traceDir: string;
  maxBytes: number;
  /** How many transactions (one insert each, autocommit). */
  transactions: number;
  /** One transaction starts every `intervalMs` (or as soon as the last one returned). */
  intervalMs: number;
  /** SQL run first, in the same connection (pragmas). */
  setup?: string;
  /** Bytes of random payload per row. */
  rowBytes?: number;
  slow?: SlowStretch;
}

/** One transaction as the workload saw it: wall-clock ms since the epoch. */
export interface Transaction {
  index: number;
  sent: number;
  answered: number;
}

export interface PacedResult {
  transactions: Transaction[];
  stdout: string;
  stderr: string;
  /** With `slow.log`: when each call strace delayed entered it (its stamp, wall-clock ms), as strace logged them. */
  delayed?: number[];
}

/** The calls strace's log (-ttt) marks "(DELAYED)": their entry stamps, wall-clock ms since the epoch. */
export function delayedCalls(log: string): number[] {
  return readFileSync(log, 'utf8').split('\n').filter((l) => l.endsWith('(DELAYED)'))
    .map((l) => Number(/^(?:\d+ +)?(\d+\.\d+) /.exec(l)?.[1]) * 1000);
}

/** Wall-clock milliseconds since the epoch, with sub-millisecond resolution. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Drive `sqlite3 db` one transaction at a time through its stdin: send an
 * insert and a `select k`, wait for `k` to come back (the shell flushes its
 * output after each statement), keep the pace. The workload's own clock says
 * when each transaction was sent and when it returned, which is how a test
 * knows when the disk was slow without asking the trace.
 *
 * With `slow`, the shell runs under `strace -e inject=fdatasync:delay_exit=...`
 * (strace and LD_PRELOAD compose: the recorder times the libc call, which
 * includes the delay strace adds on the way out of the system call).
 */
export function pacedSqlite(o: PacedOptions): Promise<PacedResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, LD_PRELOAD: recorderLibrary(), FSYNC_TRACE_DIR: o.traceDir, FSYNC_TRACE_MAX_BYTES: String(o.maxBytes) };
  let cmd: string;
  let args: string[];
  if (o.slow) {
    // strace itself must not be preloaded: -E gives the environment to the traced program only.
    cmd = strace();
    args = [
      '-f', '-qq', '-ttt', '-o', o.slow.log ?? '/dev/null', '--seccomp-bpf', '-e', 'trace=fdatasync',
      '-e', `inject=fdatasync:delay_exit=${Math.round(o.slow.delayMs * 1000)}:when=${o.slow.first}..${o.slow.last}`,
      '-E', `LD_PRELOAD=${env.LD_PRELOAD}`, '-E', `FSYNC_TRACE_DIR=${env.FSYNC_TRACE_DIR}`, '-E', `FSYNC_TRACE_MAX_BYTES=${env.FSYNC_TRACE_MAX_BYTES}`,
      sqlite3(), o.db,
    ];
    delete env.LD_PRELOAD;
  } else {
    cmd = sqlite3();
    args = [o.db];
  }
  const rowBytes = o.rowBytes ?? 100;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const done: Transaction[] = [];
    let stdout = '';
    let stderr = '';
    let pending: { index: number; sent: number } | null = null;
    let next = 1;
    let due = 0;
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const send = () => {
      if (next > o.transactions) {
        child.stdin.end();
        return;
      }
      const wait = due - wallMs();
      if (wait > 0) {
        setTimeout(send, wait);
        return;
      }
      due = Math.max(due + o.intervalMs, wallMs());
      pending = { index: next, sent: wallMs() };
      child.stdin.write(`insert into t(k, v) values (${next}, randomblob(${rowBytes})); select ${next};\n`);
      next++;
    };
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
      if (pending && new RegExp(`(^|\\n)${pending.index}\\n$`).test(stdout)) {
        done.push({ ...pending, answered: wallMs() });
        pending = null;
        send();
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0 || done.length !== o.transactions) {
        reject(new Error(`${cmd} ${args.join(' ')} exited with ${code ?? signal} after ${done.length} of ${o.transactions} transactions:\n${stderr}`));
        return;
      }
      resolve({ transactions: done, stdout, stderr, ...(o.slow?.log ? { delayed: delayedCalls(o.slow.log) } : {}) });
    });
    child.stdin.write(`${o.setup ?? ''}\ncreate table if not exists t(k integer primary key, v blob);\n`);
    due = wallMs();
    send();
  });
}
