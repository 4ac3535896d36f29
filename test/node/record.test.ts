/**
 * `fsync-record --node -- node app`: the launcher preloads the library and
 * puts the hook in NODE_OPTIONS (keeping the options already there), so one
 * trace holds both the program's calls and the system calls under them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freshDir, RECORD, removeDir, ROOT, runSync } from '../../scripts/workloads/common.js';
import { countBy, PROGRAMS, recorded, removeRuns, trackedRun } from './harness.js';

let dir = '';
test.after(() => {
  removeDir(dir);
  removeRuns();
});

test('fsync-record --node records the Node calls and their system calls in one trace per process', () => {
  dir = freshDir('node-record');
  const data = join(dir, 'data');
  const traces = join(dir, 'traces');
  mkdirSync(data);
  // A NODE_OPTIONS of the caller's stays in force beside the hook's.
  const r = runSync(RECORD, ['--quiet', '--node', '--dir', traces, '--', process.execPath, join(PROGRAMS, 'apis.mjs'), data, '1'], {
    env: { ...process.env, UV_USE_IO_URING: '0', NODE_OPTIONS: '--no-deprecation' },
  });
  assert.is(r.status, 0, r.stderr);
  const run = { dir, data, traces, ran: r };
  const { files, js, syncs } = recorded(run);
  assert.is(files.length, 1);
  assert.is(js.length, 15);
  assert.is(countBy(js, (j) => j.api)['fs.fsync'], 2);
  assert.is(syncs.length, 15);
});

test('the package exports the hook: node --import fsync-flight-recorder/node, and --require', () => {
  for (const how of ['--import', '--require']) {
    const r = trackedRun('apis.mjs', ['1'], { hook: null, wrapNode: [how, 'fsync-flight-recorder/node'], cwd: ROOT });
    assert.is(r.ran.status, 0, r.ran.stderr);
    assert.is(recorded(r).js.length, 15, how);
  }
});

test('fsync-record --help lists --node and its example', () => {
  const r = runSync(RECORD, ['--help']);
  assert.match(r.stdout, /--node\s+also load the Node hook into Node programs/);
  assert.match(r.stdout, /fsync-record --node -- node app\.js/);
});

test.run();
