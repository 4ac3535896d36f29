/**
 * The durability lint on real programs, each recorded end to end and checked
 * against what the program is known to do:
 *
 * - SQLite 3.40 (rollback journal, and WAL at synchronous FULL and NORMAL):
 *   it syncs the journal/WAL and the database, and the directory after it
 *   creates a journal or WAL (unixOpen's dirSync): no findings.
 * - git 2.39 committing one file: with core.fsync=none it links its loose
 *   objects and renames index.lock and the branch's ref lock into place
 *   unsynced (rename-before-sync); with core.fsync=all (core.fsyncMethod=fsync)
 *   it syncs every file but never a directory (dir-not-synced).
 * - ZooKeeper (test/e2e/zookeeper.test.ts) and PostgreSQL
 *   (test/e2e/postgres.test.ts) have their lint checked where they are run.
 * - dpkg 1.21 installing a three-file package into a private root: it writes
 *   each file as NAME.dpkg-new and renames it into place; with
 *   --force-unsafe-io it skips the fsync before the rename
 *   (rename-before-sync); without, it fsyncs each file but not the directory
 *   it unpacks into (dir-not-synced); its own database under var/lib/dpkg is
 *   done right (file fsync, rename, directory fsync) and is never flagged.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyze, analyzeJson, freshDir, RECORD, removeDir, requireProgram, runOk } from '../../scripts/workloads/common.js';
import { plainSqlite, recordSqlite, sqlite3 } from '../../scripts/workloads/sqlite.js';

interface Finding {
  rule: string;
  path: string;
  pid: number;
  exe: string;
  detail: string;
  count: number;
  files: number;
  evidence: { event: string; path: string | null; to: string | null; bytes: number | null }[];
}

const dirs: string[] = [];
test.after(() => dirs.forEach(removeDir));

function workspace(name: string): { root: string; traces: string } {
  const root = freshDir(`e2e-lint-${name}`);
  dirs.push(root);
  const traces = join(root, 'traces');
  mkdirSync(traces);
  return { root, traces };
}

function lint(traces: string): Finding[] {
  return analyzeJson<{ findings: Finding[] }>(['lint', traces]).findings;
}

/** rule, path relative to `root`, count, files; and the evidence as "event path[ -> to]" relative to `root`. */
function brief(findings: Finding[], root: string) {
  const rel = (p: string | null) => (p ?? '(unknown)').replace(`${root}/`, '');
  return findings.map((f) => ({
    rule: f.rule, path: rel(f.path), count: f.count, files: f.files,
    evidence: f.evidence.map((e) => `${e.event} ${rel(e.path)}${e.to ? ` -> ${rel(e.to)}` : ''}`),
  }));
}

/** Run a command under fsync-record; it must succeed. */
function recorded(traces: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
  runOk(RECORD, ['--quiet', '--dir', traces, '--', cmd, ...args], { env: { ...process.env, ...env } });
}

const inserts = Array.from({ length: 5 }, (_, i) => `insert into t(k, v) values (${i + 1}, randomblob(100));`).join('\n');

test('SQLite, rollback journal: a new database and six commits, no findings', () => {
  sqlite3();
  const w = workspace('sqlite-rollback');
  recordSqlite(join(w.root, 'app.db'), `pragma journal_mode=delete;\npragma synchronous=full;\ncreate table t(k integer primary key, v blob);\n${inserts}\n`, w.traces, 256 << 10);
  assert.equal(lint(w.traces), []);
});

for (const synchronous of ['full', 'normal']) {
  test(`SQLite, WAL, synchronous=${synchronous}: a new database, five commits and the checkpoint at close, no findings`, () => {
    const w = workspace(`sqlite-wal-${synchronous}`);
    recordSqlite(join(w.root, 'app.db'), `pragma journal_mode=wal;\npragma synchronous=${synchronous};\ncreate table t(k integer primary key, v blob);\n${inserts}\n`, w.traces, 256 << 10);
    assert.equal(lint(w.traces), []);
  });
}

/** A repository with one file added, and `git commit` recorded under core.fsync=`fsync`. */
function gitCommit(fsync: 'none' | 'all') {
  const git = requireProgram('git', 'git');
  const w = workspace(`git-${fsync}`);
  const repo = join(w.root, 'repo');
  runOk(git, ['-c', 'init.defaultBranch=main', 'init', '-q', repo]);
  writeFileSync(join(repo, 'a.txt'), 'hello\n');
  runOk(git, ['-C', repo, 'add', 'a.txt']);
  // With core.fsync=none git never syncs, and a process that never syncs
  // leaves no trace unless FSYNC_TRACE_UNSYNCED=1 asks for one.
  recorded(w.traces, git, ['-C', repo, '-c', `core.fsync=${fsync}`, '-c', 'core.fsyncMethod=fsync', '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'one'],
    fsync === 'none' ? { FSYNC_TRACE_UNSYNCED: '1' } : {});
  return { ...w, findings: lint(w.traces) };
}

test('git commit, core.fsync=none: the loose objects linked, the index and the branch ref renamed into place unsynced; the report shows them', () => {
  const { root, traces, findings } = gitCommit('none');
  // The two loose objects (tree and commit) are written to objects/xx/tmp_obj_XXXXXX and
  // hard-linked to objects/xx/<hash> unsynced (git's object files, then the temporary
  // unlinked): one finding for the family, named after the first object.
  const b = brief(findings, root);
  const hashed = (p: string) => p.replace(/objects\/[0-9a-f]{2}\/[0-9a-f]{38}$/, 'objects/xx/HASH').replace(/objects\/[0-9a-f]{2}\/tmp_obj_\w{6}$/, 'objects/xx/tmp_obj_XXXXXX');
  assert.equal(b.slice(0, 1).map((f) => ({ ...f, path: hashed(f.path), evidence: f.evidence.map((e) => e.split(' ').map(hashed).join(' ')) })), [
    { rule: 'rename-before-sync', path: 'repo/.git/objects/xx/HASH', count: 2, files: 2, evidence: ['close repo/.git/objects/xx/tmp_obj_XXXXXX', 'link repo/.git/objects/xx/tmp_obj_XXXXXX -> repo/.git/objects/xx/HASH'] },
  ]);
  assert.equal(b.slice(1), [
    { rule: 'rename-before-sync', path: 'repo/.git/index', count: 1, files: 1, evidence: ['close repo/.git/index.lock', 'rename repo/.git/index.lock -> repo/.git/index'] },
    { rule: 'rename-before-sync', path: 'repo/.git/refs/heads/main', count: 1, files: 1, evidence: ['close repo/.git/refs/heads/main.lock', 'rename repo/.git/refs/heads/main.lock -> repo/.git/refs/heads/main'] },
  ]);
  assert.ok(findings.every((f) => f.exe.endsWith('/git')));
  const html = join(root, 'report.html');
  const r = analyze(['report', '--quiet', '-o', html, traces]);
  assert.is(r.status, 0, r.stderr);
  const page = readFileSync(html, 'utf8');
  const section = page.slice(page.indexOf('<section id="durability">'), page.indexOf('</section>', page.indexOf('<section id="durability">'))).replace(/<wbr>/g, '');
  assert.is(section.match(/<tr>/g)?.length, 4, 'a header row and three findings');
  assert.match(section, `${root}/repo/.git/index.lock renamed to ${root}/repo/.git/index with`);
});

test('git commit, core.fsync=all: every file synced, no directory', () => {
  const { root, findings } = gitCommit('all');
  const b = brief(findings, root);
  // Two loose objects (the tree and the commit; `git add` wrote the blob, unrecorded): each
  // written to objects/xx/tmp_obj_XXXXXX, fsynced, linked to objects/xx/<hash>, and the
  // temporary unlinked; the temporary's name is not judged (it is gone), the object's is.
  const objects = b.filter((f) => /^repo\/\.git\/objects\/[0-9a-f]{2}\/[0-9a-f]{38}$/.test(f.path));
  assert.is(objects.length, 1, JSON.stringify(b));
  assert.equal({ ...objects[0]!, path: '', evidence: objects[0]!.evidence.map((e) => e.split(' ')[0]) },
    { rule: 'dir-not-synced', path: '', count: 2, files: 2, evidence: ['fsync', 'link'] });
  assert.equal(b.filter((f) => !objects.includes(f)), [
    { rule: 'dir-not-synced', path: 'repo/.git/index', count: 1, files: 1, evidence: ['fsync repo/.git/index.lock', 'rename repo/.git/index.lock -> repo/.git/index'] },
    { rule: 'dir-not-synced', path: 'repo/.git/refs/heads/main', count: 1, files: 1, evidence: ['fsync repo/.git/refs/heads/main.lock', 'rename repo/.git/refs/heads/main.lock -> repo/.git/refs/heads/main'] },
  ]);
});

/** A three-file package installed by dpkg into a private root, recorded. */
function dpkgInstall(unsafeIo: boolean) {
  const dpkg = requireProgram('dpkg', 'dpkg');
  const w = workspace(`dpkg-${unsafeIo ? 'unsafe' : 'safe'}`);
  const pkg = join(w.root, 'pkg');
  mkdirSync(join(pkg, 'DEBIAN'), { recursive: true });
  mkdirSync(join(pkg, 'usr/share/lintdemo'), { recursive: true });
  writeFileSync(join(pkg, 'DEBIAN/control'), 'Package: lintdemo\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.com>\nDescription: three files\n');
  for (const i of [1, 2, 3]) writeFileSync(join(pkg, `usr/share/lintdemo/f${i}.txt`), `file ${i}\n`);
  const deb = join(w.root, 'lintdemo.deb');
  runOk(requireProgram('dpkg-deb', 'dpkg'), ['--root-owner-group', '--build', pkg, deb]);
  const root = join(w.root, 'root');
  const admin = join(root, 'var/lib/dpkg');
  mkdirSync(join(admin, 'updates'), { recursive: true });
  mkdirSync(join(admin, 'info'));
  writeFileSync(join(admin, 'status'), '');
  writeFileSync(join(admin, 'available'), '');
  recorded(w.traces, dpkg, [`--root=${root}`, '--force-not-root', '--force-bad-path', unsafeIo ? '--force-unsafe-io' : '--refuse-unsafe-io', '-i', deb]);
  return { ...w, findings: lint(w.traces) };
}

test('dpkg -i --force-unsafe-io: each unpacked file renamed over its name unsynced', () => {
  const { root, findings } = dpkgInstall(true);
  assert.equal(brief(findings, root), [{
    rule: 'rename-before-sync', path: 'root/usr/share/lintdemo/f1.txt', count: 3, files: 3,
    evidence: ['close root/usr/share/lintdemo/f1.txt.dpkg-new', 'rename root/usr/share/lintdemo/f1.txt.dpkg-new -> root/usr/share/lintdemo/f1.txt'],
  }]);
  assert.ok(findings[0]!.exe.endsWith('/dpkg'));
});

test('dpkg -i --refuse-unsafe-io: each file fsynced before its rename, the directory it goes into never', () => {
  const { root, findings } = dpkgInstall(false);
  assert.equal(brief(findings, root), [{
    rule: 'dir-not-synced', path: 'root/usr/share/lintdemo/f1.txt', count: 3, files: 3,
    evidence: ['fsync root/usr/share/lintdemo/f1.txt.dpkg-new', 'rename root/usr/share/lintdemo/f1.txt.dpkg-new -> root/usr/share/lintdemo/f1.txt'],
  }]);
});

test.run();
