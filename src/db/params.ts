/**
 * The knobs of the analysis: what counts as a baseline, an outlier and an
 * incident. The defaults are here once; cli.ts turns options into these, and
 * `bindings` turns these into the `$parameters` of queries/.
 */
import { BIGINT, DOUBLE, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';

export { DEFAULT_PARAMS, parseDuration, parseNumber, type AnalysisParams } from './knobs.js';
import type { AnalysisParams } from './knobs.js';

/** Baseline windows are counted in buckets of a tenth of the window (queries/20_baselines.sql). */
export const BUCKETS_PER_WINDOW = 10;

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
export function bindings(p: AnalysisParams, r: ReportParams = DEFAULT_REPORT_PARAMS): Record<string, { value: DuckDBValue; type: DuckDBType }> {
  const windowNs = Math.round(p.windowSeconds * NS_PER_S);
  return {
    heat_bucket_ns: { value: BigInt(Math.round(r.heatBucketSeconds * NS_PER_S)), type: BIGINT },
    heat_files: { value: BigInt(r.heatFiles), type: BIGINT },
    max_points: { value: BigInt(r.maxPoints), type: BIGINT },
    max_outliers: { value: BigInt(r.maxOutliers), type: BIGINT },
    window_ns: { value: BigInt(windowNs), type: BIGINT },
    bucket_ns: { value: BigInt(Math.max(1, Math.round(windowNs / BUCKETS_PER_WINDOW))), type: BIGINT },
    buckets: { value: BigInt(BUCKETS_PER_WINDOW), type: BIGINT },
    threshold_ms: { value: p.thresholdMs, type: DOUBLE },
    margin: { value: p.margin, type: DOUBLE },
    ratio: { value: p.ratio, type: DOUBLE },
    floor_ms: { value: p.floorMs, type: DOUBLE },
    min_history: { value: BigInt(p.minHistory), type: BIGINT },
    gap_ns: { value: BigInt(Math.round(p.gapSeconds * NS_PER_S)), type: BIGINT },
    volume_ratio: { value: p.volumeRatio, type: DOUBLE },
  };
}
