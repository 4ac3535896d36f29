/**
 * Runs the test programs of test/recorders under the recorder and reads what
 * they left behind.
 *
 * Each run gets a fresh directory (on tmpfs when there is one) as its working
 * directory, holding `traces/` for FSYNC_TRACE_DIR and `data/` for the
 * program's own files. Both paths are canonical, so the names the recorder
 * writes compare with plain strings. A program prints its own account of what
 * it did (see ft_test.h); `account()` parses it. Suites compute a run lazily
 * (`lazy`) inside their tests and remove every directory in `test.after(cleanup)`.
 */
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readTrace, type DecodedTrace } from '../../src/trace/decode.js';
import { eventList, type TraceEvent } from '../../src/trace/events.js';
import { traceFiles } from '../traces.js';

export const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
export const LIB = join(ROOT, 'recorders/build/libfsync_recorder.so');
export const BUILD = join(ROOT, 'test/recorders/build');

/** Absolute path of a test program. */
export function bin(name: string): string {
  return join(BUILD, name);
}

let built = false;
/** Build the test programs (cheap when they are up to date) and check the library is there. */
export function ensureBuilt(): void {
  if (built) return;
  const make = spawnSync('make', ['-s', '-C', join(ROOT, 'test/recorders')], { encoding: 'utf8' });
  if (make.status !== 0) throw new Error(`make -C test/recorders failed:\n${make.stdout}${make.stderr}`);
  if (!existsSync(LIB)) throw new Error(`${LIB} is missing: run make -C recorders first`);
  built = true;
}

export interface Dirs {
  root: string;
  traces: string;
  data: string;
}

const made: Dirs[] = [];

/** A fresh run directory; its paths are canonical. `cleanup()` removes it. */
export function makeDirs(): Dirs {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const root = realpathSync(mkdtempSync(join(base, 'fsync-recorder-test-')));
  const dirs = { root, traces: join(root, 'traces'), data: join(root, 'data') };
  mkdirSync(dirs.traces);
  mkdirSync(dirs.data);
  made.push(dirs);
  return dirs;
}

export function removeDirs(dirs: Dirs): void {
  if (process.env.FT_KEEP) return;
  try {
    rmSync(dirs.root, { recursive: true, force: true });
  } catch {
    // A tree deeper than PATH_MAX (the hostile-names test makes one) fails
    // with ENAMETOOLONG here; rm(1) walks it by descriptors.
    spawnSync('rm', ['-rf', '--', dirs.root]);
  }
}

/**
 * Remove every run directory made so far: a suite's `test.after`. It never
 * throws (uvu 0.5 stops the whole run on an error in a hook). FT_KEEP=1 keeps them.
 */
export function cleanup(): void {
  for (const dirs of made.splice(0)) {
    try {
      removeDirs(dirs);
    } catch {
      // nothing more to do: the suite's results stand
    }
  }
}

export interface RunOptions {
  /** Extra environment; a value of undefined removes the variable. */
  env?: Record<string, string | undefined>;
  /** Descriptors from 3 on, passed to the child as they are. */
  extraFds?: number[];
  /** Run without LD_PRELOAD (to see what the program does on its own). */
  bare?: boolean;
  dirs?: Dirs;
  /**
   * The hang guard: the child is killed after this long (30 s unless said). It is not a speed
   * limit: a program whose run grows with the machine's load (CPU-bound hogs beside it,
   * millions of calls, strace) gives itself the room it needs on a loaded 2-core machine.
   */
  timeoutMs?: number;
}

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  pid: number;
  stdout: string;
  stderr: string;
  dirs: Dirs;
  /** Trace file names in the trace directory, sorted. */
  files: string[];
  /** Each file decoded, in the order of `files`. */
  traces: DecodedTrace[];
  /** Wall time (ms) around the run. */
  startedMs: number;
  endedMs: number;
}

/**
 * The environment of a recorded child: the test's own environment minus
 * anything that would change what the recorder does, plus the recorder's.
 * The size cap defaults to 1 MiB (16320 slots) to keep files small; tests of
 * the default pass FSYNC_TRACE_MAX_BYTES: undefined.
 */
export function childEnv(dirs: Dirs, opts: RunOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) {
    if (k.startsWith('FSYNC_TRACE_') || k === 'LD_PRELOAD' || k === 'FORCE_COLOR' || k === 'NO_COLOR') delete env[k];
  }
  if (!opts.bare) env.LD_PRELOAD = LIB;
  env.FSYNC_TRACE_DIR = dirs.traces;
  env.FSYNC_TRACE_MAX_BYTES = String(1 << 20);
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

function stdio(opts: RunOptions): StdioOptions {
  return ['ignore', 'pipe', 'pipe', ...(opts.extraFds ?? [])];
}

/** Run `program` (a test program name or an absolute path) to completion under the recorder. */
export function run(program: string, args: string[] | ((d: Dirs) => string[]), opts: RunOptions = {}): RunResult {
  ensureBuilt();
  const dirs = opts.dirs ?? makeDirs();
  const argv = typeof args === 'function' ? args(dirs) : args;
  const startedMs = Date.now();
  const r = spawnSync(program.startsWith('/') ? program : bin(program), argv, {
    env: childEnv(dirs, opts),
    cwd: dirs.root,
    stdio: stdio(opts),
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 30_000,
  });
  const endedMs = Date.now();
  if (r.error) throw r.error;
  return finish(dirs, {
    status: r.status, signal: r.signal, pid: r.pid, stdout: r.stdout, stderr: r.stderr, startedMs, endedMs,
  });
}

export interface Started {
  child: ChildProcess;
  dirs: Dirs;
  startedMs: number;
  /** Resolves once `predicate` holds for the stdout read so far. */
  waitFor(predicate: (stdout: string) => boolean): Promise<string>;
  /** Resolves when the child has exited and its pipes are drained. */
  done(): Promise<RunResult>;
}

/** Start `program` under the recorder, for tests that talk to it or kill it. */
export function start(program: string, args: string[] | ((d: Dirs) => string[]), opts: RunOptions = {}): Started {
  ensureBuilt();
  const dirs = opts.dirs ?? makeDirs();
  const argv = typeof args === 'function' ? args(dirs) : args;
  const startedMs = Date.now();
  const child = spawn(program.startsWith('/') ? program : bin(program), argv, { env: childEnv(dirs, opts), cwd: dirs.root, stdio: stdio(opts) });
  let stdout = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const closed = new Promise<[number | null, NodeJS.Signals | null]>((res, rej) => {
    child.on('error', rej);
    child.on('close', (code, signal) => res([code, signal]));
  });
  return {
    child,
    dirs,
    startedMs,
    waitFor(predicate) {
      return new Promise((res, rej) => {
        // A program left running would keep the test runner alive (its pipes stay open): kill it.
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          rej(new Error(`timed out waiting for output; stdout so far:\n${stdout.slice(-500)}\nstderr:\n${stderr}`));
        }, 20_000);
        const check = (): void => {
          if (predicate(stdout)) {
            clearTimeout(timer);
            res(stdout);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            rej(new Error(`exited before the expected output; stdout:\n${stdout.slice(-500)}\nstderr:\n${stderr}`));
          } else {
            waiters.push(check);
          }
        };
        check();
      });
    },
    async done() {
      const [status, signal] = await closed;
      return finish(dirs, { status, signal, pid: child.pid!, stdout, stderr, startedMs, endedMs: Date.now() });
    },
  };
}

function finish(dirs: Dirs, r: Omit<RunResult, 'dirs' | 'files' | 'traces'>): RunResult {
  // Trace files only: uid-N directories and fsync-trace-alerts.log live there too.
  const files = traceFiles(dirs.traces);
  const traces = files.map((f) => readTrace(join(dirs.traces, f)));
  return { ...r, dirs, files, traces };
}

/** The one trace of a run that must have made exactly one. */
export function onlyTrace(r: RunResult): DecodedTrace {
  if (r.traces.length !== 1) {
    throw new Error(`expected 1 trace file, found ${r.files.length}: ${r.files.join(' ')}\nstatus ${r.status} stderr:\n${r.stderr}`);
  }
  return r.traces[0]!;
}

/** One line of a program's account: its kind (first word) and its key=value fields. */
export interface Said {
  kind: string;
  f: Record<string, string>;
}

/** Parse a program's stdout (see ft_test.h). */
export function account(stdout: string): Said[] {
  return stdout.split('\n').filter((l) => l.trim() !== '').map((line) => {
    const [kind, ...rest] = line.split(' ');
    const f: Record<string, string> = {};
    for (const kv of rest) {
      const eq = kv.indexOf('=');
      if (eq > 0) f[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    return { kind: kind!, f };
  });
}

/** The line of `kind` with label=`label`; throws when there is not exactly one. */
export function said(lines: Said[], kind: string, label: string): Record<string, string> {
  const found = lines.filter((l) => l.kind === kind && l.f.label === label);
  if (found.length !== 1) throw new Error(`expected one "${kind} label=${label}" line, found ${found.length}`);
  return found[0]!.f;
}

/** What a call's recorded `res` must be, from the program's own ret and errno. */
export function expectedRes(f: Record<string, string>): number {
  const ret = Number(f.ret);
  return ret === -1 ? -Number(f.errno) : ret;
}

/**
 * A trace's non-sync records under directory `data`, one line each: type, names
 * relative to `data` (mkstemp's and O_TMPFILE's names made constant), flags
 * 0x100-0x400, bytes where the record has them. The lint suites compare these.
 */
export function recordLines(trace: DecodedTrace, data: string): string[] {
  const name = (p: string | null) => (p ?? '(unknown)').replace(`${data}/`, '').replace(/^tmp_\w{6}$/, 'tmp_XXXXXX').replace(/^#\d+ \(deleted\)$/, '#ino (deleted)');
  return eventList(trace).filter((e) => e.type !== 'sync' && (e.path ?? '').startsWith(`${data}/`)).map((e) => {
    const moved = e.type === 'rename' || e.type === 'link';
    const to = moved ? ` -> ${name(trace.paths.get(e.writes)?.name ?? null)}` : '';
    const bytes = moved || e.type === 'close' ? ` bytes=${e.bytes}` : '';
    return `${e.type} ${name(e.path)}${to} flags=0x${(e.flags & 0x700).toString(16)}${bytes}`;
  });
}

export function events(trace: DecodedTrace): TraceEvent[] {
  return eventList(trace);
}

export function syncEvents(trace: DecodedTrace): TraceEvent[] {
  return eventList(trace).filter((e) => e.type === 'sync');
}

/** The program's pid, from its "done pid=N" line. */
export function donePid(lines: Said[]): number {
  const done = lines.find((l) => l.kind === 'done');
  if (!done) throw new Error('the program did not finish (no "done" line)');
  return Number(done.f.pid);
}

/**
 * Properties every trace must have, whatever the program did: events have a
 * duration and a thread, each thread's syncs start in sequence order, sync
 * intervals start no later than the sync, every named path is in the table.
 * Returns a list of problems, empty when there are none. With `nested`, a
 * thread's calls may nest (a signal handler's call is recorded before the
 * call it interrupted), so start order within a thread is not checked.
 */
export function invariantProblems(trace: DecodedTrace, opts: { nested?: boolean } = {}): string[] {
  const problems: string[] = [];
  const lastStart = new Map<number, bigint>();
  for (const e of eventList(trace)) {
    const at = `event seq ${e.seq} (${e.type} ${e.call ?? ''} fd ${e.fd})`;
    if (e.durNs <= 0n) problems.push(`${at}: durNs ${e.durNs}`);
    if (e.tid <= 0) problems.push(`${at}: tid ${e.tid}`);
    // Every record of a thread starts after the one before it in sequence order,
    // the opens, closes and renames held before the process's first sync too
    // (they keep the numbers their holds reserved, whoever puts them in the ring).
    const prev = lastStart.get(e.tid);
    if (!opts.nested && prev !== undefined && e.startNs <= prev) problems.push(`${at}: starts at ${e.startNs}, not after ${prev} of the same thread`);
    lastStart.set(e.tid, e.startNs);
    if (e.pathId !== 0 && e.path === null) problems.push(`${at}: path id ${e.pathId} has no path record`);
    // Not a file: /proc/self/fd names a pipe or a socket "pipe:[123]"; anything else must be absolute.
    if (e.path !== null && !e.path.startsWith('/') && !/^[a-z_]+:\[\d+\]$/.test(e.path)) problems.push(`${at}: path ${e.path} is not absolute`);
    const intervalCall = e.type === 'close' || (e.type === 'sync' && !['sync_file_range', 'msync', 'sync', 'syncfs'].includes(e.call!));
    if (intervalCall && (e.flags & 0x4) === 0 && (e.ivalStartNs === 0n || e.ivalStartNs > e.startNs)) {
      problems.push(`${at}: interval starts at ${e.ivalStartNs}, the call at ${e.startNs}`);
    }
  }
  if (trace.stats.torn !== 0) problems.push(`torn: ${trace.stats.torn}`);
  if (trace.stats.unnamedEvents !== 0) problems.push(`unnamed events: ${trace.stats.unnamedEvents}`);
  if (trace.stats.incompletePaths !== 0) problems.push(`incomplete paths: ${trace.stats.incompletePaths}`);
  if (trace.header.dropped !== 0n) problems.push(`dropped: ${trace.header.dropped}`);
  return problems;
}

/** Count of items by a key, as a plain object (for assert.equal with readable diffs). */
export function countBy<T>(items: T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of items) out[key(t)] = (out[key(t)] ?? 0) + 1;
  return out;
}

/** A value computed on first use. Suites use it instead of a `before` hook: uvu 0.5 swallows errors thrown in hooks. */
export function lazy<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

/** A run's account without what differs from run to run: addresses, pids, its data directory. */
export function comparable(r: RunResult): string[] {
  return account(r.stdout.split(r.dirs.data).join('DATA')).map((l) =>
    [l.kind, ...Object.entries(l.f).filter(([k]) => k !== 'addr' && k !== 'pid').map(([k, v]) => `${k}=${v}`)].join(' '));
}
