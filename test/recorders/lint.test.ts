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
import { account, bin, cleanup, LIB, run, said, type RunResult } from './harness.js';

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

test.run();
