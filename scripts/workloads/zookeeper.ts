/**
 * A standalone ZooKeeper 3.8 server (Debian packages `zookeeper` and
 * `default-jre-headless`) for recording: a config with its dataDir in a fresh
 * directory and a free loopback client port, the server's main class run by
 * java with the recorder preloaded, Debian's zkCli (ZooKeeperMain) as the
 * client, and the four-letter words to ask the server what it did.
 *
 * Classpath: Debian's /usr/share/java/zookeeper.jar names every jar it needs
 * in its manifest's Class-Path, and /etc/zookeeper/conf holds log4j's
 * configuration, so these two are the whole classpath (as the package's own
 * /usr/share/zookeeper/bin/zkEnv.sh has it).
 *
 * ZooKeeper logs every transaction to dataDir/version-2/log.<zxid> and makes
 * each batch of them durable with FileChannel.force(false), which the JDK's
 * libnio implements with libc's fdatasync; a client that waits for each reply
 * makes each batch one transaction.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort, freshDir, namedDir, recorderEnv, requireFile, requireProgram, runOk, sleep } from './common.js';

export const ZK_CLASSPATH = '/etc/zookeeper/conf:/usr/share/java/zookeeper.jar';

export function java(): string {
  return requireProgram('java', 'default-jre-headless');
}

function requireZooKeeper(): void {
  java();
  requireFile('/usr/share/java/zookeeper.jar', 'zookeeper');
  requireFile('/etc/zookeeper/conf', 'zookeeper');
}

export interface ZooKeeper {
  root: string;
  dataDir: string;
  traces: string;
  port: number;
  log: string;
  process: ChildProcess;
  exited: Promise<number | null>;
}

const live = new Set<ZooKeeper>();
let exitHook = false;

/**
 * Start a recorded standalone server and wait until it serves requests (`ruok`
 * answers imok as soon as it listens; `srvr` says "not currently serving
 * requests" until its database is loaded).
 */
export async function startZooKeeper(o: { maxBytes: number; root?: string }): Promise<ZooKeeper> {
  requireZooKeeper();
  const root = o.root ? namedDir(o.root) : freshDir('zk');
  const dataDir = join(root, 'data');
  const traces = join(root, 'traces');
  mkdirSync(dataDir);
  mkdirSync(traces);
  const port = await freePort();
  const cfg = join(root, 'zoo.cfg');
  writeFileSync(cfg, [
    'tickTime=2000',
    `dataDir=${dataDir}`,
    `clientPort=${port}`,
    'clientPortAddress=127.0.0.1',
    'admin.enableServer=false',
    '4lw.commands.whitelist=ruok,srvr,stat',
    '',
  ].join('\n'));
  const log = join(root, 'server.log');
  const out = openSync(log, 'w');
  const child = spawn(java(), ['-cp', ZK_CLASSPATH, '-Dzookeeper.log.dir=' + root, 'org.apache.zookeeper.server.ZooKeeperServerMain', cfg], {
    cwd: root,
    env: recorderEnv(traces, o.maxBytes),
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const zk: ZooKeeper = { root, dataDir, traces, port, log, process: child, exited };
  if (!exitHook) {
    process.on('exit', () => live.forEach((z) => z.process.kill('SIGKILL')));
    exitHook = true;
  }
  live.add(zk);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`ZooKeeper exited with ${child.exitCode} before answering; see ${log}`);
    if ((await fourLetters(port, 'srvr').catch(() => '')).includes('\nMode: ')) return zk;
    if (Date.now() > deadline) {
      await stopZooKeeper(zk);
      throw new Error(`ZooKeeper did not serve requests on 127.0.0.1:${port} within 60 s; see ${log}`);
    }
    await sleep(100);
  }
}

/** Stop the server (SIGTERM, then SIGKILL after 10 s) and wait for it. Never throws. */
export async function stopZooKeeper(zk: ZooKeeper): Promise<void> {
  if (!live.delete(zk)) return;
  if (zk.process.exitCode !== null || zk.process.signalCode !== null) return;
  zk.process.kill('SIGTERM');
  const timer = setTimeout(() => zk.process.kill('SIGKILL'), 10_000);
  await zk.exited;
  clearTimeout(timer);
}

/** Send a four-letter word, resolve to the whole answer. */
export function fourLetters(port: number, word: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    socket.setEncoding('utf8');
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer to ${word}`)));
    socket.on('connect', () => socket.write(word));
    socket.on('data', (s: string) => (answer += s));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

/** The server's `srvr` answer, as key/value pairs (Zxid, Node count, ...). */
export async function srvr(port: number): Promise<Record<string, string>> {
  const text = await fourLetters(port, 'srvr');
  return Object.fromEntries(text.split('\n').filter((l) => l.includes(': ')).map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]));
}

/**
 * Run Debian's command-line client (ZooKeeperMain, not recorded) on a script of
 * commands; -waitforconnection, so no command races the session. Returns its output.
 */
export function zkCli(port: number, commands: string[]): string {
  const r = runOk(java(), ['-cp', ZK_CLASSPATH, 'org.apache.zookeeper.ZooKeeperMain', '-server', `127.0.0.1:${port}`, '-waitforconnection'], {
    input: `${commands.join('\n')}\nquit\n`,
    timeout: 60_000,
  });
  return r.stdout + r.stderr;
}
