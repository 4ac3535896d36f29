/**
 * The report's "Durability" section: the durability lint's findings
 * (queries/97_lint.sql), one row per rule, file family and process, with the
 * events behind each. Every string from a trace goes through esc(),
 * traceText() or pathText().
 */
import { bytes, count, time } from './format.js';
import { esc, pathText, traceText } from './html.js';
import { table, type Column } from './tables.js';

/** One event behind a finding (src/db/lint.ts's Evidence). */
export interface ReportEvidence {
  at: string;
  event: string;
  path: string | null;
  to: string | null;
  fd: number;
  error: string | null;
  bytes: number | null;
}

/** One finding (src/db/lint.ts's Finding). */
export interface ReportFinding {
  rule: string;
  host: string;
  pid: number;
  exe: string;
  path: string;
  family: string;
  files: number;
  at: string;
  last: string;
  count: number;
  detail: string;
  evidence: ReportEvidence[];
}

/** What each rule means, and its fix, in a sentence each. */
export const RULES: Record<string, { means: string; fix: string }> = {
  'rename-before-sync': {
    means: 'renamed or linked to a name while bytes written to it were not durable: after a crash the name can point at an empty file',
    fix: 'fsync the file before the rename or link',
  },
  'dir-not-synced': {
    means: 'a file the process syncs was created, renamed or linked into a directory the process never synced afterwards: a crash can lose the name',
    fix: 'fsync the directory after creating or renaming into it',
  },
  'unsynced-at-close': {
    means: 'a file the process syncs was closed, or left open at exit, with writes after its last sync',
    fix: 'sync before the last close',
  },
  'write-after-failed-sync': {
    means: 'after a sync of the file failed, the process synced or wrote it again without reopening it: the kernel may have dropped the data, and a later sync can succeed anyway',
    fix: 'treat a failed sync as lost data: stop, or rebuild the file from a durable source',
  },
};

/** Findings shown at most; the rest are counted. */
export const MAX_FINDINGS = 100;

function evidenceLine(e: ReportEvidence): string {
  const name = e.to === null ? pathText(e.path ?? '(unknown)', 90) : `${pathText(e.path ?? '(unknown)', 60)} → ${pathText(e.to, 60)}`;
  const error = e.error === null ? '' : ` <strong class="hot">${traceText(e.error, 24)}</strong>`;
  const amount = e.bytes === null || e.event === 'open' ? '' : e.event === 'close' || e.event === 'exit' ? `, ${esc(bytes(e.bytes))} never synced` : `, ${esc(bytes(e.bytes))} written since the last sync`;
  const fd = e.fd >= 0 ? ` fd ${e.fd}` : '';
  return `<li><span class="nowrap">${esc(time(e.at))}</span> ${traceText(e.event, 24)} <span class="path">${name}</span>${esc(fd)}${error}${amount}</li>`;
}

function timesCell(f: ReportFinding): string {
  if (f.count === 1) return `once, ${esc(time(f.at))}`;
  return `${count(f.count)} times${f.files > 1 ? ` on ${count(f.files)} files` : ''}<br>${esc(time(f.at))}<br>→ ${esc(time(f.last))}`;
}

/** The section's body: what the rules mean, then the findings, or a sentence when there are none. */
export function durabilitySection(findings: ReportFinding[]): string {
  const rows = findings.slice(0, MAX_FINDINGS);
  const columns: Column<ReportFinding>[] = [
    { head: 'Rule', cell: (f) => `<span class="badge amber" title="${esc(RULES[f.rule]?.fix ?? '')}">${traceText(f.rule, 40)}</span>`, nowrap: true },
    { head: 'File', cell: (f) => `<span class="path">${pathText(f.path, 90)}</span>${f.files > 1 ? `<br><span class="note">family ${pathText(f.family, 90)}</span>` : ''}` },
    { head: 'Process', cell: (f) => `${traceText(f.exe.split('/').pop() || f.exe, 40)} ${f.pid}<br>${traceText(f.host, 40)}`, nowrap: true },
    { head: 'When', cell: timesCell, nowrap: true },
    { head: 'What happened (the first time)', cell: (f) => `${traceText(f.detail, 400)}<ul class="evidence">${f.evidence.map(evidenceLine).join('')}</ul>` },
  ];
  const rules = Object.entries(RULES).map(([id, r]) => `<li><b>${esc(id)}</b>: ${esc(r.means)}. Fix: ${esc(r.fix)}.</li>`).join('');
  const intro = `<p class="note">Writes a crash would lose, from the same events: one finding per rule, file family and process. ` +
    `A program that never syncs a file is not judged on it.</p>\n<ul class="note">${rules}</ul>`;
  const more = findings.length > rows.length ? `<p class="note">Showing ${count(rows.length)} of ${count(findings.length)} findings.</p>` : '';
  return `${intro}\n${table('durability-table', columns, rows, 'No durability findings in these traces.')}${more}`;
}
