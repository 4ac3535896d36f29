// Progress on stderr: on a terminal only (script(1) gives the command one), for phases
// past the delay (made 0 here, 1 s by default), never with --quiet, erased when done.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { historyTrace } from '../fixtures/history.js';
import { tempDir, writeTrace } from '../fixtures/traces.js';

const BIN = fileURLToPath(new URL('../../bin/fsync-analyze.js', import.meta.url));
const tmp = tempDir();
const kv = writeTrace(tmp.dir, 'kv.300.fstrace', historyTrace());
const env = { ...process.env, FSYNC_ANALYZE_PROGRESS_DELAY_MS: '0' };

/** What a terminal shows of the command's stderr (stdout to /dev/null). */
function onTerminal(args: string[]): string {
  const line = `'${process.execPath}' '${BIN}' ${args.map((a) => `'${a}'`).join(' ')} >/dev/null`;
  const r = spawnSync('script', ['-qec', line, '/dev/null'], { encoding: 'utf8', env });
  assert.is(r.status, 0, r.stderr);
  return r.stdout;
}

test.after(() => tmp.cleanup());

test('on a terminal: the load\'s bar and the analysis phase, each erased', () => {
  const shown = onTerminal(['summary', kv]);
  assert.match(shown, /\rloading \[#+\] 100%  1\/1 files, 362 events\x1b\[K/);
  assert.match(shown, /\ranalysis\.\.\. \d+ s\x1b\[K/);
  assert.ok(shown.endsWith('\r\x1b[K'), 'the last line is erased');
});

test('--quiet: nothing', () => {
  assert.is(onTerminal(['summary', '--quiet', kv]), '');
});

test('not a terminal: nothing on stderr', () => {
  const r = spawnSync(process.execPath, [BIN, 'summary', kv], { encoding: 'utf8', env });
  assert.equal([r.status, r.stderr], [0, '']);
});

test.run();
