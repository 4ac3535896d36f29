/**
 * What the HTML report shows: everything the query layer (src/db/) hands to
 * the renderer (src/report/). Times are ISO 8601 UTC strings; latencies are
 * milliseconds. The renderer never queries; the query layer never formats.
 */
import type { ReportFinding } from './durability.js';

export interface ReportData {
  /** When the report was made (ISO 8601 UTC). */
  generatedAt: string;
  /** Trace files read, with what each held. */
  traces: ReportTrace[];
  /** First and last sync in the data, or null when there is none. */
  range: { start: string; end: string } | null;
  totals: ReportTotals;
  /** The outlier with the greatest latency over baseline ratio (or latency), or null. */
  worst: ReportOutlier | null;
  /** Per-file statistics, slowest p99 first. */
  files: ReportFile[];
  /** Latency points for the charts: every outlier and failed call, normal calls sampled. */
  points: ReportPoint[];
  /** How many normal calls `points` leaves out (sampled away). */
  pointsOmitted: number;
  /** Per file and time bucket, for the heat map. */
  heat: ReportHeatCell[];
  /** Width of one heat-map bucket, in seconds. */
  heatBucketSeconds: number;
  incidents: ReportIncident[];
  /** Top outliers, worst first (capped; `totals.outliers` has the count). */
  outliers: ReportOutlier[];
  /** Failed sync calls (capped; `totals.errors` has the count). */
  failures: ReportFailure[];
  /** Parameters the analysis ran with, shown in the report's footer. */
  params: { windowSeconds: number; thresholdMs: number; factor: number; floorMs: number; minHistory: number };
  /** How many calls were judged against a baseline, and why the others were not. */
  judgement: ReportJudgement;
  /** Format v2: the summarized history, when the traces hold summaries (absent or null otherwise). */
  history?: ReportHistory | null;
  /** Format v2: the alerts the recorder raised, when its traces say it could (absent or null otherwise). */
  alerts?: ReportAlerts | null;
  /** Format v2: the recorder's cost, when the traces hold cost entries (absent or null otherwise). */
  overhead?: ReportOverhead | null;
  /** The durability lint's findings (absent when not computed). */
  durability?: ReportFinding[];
  /** The Node hook's calls per call site and API (absent or empty without any). */
  nodeSites?: ReportNodeSite[];
}

/**
 * One call site of a Node program and one API: what the program waited for,
 * and what the system calls under it took (queries/57_js_call_sites.sql).
 */
export interface ReportNodeSite {
  host: string;
  /** 'file:line', or null for the calls whose site was not captured. */
  site: string | null;
  /** 'js:fs.fsync', 'js:filehandle.sync', ... */
  kind: string;
  calls: number;
  errors: number;
  /** Calls whose own stack named the site (the hook samples stacks; the rest inherited it). */
  captured: number;
  /** Calls paired with their system call. */
  paired: number;
  /** Calls left unpaired: their run held syncs no Node call asked for, not told from their own. */
  ambiguous: number;
  waitP50Ms: number;
  waitP99Ms: number;
  syncP50Ms: number | null;
  syncP99Ms: number | null;
  /** Totals over the paired calls: their wait, their system calls, before and after them. */
  waitMs: number;
  syncMs: number;
  queuedMs: number;
  deliveryMs: number;
  /** (waitMs - syncMs) / waitMs, null when none paired. */
  queuedShare: number | null;
  paths: string[];
}

export interface ReportHistory {
  /** The summarized span: first interval's start, last one's end. */
  start: string;
  end: string;
  /** Per file and UTC day, from the summary histograms. */
  days: ReportDay[];
  /** Calls that only the summaries hold (the raw rings rotated them away). */
  summarizedCalls: number;
  /** Calls the raw rings hold. */
  ringCalls: number;
  /** Calls the traces prove happened but no summary or record counts (absent: 0). */
  unaccounted?: number;
}

export interface ReportDay {
  path: string;
  /** The host, when the data spans several (as in ReportPoint). */
  host?: string;
  /** YYYY-MM-DD (UTC). */
  day: string;
  calls: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface ReportAlerts {
  /** Alert lines the recorders wrote, and alerts they did not write (their header counters). */
  written: number;
  suppressed: number;
  /** Of the suppressed, lines no sink could take (not the rate limit); traces that wrote to the fallback file. */
  unsent?: number;
  fallback?: number;
  /** Alerted calls the traces hold (the keep ring holds every one it had room for). */
  total: number;
  /** The alerted calls, in time order (capped). */
  list: ReportAlert[];
}

export interface ReportAlert {
  start: string;
  path: string;
  host: string;
  pid: number;
  exe: string;
  /** The program's name as users know it (comm). */
  program: string;
  kind: string;
  latencyMs: number;
  /** The errno name when the call failed. */
  error: string | null;
  suppressed: boolean;
  /** 'keep' when only the keep ring holds it (from before the raw ring's span). */
  source: 'ring' | 'keep';
}

export interface ReportJudgement {
  judged: number;
  unjudged: number;
  /** Unjudged calls by why: 'few calls' (too little history for the file family), 'no file'. */
  reasons: Record<string, number>;
  /** Judged calls by what their baseline rests on: 'prior' (the family's own history before them), 'recording' (the rest of the recording), 'burst' (the rest of their burst). */
  sources: Record<string, number>;
}

export interface ReportOverhead {
  /** The recorder's own time per intercepted call, in ns, once running (null when no trace ran past its first summary interval). */
  nsPerCall: number | null;
  /** That time for every intercepted call, as a share of the time spent in sync calls (0.04 = 4%). */
  syncShare: number | null;
  samples: number;
  calls: number;
  /** The first summary interval of each trace: start-up costs included. */
  startup: { nsPerCall: number | null; samples: number; calls: number; traces: number } | null;
}

export interface ReportTrace {
  file: string;
  host: string;
  pid: number;
  exe: string;
  /** The program's name as users know it (the kernel's comm), beside the resolved exe. */
  program: string;
  /** Sync calls the trace holds. */
  syncs: number;
  cmdline: string;
  start: string | null;
  end: string | null;
  records: number;
  dropped: number;
  torn: number;
}

export interface ReportTotals {
  hosts: number;
  processes: number;
  files: number;
  calls: number;
  byKind: Record<string, number>;
  errors: number;
  outliers: number;
  incidents: number;
  /**
   * Ring records overwritten in traces with no summaries to count them (format v1, or
   * summaries off), and those traces: the calls among them are in no count (absent: none).
   */
  uncountedRecords?: number;
  uncountedTraces?: number;
}

export interface ReportFile {
  path: string;
  host: string;
  /** Its file family (names that differ in a number or a random part): the pattern, or the path for a family of one. */
  family: string;
  familyMembers: number;
  calls: number;
  byKind: Record<string, number>;
  errors: number;
  bytes: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Calls the raw ring holds (what the charts draw from), when not all of `calls` (format v2). */
  ringCalls?: number;
}

export interface ReportPoint {
  path: string;
  /** The host, when the data spans several (same path on two hosts = two files). */
  host?: string;
  start: string;
  kind: string;
  latencyMs: number;
  bytes: number;
  /** The file's baseline at that moment (median and p99), when it had one. */
  baselineMs: number | null;
  baselineP99Ms: number | null;
  outlier: boolean;
  failed: boolean;
}

export interface ReportHeatCell {
  path: string;
  /** The host, when the data spans several (as in ReportPoint). */
  host?: string;
  bucket: string;
  calls: number;
  p99Ms: number;
  maxMs: number;
  /** Failed calls in the bucket. */
  failed: number;
}

export interface ReportIncident {
  id: number;
  start: string;
  end: string;
  outliers: number;
  failed: number;
  files: number;
  families: number;
  processes: number;
  /** Processes and file families that synced on the device during the incident. */
  activeProcesses: number;
  activeFamilies: number;
  hosts: number;
  host: string;
  worstMs: number;
  worstPath: string;
  /** The greatest latency over its baseline median among its outliers. */
  worstRatio: number | null;
  /** 'file' (one file family), 'process' (several files of one process), 'device' (several processes at once). */
  scope: 'file' | 'process' | 'device';
  cause: 'slow' | 'failed' | 'write-volume';
  paths: string[];
  pids: number[];
  programs: string[];
  errnos: string[];
}

export interface ReportOutlier {
  path: string;
  host: string;
  pid: number;
  tid: number;
  program: string;
  family: string;
  /** What its baseline rests on: its family's history before it, or the rest of the recording. */
  baselineSource: 'prior' | 'recording' | 'burst' | null;
  baselineP99Ms: number | null;
  cutoffMs: number | null;
  cause: 'slow' | 'failed' | 'write-volume';
  errnoName: string | null;
  kind: string;
  start: string;
  latencyMs: number;
  baselineMs: number | null;
  /** latency / baseline, or null without a baseline. */
  ratio: number | null;
  bytes: number;
  /** How many times the file's usual bytes per sync this one flushed, or null. */
  bytesRatio: number | null;
  reason: 'baseline' | 'threshold' | 'failed';
  incident: number | null;
}

export interface ReportFailure {
  path: string;
  host: string;
  pid: number;
  tid: number;
  program: string;
  incident: number | null;
  kind: string;
  start: string;
  errno: number;
  errnoName: string;
}
