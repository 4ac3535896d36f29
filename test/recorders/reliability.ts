/**
 * What the reliability suites (load, crash, exhaustion, hostile) share on top
 * of harness.ts: sizes for `npm test` and `npm run stress`, a run that only
 * collects output (the trace may be unreadable on purpose), a watchdog that
 * turns a hang into a failure, and the raw bytes of path names.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { readFileSync} from 'node:fs';
import { join } from 'node:path';
import { bin, childEnv, ensureBuilt, makeDirs, type Dirs, type RunOptions } from './harness.js';
import { forEveryone } from '../../scripts/workloads/common.js';
import { traceFiles } from '../traces.js';

/** `npm run stress` sets STRESS=1: the heavy sizes. */
export const STRESS = process.env.STRESS === '1';

export function size<T>(normal: T, stress: T): T {
  return STRESS ? stress : normal;
}

/** Thousands separators for figure text. */
export function n(x: number | bigint): string {
  return x.toLocaleString('en-US');
}

export interface RawRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  dirs: Dirs;
  files: string[];
  ms: number;
}

export interface RawOptions extends RunOptions {
  /** Kill the program (SIGKILL) and fail after this long: a hang is a bug. */
  watchdogMs?: number;
  cwd?: string;
  uid?: number;
  gid?: number;
  /** Run with this umask (set around the spawn: the child inherits it). */
  umask?: number;
}

/** Run a program to completion; nothing is decoded. A watchdog kill throws. */
export function runRaw(program: string, args: string[] | ((d: Dirs) => string[]), opts: RawOptions = {}): RawRun {
  ensureBuilt();
  const dirs = opts.dirs ?? makeDirs();
  const argv = typeof args === 'function' ? args(dirs) : args;
  const watchdog = opts.watchdogMs ?? 60_000;
  // Run as another user, the program and the library must be readable by
  // that user, wherever this checkout is (a 0700 home, mktemp -d).
  const other = opts.uid !== undefined && opts.uid !== process.getuid?.();
  const env = childEnv(dirs, opts);
  if (other && env.LD_PRELOAD) env.LD_PRELOAD = forEveryone(env.LD_PRELOAD);
  const path = program.startsWith('/') ? program : bin(program);
  const spawnOpts: SpawnSyncOptions = {
    env,
    cwd: opts.cwd ?? dirs.root,
    stdio: ['ignore', 'pipe', 'pipe', ...(opts.extraFds ?? [])],
    encoding: 'utf8',
    timeout: watchdog,
    killSignal: 'SIGKILL',
    maxBuffer: 256 << 20,
  };
  if (opts.uid !== undefined) spawnOpts.uid = opts.uid;
  if (opts.gid !== undefined) spawnOpts.gid = opts.gid;
  const old = opts.umask !== undefined ? process.umask(opts.umask) : undefined;
  const t0 = Date.now();
  let r;
  try {
    r = spawnSync(other ? forEveryone(path) : path, argv, spawnOpts);
  } finally {
    if (old !== undefined) process.umask(old);
  }
  const ms = Date.now() - t0;
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT') {
    throw new Error(`watchdog: ${program} ${argv.join(' ')} still running after ${watchdog} ms (a hang); killed`);
  }
  if (r.error) throw r.error;
  let files: string[] = [];
  try {
    files = traceFiles(dirs.traces);
  } catch {
    // the trace directory may be missing or unreadable on purpose
  }
  return { status: r.status, signal: r.signal, stdout: String(r.stdout), stderr: String(r.stderr), dirs, files, ms };
}

/**
 * The raw bytes of every path name a trace file holds, by path id, read
 * straight from the ring (FORMAT.md, "Path records"): the decoder's strings
 * are UTF-8 with replacement, these are what the recorder wrote.
 */
export function rawPaths(file: string): Map<number, Buffer> {
  const buf = readFileSync(file);
  const out = new Map<number, Buffer>();
  const inFile = (base: number, n: number) => Math.max(0, Math.min(n, Math.floor((buf.length - base) / 64)));
  // The raw ring (files before issue 12 keep copies there) and the names region.
  const regions = [{ base: 4096, slots: inFile(4096, buf.readUInt32LE(20)) }];
  const namesAt = Number(buf.readBigUInt64LE(3312));
  if (namesAt) regions.push({ base: namesAt, slots: inFile(namesAt, buf.readUInt32LE(3320)) });
  for (const { base, slots } of regions) {
    for (let i = 0; i < slots; i++) {
      const at = base + i * 64;
      if (buf[at + 4] !== 1) continue;
      const seq = buf.readUInt32LE(at);
      const id = buf.readUInt32LE(at + 8);
      const len = buf.readUInt32LE(at + 12);
      const name = Buffer.alloc(len);
      buf.copy(name, 0, at + 32, at + 32 + Math.min(len, 32));
      let done = Math.min(len, 32);
      let ok = true;
      for (let k = 1; done < len; k++) {
        const c = base + ((i + k) % slots) * 64;
        if (buf[c + 4] !== 2 || buf.readUInt32LE(c) !== ((seq + k) >>> 0)) {
          ok = false;
          break;
        }
        const m = Math.min(56, len - done);
        buf.copy(name, done, c + 8, c + 8 + m);
        done += m;
      }
      if (ok) out.set(id, name);
    }
  }
  return out;
}

/** Lines of a file, or [] when it is missing. */
export function lines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  } catch {
    return [];
  }
}

/** key=value fields of a line. */
export function fields(line: string): Record<string, string> {
  const f: Record<string, string> = {};
  for (const kv of line.split(' ')) {
    const eq = kv.indexOf('=');
    if (eq > 0) f[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return f;
}

export function tracePath(dirs: Dirs, name: string): string {
  return join(dirs.traces, name);
}
