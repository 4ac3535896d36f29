/**
 * fsync-record: run a command with the recorder preloaded.
 *
 *   fsync-record [--dir DIR] [--max-bytes N] [--quiet] -- CMD ARGS...
 *   fsync-record --lib
 *   fsync-record --kernel [--dir DIR] (-- CMD ARGS... | --pid N)   (root; see kernel/tracer.ts)
 *
 * The command inherits stdin, stdout and stderr. Signals a terminal sends to
 * its foreground process group (Ctrl-C, Ctrl-\) reach the command directly,
 * so this process ignores them rather than delivering them twice; other
 * signals sent to this process are passed on. The command's exit status is
 * ours: its exit code, or death by the same signal.
 */
import { spawn } from 'node:child_process';
import { Command, InvalidArgumentError } from 'commander';
import { constants as osConstants } from 'node:os';
import { FtError } from '../errors.js';
import { defaultTraceDir, libraryPath, listTraces, preloadEnv, parseSize } from './launch.js';
import { runKernel } from './kernel/tracer.js';

const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGALRM'];
const FROM_TERMINAL: NodeJS.Signals[] = ['SIGINT', 'SIGQUIT'];

interface Options {
  lib?: boolean;
  dir?: string;
  maxBytes?: number;
  quiet?: boolean;
  kernel?: boolean;
  pid?: number;
}

function program(): Command {
  return new Command('fsync-record')
    .description('Run a command with the fsync flight recorder preloaded: every durability call is timed into a trace file per process.')
    .usage('[options] -- CMD [ARGS...]')
    .option('--lib', "print the recorder library's absolute path (for LD_PRELOAD in a systemd unit) and exit")
    .option('--dir <dir>', `trace directory (default: $FSYNC_TRACE_DIR or ${defaultTraceDir()})`)
    .option('--max-bytes <n>', 'size cap of each trace file, e.g. 64M (default 64M)', (v) => {
      try {
        return parseSize(v);
      } catch (err) {
        throw new InvalidArgumentError((err as Error).message);
      }
    })
    .option('-q, --quiet', 'do not say where the traces went')
    .option('--kernel', 'record kernel-side with bpftrace (root): Go, static binaries, io_uring; the whole process tree')
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
  fsync-analyze report /dev/shm/fsync-trace-$(id -u)/*.fstrace -o report.html

In a systemd unit:
  [Service]
  Environment=LD_PRELOAD=$(fsync-record --lib)`)
    .showHelpAfterError();
}

async function main(argv: string[]): Promise<number> {
  const cmd = program();
  cmd.parse(argv);
  const opts = cmd.opts<Options>();
  const dirOf = () => opts.dir ?? process.env.FSYNC_TRACE_DIR ?? defaultTraceDir();
  if (opts.kernel) return runKernel({ dir: dirOf(), maxBytes: opts.maxBytes ?? 4 * 1024 * 1024, pid: opts.pid, command: cmd.args, quiet: !!opts.quiet });
  if (opts.pid !== undefined) throw new FtError('fsync-record: --pid needs --kernel');
  const lib = libraryPath();
  if (opts.lib) {
    process.stdout.write(`${lib}\n`);
    return 0;
  }
  const command = cmd.args;
  if (command.length === 0) throw new FtError('fsync-record: no command given (usage: fsync-record [options] -- CMD ARGS...)');
  const dir = dirOf();
  const started = Date.now();
  const env = preloadEnv(process.env, lib, dir, opts.maxBytes);
  const status = await run(command, env);
  if (!opts.quiet) report(dir, started);
  return status;
}

/** Run the command and resolve to its exit code; die by its signal if it died by one. */
function run(command: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { stdio: 'inherit', env });
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    const ignore = () => {};
    for (const sig of FORWARDED) process.on(sig, forward);
    for (const sig of FROM_TERMINAL) process.on(sig, ignore);
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(new FtError(`fsync-record: cannot run ${command[0]}: ${err.code === 'ENOENT' ? 'command not found' : err.message}`, 127));
    });
    child.on('exit', (code, signal) => {
      for (const sig of FORWARDED) process.off(sig, forward);
      for (const sig of FROM_TERMINAL) process.off(sig, ignore);
      if (signal) {
        resolve(128 + (osConstants.signals[signal] ?? 0));
        // Die the same way, so a shell or supervisor sees the signal, not a code.
        setImmediate(() => process.kill(process.pid, signal));
        return;
      }
      resolve(code ?? 0);
    });
  });
}

function report(dir: string, since: number): void {
  const traces = listTraces(dir, since);
  if (traces.length === 0) {
    process.stderr.write(`fsync-record: no durability calls recorded (no new trace in ${dir})\n`);
    return;
  }
  const shown = traces.slice(0, 8).map((t) => `  ${t}\n`).join('');
  const more = traces.length > 8 ? `  ... and ${traces.length - 8} more\n` : '';
  process.stderr.write(`fsync-record: ${traces.length} trace file${traces.length === 1 ? '' : 's'} in ${dir}:\n${shown}${more}`);
}

main(process.argv).then(
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
