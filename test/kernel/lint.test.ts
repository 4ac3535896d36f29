/**
 * The durability lint on kernel-side traces. The lint's test programs
 * (test/recorders/lint_*.c) run once under the preload and once under
 * `fsync-record --kernel`; the preload's records are the ground truth (their
 * own suite asserts them exactly; lint_creat's findings are asserted here
 * too). The kernel side must name the same
 * records: opens that created their file (flag 0x100), renames, links (also
 * through /proc/self/fd), unlinks, and O_TMPFILE files; and the lint must
 * find the same. What only the preload knows is left out by design and
 * checked to be absent: a renamed or linked file's unsynced bytes while it is
 * open (flag 0x200; the kernel keeps a descriptor's writes in its maps until
 * the next sync or close) and files left open at exit (0x400).
 */
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyzeJson, runOk } from '../../scripts/workloads/common.js';
import { RECORD_SH } from '../../scripts/workloads/etcd.js';
import { readTrace, type DecodedTrace } from '../../src/trace/decode.js';
import { eventList } from '../../src/trace/events.js';
import { HDR_KERNEL } from '../../src/trace/layout.js';
import { bin, cleanup, ensureBuilt, makeDirs, onlyTrace, recordLines as dataRecordLines, run, type Dirs } from '../recorders/harness.js';
import { traceFiles } from '../traces.js';

test.after(cleanup);

interface Recorded {
  dirs: Dirs;
  trace: DecodedTrace;
  stdout: string;
}

/** `program data-dir ...args` under the preload, and under fsync-record --kernel. */
function both(program: string, args: string[] = []): { preload: Recorded; kernel: Recorded } {
  ensureBuilt();
  const p = run(program, (d) => [d.data, ...args]);
  assert.is(p.status, 0, p.stderr);
  const dirs = makeDirs();
  const r = runOk(RECORD_SH, ['--kernel', '--dir', dirs.traces, '--', bin(program), dirs.data, ...args], { cwd: dirs.root, timeout: 120_000 });
  const files = traceFiles(dirs.traces);
  assert.is(files.length, 1, `kernel-side traces: ${files.join(' ')}\n${r.stderr}`);
  const trace = readTrace(join(dirs.traces, files[0]!));
  assert.is(trace.header.flags & HDR_KERNEL, HDR_KERNEL);
  return { preload: { dirs: p.dirs, trace: onlyTrace(p), stdout: p.stdout }, kernel: { dirs, trace, stdout: r.stdout } };
}

/** The non-sync records under the run's data directory (harness.ts). */
const recordLines = ({ dirs, trace }: Recorded): string[] => dataRecordLines(trace, dirs.data);

interface Finding {
  rule: string;
  path: string;
  count: number;
  files: number;
  detail: string;
  evidence: { event: string; path: string | null; to: string | null; error: string | null; bytes: number | null }[];
}

/** The lint's findings with the run's data directory written as `D`. */
function findings({ dirs }: Recorded): unknown[] {
  const d = dirs.data;
  const plain = (s: string | null) => (s ?? '').replaceAll(d, 'D');
  return analyzeJson<{ findings: Finding[] }>(['lint', dirs.traces]).findings.map((f) => ({
    rule: f.rule, path: plain(f.path), count: f.count, files: f.files, detail: plain(f.detail),
    evidence: f.evidence.map((e) => [e.event, plain(e.path), e.to ? `-> ${plain(e.to)}` : '', e.error ?? '', e.bytes ?? ''].filter((x) => x !== '').join(' ')),
  }));
}

test('lint_records: the same opens (created or not), renames, links and unlinks as the preload records', () => {
  const { preload, kernel } = both('lint_records', ['exit']);
  const truth = recordLines(preload);
  // What the kernel side cannot know: unsynced bytes of an open file at a rename or link, closes at exit.
  const expected = truth.filter((l) => !/ flags=0x400 /.test(l)).map((l) => l.replace(/ flags=0x200 bytes=\d+$/, ' flags=0x0 bytes=0'));
  assert.is(truth.length - expected.length, 2, 'the preload wrote two closes at exit');
  assert.is(expected.filter((l) => l.endsWith('flags=0x100')).length, 7, 'seven opens created their file');
  assert.equal(recordLines(kernel), expected);
  assert.is(kernel.stdout.replace(/=\d+/g, '=N'), preload.stdout.replace(/=\d+/g, '=N'), 'the program said the same');
});

test('lint_creat: an open with O_CREAT and without O_EXCL is known to have created its file, or not', () => {
  const { preload, kernel } = both('lint_creat');
  const truth = [{
    rule: 'dir-not-synced', path: 'D/made', count: 1, files: 1, detail: 'D/made created in D, a directory this process never synced afterwards',
    evidence: ['open D/made', 'fsync D/made 300'],
  }];
  assert.equal(findings(preload), truth);
  assert.equal(findings(kernel), truth);
});

test('symlinks: an open names the link, the file\'s syncs and closes the file, directories canonically, as the preload names them', () => {
  const { preload, kernel } = both('symlinks');
  // The kernel side also records read-only opens, which the preload does not (it names such a
  // file at its first sync): those are the lf opened read-only and alias, a directory.
  const lines = ({ dirs, trace }: Recorded, readOnly: boolean): string[] => eventList(trace)
    .filter((e) => (e.path ?? '').startsWith(`${dirs.data}/`) && (e.type === 'open' && (e.writes & 3) === 0) === readOnly)
    .map((e) => `${e.type} ${e.path!.slice(dirs.data.length + 1)}${e.type === 'open' && (e.flags & 0x100) !== 0 ? ' created' : ''}`);
  const truth = lines(preload, false);
  assert.equal(truth.filter((l) => !l.startsWith('close ')), [
    'open real/f created', 'open g created', 'open lf', 'sync real/f', 'open real/h created', 'sync real/h',
    'open real/lg', 'sync g', 'open lf', 'sync real/f', 'open real/f', 'sync real/f', 'sync real/f', 'sync real',
  ]);
  assert.equal(lines(kernel, false), truth);
  assert.equal(lines(kernel, true), ['open lf', 'open alias']);
});

for (const program of ['lint_dir', 'lint_rename', 'lint_close']) {
  test(`${program}: the lint finds on the kernel-side trace what it finds on the preload's`, () => {
    const { preload, kernel } = both(program);
    const truth = findings(preload);
    assert.ok(truth.length > 0, `${program} has findings`);
    assert.equal(findings(kernel), truth);
  });
}

test.run();
