// Text tables (src/commands/format.ts table()): columns padded to the widest cell, however many rows.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { table } from '../../src/commands/format.js';

test('columns are as wide as their widest cell, titles included', () => {
  const out = table([{ title: 'path' }, { title: 'calls', align: 'right' }], [['/a', '7'], ['/var/lib/x', '12345678']]);
  assert.is(out, 'path           calls\n/a                 7\n/var/lib/x  12345678\n');
});

test('200,000 rows (intervals --limit 0 on a big set): no stack overflow, the last row sets the width', () => {
  // Math.max(...cells) spread every row as an argument and threw RangeError above ~120 k rows.
  const rows = Array.from({ length: 200_000 }, (_, i) => [`f${i % 10}`, String(i % 1000)]);
  rows.push(['a-much-longer-path', '1234567']);
  const lines = table([{ title: 'path' }, { title: 'n', align: 'right' }], rows).split('\n');
  assert.is(lines.length, 200_003); // title, rows, the final newline's empty string
  assert.is(lines[0], 'path                      n');
  assert.is(lines[1], 'f0                        0');
  assert.is(lines[200_001], 'a-much-longer-path  1234567');
});

test.run();
