/**
 * The process model behind the kernel-side recorder: what the preload
 * library keeps per process (descriptor table, names, write intervals),
 * rebuilt from fsync.bt's lines, and one KernelTrace per process image.
 *
 * Names: an open's name is joined to the process's working directory (read
 * once from /proc/PID/cwd) or to its directory descriptor, its directory
 * named canonically and its last component as given (a symlink: the link),
 * and from a descriptor's first sync by its file's own name; a descriptor not
 * seen opened (attached with --pid, or inherited) is named through
 * /proc/PID/fd/N at first sight (flag 0x2), as the preload does.
 * Write intervals are per file, as in the preload; the kernel hands over the
 * writes of one descriptor with its next sync or close.
 */
import { closeSync, openSync, readFileSync, readlinkSync, realpathSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import {
  FLAG_CREATED,
  FLAG_FD_RESOLVED,
  FLAG_LAST_CLOSE,
  FLAG_NO_INTERVAL,
  FLAG_PATH_UNKNOWN,
  HEADER,
  RecordType,
} from '../../trace/layout.js';
import type { KernelLine, Pending } from './lines.js';
import { KernelTrace, type Anchor } from './tracefile.js';

const AT_FDCWD = -100;
const AT_SYMLINK_FOLLOW = 0x400;
const AT_EMPTY_PATH = 0x1000;
/** O_TMPFILE: __O_TMPFILE | O_DIRECTORY. */
const O_TMPFILE = 0o20200000;
/** The name of a file made with O_TMPFILE and not linked yet. */
const UNNAMED = /\/#\d+ \(deleted\)$/;
/** How much later than the events it counts a lost-event report may be placed. */
const LOST_LAG_NS = 2_000_000_000n;

interface FileState {
  /** Start of the write interval; null when it is not known (descriptor not seen opened). */
  ivalStart: bigint | null;
  bytes: bigint;
  writes: number;
  ns: bigint;
}

interface Fd {
  path: string | null;
  resolved: boolean;
  /** Its file was synced, and so named by its own name (symlinks resolved). */
  synced?: boolean;
}

class Proc {
  fds = new Map<number, Fd>();
  files = new Map<string, FileState>();
  trace: KernelTrace | null = null;
  cwd: string | null = null;
  exe = '';
  cmdline: string[] = [];
  constructor(
    readonly pid: number,
    readonly ppid: number,
    public forked: boolean,
  ) {}
}

export interface SessionOptions {
  dir: string;
  maxBytes: number;
  anchor: Anchor;
}

export class KernelSession {
  private readonly procs = new Map<number, Proc>();
  private readonly parents = new Map<number, number>();
  /** Names given to opens and renames, per thread, with the call's start time. */
  private readonly names = new Map<number, { at: bigint; name: string }[]>();
  /** Every trace file written, in the order they were started. */
  readonly files: string[] = [];
  lostEvents = 0;
  /** Lost-event reports, with the kernel time of the lines before them. */
  private readonly lostLog: { at: bigint; n: number }[] = [];
  /** Traces that ended: their files and the span they were recorded in, for the last count of lost events. */
  private readonly ended: { file: string; since: bigint; until: bigint; dropped: number }[] = [];

  constructor(private readonly opts: SessionOptions) {}

  handle(l: KernelLine): void {
    switch (l.kind) {
      case 'N': {
        const q = this.names.get(l.tid) ?? [];
        q.push({ at: l.at, name: l.name });
        this.names.set(l.tid, q);
        return;
      }
      case 'F':
        this.parents.set(l.child, l.pid);
        return;
      case 'E': {
        const p = this.proc(l.pid);
        this.endTrace(p, l.at);
        p.forked = false;
        p.exe = this.absolute(p, l.filename, AT_FDCWD) ?? l.filename;
        p.cmdline = readCmdline(l.pid) ?? [l.filename];
        return;
      }
      case 'X': {
        const p = this.procs.get(l.pid);
        if (p) this.endTrace(p, l.at);
        this.procs.delete(l.pid);
        this.parents.delete(l.pid);
        return;
      }
      case 'O':
        return this.open(l);
      case 'C':
        return this.close(l);
      case 'D': {
        const p = this.proc(l.pid);
        const from = p.fds.get(l.oldfd) ?? this.lookup(p, l.oldfd);
        p.fds.set(l.newfd, from);
        return;
      }
      case 'R':
        return this.rename(l);
      case 'L':
        return this.link(l);
      case 'U':
        return this.unlink(l);
      case 'S':
      case 'W':
        return this.sync(l);
    }
  }

  /**
   * Events the tracer lost, reported after lines up to monotonic time `at`.
   * The tracer does not say whose they were: each trace counts those reported
   * while it was recorded, give or take LOST_LAG (the per-CPU buffers are read
   * in turn, so a report may sit among lines older or newer than the loss).
   */
  lost(n: number, at: bigint): void {
    this.lostEvents += n;
    this.lostLog.push({ at, n });
  }

  flush(nowNs: bigint, final: boolean): void {
    for (const p of this.procs.values()) if (p.trace) this.write(p.trace, nowNs, final);
    if (final) for (const e of this.ended) this.recount(e);
  }

  private lostBetween(since: bigint, until: bigint | null): number {
    return this.lostLog.filter((r) => r.at >= since - LOST_LAG_NS && (until === null || r.at <= until + LOST_LAG_NS)).reduce((a, r) => a + r.n, 0);
  }

  private write(t: KernelTrace, nowNs: bigint, final: boolean): void {
    const first = !this.files.includes(t.file);
    t.setDropped(this.lostBetween(t.since, t.until));
    t.flush(nowNs, final);
    if (first && t.hasSyncs) this.files.push(t.file);
  }

  /** An ended trace's count of lost events, brought up to date in its file's header. */
  private recount(e: { file: string; since: bigint; until: bigint; dropped: number }): void {
    const n = this.lostBetween(e.since, e.until);
    if (n === e.dropped || !this.files.includes(e.file)) return;
    patchDropped(e.file, n);
    e.dropped = n;
  }

  private proc(pid: number): Proc {
    let p = this.procs.get(pid);
    if (p) return p;
    const parentPid = this.parents.get(pid);
    const parent = parentPid === undefined ? undefined : this.procs.get(parentPid);
    p = new Proc(pid, parentPid ?? readPpid(pid), parent !== undefined);
    if (parent) {
      for (const [fd, f] of parent.fds) p.fds.set(fd, f);
      for (const [path, s] of parent.files) p.files.set(path, { ...s });
      p.exe = parent.exe;
      p.cmdline = parent.cmdline;
      p.cwd = parent.cwd;
    } else {
      p.exe = readLink(`/proc/${pid}/exe`) ?? '';
      p.cmdline = readCmdline(pid) ?? [];
    }
    this.procs.set(pid, p);
    return p;
  }

  private traceOf(p: Proc, at: bigint): KernelTrace {
    if (!p.trace) {
      const uid = statSync(`/proc/${p.pid}`, { throwIfNoEntry: false })?.uid ?? 0;
      p.trace = new KernelTrace(this.opts.dir, { pid: p.pid, ppid: p.ppid, uid, exe: p.exe, cmdline: p.cmdline, forked: p.forked }, this.opts.anchor,
        this.opts.maxBytes, at);
    }
    return p.trace;
  }

  private endTrace(p: Proc, at: bigint): void {
    if (!p.trace) return;
    p.trace.end(at);
    this.write(p.trace, at, true);
    this.ended.push({ file: p.trace.file, since: p.trace.since, until: at, dropped: this.lostBetween(p.trace.since, at) });
    p.trace = null;
  }

  /**
   * The names of the call that thread `tid` began at `start` (one for an
   * open, old and new for a rename); the names of earlier calls that failed
   * (no O or R line) are dropped with them.
   */
  private takeNames(tid: number, start: bigint): string[] {
    const q = this.names.get(tid) ?? [];
    const mine = q.filter((n) => n.at === start).map((n) => n.name);
    const rest = q.filter((n) => n.at > start);
    if (rest.length > 0) this.names.set(tid, rest);
    else this.names.delete(tid);
    return mine;
  }

  /**
   * An absolute path for `name` as process `p` gave it, relative to `dirfd`:
   * its last component as given (a symlink there: the open names the link,
   * as the program opened it), its directory by its canonical name, as the
   * preload names both.
   */
  private absolute(p: Proc, name: string, dirfd: number): string | null {
    if (isAbsolute(name)) return inRealDir(resolve(name));
    if (dirfd === AT_FDCWD) {
      p.cwd ??= readLink(`/proc/${p.pid}/cwd`);
      return p.cwd === null ? null : inRealDir(resolve(p.cwd, name));
    }
    const dir = p.fds.get(dirfd)?.path ?? null;
    return dir === null ? null : inRealDir(resolve(dir, name));
  }

  /** A descriptor not seen opened: named through /proc/PID/fd/N now. */
  private lookup(p: Proc, fd: number): Fd {
    const link = fd >= 0 ? readLink(`/proc/${p.pid}/fd/${fd}`) : null;
    const f: Fd = link !== null && link.startsWith('/') ? { path: link, resolved: true } : { path: null, resolved: true };
    if (fd >= 0) p.fds.set(fd, f);
    return f;
  }

  private file(p: Proc, path: string): FileState {
    let s = p.files.get(path);
    if (!s) {
      s = { ivalStart: null, bytes: 0n, writes: 0, ns: 0n };
      p.files.set(path, s);
    }
    return s;
  }

  private open(l: Extract<KernelLine, { kind: 'O' }>): void {
    const p = this.proc(l.pid);
    const [name] = this.takeNames(l.tid, l.start);
    const dir = name === undefined ? null : this.absolute(p, name, l.dirfd);
    // An O_TMPFILE file has no name until it is linked: it is called as the preload calls it.
    const path = dir !== null && (l.flags & O_TMPFILE) === O_TMPFILE ? `${canonical(dir)}/#${l.ino} (deleted)` : dir;
    p.fds.set(l.fd, { path, resolved: false });
    const t = this.traceOf(p, l.at);
    if (path !== null) {
      const s = this.file(p, path);
      s.ivalStart ??= l.start;
    }
    t.event({ type: RecordType.Open, startNs: l.start, durNs: l.at - l.start, tid: l.tid, fd: l.fd, pathId: path === null ? 0 : t.pathId(path),
      res: l.fd, writes: l.flags >>> 0, flags: (path === null ? FLAG_PATH_UNKNOWN : 0) | (l.created ? FLAG_CREATED : 0) });
  }

  private close(l: Extract<KernelLine, { kind: 'C' }>): void {
    const p = this.proc(l.pid);
    // A descriptor never seen that had no file writes (a socket, a pipe) is not worth a look-up.
    const f = p.fds.get(l.fd) ?? (l.w.count > 0 ? this.lookup(p, l.fd) : null);
    p.fds.delete(l.fd);
    if (f === null || f.path === null) return;
    const s = this.file(p, f.path);
    add(s, l.w);
    const last = ![...p.fds.values()].some((o) => o.path === f.path);
    const t = this.traceOf(p, l.at);
    t.event({ type: RecordType.Close, startNs: l.at, tid: l.tid, fd: l.fd, pathId: t.pathId(f.path), bytes: s.bytes, writes: s.writes,
      writeUs: Number(s.ns / 1000n), ivalStartNs: s.ivalStart ?? 0n,
      flags: (last ? FLAG_LAST_CLOSE : 0) | (f.resolved ? FLAG_FD_RESOLVED : 0) | (s.ivalStart === null ? FLAG_NO_INTERVAL : 0) });
    if (last) p.files.delete(f.path);
  }

  private rename(l: Extract<KernelLine, { kind: 'R' }>): void {
    const p = this.proc(l.pid);
    const [oldName, newName] = this.takeNames(l.tid, l.start);
    const from = oldName === undefined ? null : this.absolute(p, oldName, l.olddir);
    const to = newName === undefined ? null : this.absolute(p, newName, l.newdir);
    if (from === null || to === null) return;
    // The file, or everything under the directory, has a new name.
    this.moveNames(p, (path) => (path === from ? to : path.startsWith(`${from}/`) ? to + path.slice(from.length) : null));
    const t = this.traceOf(p, l.at);
    t.event({ type: RecordType.Rename, startNs: l.start, durNs: l.at - l.start, tid: l.tid, fd: -1, pathId: t.pathId(from), writes: t.pathId(to) });
  }

  /**
   * A descriptor's first sync: its file is named by its own name from then on,
   * the one a symlink it was opened through points to (the open record keeps
   * the link), as the preload names it at a file's first sync.
   */
  private syncedName(p: Proc, f: Fd, path: string): void {
    f.synced = true;
    const real = canonical(path);
    if (real !== path) this.moveNames(p, (name) => (name === path ? real : null));
  }

  /** Give the process's descriptors and files the names `moved` returns (null: unchanged). */
  private moveNames(p: Proc, moved: (path: string) => string | null): void {
    for (const f of p.fds.values()) if (f.path !== null) f.path = moved(f.path) ?? f.path;
    for (const [path, s] of [...p.files]) {
      const now = moved(path);
      if (now === null) continue;
      p.files.delete(path);
      p.files.set(now, s);
    }
  }

  /**
   * A link: a new name for a file, the old one kept. Its unsynced bytes are not
   * known here (flag 0x200 is never set): a descriptor's writes are still in the
   * kernel's maps until its next sync or close.
   */
  private link(l: Extract<KernelLine, { kind: 'L' }>): void {
    const p = this.proc(l.pid);
    const [oldName, newName] = this.takeNames(l.tid, l.start);
    const from = oldName === undefined ? null : this.linked(p, oldName, l.olddir, l.flags);
    const to = newName === undefined ? null : this.absolute(p, newName, l.newdir);
    if (from === null || to === null) return;
    // A file made with O_TMPFILE takes the name it is linked to.
    if (UNNAMED.test(from)) this.moveNames(p, (path) => (path === from ? to : null));
    const t = this.traceOf(p, l.at);
    t.event({ type: RecordType.Link, startNs: l.start, durNs: l.at - l.start, tid: l.tid, fd: -1, pathId: t.pathId(from), writes: t.pathId(to) });
  }

  /** The file a link names as its old one: a path, the descriptor itself (AT_EMPTY_PATH), or /proc/self/fd/N. */
  private linked(p: Proc, name: string, dirfd: number, flags: number): string | null {
    if (name === '' && (flags & AT_EMPTY_PATH) !== 0) return p.fds.get(dirfd)?.path ?? null;
    const proc = /^\/proc\/(self|\d+)\/fd\/(\d+)$/.exec(name);
    if (proc && (flags & AT_SYMLINK_FOLLOW) !== 0 && (proc[1] === 'self' || Number(proc[1]) === p.pid)) {
      return p.fds.get(Number(proc[2]))?.path ?? null;
    }
    return this.absolute(p, name, dirfd);
  }

  private unlink(l: Extract<KernelLine, { kind: 'U' }>): void {
    const p = this.proc(l.pid);
    const [name] = this.takeNames(l.tid, l.start);
    const path = name === undefined ? null : this.absolute(p, name, l.dir);
    if (path === null) return;
    // As the preload does: only a name the process used (not a socket's, a lock's never opened).
    const t = this.traceOf(p, l.at);
    if (!t.knows(path)) return;
    t.event({ type: RecordType.Unlink, startNs: l.start, durNs: l.at - l.start, tid: l.tid, fd: -1, pathId: t.pathId(path) });
  }

  private sync(l: Extract<KernelLine, { kind: 'S' | 'W' }>): void {
    const p = this.proc(l.pid);
    const t = this.traceOf(p, l.at);
    const f = l.fd >= 0 ? (p.fds.get(l.fd) ?? this.lookup(p, l.fd)) : null;
    if (f?.path && !f.synced) this.syncedName(p, f, f.path);
    const pathId = f?.path ? t.pathId(f.path) : 0;
    let flags = (f?.resolved ? FLAG_FD_RESOLVED : 0) | (f && f.path === null ? FLAG_PATH_UNKNOWN : 0);
    const base = { type: RecordType.Sync as const, call: l.call, startNs: l.start, durNs: l.dur, tid: l.tid, fd: l.fd, pathId, res: l.ret };
    const s = f?.path ? this.file(p, f.path) : null;
    if (s) add(s, l.w);
    if (l.kind === 'S' && l.call === 3) {
      // sync_file_range: offset, flags, nbytes (FORMAT.md); it closes no interval.
      t.event({ ...base, flags, bytes: l.a, writes: Number(l.c), ivalStartNs: l.b });
      return;
    }
    if (l.kind === 'S' && l.call === 6) {
      // msync: address, flags, length.
      t.event({ ...base, flags, bytes: l.a, writes: Number(l.c), ivalStartNs: l.b });
      return;
    }
    if (!s || (l.kind === 'S' && (l.call === 4 || l.call === 5))) {
      t.event({ ...base, flags: flags | FLAG_NO_INTERVAL });
      return;
    }
    if (l.kind === 'W' && l.ret > 0) add(s, { bytes: BigInt(l.ret), count: 1, ns: l.dur });
    if (s.ivalStart === null) flags |= FLAG_NO_INTERVAL;
    t.event({ ...base, flags, bytes: s.bytes, writes: s.writes, writeUs: Number(s.ns / 1000n), ivalStartNs: s.ivalStart ?? 0n });
    if (l.ret < 0) return;
    // After fsync/fdatasync the next interval starts when the call began; after a sync write, when it returned.
    s.ivalStart = l.kind === 'W' ? l.start + l.dur : l.start;
    s.bytes = 0n;
    s.writes = 0;
    s.ns = 0n;
  }
}

/** Rewrite the `dropped` count in a trace file's header. */
function patchDropped(file: string, n: number): void {
  const buf = Buffer.alloc(8);
  buf.writeBigUInt64LE(BigInt(n));
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, buf, 0, 8, HEADER.dropped);
  } finally {
    closeSync(fd);
  }
}

function add(s: FileState, w: Pending): void {
  s.bytes += w.bytes;
  s.writes += w.count;
  s.ns += w.ns;
}

/**
 * `path` with its directory's canonical name (symlinks in it resolved, as
 * the kernel's d_path gives it), its last component as it is. A directory
 * that is gone by the time the line is read keeps the name it was given.
 */
function inRealDir(path: string): string {
  const dir = dirname(path);
  if (dir === path) return path;
  try {
    return join(realpathSync.native(dir), basename(path));
  } catch {
    return path;
  }
}

/** `path` with every symlink in it resolved, or as it is when it is gone. */
function canonical(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    return path;
  }
}

function readLink(path: string): string | null {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
}

function readCmdline(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
    return text === '' ? null : Buffer.from(text, 'latin1').toString('utf8').replace(/\0$/, '').split('\0');
  } catch {
    return null;
  }
}

function readPpid(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? 0);
  } catch {
    return 0;
  }
}
