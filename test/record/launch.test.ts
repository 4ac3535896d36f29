/**
 * fsync-record as a launcher (bin/fsync-record → recorders/build/fsync-launch):
 * the command sees the world it would see without it — inherited descriptors,
 * ignored signals, the same PID with --quiet, every signal a supervisor sends
 * passed on by the parent that stays otherwise, which dies with its own
 * parent (PR_SET_PDEATHSIG reaches the command), socket activation
 * (systemd-socket-activate: fd 3 and LISTEN_PID), the shell's 126 and 127 —
 * and the launcher lists only the traces of the processes it started.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { chmodSync, chownSync, closeSync, mkdirSync, openSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, RECORD, requireProgram } from '../../scripts/workloads/common.js';
import { bin, cleanup, ensureBuilt, LIB, makeDirs } from '../recorders/harness.js';
import { traceFiles } from '../traces.js';

test.after(cleanup);

const NOBODY = 65534;

function record(args: string[], opts: { cwd?: string; input?: string } = {}) {
  ensureBuilt();
  const r = spawnSync(RECORD, args, { encoding: 'utf8', timeout: 60_000, ...opts });
  if (r.error) throw r.error;
  return r;
}

/** Run `script` in sh, which then execs fsync-record (or, bare, the command itself). */
function viaShell(script: string) {
  const r = spawnSync('sh', ['-c', script], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, RECORD, FT_LIB: LIB } });
  if (r.error) throw r.error;
  return r;
}

test('inherited descriptors reach the command (exec 7>x; fsync-record -- sh -c "echo hi >&7")', () => {
  const d = makeDirs();
  const out = join(d.data, 'x');
  const list = (tag: string) => `sh -c 'echo hi${tag} >&7; ls /proc/self/fd | sort -n | tr "\\n" " "'`;
  const bare = viaShell(`exec 7>>'${out}' 4<&0; ${list('')}`);
  // 0 1 2, the two inherited ones, the one ls reads its directory with (and any this test inherited).
  assert.match(bare.stdout, /^0 1 2 3 4 7 /);
  for (const quiet of ['', '-q']) {
    const r = viaShell(`exec 7>>'${out}' 4<&0; "$RECORD" ${quiet} --dir '${d.traces}' -- ${list(quiet)}`);
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout, bare.stdout, quiet);
  }
  assert.is(readFileSync(out, 'utf8'), 'hi\nhi\nhi-q\n');
});

test('ignored signals stay ignored and the mask is kept, as without the launcher', () => {
  const d = makeDirs();
  const status = 'grep -E "^Sig(Ign|Blk)" /proc/self/status';
  const bare = viaShell(`trap "" HUP USR1 PIPE; exec ${status}`);
  for (const quiet of ['', '-q']) {
    const r = viaShell(`trap "" HUP USR1 PIPE; exec "$RECORD" ${quiet} --dir '${d.traces}' -- ${status}`);
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout, bare.stdout, quiet);
  }
  // SIGHUP 1, SIGUSR1 10, SIGPIPE 13: bits 0, 9, 12.
  assert.match(bare.stdout, /SigIgn:\s+0+1201\n/);
});

test('--quiet: the command replaces the launcher and keeps its PID', () => {
  const d = makeDirs();
  const child = spawnSync(RECORD, ['-q', '--dir', d.traces, '--', 'sh', '-c', 'echo $$'], { encoding: 'utf8' });
  assert.is(child.status, 0, child.stderr);
  assert.is(Number(child.stdout.trim()), child.pid);
  assert.is(child.stderr, '');
});

test('exit status: the code, death by the same signal, 126 not executable, 127 missing', () => {
  const d = makeDirs();
  const code = record(['--dir', d.traces, '--', 'sh', '-c', 'exit 3']);
  assert.is(code.status, 3);
  const killed = record(['--dir', d.traces, '--', 'sh', '-c', 'kill -USR2 $$']);
  assert.equal([killed.status, killed.signal], [null, 'SIGUSR2']);
  const plain = join(d.data, 'not-executable');
  writeFileSync(plain, 'echo no\n');
  for (const quiet of [[], ['-q']]) {
    const noexec = record([...quiet, '--dir', d.traces, '--', plain]);
    assert.equal([noexec.status, noexec.stderr.trim()], [126, `fsync-record: cannot run ${plain}: Permission denied`]);
    const missing = record([...quiet, '--dir', d.traces, '--', 'no-such-command-here']);
    assert.equal([missing.status, missing.stderr.trim()], [127, 'fsync-record: cannot run no-such-command-here: command not found']);
  }
});

test('every signal a supervisor sends the launcher reaches the command, once; the launcher stays small', async () => {
  ensureBuilt();
  const d = makeDirs();
  const child = spawn(RECORD, ['--dir', d.traces, '--', bin('sigecho'), '7'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const until = async (re: RegExp) => {
    for (let i = 0; i < 400 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 25));
    assert.match(out, re);
  };
  await until(/ready pid=(\d+) ppid=(\d+)\n/);
  const [, pid, ppid] = /ready pid=(\d+) ppid=(\d+)/.exec(out)!;
  // The launcher (not Node, not a shell) is the parent, and it is small.
  assert.is(Number(ppid), child.pid);
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  assert.is(/^Name:\s+(\S+)/m.exec(status)![1], 'fsync-launch');
  const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]);
  assert.ok(rssKb < 4096, `launcher RSS ${rssKb} kB`);
  const sent: number[] = [];
  const names: NodeJS.Signals[] = ['SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGPIPE', 'SIGALRM', 'SIGCONT', 'SIGURG', 'SIGPWR', 'SIGABRT'];
  for (const name of names) {
    const before = out.split('\n').length;
    process.kill(child.pid!, name);
    sent.push(require_signal(name));
    for (let i = 0; i < 400 && out.split('\n').length === before; i++) await new Promise((r) => setTimeout(r, 10));
  }
  process.kill(child.pid!, 35); // SIGRTMIN+1 (glibc keeps 32 and 33)
  sent.push(35);
  await new Promise((r) => setTimeout(r, 100));
  process.kill(child.pid!, 'SIGTERM');
  sent.push(15);
  const [code, signal] = await new Promise<[number | null, string | null]>((res) => child.on('close', (c, s) => res([c, s])));
  assert.equal([code, signal], [7, null], err);
  const got = [...out.matchAll(/got sig=(\d+) from=(\d+)/g)];
  assert.equal(got.map((m) => Number(m[1])), sent);
  assert.ok(got.every((m) => Number(m[2]) === child.pid), 'each signal came from the launcher');
  assert.ok(Number(pid) > 0);
});

function require_signal(name: NodeJS.Signals): number {
  return (spawnSync('kill', ['-l', name.slice(3)], { encoding: 'utf8' }).stdout.trim() as unknown as number) * 1;
}

test('a command that asks to die with its parent (PR_SET_PDEATHSIG) does when the supervisor dies, as without the launcher', async () => {
  ensureBuilt();
  const read = (f: string) => { try { return readFileSync(f, 'utf8'); } catch { return ''; } };
  const wait = async (f: string, re: RegExp) => {
    for (let i = 0; i < 800 && !re.test(read(f)); i++) await new Promise((r) => setTimeout(r, 25));
    return read(f);
  };
  for (const mode of ['bare', 'stay', 'quiet']) {
    const d = makeDirs();
    const out = join(d.data, 'said');
    const cmd = mode === 'bare' ? `"${bin('pdeath')}" '${out}'` : `"$RECORD" ${mode === 'quiet' ? '-q' : ''} --dir '${d.traces}' -- "${bin('pdeath')}" '${out}'`;
    // The supervisor: a shell that starts the service and waits; then it is killed.
    const supervisor = spawn('sh', ['-c', `${cmd} & wait`], { env: { ...process.env, RECORD }, stdio: 'ignore' });
    const ready = /^ready pid=(\d+) ppid=(\d+)\n/.exec(await wait(out, /^ready /m));
    assert.ok(ready, `${mode}: the service started`);
    const [pid, ppid] = [Number(ready[1]), Number(ready[2])];
    try {
      // Its parent: the supervisor itself, or (stay) the launcher the supervisor started.
      if (mode === 'stay') assert.match(readFileSync(`/proc/${ppid}/status`, 'utf8'), /^Name:\s+fsync-launch$/m);
      else assert.is(ppid, supervisor.pid, mode);
      supervisor.kill('SIGKILL');
      const said = await wait(out, /^(died|alive)/m);
      assert.match(said, /\ndied sig=10 ppid=\d+\n$/, `${mode}: ${said}`);
    } finally {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone, as it should be */ }
    }
  }
});

test('socket activation by systemd-socket-activate: the listening socket and LISTEN_PID reach the command', async () => {
  ensureBuilt();
  // systemd's own activation tool: it listens, and on the first connection execs its command
  // with the socket as fd 3, LISTEN_FDS=1 and LISTEN_PID=its pid (sd_listen_fds(3)).
  // (systemd-run needs systemd as PID 1, which this container does not run.)
  const activate = requireProgram('systemd-socket-activate', 'systemd');
  for (const mode of ['bare', 'stay', 'quiet']) {
    const d = makeDirs();
    const port = await freePort();
    const cmd = mode === 'bare' ? [bin('sockact'), d.data] : [RECORD, ...(mode === 'quiet' ? ['-q'] : []), '--dir', d.traces, '--', bin('sockact'), d.data];
    const service = spawn(activate, ['-l', `127.0.0.1:${port}`, ...cmd], { stdio: ['ignore', 'ignore', 'pipe'] });
    // Listened for from the start: the service may close before the answer's end arrives.
    const closed = new Promise<number | null>((res) => service.on('close', (c) => res(c)));
    let err = '';
    service.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    for (let i = 0; i < 400 && !err.includes('Listening on'); i++) await new Promise((r) => setTimeout(r, 25));
    const answer = await new Promise<string>((res, rej) => {
      let got = '';
      const sock = connect(port, '127.0.0.1');
      sock.setEncoding('utf8').on('data', (s: string) => (got += s)).on('end', () => res(got)).on('error', rej);
    });
    const code = await closed;
    assert.match(answer, /^activated pid=\d+ fds=1\n$/, `${mode}: ${answer} ${err}`);
    assert.is(code, 0, `${mode}: ${err}`);
    if (mode !== 'bare') {
      const pid = /pid=(\d+)/.exec(answer)![1];
      assert.equal(traceFiles(d.traces).map((f) => f.split('.')[1]), [pid], mode);
    }
  }
});

test('the list after the run names only the traces of the processes it started', async () => {
  ensureBuilt();
  const d = makeDirs();
  // The command: a shell that runs calls twice, each a child with its own trace.
  const script = `"${bin('calls')}" '${d.data}' >/dev/null; "${bin('calls')}" '${d.data}' >/dev/null; echo started; read x`;
  const launcher = spawn(RECORD, ['--dir', d.traces, '--', 'sh', '-c', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  launcher.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  launcher.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  for (let i = 0; i < 400 && !out.includes('started'); i++) await new Promise((r) => setTimeout(r, 25));
  // Meanwhile another recording in the same directory, not started by this launcher.
  const other = spawnSync(bin('calls'), [d.data], { env: { ...process.env, LD_PRELOAD: LIB, FSYNC_TRACE_DIR: d.traces }, encoding: 'utf8' });
  assert.is(other.status, 0);
  launcher.stdin.end('\n');
  const code = await new Promise<number | null>((res) => launcher.on('close', (c) => res(c)));
  assert.is(code, 0, err);
  const all = traceFiles(d.traces);
  const listed = err.split('\n').filter((l) => l.startsWith('  ')).map((l) => l.trim().replace(`${d.traces}/`, '')).sort();
  const mine = all.filter((f) => !f.includes(`.${other.pid}.`));
  assert.is(all.length, mine.length + 1);
  assert.equal(listed, mine);
  assert.is(mine.filter((f) => f.startsWith('calls.')).length, 2);
  assert.match(err, new RegExp(`^fsync-record: ${mine.length} trace files in ${d.traces}:\n`));
});

test('the list names a grandchild whose parent left no trace (a shell between them), by the run\'s mark in its header', () => {
  const d = makeDirs();
  // sh (the command) runs sh, which runs calls twice: neither shell syncs, so neither leaves a trace.
  const inner = `"${bin('calls')}" '${d.data}' >/dev/null; "${bin('calls')}" '${d.data}' >/dev/null; true`;
  const r = record(['--dir', d.traces, '--', 'sh', '-c', `sh -c '${inner.replace(/'/g, `'\\''`)}'; true`]);
  assert.is(r.status, 0, r.stderr);
  const all = traceFiles(d.traces);
  assert.is(all.length, 2, all.join(' '));
  assert.ok(all.every((f) => f.startsWith('calls.')), all.join(' '));
  const listed = r.stderr.split('\n').filter((l) => l.startsWith('  ')).map((l) => l.trim().replace(`${d.traces}/`, '')).sort();
  assert.equal(listed, all);
  assert.match(r.stderr, new RegExp(`^fsync-record: 2 trace files in ${d.traces}:\n`));
  // The mark is in the header (FORMAT.md: launch_id at 3456), the same in both, and not zero.
  const marks = all.map((f) => readFileSync(join(d.traces, f)).readBigUInt64LE(3456));
  assert.ok(marks[0]! > 0n);
  assert.is(marks[1], marks[0]);
  // Without the mark (an environment cleared on the way), the pid chain alone cannot reach them.
  const e = makeDirs();
  const cleared = record(['--dir', e.traces, '--', 'sh', '-c', `env -u FSYNC_TRACE_LAUNCH sh -c '${inner.replace(/'/g, `'\\''`)}'; true`]);
  assert.is(cleared.status, 0, cleared.stderr);
  assert.is(traceFiles(e.traces).length, 2);
  assert.match(cleared.stderr, /fsync-record: no durability calls recorded/);
});

test('the list names the traces a child made in its uid-N directory after it became another user', () => {
  const d = makeDirs();
  chmodSync(d.traces, 0o700);
  chmodSync(d.root, 0o755);
  chownSync(d.data, NOBODY, NOBODY);
  const r = record(['--dir', d.traces, '--', bin('privdrop'), d.data, String(NOBODY)]);
  assert.is(r.status, 0, r.stderr);
  const child = /child pid=(\d+) status=0/.exec(r.stdout);
  assert.ok(child, r.stdout);
  const own = readdirSync(join(d.traces, `uid-${NOBODY}`));
  assert.equal(own.map((f) => f.split('.')[1]), [child[1]]);
  const listed = r.stderr.split('\n').filter((l) => l.startsWith('  ')).map((l) => l.trim().replace(`${d.traces}/`, ''));
  assert.equal(listed, [traceFiles(d.traces)[0], `uid-${NOBODY}/${own[0]}`]);
  assert.match(r.stderr, new RegExp(`^fsync-record: 2 trace files in ${d.traces}:\n`));
});

test('a trace directory the recorder would refuse: the launcher names the reason, the command still runs', () => {
  const cases: Array<[string, (root: string) => string, RegExp]> = [
    ['owned by another user', (root) => { mkdirSync(join(root, 't'), { mode: 0o700 }); chownSync(join(root, 't'), NOBODY, NOBODY); return join(root, 't'); }, /t belongs to uid 65534, not to uid 0 \(refused: it may have been planted by another user\)/],
    ['group-writable', (root) => { mkdirSync(join(root, 't')); chmodSync(join(root, 't'), 0o775); return join(root, 't'); }, /t is writable by group or others \(mode 0775; refused: make it 0700\)/],
    ['a symlink', (root) => { mkdirSync(join(root, 'real'), { mode: 0o700 }); symlinkSync(join(root, 'real'), join(root, 't')); return join(root, 't'); }, /t is a symbolic link/],
    ['a plain file', (root) => { writeFileSync(join(root, 't'), ''); return join(root, 't'); }, /t is not a directory/],
    ['missing parent', (root) => join(root, 'no', 't'), /t does not exist and neither does its parent .*\/no/],
  ];
  for (const [name, make, reason] of cases) {
    const d = makeDirs();
    const where = make(d.root);
    const r = record(['--dir', where, '--', bin('calls'), d.data]);
    assert.is(r.status, 0, name);
    const lines = r.stderr.trim().split('\n');
    assert.match(lines[0]!, /^fsync-record: warning: recording would be off: /, name);
    assert.match(lines[0]!, reason, name);
    assert.match(lines.at(-1)!, /^fsync-record: no durability calls recorded/, name);
    assert.ok(r.stdout.includes('done'), name);
  }
  // A good directory: no warning.
  const d = makeDirs();
  const ok = record(['--dir', d.traces, '--', bin('calls'), d.data]);
  assert.match(ok.stderr, /^fsync-record: 1 trace file in /);
});

test('a full file system: said before the run', () => {
  const d = makeDirs();
  const mnt = join(d.root, 'mnt');
  mkdirSync(mnt);
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', mnt]);
  assert.is(mount.status, 0, String(mount.stderr));
  try {
    const fd = openSync(join(mnt, 'fill'), 'w');
    try {
      writeFileSync(fd, Buffer.alloc(64 << 10));
    } catch {
      // ENOSPC: full, as intended
    }
    closeSync(fd);
    const r = record(['--dir', mnt, '--', 'true']);
    assert.is(r.status, 0);
    assert.match(r.stderr, new RegExp(`^fsync-record: warning: recording would be off: ${mnt} is on a full file system \\(0 bytes free\\)\\n`));
  } finally {
    spawnSync('umount', [mnt]);
  }
});

test.run();
