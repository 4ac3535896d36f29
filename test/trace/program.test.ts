// The name a process is shown by (src/trace/program.ts): the kernel's comm, whole.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { programName } from '../../src/trace/program.js';

test('comm names the program where the executable is a symlink\'s target or an interpreter', () => {
  assert.is(programName({ comm: 'redis-server', cmdline: ['redis-server *:6379'], exe: '/usr/bin/redis-check-rdb' }), 'redis-server');
  assert.is(programName({ comm: 'worker.py', cmdline: ['/usr/bin/python3', '/srv/app/worker.py'], exe: '/usr/bin/python3.11' }), 'worker.py');
});

test('a comm cut at 15 bytes is made whole from argv[0]; one that differs is kept', () => {
  assert.is(programName({ comm: 'zookeeper-serve', cmdline: ['/opt/zk/zookeeper-server-start', 'zoo.cfg'], exe: '/usr/bin/bash' }), 'zookeeper-server-start');
  assert.is(programName({ comm: 'my-long-daemon-', cmdline: ['other'], exe: '/usr/bin/x' }), 'my-long-daemon-');
});

test('without comm (traces from before it): argv[0]\'s base name, less a trailing colon, else the executable\'s', () => {
  assert.is(programName({ comm: '', cmdline: ['postgres: walwriter'], exe: '/usr/lib/postgresql/15/bin/postgres' }), 'postgres');
  assert.is(programName({ comm: '', cmdline: ['/usr/bin/sqlite3', 'app.db'], exe: '/usr/bin/sqlite3' }), 'sqlite3');
  assert.is(programName({ comm: '', cmdline: [], exe: '/usr/bin/app' }), 'app');
});

test.run();
