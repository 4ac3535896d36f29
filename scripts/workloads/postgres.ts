/**
 * A throwaway PostgreSQL 15 cluster (Debian package `postgresql`) for
 * recording: initdb into a fresh directory, started by pg_ctl with the
 * recorder preloaded (every process it forks inherits it), driven by pgbench
 * and psql over a Unix socket in that directory, and stopped.
 *
 * PostgreSQL refuses to run as root, so when we are root the cluster, its
 * directory and its trace directory belong to the `postgres` user, and the
 * server and clients run as that user. The trace directory is 0700: the
 * recorder refuses a directory that belongs to someone else.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { forEveryone, freePort, freshDir, namedDir, recorderEnv, requireProgram, runOk, runSync, type Ran } from './common.js';

export const PG_BIN = '/usr/lib/postgresql/15/bin';

export function pgProgram(name: string): string {
  return requireProgram(join(PG_BIN, name), 'postgresql');
}

interface RunAs {
  uid?: number;
  gid?: number;
}

/** Who runs the cluster: ourselves, or the postgres user when we are root. */
function owner(): RunAs {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => {
    const r = spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error("running as root, and there is no 'postgres' user to run PostgreSQL as: install the Debian package 'postgresql'");
    return Number(r.stdout.trim());
  };
  return { uid: id('-u'), gid: id('-g') };
}

export interface Cluster {
  root: string;
  data: string;
  /** Where the server writes traces (0700, owned by the server's user). */
  traces: string;
  port: number;
  log: string;
  /** The environment for clients: PGHOST, PGPORT, PGUSER, PGDATABASE; no preload. */
  clientEnv: NodeJS.ProcessEnv;
  runAs: RunAs;
  /** The postmaster's pid once started (postmaster.pid). */
  postmasterPid?: number;
  running: boolean;
}

const live = new Set<Cluster>();
let exitHook = false;

export interface ClusterOptions {
  /** Extra postgresql.conf lines. */
  settings?: Record<string, string>;
  /** The cluster's directory, emptied first (default: a fresh one in the system's temporary directory). */
  root?: string;
  /** Where the server writes its traces, made afresh (default: traces/ in the cluster's directory). */
  traces?: string;
}

/** initdb a fresh cluster on a free loopback port. */
export async function createCluster(o: ClusterOptions = {}): Promise<Cluster> {
  const initdb = pgProgram('initdb');
  pgProgram('postgres');
  pgProgram('pg_ctl');
  const runAs = owner();
  const root = o.root ? namedDir(o.root) : freshDir('pg');
  const port = await freePort();
  const own = (path: string) => {
    if (runAs.uid !== undefined) chownSync(path, runAs.uid, runAs.gid!);
  };
  own(root);
  chmodSync(root, 0o755);
  const data = join(root, 'data');
  const traces = o.traces ?? join(root, 'traces');
  rmSync(traces, { recursive: true, force: true });
  mkdirSync(traces, { mode: 0o700 });
  own(traces);
  chmodSync(traces, 0o700);
  const clientEnv: NodeJS.ProcessEnv = { ...process.env, PGHOST: root, PGPORT: String(port), PGUSER: 'postgres', PGDATABASE: 'postgres' };
  delete clientEnv.LD_PRELOAD;
  const cluster: Cluster = { root, data, traces, port, log: join(root, 'server.log'), clientEnv, runAs, running: false };
  // --no-sync: initdb's own syncs are not what we record, and cost seconds.
  runOk(initdb, ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'], { cwd: root, env: clientEnv, ...runAs });
  const settings: Record<string, string> = {
    listen_addresses: "'127.0.0.1'",
    port: String(port),
    unix_socket_directories: `'${root}'`,
    log_connections: 'on',
    log_line_prefix: "'%p [%b] '",
    ...o.settings,
  };
  appendFileSync(join(data, 'postgresql.conf'), `\n# fsync flight recorder workload\n${Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join('\n')}\n`);
  return cluster;
}

/**
 * Start the server (pg_ctl -w), recorded unless `record` is false. `preload`
 * adds libraries after the recorder in LD_PRELOAD (the verdict scenarios'
 * slow-disk shim, which the recorder then times), `env` more variables.
 */
export function startCluster(c: Cluster, record: { maxBytes: number; preload?: string[]; env?: Record<string, string> } | false): void {
  const env = record ? { ...recorderEnv(c.traces, record.maxBytes, c.clientEnv), ...record.env } : c.clientEnv;
  // The server runs as postgres when we are root: it must be able to load the libraries.
  const readable = (lib: string) => (c.runAs.uid !== undefined ? forEveryone(lib) : lib);
  if (record) env.LD_PRELOAD = [env.LD_PRELOAD!, ...(record.preload ?? [])].map(readable).join(' ');
  if (!exitHook) {
    // Whatever happens to the test run, never leave a server behind.
    process.on('exit', () => live.forEach((cl) => stopCluster(cl)));
    exitHook = true;
  }
  live.add(c);
  c.running = true;
  runOk(pgProgram('pg_ctl'), ['-D', c.data, '-l', c.log, '-w', '-t', '60', 'start'], { cwd: c.root, env, ...c.runAs });
  c.postmasterPid = Number(readFileSync(join(c.data, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

/** Stop the server (fast shutdown); kill the postmaster if pg_ctl cannot. Never throws. */
export function stopCluster(c: Cluster): void {
  if (!c.running) return;
  c.running = false;
  live.delete(c);
  try {
    const r = spawnSync(pgProgram('pg_ctl'), ['-D', c.data, '-m', 'fast', '-w', '-t', '60', 'stop'], { cwd: c.root, env: c.clientEnv, encoding: 'utf8', ...c.runAs });
    if (r.status === 0) return;
  } catch {
    // fall through to the signal
  }
  if (c.postmasterPid && existsSync(join(c.data, 'postmaster.pid'))) {
    try {
      process.kill(c.postmasterPid, 'SIGQUIT');
    } catch {
      // already gone
    }
  }
}

/** Run a client program (pgbench, psql) against the cluster, as the cluster's user. */
export function client(c: Cluster, program: string, args: string[], check = true): Ran {
  const run = check ? runOk : runSync;
  return run(pgProgram(program), args, { cwd: c.root, env: c.clientEnv, ...c.runAs });
}

/** psql -AtX: one query, its rows as lines of '|'-separated fields. */
export function psql(c: Cluster, sql: string): string[][] {
  const out = client(c, 'psql', ['-AtX', '-v', 'ON_ERROR_STOP=1', '-c', sql]).stdout.trim();
  return out === '' ? [] : out.split('\n').map((line) => line.split('|'));
}

export interface PgbenchResult {
  processed: number;
  failed: number;
  tps: number;
  output: string;
}

/** Read pgbench's summary. */
export function parsePgbench(output: string): PgbenchResult {
  const num = (re: RegExp) => {
    const m = re.exec(output);
    if (!m) throw new Error(`pgbench output lacks ${re}:\n${output}`);
    return Number(m[1]);
  };
  return {
    processed: num(/number of transactions actually processed: (\d+)/),
    failed: num(/number of failed transactions: (\d+)/),
    tps: num(/tps = ([\d.]+) \(without initial connection time\)/),
    output,
  };
}

/** The pids of the client connections, from the server log (log_connections, log_line_prefix '%p [%b] '). */
export function connectionPids(c: Cluster): number[] {
  const log = readFileSync(c.log, 'utf8');
  return [...log.matchAll(/^(\d+) \[client backend\] LOG:  connection authorized/gm)].map((m) => Number(m[1]));
}
