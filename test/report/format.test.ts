import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytes, clip, clockFor, count, duration, plural, ratio, shortPath, sig, time, visible } from '../../src/report/format.js';

test('count groups thousands without a locale', () => {
  assert.is(count(0), '0');
  assert.is(count(999), '999');
  assert.is(count(1234567), '1,234,567');
  assert.is(count(-1234.5), '-1,234.5');
});

test('sig keeps significant digits without exponents', () => {
  assert.is(sig(0.00012345), '0.000123');
  assert.is(sig(1234.5), '1,235');
  assert.is(sig(2.0), '2');
});

test('duration picks a unit a person reads', () => {
  assert.is(duration(0.0000421), '42.1 ns');
  assert.is(duration(0.0421), '42.1 µs');
  assert.is(duration(1.2), '1.2 ms');
  assert.is(duration(999.96), '1 s');
  assert.is(duration(2310), '2.31 s');
  assert.is(duration(60_000), '1 min');
  assert.is(duration(185_000), '3 min 5 s');
  assert.is(duration(7_200_000), '2 h');
  assert.is(duration(3 * 86_400_000 + 3_600_000), '3 d 1 h');
  assert.is(duration(null), '—');
  assert.is(duration(Number.NaN), '—');
});

test('bytes use binary units', () => {
  assert.is(bytes(0), '0 B');
  assert.is(bytes(1023), '1,023 B');
  assert.is(bytes(4096), '4 KiB');
  assert.is(bytes(1_536_000), '1.46 MiB');
  assert.is(bytes(null), '—');
});

test('ratio', () => {
  assert.is(ratio(1272.6), '1,273×');
  assert.is(ratio(2.345), '2.3×');
  assert.is(ratio(null), '—');
});

test('time is UTC with milliseconds, and unparsable input is shown as given', () => {
  assert.is(time('2024-05-14T03:12:38.270Z'), '2024-05-14 03:12:38.270 UTC');
  assert.is(time('2024-05-14T05:12:38.270+02:00'), '2024-05-14 03:12:38.270 UTC');
  assert.is(time('not a time'), 'not a time');
  assert.is(time(null), '—');
});

test('clockFor drops the date only when the report spans one UTC day', () => {
  const oneDay = clockFor({ start: '2024-05-14T02:00:00Z', end: '2024-05-14T04:00:00Z' });
  assert.is(oneDay('2024-05-14T03:12:38.270Z'), '03:12:38.270');
  const twoDays = clockFor({ start: '2024-05-14T22:00:00Z', end: '2024-05-15T01:00:00Z' });
  assert.is(twoDays('2024-05-15T00:00:01.000Z'), '2024-05-15 00:00:01.000');
  assert.is(clockFor(null)('garbage'), 'garbage');
});

test('visible shows control and bidi characters as escapes', () => {
  assert.is(visible('a\nb\u0000c\u001b[31m'), 'a\\x0ab\\x00c\\x1b[31m');
  assert.is(visible('invoice\u202Efdp.exe'), 'invoice\\u202efdp.exe');
  assert.is(visible('/plain/päth/日本'), '/plain/päth/日本');
});

test('clip cuts from the middle, by code point', () => {
  assert.is(clip('short', 10), 'short');
  const c = clip('/a/very/long/path/to/some/file.db', 16);
  assert.is(Array.from(c).length, 16);
  assert.ok(c.startsWith('/a/ver') && c.endsWith('e/file.db') && c.includes('…'), c);
  assert.is(clip('😀😀😀😀😀😀', 4), '😀…😀😀');
});

test('shortPath keeps the last two components', () => {
  assert.is(shortPath('/var/lib/postgresql/16/main/pg_wal/0001'), '…/pg_wal/0001');
  assert.is(shortPath('/etc/x'), '/etc/x');
  assert.is(shortPath('relative'), 'relative');
});

test('plural', () => {
  assert.is(plural(1, 'file'), '1 file');
  assert.is(plural(1200, 'process', 'processes'), '1,200 processes');
});

test.run();
