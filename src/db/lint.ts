/**
 * The durability lint (queries/90_lint_events.sql to 97_lint.sql), read back as
 * plain objects: one finding per rule, file family and process.
 */
import type { JS } from '@duckdb/node-api';
import type { Bindings } from './queries.js';
import type { Session } from './session.js';
import { errnoName, isoFromNs, num, numOrNull } from './values.js';

export const LINT_RULES = ['rename-before-sync', 'dir-not-synced', 'unsynced-at-close', 'write-after-failed-sync'] as const;
export type LintRule = (typeof LINT_RULES)[number];

/** One event behind a finding. */
export interface Evidence {
  at: string;
  /** 'open', 'close', 'exit' (a file left open at exit), 'rename', 'link', 'unlink', or a sync kind ('fsync', 'fdatasync', ...). */
  event: string;
  path: string | null;
  /** A rename's new name. */
  to: string | null;
  fd: number;
  res: number;
  /** The errno's name when the call failed. */
  error: string | null;
  /** Unsynced bytes (close), bytes made durable (sync); null otherwise. */
  bytes: number | null;
}

export interface Finding {
  rule: LintRule;
  host: string;
  pid: number;
  exe: string;
  family: string;
  path: string;
  /** First and last occurrence, ISO 8601 UTC. */
  at: string;
  last: string;
  count: number;
  files: number;
  detail: string;
  evidence: Evidence[];
}

/**
 * The findings of the data loaded. Which occurrences count is what --since,
 * --until and --path chose (filter_window); the rules judge them on the events
 * those filters cut away too (events_context), so a rename inside the window is
 * judged with the close before it, a close with the sync after the window, and a
 * file's directory sync is seen whatever --path names.
 */
export async function readFindings(session: Session, bindings: Bindings): Promise<Finding[]> {
  await session.build(['lint'], bindings);
  const rows = await session.rows(`
    select * exclude (first_at, last_at, evidence),
      epoch_ns(first_at) as at_ns,
      epoch_ns(last_at) as last_ns,
      list_transform(evidence, lambda e: struct_insert(e, time_ns := epoch_ns(e.time))) as evidence
    from lint`);
  return rows.map((r) => ({
    rule: String(r.rule) as LintRule,
    host: String(r.host),
    pid: num(r.pid),
    exe: String(r.exe),
    family: String(r.family),
    path: String(r.path),
    at: isoFromNs(r.at_ns)!,
    last: isoFromNs(r.last_ns)!,
    count: num(r.count),
    files: num(r.files),
    detail: String(r.detail),
    evidence: (r.evidence as Record<string, JS>[]).map(evidence),
  }));
}

function evidence(e: Record<string, JS>): Evidence {
  const res = num(e.res);
  return {
    at: isoFromNs(e.time_ns)!,
    event: String(e.event),
    path: e.path === null ? null : String(e.path),
    to: e.to === null ? null : String(e.to),
    fd: num(e.fd),
    res,
    error: res < 0 ? errnoName(-res) : null,
    bytes: numOrNull(e.bytes),
  };
}
