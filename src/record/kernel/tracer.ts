/**
 * fsync-record --kernel: run fsync.bt under bpftrace on one process tree and
 * turn its lines into trace files.
 *
 *   -- CMD ARGS...   the command starts behind a gate (a shell waiting on a
 *                    pipe) and is let through once the probes are attached,
 *                    so its first call is seen; recording ends when it exits.
 *   --pid N          N and its descendants, from now until SIGINT/SIGTERM or
 *                    until none of them is left.
 *
 * Lines reach us through bpftrace's per-CPU buffers, so they are ordered by
 * the kernel time they carry and handled once they are REORDER_NS old.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { FtError } from '../../errors.js';
import { parseOutput, type KernelLine } from './lines.js';
import { KernelSession } from './session.js';
import { prepare } from './setup.js';

const REORDER_NS = 300_000_000n;
const TICK_MS = 100;
const QUIET_MS = 300;
const DRAIN_MS = 30_000;
const TICKS_MS = 1100;
const FLUSH_EVERY = 10; // ticks
const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGALRM'];
const FROM_TERMINAL: NodeJS.Signals[] = ['SIGINT', 'SIGQUIT'];
/** bpftrace's own chatter that says nothing to the user of fsync-record. */
const NOISE = /RLIMIT_MEMLOCK|Addrspace|^\s|^$|arithmetic on integers|WARNING/;

export interface KernelOptions {
  dir: string;
  maxBytes: number;
  pid?: number;
  command: string[];
  quiet: boolean;
}

const monotonicNs = (): bigint => process.hrtime.bigint();

export async function runKernel(opts: KernelOptions): Promise<number> {
  const { bpftrace, program } = prepare();
  const pages = bufferPages();
  if (opts.pid === undefined && opts.command.length === 0) {
    throw new FtError('fsync-record --kernel: give a command (-- CMD ARGS...) or --pid N');
  }
  if (opts.pid !== undefined && !existsSync(`/proc/${opts.pid}`)) throw new FtError(`fsync-record --kernel: no process ${opts.pid}`);
  const dir = resolve(opts.dir);
  mkdirSync(dir, { recursive: true });
  const gate = opts.pid === undefined ? startGated(opts.command) : null;
  const roots = gate ? [gate.pid!] : [opts.pid!, ...descendants(opts.pid!)];
  const text = program.replace('@ROOTS@', roots.map((p) => `@traced[${p}] = 1;`).join(' '));
  const anchor = { monotonicNs: monotonicNs(), realtimeNs: BigInt(Date.now()) * 1_000_000n };
  const session = new KernelSession({ dir, maxBytes: opts.maxBytes, anchor });
  const tracer = new Tracer(bpftrace, text, session, pages);
  try {
    await tracer.ready;
  } catch (err) {
    gate?.kill('SIGKILL');
    throw err;
  }
  if (!opts.quiet && gate === null) {
    process.stderr.write(`fsync-record: recording process ${opts.pid} and ${roots.length - 1} descendant${roots.length === 2 ? '' : 's'} kernel-side; Ctrl-C to stop\n`);
  }
  const live = new Set(roots);
  tracer.onLine = (l) => {
    if (l.kind === 'F') live.add(l.child);
    if (l.kind === 'X') live.delete(l.pid);
  };
  let status = 0;
  if (gate) {
    status = await runGated(gate);
  } else {
    await untilStopped(live, () => tracer.alive);
    if (!tracer.alive) status = 1;
  }
  await tracer.stop();
  if (!opts.quiet) report(dir, session);
  if (gate && status > 128) {
    const sig = Object.entries(osConstants.signals).find(([, n]) => n === status - 128)?.[0] as NodeJS.Signals | undefined;
    if (sig) setImmediate(() => process.kill(process.pid, sig));
  }
  return status;
}

class Tracer {
  readonly ready: Promise<void>;
  onLine: (l: KernelLine) => void = () => {};
  private readonly child: ChildProcess;
  private queue: KernelLine[] = [];
  private readonly errors: string[] = [];
  private readonly timer: NodeJS.Timeout;
  private ticks = 0;
  /** The newest kernel time among the lines read so far. */
  private lastAt = 0n;
  attached = false;
  stopping = false;
  /** When the last line arrived (ms since the epoch). */
  private lastOutput = 0;
  private readonly exited: Promise<void>;

  constructor(bpftrace: string, text: string, private readonly session: KernelSession, pages: string) {
    this.child = spawn(bpftrace, ['-f', 'json', '-e', text], {
      // Its own process group: Ctrl-C at the terminal is for the command, not the tracer.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Per-CPU output buffers of FSYNC_KERNEL_BUFFER_PAGES pages (1024: 4 MiB); names up to 200 bytes.
      env: { ...process.env, BPFTRACE_STRLEN: '200', BPFTRACE_PERF_RB_PAGES: pages, BPFTRACE_MAP_KEYS_MAX: '65536' },
    });
    let attached: () => void = () => {};
    let failed: (e: Error) => void = () => {};
    this.ready = new Promise((res, rej) => {
      attached = res;
      failed = rej;
    });
    createInterface({ input: this.child.stdout! }).on('line', (json) => {
      const out = parseOutput(json);
      if (out.type === 'ready') {
        this.attached = true;
        attached();
      }
      // bpftrace reports a loss in the stream, where it found it: after the lines it read before.
      else if (out.type === 'lost') this.session.lost(out.events, this.lastAt);
      else if (out.type === 'line') {
        if (out.line.at > this.lastAt) this.lastAt = out.line.at;
        this.lastOutput = Date.now();
        this.queue.push(out.line);
        this.onLine(out.line);
      }
    });
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      if (!NOISE.test(line)) this.errors.push(line);
    });
    this.exited = new Promise((res) => this.child.on('close', () => res()));
    this.child.on('error', (err) => failed(new FtError(`fsync-record --kernel: cannot run bpftrace: ${err.message}`)));
    void this.exited.then(() => {
      clearInterval(this.timer);
      const first = this.errors.find((e) => /ERROR/.test(e)) ?? this.errors[0] ?? 'it exited';
      const message = `fsync-record --kernel: bpftrace failed: ${first.replace(/^ERROR:\s*/, '')}`;
      failed(new FtError(message));
      // Dying mid-run (killed, out of memory): say so; what was seen is still written.
      if (this.attached && !this.stopping) {
        this.tick(true);
        process.stderr.write(`${message}; recording stopped\n`);
      }
    });
    this.timer = setInterval(() => this.tick(false), TICK_MS);
  }

  /** Handle the lines older than the reorder window (all of them when `all`). */
  private tick(all: boolean): void {
    const now = monotonicNs();
    const horizon = all ? null : now - REORDER_NS;
    this.queue.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    let n = 0;
    while (n < this.queue.length && (horizon === null || this.queue[n]!.at <= horizon)) n++;
    for (const l of this.queue.slice(0, n)) this.session.handle(l);
    this.queue = this.queue.slice(n);
    if (all || ++this.ticks % FLUSH_EVERY === 0) this.session.flush(now, all);
  }

  /** Stop bpftrace (it prints what its buffers still hold), then write everything. */
  /** Whether bpftrace is still running. */
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    // bpftrace drops what its buffers still hold when it exits: let it drain
    // first (quiet for QUIET_MS, or DRAIN_MS at most).
    // Two ticks (fsync.bt's profile:hz:2) at least, so that the last losses are reported.
    const until = Date.now() + DRAIN_MS;
    const ticks = Date.now() + TICKS_MS;
    do await new Promise((r) => setTimeout(r, QUIET_MS));
    while ((Date.now() - this.lastOutput < QUIET_MS || Date.now() < ticks) && Date.now() < until);
    this.child.kill('SIGINT');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(killer);
    clearInterval(this.timer);
    this.tick(true);
  }
}

function bufferPages(): string {
  const v = process.env.FSYNC_KERNEL_BUFFER_PAGES ?? '1024';
  if (!/^[1-9]\d*$/.test(v) || (Number(v) & (Number(v) - 1)) !== 0) {
    throw new FtError(`fsync-record --kernel: FSYNC_KERNEL_BUFFER_PAGES must be a power of two, not '${v}'`);
  }
  return v;
}

/** The command behind a gate: a shell that execs it once a line arrives on fd 3. */
function startGated(command: string[]): ChildProcess & { gate: Writable } {
  const child = spawn('/bin/sh', ['-c', 'read -r _ <&3 && exec "$@" 3<&-', 'sh', ...command], { stdio: ['inherit', 'inherit', 'inherit', 'pipe'] });
  return Object.assign(child, { gate: child.stdio[3] as Writable });
}

function runGated(child: ChildProcess & { gate: Writable }): Promise<number> {
  return new Promise((resolveStatus) => {
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    const ignore = () => {};
    for (const sig of FORWARDED) process.on(sig, forward);
    for (const sig of FROM_TERMINAL) process.on(sig, ignore);
    child.on('exit', (code, signal) => {
      for (const sig of FORWARDED) process.off(sig, forward);
      for (const sig of FROM_TERMINAL) process.off(sig, ignore);
      resolveStatus(signal ? 128 + (osConstants.signals[signal] ?? 0) : (code ?? 0));
    });
    child.gate.end('go\n');
  });
}

/** Until SIGINT or SIGTERM, until no recorded process is left, or until the tracer dies. */
function untilStopped(live: Set<number>, tracing: () => boolean): Promise<void> {
  return new Promise((done) => {
    const stop = () => {
      clearInterval(poll);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const poll = setInterval(() => {
      for (const pid of live) if (!existsSync(`/proc/${pid}`)) live.delete(pid);
      if (live.size === 0 || !tracing()) stop();
    }, 500);
  });
}

/** The descendants of `pid` now, from /proc/N/stat. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const out: number[] = [];
  const todo = [pid];
  while (todo.length > 0) {
    for (const c of children.get(todo.pop()!) ?? []) {
      out.push(c);
      todo.push(c);
    }
  }
  return out;
}

function report(dir: string, session: KernelSession): void {
  const files = session.files;
  const lost = session.lostEvents > 0 ? ` (the tracer lost ${session.lostEvents} events: counted as dropped)` : '';
  if (files.length === 0) {
    process.stderr.write(`fsync-record: no durability calls recorded (kernel-side, no new trace in ${dir})${lost}\n`);
    return;
  }
  const shown = files.slice(0, 8).map((t) => `  ${t}\n`).join('');
  const more = files.length > 8 ? `  ... and ${files.length - 8} more\n` : '';
  process.stderr.write(`fsync-record: ${files.length} kernel-side trace file${files.length === 1 ? '' : 's'} in ${dir}${lost}:\n${shown}${more}`);
}
