/**
 * Labelled verdict scenarios with ground truth known by construction: real
 * processes (build/syncloop) run under the real recorder with the slow-disk
 * shim preloaded beneath it (shim.c), which sleeps or fails inside fsync on
 * the calls a scenario chooses and logs each one. The analyzer's verdicts
 * (`outliers --json`) are then scored against that log: injected calls found,
 * false outliers among the normal calls, and whether every incident holding
 * an injected call has the scope the scenario built.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeJson, freshDir, LIB, removeDir, ROOT } from '../../../scripts/workloads/common.js';

const HERE = join(ROOT, 'test/bench/verdicts');
const SHIM = join(HERE, 'build/shim.so');
const SYNCLOOP = join(HERE, 'build/syncloop');

export type Scope = 'file' | 'process' | 'device';

export interface Proc {
  /** Its directory's name (and so its files' families). */
  name: string;
  files: number;
  hz: number;
  /** New segment names every this many syncs of a file (a rotating family). */
  rotate?: number;
  /** fsync the directory every this many ticks. */
  dirsync?: number;
  /** FSYNC_SHIM rules for this process (times in ms after the scenario's start). */
  rules?: string;
}

export interface Scenario {
  name: string;
  what: string;
  seconds: number;
  /** The shim's normal latency: median µs and log-normal sigma. */
  normal: [medianUs: number, sigma: number];
  procs: Proc[];
  /** The scope every incident with an injected call must have; null when nothing is injected. */
  scope: Scope | null;
  /** How many incidents the injected calls must fall in (default 1). */
  incidents?: number;
}

export interface Score {
  scenario: string;
  calls: number;
  injected: number;
  found: number;
  normal: number;
  falseOutliers: number;
  incidents: number;
  scopes: string[];
  scopeRight: boolean;
  judged: number;
  unjudged: number;
}

interface OutliersJson {
  outliers: Array<{ path: string; start: string; pid: number; tid: number; incident: number; latency_ms: number; cause: string }>;
  incidents: Array<{ id: number; scope: Scope; cause: string }>;
  judged: number;
  unjudged: number;
}

export function buildShim(): void {
  const r = spawnSync('make', ['-s', '-C', HERE], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`make -C ${HERE}: ${r.stderr}`);
}

function run(proc: Proc, s: Scenario, dirs: { data: string; traces: string; log: string }, t0: number, seed: number): Promise<void> {
  const dir = join(dirs.data, proc.name);
  mkdirSync(dir, { recursive: true });
  const env = {
    ...process.env,
    LD_PRELOAD: `${LIB} ${SHIM}`,
    FSYNC_TRACE_DIR: dirs.traces,
    FSYNC_TRACE_MAX_BYTES: String(8 << 20),
    FSYNC_TRACE_ALERT_TO: 'off',
    FSYNC_SHIM_T0: String(t0),
    FSYNC_SHIM_SEED: String(seed),
    FSYNC_SHIM_NORMAL: `${s.normal[0]}:${s.normal[1]}`,
    FSYNC_SHIM_LOG: dirs.log,
    ...(proc.rules ? { FSYNC_SHIM: proc.rules } : {}),
  };
  const args = [dir, String(s.seconds), String(proc.hz), String(proc.files), String(proc.rotate ?? 0), String(proc.dirsync ?? 0)];
  return new Promise((resolve, reject) => {
    const child = spawn(SYNCLOOP, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`syncloop ${proc.name} exited ${code}: ${err}`))));
  });
}

interface Injected {
  pid: number;
  tid: number;
  startNs: bigint;
}

function readLog(file: string): Injected[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('inject ')).map((l) => {
    const [, pid, tid, , start] = l.split(' ');
    return { pid: Number(pid), tid: Number(tid), startNs: BigInt(start!) };
  });
}

function isoNs(iso: string): bigint {
  const m = /^(.*)\.(\d{6})Z$/.exec(iso);
  if (!m) return BigInt(Date.parse(iso)) * 1_000_000n;
  return BigInt(Date.parse(`${m[1]}Z`)) * 1_000_000n + BigInt(m[2]!) * 1000n;
}

/** Score the analyzer's verdicts on `traces` against the shim's log. */
function score(name: string, traces: string, log: string, scope: Scope | null, incidents = 1): Score {
  const injected = readLog(log);
  const got = analyzeJson<OutliersJson>(['outliers', traces]);
  const summary = analyzeJson<{ totals: { calls: number } }>(['summary', traces]);
  // The shim is entered inside the recorded call: after its start, before its end.
  const matched = new Set<number>();
  const injectedIncidents = new Set<number>();
  let falseOutliers = 0;
  for (const o of got.outliers) {
    const at = isoNs(o.start);
    const end = at + BigInt(Math.ceil(o.latency_ms * 1e6)) + 1000n;
    const i = injected.findIndex((c, k) => !matched.has(k) && c.pid === o.pid && c.tid === o.tid &&
      c.startNs >= at - 1000n && c.startNs <= end);
    if (i >= 0) {
      matched.add(i);
      injectedIncidents.add(o.incident);
    } else {
      falseOutliers += 1;
    }
  }
  const scopes = [...injectedIncidents].map((id) => got.incidents.find((x) => x.id === id)?.scope ?? '?');
  // With nothing injected there is no scope to get right: the false outliers say how it went.
  const scopeRight = scope === null || (scopes.length === incidents && scopes.every((x) => x === scope));
  return {
    scenario: name,
    calls: summary.totals.calls,
    injected: injected.length,
    found: matched.size,
    normal: summary.totals.calls - injected.length,
    falseOutliers,
    incidents: got.incidents.length,
    scopes,
    scopeRight,
    judged: got.judged,
    unjudged: got.unjudged,
  };
}

/** Keep a scenario's directory when it missed its targets (say where), else remove it. */
function settle(root: string, r: Score | undefined): void {
  if (r && (r.found < 0.95 * r.injected || !r.scopeRight)) process.stderr.write(`${r.scenario}: off target; its traces are kept in ${root}\n`);
  else removeDir(root);
}

/** Run one scenario and score the analyzer's verdicts against the shim's log. */
export async function runScenario(s: Scenario, seed = 1): Promise<Score> {
  const root = freshDir(`verdicts-${s.name}`, existsSync('/dev/shm') ? '/dev/shm' : undefined);
  let r: Score | undefined;
  try {
    const dirs = { data: join(root, 'data'), traces: join(root, 'traces'), log: join(root, 'injected.log') };
    mkdirSync(dirs.data);
    mkdirSync(dirs.traces);
    const t0 = Date.now() + 100;
    await Promise.all(s.procs.map((p, i) => run(p, s, dirs, t0, seed * 1000 + i)));
    r = score(s.name, dirs.traces, dirs.log, s.scope, s.incidents);
    return r;
  } finally {
    settle(root, r);
  }
}

export const PGBENCH = {
  name: 'pgbench-wal-stall',
  what: 'PostgreSQL under pgbench (4 clients, 24 s, the real disk): every WAL sync slow (+150 ms) for 4 s',
};

/**
 * PostgreSQL 15 under pgbench on the machine's disk, the server started with
 * the recorder and the shim beneath it; the shim slows every sync of a WAL
 * segment (pg_wal/: one family, whichever segment is current) for 4 s in the
 * middle of the run. Normal latencies are the real disk's, hiccups included.
 */
export async function runPgbench(): Promise<Score> {
  const pg = await import('../../../scripts/workloads/postgres.js');
  const c = await pg.createCluster({ settings: { max_wal_size: "'64MB'", min_wal_size: "'32MB'" } });
  const log = join(c.traces, 'injected.log');
  let r: Score | undefined;
  try {
    pg.startCluster(c, { maxBytes: 16 << 20 });
    pg.client(c, 'pgbench', ['-i', '-s', '2', '-q']);
    pg.stopCluster(c);
    for (const f of readdirSync(c.traces)) rmSync(join(c.traces, f));
    const t0 = Date.now();
    pg.startCluster(c, {
      maxBytes: 16 << 20,
      preload: [SHIM],
      env: { FSYNC_SHIM_T0: String(t0), FSYNC_SHIM: 'path=pg_wal/,from=12000,to=16000,delay=150', FSYNC_SHIM_LOG: log, FSYNC_TRACE_ALERT_TO: 'off' },
    });
    pg.client(c, 'pgbench', ['-c', '4', '-j', '2', '-T', '24']);
    pg.stopCluster(c);
    r = score(PGBENCH.name, c.traces, log, 'file');
    return r;
  } finally {
    pg.stopCluster(c);
    settle(c.root, r);
  }
}

/** The full suite (npm run bench:verdicts). `scale` shortens every scenario (tests use smaller ones). */
export function scenarios(): Scenario[] {
  return [
    {
      name: 'steady-heavy-tail',
      what: 'three processes, log-normal normals (sigma 1.2), nothing injected',
      seconds: 20, normal: [400, 1.2], scope: null,
      procs: [{ name: 'alpha', files: 2, hz: 80 }, { name: 'beta', files: 2, hz: 80 }, { name: 'gamma', files: 1, hz: 50, dirsync: 10 }],
    },
    {
      name: 'one-file-stall',
      what: 'one file of one process slow (+150 ms) for 3 s; sigma 1.2; two other processes fine',
      seconds: 20, normal: [400, 1.2], scope: 'file',
      procs: [
        { name: 'alpha', files: 3, hz: 90, rules: 'path=alpha/data.1,from=9000,to=12000,delay=150' },
        { name: 'beta', files: 2, hz: 80 }, { name: 'gamma', files: 2, hz: 80 },
      ],
    },
    {
      name: 'one-process',
      what: 'every sync of one process (its files and its directory) slow (+80 ms) for 4 s; two others fine',
      seconds: 20, normal: [400, 0.8], scope: 'process',
      procs: [
        { name: 'alpha', files: 2, hz: 80, dirsync: 4, rules: 'from=8000,to=12000,delay=80' },
        { name: 'beta', files: 2, hz: 80, dirsync: 4 }, { name: 'gamma', files: 2, hz: 80 },
      ],
    },
    {
      name: 'whole-device',
      what: 'every sync of all three processes slow (+120 ms) for 3 s; sigma 1.2',
      seconds: 20, normal: [400, 1.2], scope: 'device',
      procs: ['alpha', 'beta', 'gamma'].map((name) => ({ name, files: 2, hz: 80, rules: 'from=9000,to=12000,delay=120' })),
    },
    {
      name: 'eio',
      what: 'every 10th fsync of one file fails with EIO for 2 s; two other processes fine',
      seconds: 15, normal: [400, 0.8], scope: 'file',
      procs: [
        { name: 'alpha', files: 2, hz: 80, rules: 'path=alpha/data.0,from=7000,to=9000,every=10,errno=EIO' },
        { name: 'beta', files: 2, hz: 80 }, { name: 'gamma', files: 2, hz: 80 },
      ],
    },
    {
      name: 'short-run-first-second',
      what: 'a 10-s recording slow (+100 ms) in its first second: judged against the rest of the recording',
      seconds: 10, normal: [400, 0.8], scope: 'file',
      procs: [{ name: 'alpha', files: 1, hz: 100, rules: 'from=200,to=1200,delay=100' }],
    },
    {
      name: 'sustained-25s-of-60s',
      what: 'one file slow (+80 ms) for 25 s of a 60-s recording: one incident throughout',
      seconds: 60, normal: [400, 0.8], scope: 'file',
      procs: [{ name: 'alpha', files: 1, hz: 50, rules: 'from=15000,to=40000,delay=80' }, { name: 'beta', files: 1, hz: 50 }],
    },
    {
      name: 'rotating-segments',
      what: 'WAL-like segments renamed every 20 syncs (no name lives long enough for its own baseline), slow (+100 ms) for 2 s',
      seconds: 20, normal: [400, 1.0], scope: 'file',
      procs: [{ name: 'alpha', files: 1, hz: 100, rotate: 20, rules: 'from=12000,to=14000,delay=100' }, { name: 'beta', files: 2, hz: 60 }],
    },
  ];
}


/** Smaller scenarios for the test suite (test/e2e/verdicts.test.ts): seconds each, the same kinds of truth. */
export function smallScenarios(): Scenario[] {
  return [
    {
      name: 'small-first-second',
      what: 'an 8-s recording slow (+100 ms) in its first second',
      seconds: 8, normal: [300, 0.8], scope: 'file',
      procs: [{ name: 'alpha', files: 1, hz: 100, rules: 'from=200,to=1200,delay=100' }],
    },
    {
      name: 'small-one-process',
      what: 'one of two processes slow (+80 ms) on its file and its directory for 2 s',
      seconds: 8, normal: [300, 0.8], scope: 'process',
      procs: [{ name: 'alpha', files: 1, hz: 80, dirsync: 3, rules: 'from=3000,to=5000,delay=80' }, { name: 'beta', files: 1, hz: 80, dirsync: 3 }],
    },
    {
      name: 'small-device',
      what: 'both processes slow (+80 ms) for 2 s',
      seconds: 8, normal: [300, 0.8], scope: 'device',
      procs: ['alpha', 'beta'].map((name) => ({ name, files: 1, hz: 80, rules: 'from=3000,to=5000,delay=80' })),
    },
    {
      name: 'small-eio',
      what: 'every 20th fsync of one file fails with EIO for 4 s',
      seconds: 8, normal: [300, 0.8], scope: 'file',
      procs: [{ name: 'alpha', files: 2, hz: 80, rules: 'path=alpha/data.0,from=2000,to=6000,every=20,errno=EIO' }, { name: 'beta', files: 1, hz: 80 }],
    },
  ];
}
