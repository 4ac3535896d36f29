// src/inputs.ts: files, directories and globs into one sorted list of trace files.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FtError } from '../../src/errors.js';
import { expandInputs, globRegExp } from '../../src/inputs.js';
import { tempDir } from '../fixtures/traces.js';

const tmp = tempDir();
const d = tmp.dir;
for (const f of ['a.fstrace', 'b.fstrace', 'notes.txt', 'h1/c.fstrace', 'h1/deep/d.fstrace', 'h2/e.fstrace', 'h2/copy.bin']) {
  mkdirSync(join(d, f, '..'), { recursive: true });
  writeFileSync(join(d, f), '');
}
test.after(() => tmp.cleanup());

test('a directory stands for every *.fstrace under it', () => {
  assert.equal(expandInputs([d]), ['a.fstrace', 'b.fstrace', 'h1/c.fstrace', 'h1/deep/d.fstrace', 'h2/e.fstrace'].map((f) => join(d, f)));
});

test('a named file is taken whatever its name; each file once', () => {
  assert.equal(expandInputs([join(d, 'h2/copy.bin'), join(d, 'a.fstrace'), d + '/a.fstrace']), [join(d, 'a.fstrace'), join(d, 'h2/copy.bin')]);
});

test('globs: *, ?, [...], ** and directories that match', () => {
  assert.equal(expandInputs([`${d}/*.fstrace`]), [join(d, 'a.fstrace'), join(d, 'b.fstrace')]);
  assert.equal(expandInputs([`${d}/?.fstrace`]), [join(d, 'a.fstrace'), join(d, 'b.fstrace')]);
  assert.equal(expandInputs([`${d}/[b-z].fstrace`]), [join(d, 'b.fstrace')]);
  assert.equal(expandInputs([`${d}/**/*.fstrace`]).length, 5);
  assert.equal(expandInputs([`${d}/h*`]), ['h1/c.fstrace', 'h1/deep/d.fstrace', 'h2/copy.bin', 'h2/e.fstrace'].filter((f) => f.endsWith('.fstrace')).map((f) => join(d, f)));
});

test('glob patterns as regular expressions', () => {
  assert.ok(globRegExp('**/x.fstrace').test('x.fstrace'));
  assert.ok(globRegExp('**/x.fstrace').test('a/b/x.fstrace'));
  assert.not.ok(globRegExp('*.fstrace').test('a/x.fstrace'));
  assert.not.ok(globRegExp('a.b').test('axb'));
  assert.ok(globRegExp('[!a]*').test('b'));
});

test('nothing found, or a name that is not there: an FtError', () => {
  assert.throws(() => expandInputs([`${d}/*.nothing`]), (e: Error) => e instanceof FtError && e.message.startsWith('no trace files found in'));
  assert.throws(() => expandInputs([join(d, 'missing')]), (e: Error) => e instanceof FtError && e.message === `${join(d, 'missing')}: no such file or directory`);
  assert.throws(() => expandInputs([]), (e: Error) => e instanceof FtError && e.message.startsWith('no trace files given'));
});

test.run();
