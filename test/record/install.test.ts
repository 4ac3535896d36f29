/**
 * fsync-record --install and --lib: a library a service running as another
 * user can load, and a warning when the printed path is out of its reach
 * (the loader would print one line to the service's stderr and record nothing).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RECORD } from '../../scripts/workloads/common.js';
import { unreadableWarning } from '../../src/record/install.js';
import { ensureBuilt, LIB } from '../recorders/harness.js';

const NOBODY = 65534;
const made: string[] = [];
test.after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(mode: number): string {
  const d = mkdtempSync('/tmp/fsync-install-test-');
  chmodSync(d, mode);
  made.push(d);
  return d;
}

/** What the loader says when user nobody runs a program with `lib` preloaded. */
function loadAsNobody(lib: string): string {
  const r = spawnSync('/bin/sh', ['-c', 'exit 0'], { uid: NOBODY, gid: NOBODY, encoding: 'utf8', env: { PATH: '/usr/bin:/bin', LD_PRELOAD: lib, FSYNC_TRACE_DISABLE: '1' } });
  assert.is(r.status, 0);
  return r.stderr;
}

test('--install DIR: a 0644 copy, the unit-file line on stdout, loadable by another user', () => {
  ensureBuilt();
  const dir = join(tempDir(0o755), 'lib');
  const r = spawnSync(RECORD, ['--install', dir], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const installed = join(dir, 'libfsync_recorder.so');
  assert.is(r.stdout, `Environment=LD_PRELOAD=${installed}\n`);
  assert.is(r.stderr, `fsync-record: installed ${installed}; in the service's unit file:\n`);
  assert.is(statSync(installed).mode & 0o7777, 0o644);
  assert.is(statSync(dir).mode & 0o7777, 0o755);
  assert.ok(readFileSync(installed).equals(readFileSync(LIB)));
  assert.is(loadAsNobody(installed), '');
  // Again: replaced in place, the same answer.
  const again = spawnSync(RECORD, ['--install', dir], { encoding: 'utf8' });
  assert.equal([again.status, again.stdout], [0, r.stdout]);
});

test('a library in a private directory: the warning says why, and the loader proves it', () => {
  ensureBuilt();
  const dir = tempDir(0o700);
  const r = spawnSync(RECORD, ['--install', dir], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const installed = join(dir, 'libfsync_recorder.so');
  const warning = `fsync-record: warning: other users cannot load ${installed} (${dir} is mode 0700): a service running as another user records nothing; fsync-record --install [DIR] copies it to a readable place (default /usr/local/lib)`;
  assert.is(unreadableWarning(installed), warning);
  assert.is(r.stderr.split('\n')[1], warning);
  assert.match(loadAsNobody(installed), /cannot be preloaded/);
});

test('--lib: the path, and a warning only when others cannot read it', () => {
  ensureBuilt();
  const r = spawnSync(RECORD, ['--lib'], { encoding: 'utf8' });
  assert.equal([r.status, r.stdout], [0, `${LIB}\n`]);
  assert.is(r.stderr, unreadableWarning(LIB) === undefined ? '' : `${unreadableWarning(LIB)}\n`);
});

test('--install into a directory that cannot be written: one line, exit 1', () => {
  ensureBuilt();
  const r = spawnSync(RECORD, ['--install', '/etc/passwd/lib'], { encoding: 'utf8' });
  assert.is(r.status, 1);
  assert.match(r.stderr, /^fsync-record: cannot install into \/etc\/passwd\/lib: .+\n$/);
});

test.run();
