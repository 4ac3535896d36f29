/**
 * Scoring the analyzer's verdicts (`outliers --json`) against ground truth: the
 * calls a scenario slowed or failed (from the shim's log, or, under real
 * contention, from the recording and the neighbour's own run times). Counts
 * the slowed calls found, the false outliers among the normal calls, and
 * whether every incident holding a slowed call has the scope the scenario built.
 */
import { existsSync, readFileSync } from 'node:fs';
import { analyzeJson, removeDir } from '../../../scripts/workloads/common.js';

export type Scope = 'file' | 'process' | 'device';

export interface Score {
  scenario: string;
  calls: number;
  injected: number;
  found: number;
  normal: number;
  falseOutliers: number;
  /** Outliers among the calls the truth neither calls slowed nor normal (made under contention, below its bar). */
  excused: number;
  incidents: number;
  scopes: string[];
  scopeRight: boolean;
  judged: number;
  unjudged: number;
}

export interface OutliersJson {
  outliers: Array<{ path: string; start: string; pid: number; tid: number; incident: number; latency_ms: number; cause: string }>;
  incidents: Array<{ id: number; start: string; end: string; scope: Scope; cause: string; pids: number[] }>;
  judged: number;
  unjudged: number;
}

/** One call the truth says was slowed (or failed): who made it, and when it entered the slow part. */
export interface Injected {
  pid: number;
  tid: number;
  startNs: bigint;
}

/** What a scenario knows by construction. */
export interface Truth {
  injected: Injected[];
  /** Calls that are neither slowed nor normal (not scored either way), and whether an outlier is one of them. */
  excusedCalls?: number;
  excused?: (o: { pid: number; startNs: bigint }) => boolean;
  /** The scope every incident holding a slowed call must have; null when nothing is slowed. */
  scope: Scope | null;
  /** How many incidents the slowed calls must fall in (default 1). */
  incidents?: number;
}

/** The shim's log (shim.c): one line per call it made slow or failed. */
export function readLog(file: string): Injected[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('inject ')).map((l) => {
    const [, pid, tid, , start] = l.split(' ');
    return { pid: Number(pid), tid: Number(tid), startNs: BigInt(start!) };
  });
}

/** ISO 8601 with microseconds, as `outliers --json` prints it, to ns since the epoch. */
export function isoNs(iso: string): bigint {
  const m = /^(.*)\.(\d{6})Z$/.exec(iso);
  if (!m) return BigInt(Date.parse(iso)) * 1_000_000n;
  return BigInt(Date.parse(`${m[1]}Z`)) * 1_000_000n + BigInt(m[2]!) * 1000n;
}

/** Score the analyzer's verdicts on `traces` against the truth. */
export function score(name: string, traces: string, truth: Truth): Score {
  const { injected } = truth;
  const got = analyzeJson<OutliersJson>(['outliers', traces]);
  const summary = analyzeJson<{ totals: { calls: number } }>(['summary', traces]);
  // A slowed call is entered after the recorded call's start and before its end.
  const matched = new Set<number>();
  const injectedIncidents = new Set<number>();
  let falseOutliers = 0;
  let excused = 0;
  for (const o of got.outliers) {
    const at = isoNs(o.start);
    const end = at + BigInt(Math.ceil(o.latency_ms * 1e6)) + 1000n;
    const i = injected.findIndex((c, k) => !matched.has(k) && c.pid === o.pid && c.tid === o.tid &&
      c.startNs >= at - 1000n && c.startNs <= end);
    if (i >= 0) {
      matched.add(i);
      injectedIncidents.add(o.incident);
    } else if (truth.excused?.({ pid: o.pid, startNs: at })) {
      excused += 1;
    } else {
      falseOutliers += 1;
    }
  }
  const scopes = [...injectedIncidents].map((id) => got.incidents.find((x) => x.id === id)?.scope ?? '?');
  // With nothing injected there is no scope to get right: the false outliers say how it went.
  const scopeRight = truth.scope === null ||
    (scopes.length === (truth.incidents ?? 1) && scopes.every((x) => x === truth.scope));
  return {
    scenario: name,
    calls: summary.totals.calls,
    injected: injected.length,
    found: matched.size,
    normal: summary.totals.calls - injected.length - (truth.excusedCalls ?? 0),
    falseOutliers,
    excused,
    incidents: got.incidents.length,
    scopes,
    scopeRight,
    judged: got.judged,
    unjudged: got.unjudged,
  };
}

/** Keep a scenario's directory when it missed its targets (say where), else remove it. */
export function settle(root: string, r: Score | undefined): void {
  if (r && (r.found < 0.95 * r.injected || !r.scopeRight)) process.stderr.write(`${r.scenario}: off target; its traces are kept in ${root}\n`);
  else removeDir(root);
}
