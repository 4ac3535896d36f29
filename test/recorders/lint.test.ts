/**
 * The durability lint on small programs run under the real recorder: one per
 * rule (lint_rename, lint_dir, lint_close, lint_failed) and one that does the
 * same work right (lint_ok), each with its findings asserted exactly through
 * `fsync-analyze lint --json`. Failed fsyncs are real EIO returns made by
 * strace's fault injection (strace -e inject=fsync:error=EIO:when=N), the
 * recorder preloaded into the traced program only.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyzeJson, requireProgram } from '../../scripts/workloads/common.js';
import { account, bin, cleanup, recordLines as dataRecordLines, events, invariantProblems, LIB, onlyTrace, run, said, type RunResult } from './harness.js';

interface Finding {
  rule: string;
  path: string;
  pid: number;
  exe: string;
  at: string;
  detail: string;
  count: number;
  last: string;
  files: number;
  family: string;
  evidence: { at: string; event: string; path: string | null; to: string | null; fd: number; res: number; error: string | null; bytes: number | null }[];
}

function lint(r: RunResult): Finding[] {
  assert.is(r.status, 0, r.stderr);
  return analyzeJson<{ findings: Finding[] }>(['lint', r.dirs.traces]).findings;
}

/** The program run under strace, whose fsync number `when` fails with EIO; the recorder in the program only. */
function withEio(program: string, when: number): RunResult {
  const strace = requireProgram('strace', 'strace');
  return run(strace, (d) => ['-f', '-qq', '-o', '/dev/null', '-E', `LD_PRELOAD=${LIB}`, '-e', 'trace=fsync', '-e', `inject=fsync:error=EIO:when=${when}`, bin(program), d.data], { bare: true });
}

/** A finding without its times, and its evidence as "event path[ -> to] bytes/error" lines. */
function shape(f: Finding) {
  return {
    rule: f.rule, path: f.path, count: f.count, files: f.files, detail: f.detail,
    evidence: f.evidence.map((e) => [e.event, e.path, e.to ? `-> ${e.to}` : '', e.error ?? '', e.bytes ?? ''].filter((x) => x !== '').join(' ')),
  };
}

test.after(cleanup);

test('lint_ok: the same work done right, an EIO answered by closing the file: no findings', () => {
  const r = withEio('lint_ok', 6);
  const lines = account(r.stdout);
  assert.equal(lines.map((l) => `${l.f.ret} ${l.f.errno}`), ['0 0', '-1 5'], 'the journal: one fsync, then the injected EIO');
  assert.equal(lint(r), []);
});

test('lint_rename: three renames of an unsynced temporary over config, one finding counted 3', () => {
  const r = run('lint_rename', (d) => [d.data]);
  const d = r.dirs.data;
  const [f, ...rest] = lint(r);
  assert.equal(rest, []);
  assert.equal(shape(f!), {
    rule: 'rename-before-sync', path: `${d}/config`, count: 3, files: 1,
    detail: `${d}/config.tmp renamed to ${d}/config with 100 bytes written and never synced`,
    evidence: [`close ${d}/config.tmp 100`, `rename ${d}/config.tmp -> ${d}/config`],
  });
  assert.is(f!.pid, r.pid);
  assert.is(f!.exe, bin('lint_rename'));
  assert.ok(f!.at < f!.last);
});

test('lint_dir: a file created and a file renamed into a directory never synced', () => {
  const r = run('lint_dir', (d) => [d.data]);
  const d = r.dirs.data;
  assert.equal(lint(r).map(shape), [
    {
      rule: 'dir-not-synced', path: `${d}/data.log`, count: 1, files: 1,
      detail: `${d}/data.log created in ${d}, a directory this process never synced afterwards`,
      evidence: [`open ${d}/data.log`, `fsync ${d}/data.log 4096`],
    },
    {
      rule: 'dir-not-synced', path: `${d}/state`, count: 1, files: 1,
      detail: `${d}/state renamed into ${d}, a directory this process never synced afterwards`,
      evidence: [`fsync ${d}/state.tmp 200`, `rename ${d}/state.tmp -> ${d}/state`],
    },
  ]);
});

test('lint_close: three journals closed with 512 bytes after their fsync, one finding for the family', () => {
  const r = run('lint_close', (d) => [d.data]);
  const d = r.dirs.data;
  const findings = lint(r);
  assert.match(findings[0]?.family ?? '', /\/data\/journal\.#$/);
  assert.equal(findings.map(shape), [{
    rule: 'unsynced-at-close', path: `${d}/journal.1`, count: 3, files: 3,
    detail: `${d}/journal.1 closed with 512 bytes written since its last sync`,
    evidence: [`fsync ${d}/journal.1 4096`, `close ${d}/journal.1 512`],
  }]);
});

test('lint_failed: an fsync fails with EIO, the program writes and fsyncs again on the same descriptor', () => {
  const r = withEio('lint_failed', 1);
  const d = r.dirs.data;
  const lines = account(r.stdout);
  assert.equal([said(lines, 'sync', 'first').errno, said(lines, 'sync', 'retry').ret], ['5', '0']);
  assert.equal(lint(r).map(shape), [{
    rule: 'write-after-failed-sync', path: `${d}/wal`, count: 1, files: 1,
    detail: `fsync failed on ${d}/wal (EIO), then 1 more call on it without reopening it`,
    evidence: [`fsync ${d}/wal EIO 1000`, `fsync ${d}/wal 300`],
  }]);
});

/** lint_records' non-sync events under its data directory (harness.ts: recordLines). */
const recordLines = (r: RunResult): string[] => dataRecordLines(onlyTrace(r), r.dirs.data);

const opened = [
  'open new flags=0x100', 'close new flags=0x0 bytes=0', 'open new flags=0x0', 'close new flags=0x0 bytes=0',
  'open f.txt flags=0x100', 'close f.txt flags=0x0 bytes=0', 'open f.txt flags=0x0', 'close f.txt flags=0x0 bytes=0',
  'open tmp_XXXXXX flags=0x100', 'close tmp_XXXXXX flags=0x0 bytes=0', 'unlink tmp_XXXXXX flags=0x0',
  'open held flags=0x100', 'rename held -> held2 flags=0x200 bytes=64', 'link held2 -> hard flags=0x200 bytes=32',
  'close held2 flags=0x0 bytes=0', 'link held2 -> hard2 flags=0x0 bytes=0', 'unlink hard flags=0x0', 'unlink hard2 flags=0x0',
  'open #ino (deleted) flags=0x0', 'link #ino (deleted) -> tmpfile flags=0x200 bytes=10', 'close tmpfile flags=0x0 bytes=0',
  'open kept flags=0x100', 'open kept2 flags=0x100', 'open log flags=0x100',
];

for (const end of ['exit', '_exit', 'raw']) {
  test(`lint_records ${end}: created opens, renames and links of an open file with its unsynced bytes, unlinks, the close at exit`, () => {
    const r = run('lint_records', (d) => [d.data, end]);
    assert.is(r.status, 0, r.stderr);
    const lines = account(r.stdout);
    assert.equal(said(lines, 'unlink', 'missing'), { label: 'missing', call: 'unlink', fd: '-1', ret: '-1', errno: '2' });
    const left = lines.find((l) => l.kind === 'left')!.f;
    // "kept" was fsynced, then written 100 bytes and left open: its close record is written
    // at exit (0x400 with the last-descriptor flag 0x10 masked out here); "log" was never synced.
    assert.equal(recordLines(r), [...opened, 'close kept flags=0x400 bytes=100', 'close kept2 flags=0x400 bytes=7']);
    assert.equal(invariantProblems(onlyTrace(r)), []);
    const atExit = events(onlyTrace(r)).filter((e) => (e.flags & 0x400) !== 0);
    assert.equal(atExit.map((e) => [e.type, e.fd, e.flags & 0x410, e.writes]), [['close', Number(left.kept), 0x410, 1], ['close', Number(left.kept2), 0x410, 1]]);
  });
}

test('creates: an O_CREAT open is "created" by the file\'s birth time; an unlink is recorded for a name the process knows', () => {
  const r = run('creates', (d) => [d.data]);
  assert.is(r.status, 0, r.stderr);
  const lines = account(r.stdout);
  assert.equal(['fresh', 'stranger'].map((l) => said(lines, 'unlink', l).ret), ['0', '0']);
  const d = r.dirs.data;
  const lines2 = events(onlyTrace(r)).filter((e) => e.type === 'open' || e.type === 'unlink')
    .map((e) => `${e.type} ${(e.path ?? '(unknown)').replace(`${d}/`, '')}${e.type === 'open' ? ` created=${(e.flags & 0x100) !== 0}` : ''}`);
  assert.equal(lines2, [
    'open old created=false', // made 30 ms before by another process: born before the open
    'open fresh created=true', 'open fresh created=false', // the second open finds the file it made
    'unlink fresh', 'open fresh created=true', // a new file under the old name
    'open dl created=true', // through a dangling symlink: its target is made
  ]);
  assert.equal(invariantProblems(onlyTrace(r)), []);
});

test('lint_records: what the lint makes of them: three names given to unsynced bytes, one file left open at exit', () => {
  const r = run('lint_records', (d) => [d.data, 'exit']);
  const d = r.dirs.data;
  // The directory is synced at the end, so no dir-not-synced; "hard" is unlinked later but
  // was the file's name for a while with 32 bytes that might not be in it after a crash.
  assert.equal(lint(r).map((f) => shape(f)).map((f) => ({ ...f, detail: f.detail.replaceAll(`${d}/`, '').replace(/#\d+ /, '#ino '), evidence: f.evidence.map((e) => e.replaceAll(`${d}/`, '').replace(/#\d+ /, '#ino ')) })), [
    {
      rule: 'rename-before-sync', path: `${d}/held2`, count: 1, files: 1,
      detail: 'held renamed to held2 with 64 bytes written and never synced', evidence: ['rename held -> held2 64'],
    },
    {
      rule: 'rename-before-sync', path: `${d}/hard`, count: 1, files: 1,
      detail: 'held2 linked as hard with 32 bytes written and never synced', evidence: ['link held2 -> hard 32'],
    },
    {
      rule: 'rename-before-sync', path: `${d}/tmpfile`, count: 1, files: 1,
      detail: '#ino (deleted) linked as tmpfile with 10 bytes written and never synced', evidence: ['link #ino (deleted) -> tmpfile 10'],
    },
    {
      rule: 'unsynced-at-close', path: `${d}/kept`, count: 1, files: 1,
      detail: 'kept left open at exit with 100 bytes written since its last sync', evidence: ['fsync kept 4096', 'exit kept 100'],
    },
    {
      rule: 'unsynced-at-close', path: `${d}/kept2`, count: 1, files: 1,
      detail: 'kept2 left open at exit with 7 bytes written since its last sync', evidence: ['fdatasync kept2 10', 'exit kept2 7'],
    },
  ]);
});

test.run();
