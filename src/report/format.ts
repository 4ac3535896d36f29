/**
 * How numbers, times and trace strings read in the report. Pure functions
 * that return plain text; escaping for HTML happens later, in html.ts.
 */

/** `1234567` → `1,234,567` (no locale lookup, so output is the same everywhere). */
export function count(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const sign = n < 0 ? '-' : '';
  const [int, frac] = Math.abs(n).toString().split('.');
  const grouped = (int ?? '0').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return sign + grouped + (frac ? '.' + frac : '');
}

/** A number rounded to `digits` significant digits, without exponent or trailing zeros. */
export function sig(x: number, digits = 3): string {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  const magnitude = Math.floor(Math.log10(Math.abs(x)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  const rounded = Number(x.toFixed(Math.min(decimals, 20)));
  return count(rounded);
}

const DURATION_UNITS: Array<[limit: number, divisor: number, unit: string]> = [
  [0.001, 0.000001, 'ns'],
  [1, 0.001, 'µs'],
  [1000, 1, 'ms'],
  [60_000, 1000, 's'],
];

/** Milliseconds as a human duration: `0.0421` → `42.1 µs`, `2310` → `2.31 s`, `185000` → `3 min 5 s`. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms === 0) return '0 ms';
  const abs = Math.abs(ms);
  for (const [limit, divisor, unit] of DURATION_UNITS) {
    // Round first, so 999.96 ms moves up to "1 s" rather than reading "1,000 ms".
    if (Number((abs / divisor).toPrecision(3)) < limit / divisor) return `${sig(ms / divisor)} ${unit}`;
  }
  const totalSeconds = Math.round(abs / 1000);
  const sign = ms < 0 ? '-' : '';
  const both = (a: number, unitA: string, b: number, unitB: string) => `${sign}${a} ${unitA}${b ? ` ${b} ${unitB}` : ''}`;
  if (totalSeconds < 3600) return both(Math.floor(totalSeconds / 60), 'min', totalSeconds % 60, 's');
  const hours = Math.floor(totalSeconds / 3600);
  if (hours < 48) return both(hours, 'h', Math.floor((totalSeconds % 3600) / 60), 'min');
  return both(Math.floor(hours / 24), 'd', hours % 24, 'h');
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Bytes with binary units: `4096` → `4 KiB`, `1536000` → `1.46 MiB`. */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  let value = n;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${count(Math.round(value))} B` : `${sig(value)} ${BYTE_UNITS[unit]}`;
}

/** A ratio such as latency over baseline: `460.2` → `460×`, `2.345` → `2.3×`. */
export function ratio(r: number | null | undefined): string {
  if (r === null || r === undefined || !Number.isFinite(r)) return '—';
  return `${r >= 100 ? count(Math.round(r)) : sig(r, 2)}×`;
}

/** Milliseconds since the epoch of an ISO 8601 time, or NaN. */
export function epochMs(iso: string): number {
  return Date.parse(iso);
}

/** ISO 8601 UTC → `2024-05-01 11:02:03.456 UTC`; anything unparsable is shown as given. */
export function time(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '—';
  const ms = epochMs(iso);
  if (Number.isNaN(ms)) return iso;
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC');
}

/**
 * How times read in tables: without the date when the whole report falls on
 * one UTC day (the summary gives the date), else with it; never with "UTC"
 * (column heads say so).
 */
export function clockFor(range: { start: string; end: string } | null): (iso: string | null | undefined) => string {
  const oneDay = range !== null && time(range.start).slice(0, 10) === time(range.end).slice(0, 10);
  return (iso) => {
    const full = time(iso);
    if (!/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC$/.test(full)) return full;
    return oneDay ? full.slice(11, 23) : full.slice(0, 23);
  };
}

/** The end of a range, shortened when it falls on the same day as its start. */
export function timeAfter(startIso: string, endIso: string): string {
  const start = time(startIso);
  const end = time(endIso);
  return start.slice(0, 10) === end.slice(0, 10) ? end.slice(11) : end;
}

// C0 controls, DEL, C1 controls, and the Unicode bidirectional overrides and
// isolates that can make a path read differently from what it is.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * A trace string as it should be read: control and bidi characters shown as
 * `\xNN` / `\uNNNN` escapes, so a path with a newline or a right-to-left
 * override cannot pass for another. (Still needs HTML escaping.)
 */
export function visible(s: string): string {
  return s.replace(INVISIBLE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** At most `max` characters (code points), cutting from the middle: `/a/very/…/file`. */
export function clip(s: string, max: number): string {
  const chars = Array.from(s);
  if (chars.length <= max) return s;
  const tail = Math.ceil((max - 1) * 0.6);
  const head = max - 1 - tail;
  return chars.slice(0, head).join('') + '…' + chars.slice(chars.length - tail).join('');
}

/** A short name for a file in a chart: its last two path components, clipped. */
export function shortPath(path: string, max = 44): string {
  const parts = path.split('/').filter((p) => p !== '');
  const short = parts.length > 2 ? '…/' + parts.slice(-2).join('/') : path;
  return clip(visible(short), max);
}

/** Plural helper: `plural(1, 'file')` → `1 file`, `plural(3, 'file')` → `3 files`. */
export function plural(n: number, one: string, many = one + 's'): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

/** A share as a percentage: `0.04` → `4%`, `0.000123` → `0.012%`. */
export function percent(share: number | null | undefined): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return '—';
  return `${sig(share * 100, 2)}%`;
}
