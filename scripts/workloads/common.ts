/**
 * What every real workload needs: the project's two commands, the real
 * programs (found, or a clear message naming the Debian package), fresh
 * directories, free loopback ports, and trace files shrunk to what they hold.
 *
 * Shared by the end-to-end tests (test/e2e/), the sample recorder
 * (samples/record.ts) and the demo (scripts/demo.ts).
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { accessSync, chmodSync, constants, copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { othersCannotRead } from '../../src/record/checks.js';
import { ASIDE_SLOTS, HEADER, HEADER_SIZE, RECORD_SIZE, SUMMARY_ENTRY_SLOTS } from '../../src/trace/layout.js';

export const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
export const RECORD = join(ROOT, 'bin/fsync-record');
export const ANALYZE = join(ROOT, 'bin/fsync-analyze.js');
export const LIB = join(ROOT, 'recorders/build/libfsync_recorder.so');

/** The recorder library, or an error that says how to build it. */
export function recorderLibrary(): string {
  try {
    accessSync(LIB, constants.R_OK);
  } catch {
    throw new Error(`the recorder library is not built (${LIB}): run make -C recorders`);
  }
  return LIB;
}

/**
 * The absolute path of a program, looked up in PATH unless it is a path
 * already; an Error naming the Debian package that provides it when it is
 * missing. Tests call this first, so a missing package fails them loudly
 * instead of skipping them.
 */
export function requireProgram(name: string, pkg: string): string {
  const candidates = name.includes('/') ? [name] : (process.env.PATH ?? '/usr/bin:/bin').split(delimiter).map((d) => join(d, name));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      if (statSync(c).isFile()) return c;
    } catch {
      // not here
    }
  }
  throw new Error(`${name} is not installed: install the Debian package '${pkg}' (apt-get install ${pkg}; .ci/run does)`);
}

/** Like requireProgram, for a file that must exist (a jar, a config directory). */
export function requireFile(path: string, pkg: string): string {
  try {
    accessSync(path, constants.R_OK);
  } catch {
    throw new Error(`${path} is missing: install the Debian package '${pkg}' (apt-get install ${pkg}; .ci/run does)`);
  }
  return path;
}

let shared: string | undefined;
const copies = new Map<string, string>();

/**
 * `file` when every user can read it (and search each directory above it),
 * otherwise a copy (mode 0755) in a world-readable temporary directory made
 * once per process and removed at its exit. For what a test runs as another
 * user (a PostgreSQL server as postgres, a program as nobody): a checkout in
 * a private directory (a 0700 home, mktemp -d) is out of their reach.
 */
export function forEveryone(file: string): string {
  if (othersCannotRead(file) === undefined) return file;
  let copy = copies.get(file);
  if (!copy) {
    if (!shared) {
      shared = mkdtempSync(join('/tmp', 'fsync-shared-'));
      chmodSync(shared, 0o755);
      const made = shared;
      process.on('exit', () => rmSync(made, { recursive: true, force: true }));
    }
    copy = join(shared, `${copies.size}-${basename(file)}`);
    copyFileSync(file, copy);
    chmodSync(copy, 0o755);
    copies.set(file, copy);
  }
  return copy;
}

/** The environment that preloads the recorder into a program, tracing into `traceDir`. */
export function recorderEnv(traceDir: string, maxBytes: number, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, LD_PRELOAD: recorderLibrary(), FSYNC_TRACE_DIR: traceDir, FSYNC_TRACE_MAX_BYTES: String(maxBytes) };
}

/**
 * A fresh directory with a canonical path (so the paths the recorder writes
 * compare as plain strings). `base` defaults to the system's temporary
 * directory, on disk: real programs should sync to a real file system.
 */
export function freshDir(prefix: string, base = tmpdir()): string {
  return realpathSync(mkdtempSync(join(base, `fsync-${prefix}-`)));
}

/** A directory at a fixed path, emptied first (samples are recorded under stable names). */
export function namedDir(path: string): string {
  rmSync(path, { recursive: true, force: true });
  mkdirSync(path, { recursive: true });
  return realpathSync(path);
}

/** rm -rf, unless FT_KEEP is set (then say where it is). Never throws. */
export function removeDir(dir: string): void {
  if (process.env.FT_KEEP) {
    process.stderr.write(`kept ${dir}\n`);
    return;
  }
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // a leftover temporary directory is harmless
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface Ran {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run a program to completion; an Error with its output when it cannot start or times out. */
export function runSync(cmd: string, args: string[], options: SpawnSyncOptions = {}): Ran {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000, ...options });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}\n${r.stdout ?? ''}${r.stderr ?? ''}`);
  return { status: r.status, signal: r.signal, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

/** Run a program that must succeed; an Error with its output otherwise. */
export function runOk(cmd: string, args: string[], options: SpawnSyncOptions = {}): Ran {
  const r = runSync(cmd, args, options);
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}:\n${r.stdout}${r.stderr}`);
  }
  return r;
}

/** bin/fsync-analyze.js as a user runs it. */
export function analyze(args: string[]): Ran {
  return runSync(process.execPath, [ANALYZE, ...args], { env: { ...process.env, NO_COLOR: '1' } });
}

/** `fsync-analyze <args> --json`, parsed; an Error with its stderr when it fails. */
export function analyzeJson<T>(args: string[]): T {
  const [command, ...rest] = args;
  const r = analyze([command!, '--json', '--quiet', ...rest]);
  if (r.status !== 0) throw new Error(`fsync-analyze ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Rows of `fsync-analyze sql --json QUERY traces...`. */
export function analyzeSql<T>(query: string, traces: string[]): T[] {
  return analyzeJson<T[]>(['sql', query, ...traces]);
}


/**
 * Cut a finished trace file down to the slots it used, so a sample is small on
 * disk (a trace is sized once, sparse, and git would store the zeros). A ring
 * that never wrapped has used exactly the first next_seq of its slots; one that
 * wrapped is left whole. Version 1: readers take min(ring_slots, (size - 4096)
 * / 64) slots (recorders/FORMAT.md), so the file is cut short. Version 2: every
 * region is cut the same way and the header says where each now starts.
 * Returns the new size.
 */
export function compactTrace(file: string): number {
  const buf = readFileSync(file);
  const u32 = (off: number): number => buf.readUInt32LE(off);
  const u64 = (off: number): number => Number(buf.readBigUInt64LE(off));
  const used = (next: number, slots: number): number => Math.min(next, slots);
  const ringUsed = Math.max(1, used(u64(HEADER.nextSeq), u32(HEADER.ringSlots)));
  if (u32(HEADER.version) < 2) {
    const size = Math.min(buf.length, HEADER_SIZE + RECORD_SIZE * ringUsed);
    if (size < buf.length) truncateSync(file, size);
    return size;
  }
  // Version 2: each region shrinks to the slots it used and moves up behind
  // the one before. A record's slot is its sequence number modulo the
  // region's size, and no number reached the size, so nothing moves within.
  const regions = [
    { offset: HEADER_SIZE, slots: u32(HEADER.ringSlots), keep: ringUsed, at: [-1, HEADER.ringSlots] },
    { offset: u64(HEADER.keepOffset), slots: u32(HEADER.keepSlots), keep: used(u64(HEADER.keepNext), u32(HEADER.keepSlots)), at: [HEADER.keepOffset, HEADER.keepSlots] },
    { offset: u64(HEADER.summaryOffset), slots: u32(HEADER.summarySlots),
      keep: SUMMARY_ENTRY_SLOTS * used(u64(HEADER.summaryNext), u32(HEADER.summarySlots) / SUMMARY_ENTRY_SLOTS), at: [HEADER.summaryOffset, HEADER.summarySlots] },
    { offset: u64(HEADER.namesOffset), slots: u32(HEADER.namesSlots), keep: used(u64(HEADER.namesNext), u32(HEADER.namesSlots)), at: [HEADER.namesOffset, HEADER.namesSlots] },
    // summary entry i's own name is at aside slots 2 i and 2 i + 1: as many entries as the summary keeps
    { offset: u64(HEADER.asideOffset), slots: u32(HEADER.asideSlots),
      keep: ASIDE_SLOTS * used(u64(HEADER.summaryNext), u32(HEADER.summarySlots) / SUMMARY_ENTRY_SLOTS), at: [HEADER.asideOffset, HEADER.asideSlots] },
  ];
  const out = Buffer.alloc(HEADER_SIZE + RECORD_SIZE * regions.reduce((n, r) => n + (r.slots > 0 ? r.keep : 0), 0));
  buf.copy(out, 0, 0, HEADER_SIZE);
  let end = HEADER_SIZE;
  for (const r of regions) {
    const keep = r.slots > 0 ? r.keep : 0;
    const [offsetAt, slotsAt] = r.at as [number, number];
    if (offsetAt >= 0) out.writeBigUInt64LE(BigInt(keep > 0 ? end : 0), offsetAt);
    out.writeUInt32LE(keep, slotsAt);
    buf.copy(out, end, r.offset, r.offset + RECORD_SIZE * keep);
    end += RECORD_SIZE * keep;
  }
  writeFileSync(file, out);
  return out.length;
}

/** Milliseconds to wait, as a promise. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * A value computed on first use and shared after: a suite's one recording.
 * A failure is kept too, so every test that needs the value fails with it
 * (and the recording is not tried again).
 */
export function once<T>(make: () => T): () => T {
  let made: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  return () => {
    if (!made) {
      try {
        made = { ok: true, value: make() };
      } catch (error) {
        made = { ok: false, error };
      }
    }
    if (!made.ok) throw made.error;
    return made.value;
  };
}

/** The shapes of `fsync-analyze ... --json` (README, DESIGN.md). */
export interface SummaryJson {
  files: {
    path: string; calls: number; by_kind: Record<string, number>; errors: number; bytes: number; p50_ms: number; p99_ms: number; max_ms: number;
    /** Files the Node hook recorded calls for. */
    js?: { calls: number; wait_p50_ms: number; wait_p99_ms: number; ambiguous: number };
  }[];
  totals: { calls: number; by_kind: Record<string, number>; errors: number; processes: number };
}

export interface OutliersJson {
  outliers: { path: string; kind: string; start: string; latency_ms: number; baseline_ms: number | null; pid: number; tid: number }[];
}

export interface InfoJson {
  traces: { file: string; pid: number; exe: string; host: string; records: number; dropped: number; torn: number; start: string | null; end: string | null }[];
}

export interface IntervalJson {
  path: string | null;
  host: string;
  pid: number;
  tid: number;
  kind: string;
  start: string;
  latency_ms: number;
  res: number;
  interval_start: string | null;
  interval_ms: number | null;
  bytes: number | null;
  writes: number | null;
  write_ms: number | null;
}

/** `fsync-analyze intervals --json` (all of them, in time order). */
export function analyzeIntervals(traces: string[], extra: string[] = []): IntervalJson[] {
  return analyzeJson<{ intervals: IntervalJson[] }>(['intervals', ...extra, ...traces]).intervals;
}

/** Per path, the calls by kind: the part of `summary --json` most tests assert on. */
export function kindsByPath(summary: SummaryJson): Record<string, Record<string, number>> {
  return Object.fromEntries(summary.files.map((f) => [f.path, f.by_kind]));
}
