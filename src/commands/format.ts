/**
 * Output for people and for programs: aligned text tables, numbers and sizes
 * in readable units, and JSON.
 */

export interface Column {
  title: string;
  /** Numbers read best right-aligned. */
  align?: 'left' | 'right';
}

/** Rows of cells under their titles, columns padded to the widest cell. */
export function table(columns: readonly Column[], rows: readonly string[][]): string {
  // A loop, not Math.max(...cells): spreading ~120 k rows as arguments overflows the stack (intervals --limit 0).
  const widths = columns.map((c, i) => rows.reduce((w, r) => Math.max(w, width(r[i] ?? '')), width(c.title)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (columns[i]!.align === 'right' ? pad(cell, widths[i]!, true) : pad(cell, widths[i]!, false)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.title)), ...rows.map(line)].join('\n') + '\n';
}

function width(s: string): number {
  return [...s].length;
}

function pad(s: string, w: number, left: boolean): string {
  const fill = ' '.repeat(Math.max(0, w - width(s)));
  return left ? fill + s : s + fill;
}

/** Milliseconds with about three significant digits: 0.0123, 4.56, 789, 12345. */
export function ms(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '-';
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 100) return v.toFixed(0);
  if (abs >= 10) return v.toFixed(1);
  if (abs >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

/** Bytes in binary units: 512 B, 4.0 KiB, 1.5 GiB. */
export function bytes(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let n = v;
  let u = 0;
  while (Math.abs(n) >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${n.toFixed(1)} ${units[u]}`;
}

const COUNT = new Intl.NumberFormat('en-US');

export function count(v: number): string {
  return COUNT.format(v);
}

/** "1 sync call", "2 sync calls": a count and a noun, plural past one. */
export function plural(n: number, noun: string): string {
  return `${count(n)} ${noun}${n === 1 ? '' : 's'}`;
}

/** A ratio like 12.3x. */
export function times(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '-';
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)}x`;
}

/** Call counts by kind, most first: "fsync 1,200, fdatasync 3". */
export function kinds(byKind: Record<string, number>): string {
  return Object.entries(byKind)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, n]) => `${k} ${count(n)}`)
    .join(', ');
}

/** An ISO 8601 timestamp shortened for a table: 2026-01-01 00:00:01.234. */
export function when(iso: string | null): string {
  return iso === null ? '-' : iso.replace('T', ' ').replace(/(\.\d{3})\d*Z$/, '$1');
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? Number(v) : v), 2)}\n`;
}

/** What a lapped ring with no summaries lost: records, not calls (how many were syncs is not known). */
export function uncountedLine(records: number, traces: number): string {
  return `the ring${traces === 1 ? '' : 's'} of ${plural(traces, 'trace')} without summaries (format v1, or FSYNC_TRACE_SUMMARY_SECONDS=0) ` +
    `lapped: ${plural(records, 'older record')} (syncs, opens, closes, renames) ${records === 1 ? 'was' : 'were'} overwritten, ` +
    `and the sync calls among them are in no count here`;
}
