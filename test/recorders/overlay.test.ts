/**
 * The "created" flag on overlayfs, as containers use it: an O_CREAT open of a
 * file from the lower layer copies it up into a new inode, born at the open,
 * which must not pass for a file the open created (it kept its access time).
 * lint_creat runs in the merged directory: "old" is in the lower layer (its
 * first open copies it up), "made" is new. Needs root (mount), as the
 * kernel-side suites do.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cleanup, events, makeDirs, onlyTrace, run } from './harness.js';

test.after(cleanup);

function mount(args: string[]): void {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr.trim()} (this suite needs root and overlayfs)`);
}

test('an O_CREAT open that copies a lower file up is not a creation; a new file in the merged directory is', () => {
  const dirs = makeDirs();
  const [lower, upper, work, merged] = ['lower', 'upper', 'work', 'merged'].map((d) => join(dirs.root, d));
  for (const d of [lower, upper, work, merged]) mkdirSync(d!);
  writeFileSync(join(lower!, 'old'), 'from the image\n');
  const hourAgo = new Date(Date.now() - 3_600_000);
  utimesSync(join(lower!, 'old'), hourAgo, hourAgo);
  mount(['mount', '-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, merged!]);
  try {
    const r = run('lint_creat', [merged!], { dirs });
    assert.is(r.status, 0, r.stderr);
    const opens = events(onlyTrace(r)).filter((e) => e.type === 'open' && (e.path ?? '').startsWith(`${merged}/`));
    assert.equal(opens.map((e) => [e.path, e.flags & 0x100]), [[`${merged}/old`, 0], [`${merged}/old`, 0], [`${merged}/made`, 0x100]]);
  } finally {
    mount(['umount', merged!]);
  }
});

test.run();
