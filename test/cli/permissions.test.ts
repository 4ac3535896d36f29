// What a user who may not read the traces is told: "permission denied", naming the
// directory or file, in one line, exit 1 (run as user nobody; the traces belong to root).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { scenario, tempDir, writeTrace } from '../fixtures/traces.js';

const BIN = fileURLToPath(new URL('../../bin/fsync-analyze.js', import.meta.url));
const NOBODY = 65534;
const tmp = tempDir();
chmodSync(tmp.dir, 0o755);
const closed = join(tmp.dir, 'closed');
mkdirSync(closed);
writeTrace(closed, 'a.100.fstrace', scenario());
chmodSync(closed, 0o700);
const open = join(tmp.dir, 'open');
mkdirSync(open);
const secret = writeTrace(open, 'b.100.fstrace', scenario());
chmodSync(secret, 0o600);
const readable = writeTrace(open, 'c.100.fstrace', scenario());
chmodSync(readable, 0o644);

function asNobody(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', uid: NOBODY, gid: NOBODY, cwd: '/', env: { PATH: process.env.PATH, HOME: '/' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test.after(() => tmp.cleanup());

test('root can read everything here (the test is about another user)', () => {
  assert.is(process.getuid?.(), 0);
});

test('a directory the user cannot read: permission denied, naming it', () => {
  const r = asNobody(['info', closed]);
  assert.equal([r.code, r.stdout, r.stderr], [1, '', `fsync-analyze: ${closed}: permission denied\n`]);
});

test('a trace file the user cannot read: permission denied, naming it', () => {
  const r = asNobody(['summary', secret]);
  assert.equal([r.code, r.stdout, r.stderr], [1, '', `fsync-analyze: ${secret}: permission denied\n`]);
});

test('among readable traces, an unreadable one is a warning and the rest load', () => {
  const r = asNobody(['info', '--json', open, tmp.dir]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, `${secret}: permission denied (skipped)`);
  assert.match(r.stderr, `${closed}: permission denied (skipped)`);
  assert.equal(JSON.parse(r.stdout).traces.map((t: { file: string }) => t.file), [readable]);
});

test('a report or export into a directory the user may not write: a one-line error naming the target, nothing written', () => {
  const html = join(closed, 'r.html');
  const r = asNobody(['report', '-q', readable, '-o', html]);
  assert.equal([r.code, r.stdout, r.stderr], [1, '', `fsync-analyze: ${html}: cannot write the report (permission denied)\n`]);
  for (const target of [join(closed, 'export'), join(tmp.dir, 'export'), open]) {
    const e = asNobody(['export', '-q', readable, '-o', target]);
    assert.equal([e.code, e.stdout, e.stderr], [1, '', `fsync-analyze: ${target}: cannot write the export (permission denied)\n`]);
  }
  assert.equal([readdirSync(closed), readdirSync(open).sort(), readdirSync(tmp.dir).sort()], [['a.100.fstrace'], ['b.100.fstrace', 'c.100.fstrace'], ['closed', 'open']]);
});

test.run();
