// Every fsync-analyze command the README shows, run as it is written: on a copy of the
// bundled samples standing in for `traces/` (and for the trace directories it names).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tempDir } from '../fixtures/traces.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/fsync-analyze.js');

/** The README's command lines that run fsync-analyze, as a shell runs them here. */
function readmeCommands(): string[] {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.flatMap((b) => b.split('\n'))
    .map((line) => line.replace(/\s+#\s.*$/, '').replace(/^npm ci && /, '').trim())
    .filter((line) => /^(fsync-analyze|\.\/bin\/fsync-analyze\.js) /.test(line))
    .map((line) => line
      .replace(/^(fsync-analyze|\.\/bin\/fsync-analyze\.js) /, `'${process.execPath}' '${BIN}' `)
      .replace(/\/dev\/shm\/fsync-trace-\$\(id -u\)|\/dev\/shm\/[^\s$]+/g, 'traces/'));
}

const commands = readmeCommands();
const tmp = tempDir();
cpSync(join(ROOT, 'samples'), join(tmp.dir, 'traces'), { recursive: true, filter: (f) => !f.endsWith('.ts') && !f.endsWith('.md') });
symlinkSync(join(ROOT, 'samples'), join(tmp.dir, 'samples'));

test.after(() => tmp.cleanup());

test('the README shows the commands this test runs', () => {
  assert.ok(commands.length >= 12, `${commands.length} commands found`);
  assert.ok(commands.some((c) => c.includes(' sql "select count(*) from events" traces/ --db t.duckdb')));
});

for (const command of commands) {
  test(`README: ${command.replace(`'${process.execPath}' '${BIN}'`, 'fsync-analyze')}`, () => {
    const r = spawnSync('/bin/sh', ['-c', command], { cwd: tmp.dir, encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    assert.not.match(r.stderr, 'error');
    const out = / -o (\S+)/.exec(command)?.[1];
    if (out) assert.ok(existsSync(join(tmp.dir, out)), `${out} written`);
    else assert.ok(r.stdout.length > 0, 'it printed something');
  });
}

test.run();
