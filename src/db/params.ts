/**
 * The knobs of the analysis: what counts as a baseline, an outlier and an
 * incident. The defaults are here once; cli.ts turns options into these, and
 * `bindings` turns these into the `$parameters` of queries/.
 */
import { BIGINT, DOUBLE, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { FtError } from '../errors.js';

export interface AnalysisParams {
  /** How far back a sync's baseline looks, in seconds. */
  windowSeconds: number;
  /** Every sync at least this slow is an outlier, whatever its baseline (ms). ZooKeeper warns at 1000. */
  thresholdMs: number;
  /** Slower than the baseline median by more than this many robust standard deviations (1.4826 MAD)... */
  margin: number;
  /** ... and more than this many times the median ... */
  ratio: number;
  /** ... and at least this slow (ms), so that microsecond noise on tmpfs is not flagged. */
  floorMs: number;
  /** Syncs a file needs in its window for a baseline of its own; with fewer, its device's is used. */
  minHistory: number;
  /** Outliers on one device closer than this (seconds) belong to one incident. */
  gapSeconds: number;
  /** A slow sync that flushed this many times its file's usual bytes, and no slower per byte, is 'write-volume'. */
  volumeRatio: number;
}

export const DEFAULT_PARAMS: Readonly<AnalysisParams> = {
  windowSeconds: 600,
  thresholdMs: 1000,
  margin: 10,
  ratio: 10,
  floorMs: 1,
  minHistory: 20,
  gapSeconds: 5,
  volumeRatio: 10,
};

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

const UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, min: 60, h: 3600, d: 86400 };

/** "10m", "90s", "1.5h", "250ms"; a bare number is in `bareUnit`. */
export function parseDuration(text: string, bareUnit: 's' | 'ms' = 's'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zµ]*)\s*$/i.exec(text);
  const unit = (m?.[2] || bareUnit).toLowerCase();
  if (!m || UNITS[unit] === undefined) {
    throw new FtError(`not a duration: '${text}' (expected e.g. 10m, 90s, 250ms, 1h)`);
  }
  const seconds = Number(m[1]) * UNITS[unit]!;
  return bareUnit === 'ms' ? seconds * 1000 : seconds;
}

/** A number within [min, max]. */
export function parseNumber(text: string, what: string, min: number, max = Infinity): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new FtError(`${what} must be a number from ${min}${max === Infinity ? '' : ` to ${max}`}, not '${text}'`);
  }
  return n;
}
