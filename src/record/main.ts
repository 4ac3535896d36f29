/**
 * fsync-record's planner: the Node half of the launcher.
 *
 *   fsync-record [--dir DIR] [--max-bytes N] [--quiet] [--node] -- CMD ARGS...
 *   fsync-record --lib
 *   fsync-record --install [DIR]
 *   fsync-record --kernel [--dir DIR] (-- CMD ARGS... | --pid N)   (root; see kernel/tracer.ts)
 *
 * bin/fsync-record execs recorders/build/fsync-launch, which runs this script
 * with FSYNC_RECORD_PLAN_FD set. This script parses the options, answers
 * --lib, --install and --help itself, checks the trace directory (and says
 * why recording would be off), and writes the plan (launch/launch.c) for the
 * launcher, which runs the command: replaced by it with --quiet (the same
 * PID), or staying as a small parent that passes signals on and lists the
 * traces. No Node process stays while the command runs.
 */
import { writeSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { FtError } from '../errors.js';
import { traceDirProblem } from './checks.js';
import { install, INSTALL_DIR, unreadableWarning } from './install.js';
import { runKernel } from './kernel/tracer.js';
import { defaultTraceDir, libraryPath, nodeOptions, preloadEnv, parseSize } from './launch.js';

const DEFAULT_MAX_BYTES = 64 << 20;

interface Options {
  lib?: boolean;
  install?: string | true;
  dir?: string;
  maxBytes?: number;
  quiet?: boolean;
  kernel?: boolean;
  pid?: number;
  node?: boolean;
}

function program(): Command {
  return new Command('fsync-record')
    .description('Run a command with the fsync flight recorder preloaded: every durability call is timed into a trace file per process.')
    .usage('[options] -- CMD [ARGS...]')
    .option('--lib', "print the recorder library's absolute path (for LD_PRELOAD in a systemd unit) and exit")
    .option('--install [dir]', `copy the library where every user can load it (default ${INSTALL_DIR}) and print the unit-file line`)
    .option('--dir <dir>', `trace directory (default: $FSYNC_TRACE_DIR or ${defaultTraceDir()})`)
    .option('--max-bytes <n>', 'size cap of each trace file, e.g. 64M (default 64M)', (v) => {
      try {
        return parseSize(v);
      } catch (err) {
        throw new InvalidArgumentError((err as Error).message);
      }
    })
    .option('-q, --quiet', 'do not list the traces afterwards: the command replaces fsync-record (same PID)')
    .option('--node', "also load the Node hook into Node programs (NODE_OPTIONS=--require): each fs.fsync, filehandle.sync() or writeFile with flush is recorded as the program waited for it, with its call site")
    .option('--kernel', 'record kernel-side with bpftrace (root): Go, static binaries, io_uring; the whole process tree (traces of 4M unless --max-bytes)')
    .option('--pid <n>', 'with --kernel: attach to running process N and its children until interrupted', (v) => {
      if (!/^[1-9]\d*$/.test(v)) throw new InvalidArgumentError(`not a process id: '${v}'`);
      return Number(v);
    })
    .argument('[command...]', 'the command to run, after --')
    .passThroughOptions()
    .addHelpText('after', `
Examples:
  fsync-record -- sqlite3 app.db 'insert into t values (1)'
  fsync-record --dir /dev/shm/traces --max-bytes 16M -- pgbench -c 4 -T 60
  fsync-record --node -- node app.js
  fsync-analyze report /dev/shm/fsync-trace-$(id -u)/*.fstrace -o report.html

In a systemd unit (after fsync-record --install):
  [Service]
  Environment=LD_PRELOAD=${INSTALL_DIR}/libfsync_recorder.so`)
    .showHelpAfterError();
}

function main(argv: string[]): number | Promise<number> {
  const cmd = program();
  cmd.parse(argv);
  const opts = cmd.opts<Options>();
  const dirOf = () => opts.dir ?? process.env.FSYNC_TRACE_DIR ?? defaultTraceDir();
  if (opts.kernel) return runKernel({ dir: dirOf(), maxBytes: opts.maxBytes ?? 4 * 1024 * 1024, pid: opts.pid, command: cmd.args, quiet: !!opts.quiet });
  if (opts.pid !== undefined) throw new FtError('fsync-record: --pid needs --kernel');
  const lib = libraryPath();
  if (opts.lib) {
    const warning = unreadableWarning(lib);
    if (warning) process.stderr.write(`${warning}\n`);
    process.stdout.write(`${lib}\n`);
    return 0;
  }
  if (opts.install !== undefined) {
    const installed = install(lib, opts.install === true ? undefined : opts.install);
    process.stderr.write(`fsync-record: installed ${installed}; in the service's unit file:\n`);
    process.stdout.write(`Environment=LD_PRELOAD=${installed}\n`);
    const warning = unreadableWarning(installed);
    if (warning) process.stderr.write(`${warning}\n`);
    return 0;
  }
  const command = cmd.args;
  if (command.length === 0) throw new FtError('fsync-record: no command given (usage: fsync-record [options] -- CMD ARGS...)');
  const dir = dirOf();
  const problem = traceDirProblem(dir, opts.maxBytes ?? DEFAULT_MAX_BYTES);
  if (problem) process.stderr.write(`fsync-record: warning: recording would be off: ${problem}\n`);
  const env = preloadEnv(process.env, lib, dir, opts.maxBytes);
  if (opts.node) env.NODE_OPTIONS = nodeOptions(process.env.NODE_OPTIONS);
  const set = ['LD_PRELOAD', 'FSYNC_TRACE_DIR', 'FSYNC_TRACE_MAX_BYTES', ...(opts.node ? ['NODE_OPTIONS'] : [])]
    .filter((k) => env[k] !== undefined).map((k) => `${k}=${env[k]}`);
  writePlan([opts.quiet ? 'exec' : 'stay', env.FSYNC_TRACE_DIR!, ...set, '--', ...command]);
  return 0;
}

/** The plan for fsync-launch: NUL-terminated strings on its descriptor. */
function writePlan(words: string[]): void {
  const fd = Number(process.env.FSYNC_RECORD_PLAN_FD);
  if (!Number.isInteger(fd) || fd < 3) {
    throw new FtError('fsync-record: run bin/fsync-record (the launcher), not bin/fsync-record.js: this script only plans the run');
  }
  const buf = Buffer.from(words.map((w) => `${w}\0`).join(''));
  for (let at = 0; at < buf.length;) at += writeSync(fd, buf, at);
}

// --kernel runs here until the recording ends (a promise); a plan returns at once.
Promise.resolve()
  .then(() => main(process.argv))
  .then(
    (status) => {
      process.exitCode = status;
    },
    (err: unknown) => {
      if (err instanceof FtError) {
        process.stderr.write(`${err.message}\n`);
        process.exitCode = err.exitCode;
      } else {
        process.stderr.write(`fsync-record: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
        process.exitCode = 2;
      }
    },
  );
