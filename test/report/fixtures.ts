/**
 * ReportData made up for the report tests: a realistic two-host incident, the
 * same with hostile strings in every trace-supplied field, and a huge one for
 * the size guard. Deterministic (seeded), so the golden outline is stable.
 */
import type { ReportData, ReportDay, ReportFile, ReportHeatCell, ReportIncident, ReportOutlier, ReportPoint } from '../../src/report/data.js';
import { mulberry32 as rng } from '../rng.js';

/** Strings that would run script or expressions if anything interpreted them. */
export const XSS = {
  script: '</script><img src=x onerror=alert(1)>',
  js: 'javascript:alert(1)',
  template: "{{constructor.constructor('alert(1)')()}}",
  vega: 'datum.x || alert(1)',
  svg: '<svg onload=alert(1)>',
  setFlag: '"><img src=x onerror="window.__xss=1">',
} as const;

interface FileSpec {
  path: string;
  host: string;
  pid: number;
  kind: string;
  /** Typical latency (ms) and bytes per sync. */
  ms: number;
  bytes: number;
  calls: number;
}

const START = Date.parse('2024-05-14T02:10:00.000Z');
const SPAN_MS = 2 * 3600 * 1000;
/** A device-wide stall on db-1, and one huge write interval on one file. */
const STALL = { start: START + 62 * 60_000, end: START + 62 * 60_000 + 45_000 };
const BIGWRITE = START + 95 * 60_000;

const iso = (ms: number) => new Date(ms).toISOString();

export interface FixtureOptions {
  /** Replace trace strings with XSS payloads. */
  hostile?: boolean;
  /** Format v2: 14 days of summarized history before the raw rings' two hours, alerts, recorder cost. */
  v2?: boolean;
}

/** The program each fixture process was started as. */
const PROGRAMS: Record<number, string> = { 2811: 'postgres', 2815: 'postgres', 3120: 'python3', 990: 'java', 1402: 'rsyslogd' };

export function sampleReport(options: FixtureOptions = {}): ReportData {
  const random = rng(42);
  const h = options.hostile;
  const db1 = h ? XSS.svg : 'db-1.prod';
  const db2 = 'db-2.prod';
  const specs: FileSpec[] = [
    { path: '/var/lib/postgresql/16/main/pg_wal/00000001000000A7000000C3', host: db1, pid: 2811, kind: 'fdatasync', ms: 1.2, bytes: 64_000, calls: 180_000 },
    { path: '/var/lib/postgresql/16/main/base/16384/2619', host: db1, pid: 2815, kind: 'fsync', ms: 4.5, bytes: 2_400_000, calls: 2_400 },
    { path: h ? `/srv/app/${XSS.script}` : '/srv/app/data/state.db', host: db1, pid: 3120, kind: 'fsync', ms: 2.1, bytes: 12_000, calls: 36_000 },
    { path: h ? `/srv/app/${XSS.template}-journal` : '/srv/app/data/state.db-journal', host: db1, pid: 3120, kind: 'fsync', ms: 1.8, bytes: 8_000, calls: 36_000 },
    { path: h ? `/tmp/${XSS.vega}` : '/var/lib/zookeeper/version-2/log.2000000a1', host: db2, pid: 990, kind: 'fsync', ms: 0.9, bytes: 4_096, calls: 90_000 },
    { path: h ? `/tmp/${XSS.js}` : '/var/lib/zookeeper/version-2/snapshot.2000000a0', host: db2, pid: 990, kind: 'fsync', ms: 35, bytes: 48_000_000, calls: 24 },
    { path: h ? `/tmp/${XSS.setFlag}` : '/var/log/app/audit.log', host: db2, pid: 1402, kind: 'fdatasync', ms: 0.4, bytes: 900, calls: 7_200 },
  ];

  const points: ReportPoint[] = [];
  const outliers: ReportOutlier[] = [];
  const failures: ReportData['failures'] = [];
  const files: ReportFile[] = [];
  const heat: ReportHeatCell[] = [];
  const bucketMs = 60_000;
  const sampleEvery = 40;
  let sampled = 0;

  for (const [fi, f] of specs.entries()) {
    const lat: number[] = [];
    let errors = 0;
    let totalBytes = 0;
    const perBucket = new Map<number, number[]>();
    for (let i = 0; i < f.calls; i++) {
      const t = START + Math.floor(((i + random()) / f.calls) * SPAN_MS);
      let ms = f.ms * Math.exp(0.45 * (random() + random() + random() - 1.5) * 2);
      let bytes = Math.round(f.bytes * (0.5 + random()));
      const onDb1 = fi <= 3;
      if (onDb1 && t >= STALL.start && t <= STALL.end) ms *= 120 + 400 * random();
      if (fi === 1 && Math.abs(t - BIGWRITE) < 20_000) {
        bytes *= 60;
        ms *= 80;
      }
      const failed = fi === 2 && onDb1 && t > STALL.start + 20_000 && t < STALL.start + 20_400;
      const baseline = f.ms;
      const outlier = !failed && (ms > baseline * 20 || ms > 1000);
      totalBytes += bytes;
      lat.push(ms);
      const b = Math.floor((t - START) / bucketMs);
      const list = perBucket.get(b) ?? [];
      list.push(ms);
      perBucket.set(b, list);
      if (failed) errors += 1;
      const keep = outlier || failed || i % sampleEvery === 0;
      if (keep) {
        if (!outlier && !failed) sampled += 1;
        points.push({
          path: f.path, host: f.host, start: iso(t), kind: f.kind, latencyMs: ms, bytes,
          baselineMs: i > 50 ? baseline : null, baselineP99Ms: i > 50 ? baseline * 3.2 : null, outlier, failed,
        });
      }
      if (outlier) {
        outliers.push({
          path: f.path, host: f.host, pid: f.pid, tid: f.pid + 3, program: PROGRAMS[f.pid] ?? 'app', family: f.path, kind: f.kind, start: iso(t), latencyMs: ms,
          baselineMs: baseline, baselineP99Ms: baseline * 3.2, cutoffMs: Math.max(10, baseline * 9.6), baselineSource: 'prior',
          ratio: ms / baseline, bytes, bytesRatio: bytes / f.bytes,
          reason: ms > baseline * 20 ? 'baseline' : 'threshold', cause: t < BIGWRITE - 60_000 ? 'slow' : 'write-volume',
          errnoName: null, incident: t < BIGWRITE - 60_000 ? 1 : 2,
        });
      }
      if (failed) {
        failures.push({ path: f.path, host: f.host, pid: f.pid, tid: f.pid + 1, program: PROGRAMS[f.pid] ?? 'app', incident: null, kind: f.kind, start: iso(t), errno: 5, errnoName: 'EIO' });
      }
    }
    lat.sort((a, b) => a - b);
    const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? 0;
    files.push({
      path: f.path, host: f.host, family: f.path, familyMembers: 1, calls: f.calls, byKind: { [f.kind]: f.calls }, errors, bytes: totalBytes,
      p50Ms: q(0.5), p99Ms: q(0.99), maxMs: lat[lat.length - 1] ?? 0,
    });
    for (const [b, list] of perBucket) {
      list.sort((a, b2) => a - b2);
      heat.push({
        path: f.path, host: f.host, bucket: iso(START + b * bucketMs), calls: list.length,
        p99Ms: list[Math.min(list.length - 1, Math.floor(0.99 * list.length))] ?? 0, maxMs: list[list.length - 1] ?? 0, failed: 0,
      });
    }
  }
  files.sort((a, b) => b.p99Ms - a.p99Ms);
  outliers.sort((a, b) => (b.ratio ?? 0) - (a.ratio ?? 0));
  points.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));

  const inc1 = outliers.filter((o) => o.incident === 1);
  const inc2 = outliers.filter((o) => o.incident === 2);
  const incident = (id: number, list: ReportOutlier[], scope: ReportIncident['scope'], cause: ReportIncident['cause']): ReportIncident => {
    const starts = list.map((o) => o.start).sort();
    const worst = list.reduce((w, o) => (o.latencyMs > w.latencyMs ? o : w), list[0]!);
    const paths = [...new Set(list.map((o) => o.path))];
    const pids = [...new Set(list.map((o) => o.pid))].sort((a, b) => a - b);
    return {
      id, start: starts[0]!, end: starts[starts.length - 1]!, outliers: list.length, failed: 0, files: paths.length, families: paths.length,
      processes: pids.length, activeProcesses: pids.length + 1, activeFamilies: paths.length + 1, hosts: new Set(list.map((o) => o.host)).size,
      host: worst.host, worstMs: worst.latencyMs, worstPath: worst.path, worstRatio: worst.ratio, scope, cause, paths, pids,
      programs: [...new Set(list.map((o) => o.program))].sort(), errnos: [],
    };
  };
  const incidents = [incident(1, inc1, 'device', 'slow'), incident(2, inc2, 'file', 'write-volume')];
  const byKind: Record<string, number> = {};
  for (const f of files) for (const [k, n] of Object.entries(f.byKind)) byKind[k] = (byKind[k] ?? 0) + n;

  const traces: ReportData['traces'] = [
    { file: '/dev/shm/fsync-trace/db-1.prod-2811.ftr', host: db1, pid: 2811, exe: '/usr/lib/postgresql/16/bin/postgres', cmdline: 'postgres: walwriter', records: 190_210, dropped: 0, torn: 0 },
    { file: '/dev/shm/fsync-trace/db-1.prod-2815.ftr', host: db1, pid: 2815, exe: '/usr/lib/postgresql/16/bin/postgres', cmdline: 'postgres: checkpointer', records: 2_611, dropped: 0, torn: 0 },
    { file: '/dev/shm/fsync-trace/db-1.prod-3120.ftr', host: db1, pid: 3120, exe: h ? `/opt/${XSS.script}` : '/usr/bin/python3.11', cmdline: h ? `python3 app.py --name '${XSS.script}' ${XSS.svg} ${XSS.template}` : 'python3 /srv/app/worker.py --queue default', records: 74_402, dropped: 0, torn: 1 },
    { file: '/dev/shm/fsync-trace/db-2.prod-990.ftr', host: db2, pid: 990, exe: '/usr/lib/jvm/java-17-openjdk-amd64/bin/java', cmdline: h ? `java ${XSS.vega} ${XSS.js}` : 'java -Dzookeeper.log.dir=/var/log/zookeeper -cp /usr/share/java/zookeeper.jar org.apache.zookeeper.server.quorum.QuorumPeerMain /etc/zookeeper/conf/zoo.cfg', records: 91_003, dropped: 1_204, torn: 0 },
    { file: '/dev/shm/fsync-trace/db-2.prod-1402.ftr', host: db2, pid: 1402, exe: '/usr/bin/rsyslogd', cmdline: 'rsyslogd -n -iNONE', records: 7_310, dropped: 0, torn: 0 },
  ].map((t) => ({ ...t, program: t.cmdline.split(' ')[0]!.split('/').pop()!, syncs: t.records, start: iso(START), end: iso(START + SPAN_MS) }));

  const ringCalls = files.reduce((s, f) => s + f.calls, 0);
  const v2 = options.v2 ? longHistory(files, outliers, random, h === true) : null;
  if (v2) {
    for (const f of files) {
      f.ringCalls = f.calls;
      f.calls += v2.extra.get(f) ?? 0;
    }
  }
  const calls = files.reduce((s, f) => s + f.calls, 0);
  const worst = outliers[0] ?? null;
  return {
    ...(v2 ? { history: { ...v2.history, ringCalls, summarizedCalls: calls - ringCalls }, alerts: v2.alerts, overhead: v2.overhead } : {}),
    generatedAt: '2024-05-14T05:00:00.000Z',
    traces,
    range: { start: iso(START), end: iso(START + SPAN_MS) },
    totals: {
      hosts: 2, processes: traces.length, files: files.length, calls, byKind,
      errors: failures.length, outliers: outliers.length, incidents: incidents.length,
    },
    worst,
    files,
    points,
    pointsOmitted: calls - sampled - outliers.length - failures.length,
    heat,
    heatBucketSeconds: bucketMs / 1000,
    incidents,
    outliers: outliers.slice(0, 100),
    failures,
    params: { windowSeconds: 3600, thresholdMs: 1000, factor: 3, floorMs: 10, minHistory: 50 },
    judgement: { judged: calls - 1200, unjudged: 1200, reasons: { 'few calls': 1100, 'no file': 100 }, sources: { prior: calls - 1300, recording: 100 } },
  };
}

/**
 * The format-v2 parts: daily p50/p99 of every file over the 14 days before the
 * raw rings' span (the last three days slower on db-1), the alerts (the
 * slowest outliers, every third one's line suppressed, and two kept from days
 * before), the recorder's cost.
 */
function longHistory(files: ReportFile[], outliers: ReportOutlier[], random: () => number, hostile: boolean) {
  const days: ReportDay[] = [];
  const extra = new Map<ReportFile, number>();
  const first = START - 14 * 86_400_000;
  for (const f of files) {
    let added = 0;
    for (let d = 0; d < 15; d++) {
      const day = new Date(first + d * 86_400_000).toISOString().slice(0, 10);
      const slow = f.host !== 'db-2.prod' && d >= 11 && d < 14 ? 2.5 : 1;
      const callsThatDay = Math.round((f.ringCalls ?? f.calls) * 12 * (0.8 + 0.4 * random()));
      if (d < 14) added += callsThatDay;
      days.push({
        path: f.path, host: f.host, day, calls: callsThatDay,
        p50Ms: f.p50Ms * slow * (0.9 + 0.2 * random()), p99Ms: f.p99Ms * slow * (0.9 + 0.4 * random()), maxMs: f.maxMs * slow,
      });
    }
    extra.set(f, added);
  }
  const byTime = outliers.slice(0, 12).sort((a, b) => (a.start < b.start ? -1 : 1));
  const list: NonNullable<ReportData['alerts']>['list'] = [
    { start: iso(first + 3 * 86_400_000 + 4_000_000), path: files[0]!.path, host: files[0]!.host, pid: 2811, exe: '/usr/lib/postgresql/16/bin/postgres', program: 'postgres', kind: 'fdatasync', latencyMs: 2210, error: null, suppressed: false, source: 'keep' },
    { start: iso(first + 9 * 86_400_000 + 7_000_000), path: files[2]!.path, host: files[2]!.host, pid: 3120, exe: hostile ? `/opt/${XSS.script}` : '/usr/bin/python3.11', program: hostile ? XSS.script : 'worker.py', kind: 'fsync', latencyMs: 35, error: 'EIO', suppressed: true, source: 'keep' },
    ...byTime.map((o, i) => ({
      start: o.start, path: o.path, host: o.host, pid: o.pid, exe: '/usr/lib/postgresql/16/bin/postgres', program: o.program, kind: o.kind,
      latencyMs: o.latencyMs, error: null, suppressed: i % 3 === 2, source: 'ring' as const,
    })),
  ];
  const suppressed = list.filter((a) => a.suppressed).length;
  return {
    history: { start: iso(first), end: iso(START + 2 * 3600 * 1000), days },
    alerts: { written: list.length - suppressed, suppressed, total: list.length, list },
    overhead: { nsPerCall: 83.25, syncShare: 0.0123, samples: 4120, calls: 263_000, startup: { nsPerCall: 1450, samples: 20, calls: 1200, traces: 5 } },
    extra,
  };
}

/**
 * A report with `n` points over 50 files, `outliers` of them outliers, plus
 * long hostile strings: what a week of a busy server could hand the renderer
 * if the query layer did not sample at all.
 */
export function hugeReport(n: number, outlierCount: number): ReportData {
  const base = sampleReport();
  const random = rng(7);
  const start = Date.parse(base.range!.start);
  const longPath = (i: number) => `/data/${'deep/'.repeat(150)}${XSS.script}/file-${i}`;
  const paths = Array.from({ length: 50 }, (_, i) => longPath(i));
  const isoCache = new Map<number, string>();
  const points: ReportPoint[] = new Array(n);
  const every = Math.max(1, Math.floor(n / outlierCount));
  let outliers = 0;
  for (let i = 0; i < n; i++) {
    const t = start + Math.floor((i / n) * 7 * 86_400_000);
    const sec = Math.floor(t / 1000) * 1000;
    let s = isoCache.get(sec);
    if (s === undefined) {
      s = new Date(sec).toISOString();
      isoCache.set(sec, s);
    }
    const outlier = i % every === 0 && outliers < outlierCount;
    if (outlier) outliers += 1;
    points[i] = {
      path: paths[i % 50]!, start: s, kind: 'fsync', latencyMs: outlier ? 500 + random() * 1000 : random() * 3,
      bytes: Math.floor(random() * 100_000), baselineMs: 1, baselineP99Ms: 3, outlier, failed: false,
    };
  }
  const files: ReportFile[] = paths.map((path, i) => ({
    path, host: 'h', family: path, familyMembers: 1, calls: Math.ceil(n / 50), byKind: { fsync: Math.ceil(n / 50) }, errors: 0, bytes: 1e9, p50Ms: 1, p99Ms: 3 + i, maxMs: 2000,
  }));
  const heat: ReportHeatCell[] = [];
  for (let b = 0; b < 7 * 24 * 60; b += 1) {
    for (let f = 0; f < 50; f += 1) heat.push({ path: paths[f]!, bucket: new Date(start + b * 60_000).toISOString(), calls: 100, p99Ms: 2 + (b % 7), maxMs: 9, failed: 0 });
  }
  const bigOutlier = (i: number): ReportOutlier => ({
    path: paths[i % 50]!, host: 'h'.repeat(300), pid: i, tid: i, program: XSS.script, family: paths[i % 50]!, kind: 'fsync', start: base.range!.start, latencyMs: 900,
    baselineMs: 1, baselineP99Ms: 3, cutoffMs: 10, baselineSource: 'prior', ratio: 900, bytes: 1, bytesRatio: 1, reason: 'baseline', cause: 'slow',
    errnoName: null, incident: 1,
  });
  return {
    ...base,
    traces: Array.from({ length: 5000 }, (_, i) => ({
      file: longPath(i), host: 'h', pid: i, exe: longPath(i), program: XSS.script, syncs: i % 3, cmdline: `${XSS.script} `.repeat(500), start: null, end: null, records: n, dropped: 0, torn: 0,
    })),
    totals: { ...base.totals, files: 50, calls: n * 10, outliers, incidents: 5000 },
    files,
    points,
    pointsOmitted: n * 9,
    heat,
    heatBucketSeconds: 60,
    incidents: Array.from({ length: 5000 }, (_, i) => ({ ...base.incidents[0]!, id: i + 1, paths })),
    outliers: Array.from({ length: 10_000 }, (_, i) => bigOutlier(i)),
    failures: [],
  };
}
