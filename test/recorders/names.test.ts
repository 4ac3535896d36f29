/**
 * The program's name as users know it. Debian's redis-server is a symlink to
 * redis-check-rdb (the binary looks at argv[0]); a trace named after the
 * resolved executable reads "redis-check-rdb". The recorder keeps both: the
 * name the kernel gave the process (comm: the basename of the path it was
 * exec'd by) names the file and the header's `comm`, the resolved path stays
 * in `exe`, and `fsync-analyze info` shows the familiar name. (Before issue
 * 13: redis-check-rdb.PID.*.fstrace, and nothing said redis-server.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeJson, requireProgram, sleep, type InfoJson } from '../../scripts/workloads/common.js';
import { bin, childEnv, cleanup, ensureBuilt, makeDirs, run } from './harness.js';

test.after(cleanup);

test('a program run through a symlink: the file and comm say the link\'s name, exe the target', () => {
  ensureBuilt();
  const d = makeDirs();
  const link = join(d.root, 'myprog');
  symlinkSync(bin('calls'), link);
  const r = run(link, [d.data], { dirs: d });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.files.length, 1);
  assert.match(r.files[0]!, /^myprog\.\d+\.\d+\.\d+\.fstrace$/);
  const h = r.traces[0]!.header as unknown as { comm: string; exe: string };
  assert.equal([h.comm, h.exe], ['myprog', bin('calls')]);
});

test('redis-server (a symlink to redis-check-rdb): recorded and shown as redis-server', async () => {
  const server = requireProgram('redis-server', 'redis-server');
  const cli = requireProgram('redis-cli', 'redis-tools');
  const d = makeDirs();
  const sock = join(d.root, 'redis.sock');
  const child = spawn(server, ['--port', '0', '--unixsocket', sock, '--dir', d.data, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''],
    { env: childEnv(d, {}), cwd: d.root, stdio: 'ignore' });
  const closed = new Promise((res) => child.on('close', res));
  for (let i = 0; i < 200 && !existsSync(sock); i++) await sleep(25);
  for (let i = 0; i < 5; i++) assert.is(spawnSync(cli, ['-s', sock, 'set', `k${i}`, 'v'], { encoding: 'utf8' }).stdout.trim(), 'OK');
  spawnSync(cli, ['-s', sock, 'shutdown']);
  await closed;
  const info = analyzeJson<{ traces: (InfoJson['traces'][number] & { name?: string })[] }>(['info', d.traces]);
  const main = info.traces.filter((t) => t.exe === '/usr/bin/redis-check-rdb');
  assert.ok(main.length >= 1, JSON.stringify(info.traces.map((t) => [t.file, t.exe])));
  for (const t of main) {
    assert.match(t.file, /\/redis-server\.\d+\./);
    assert.is(t.name, 'redis-server');
  }
});

test.run();
