/**
 * The knobs of the analysis: what counts as a baseline, an outlier and an
 * incident. The defaults are here once; cli.ts turns options into these, and
 * `bindings` turns these into the `$parameters` of queries/.
 */
import { BIGINT, DOUBLE, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';

export { DEFAULT_PARAMS, parseDuration, parseNumber, type AnalysisParams } from './knobs.js';
import type { AnalysisParams } from './knobs.js';

/**
 * Baselines are counted in time buckets (queries/20_baselines.sql): a tenth of
 * the window, or less for a short recording (about a fortieth of its span, at
 * least 10 ms), so that the neighbourhood left out of a 'recording' baseline
 * (the call's bucket and one either side) stays small: a ZooKeeper run whose
 * 402 syncs take 0.85 s is judged in 50-ms buckets.
 */
export const BUCKETS_PER_WINDOW = 10;
const BUCKETS_PER_SPAN = 40;
const NEAR_BUCKETS = 1;
const NICE_BUCKET_SECONDS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 3, 5, 10, 15, 30, 60, 120, 300, 600];

/** The bucket width in seconds for a window and the span of the data (unknown: a tenth of the window). */
export function bucketSeconds(windowSeconds: number, spanSeconds?: number): number {
  const tenth = windowSeconds / BUCKETS_PER_WINDOW;
  if (spanSeconds === undefined || !Number.isFinite(spanSeconds)) return tenth;
  const want = spanSeconds / BUCKETS_PER_SPAN;
  return Math.min(tenth, NICE_BUCKET_SECONDS.find((s) => s >= want) ?? tenth);
}

const NS_PER_S = 1_000_000_000;

/** What the report's queries draw (queries/70_heat.sql, 80_points.sql), and how much of it. */
export interface ReportParams {
  heatBucketSeconds: number;
  heatFiles: number;
  /** Normal syncs sampled as points. */
  maxPoints: number;
  /** Outliers drawn as points, the worst first. */
  maxOutliers: number;
}

export const DEFAULT_REPORT_PARAMS: Readonly<ReportParams> = {
  heatBucketSeconds: 60,
  heatFiles: 40,
  maxPoints: 4000,
  maxOutliers: 5000,
};

/** Every `$parameter` of queries/, by name, with its SQL type. */
export function bindings(
  p: AnalysisParams,
  r: ReportParams = DEFAULT_REPORT_PARAMS,
  spanSeconds?: number,
): Record<string, { value: DuckDBValue; type: DuckDBType }> {
  const bucketNs = Math.max(1, Math.round(bucketSeconds(p.windowSeconds, spanSeconds) * NS_PER_S));
  const windowNs = Math.round(p.windowSeconds * NS_PER_S);
  const windowBuckets = Math.max(1, Math.round(windowNs / bucketNs));
  const spanBuckets = spanSeconds === undefined ? windowBuckets : Math.ceil((spanSeconds * NS_PER_S) / bucketNs) + 1;
  return {
    heat_bucket_ns: { value: BigInt(Math.round(r.heatBucketSeconds * NS_PER_S)), type: BIGINT },
    heat_files: { value: BigInt(r.heatFiles), type: BIGINT },
    max_points: { value: BigInt(r.maxPoints), type: BIGINT },
    max_outliers: { value: BigInt(r.maxOutliers), type: BIGINT },
    window_ns: { value: BigInt(windowNs), type: BIGINT },
    bucket_ns: { value: BigInt(bucketNs), type: BIGINT },
    buckets: { value: BigInt(Math.min(windowBuckets, spanBuckets)), type: BIGINT },
    near: { value: BigInt(NEAR_BUCKETS), type: BIGINT },
    threshold_ms: { value: p.thresholdMs, type: DOUBLE },
    factor: { value: p.factor, type: DOUBLE },
    floor_ms: { value: p.floorMs, type: DOUBLE },
    min_history: { value: BigInt(p.minHistory), type: BIGINT },
    gap_ns: { value: BigInt(Math.round(p.gapSeconds * NS_PER_S)), type: BIGINT },
    volume_ratio: { value: p.volumeRatio, type: DOUBLE },
  };
}
