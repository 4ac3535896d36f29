/**
 * fsync-analyze: load fsync traces into DuckDB and tell what was slow.
 *
 * This file only declares the commands and hands off to src/commands/; its
 * one catch turns an FtError (bad input or usage) into a one-line message and
 * exit code 1, and anything else (a bug) into exit code 2.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { readFileSync, readlinkSync } from 'node:fs';
import { FtError } from './errors.js';
import { withAnalysisOptions, withLoadOptions } from './commands/options.js';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Export file formats (db/export.ts checks the same list). */
const EXPORT_FORMATS = ['parquet', 'csv', 'arrow'] as const;

// Each command's module (and DuckDB, Vega) loads only when that command runs: --version and
// --help start at once.
const TRACES = '[traces...]';
const TRACES_HELP = 'trace files, directories (every *.fstrace inside) or quoted globs';

function limit(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number, not '${text}'`);
  return n;
}

function program(): Command {
  const root = new Command('fsync-analyze')
    .description('Load fsync traces into DuckDB and find the syncs that were slow for their file on their host.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError()
    .addHelpText('after', `
Every command takes trace files, directories or globs, from any number of processes and hosts.

Examples:
  fsync-analyze report /dev/shm/fsync-trace-$(id -u) -o report.html
  fsync-analyze summary 'traces/**/*.fstrace'
  fsync-analyze outliers --window 5m --threshold 500 traces/
  fsync-analyze info --json app.1234.fstrace
  fsync-analyze alerts /dev/shm/fsync-trace-$(id -u)
  fsync-analyze lint --json /dev/shm/fsync-trace-$(id -u)
  fsync-analyze sql "select count(*) from events" traces/ --db traces.duckdb
  fsync-analyze sql --db traces.duckdb "select path, max(latency_ms) from intervals group by path"
  fsync-analyze export --format parquet -o export/ traces/

Exit status: 0 ok, 1 bad input, usage or a full disk, 2 internal error.`);

  withAnalysisOptions(withLoadOptions(root.command('report').argument(TRACES, TRACES_HELP)
    .description('write the self-contained HTML report')
    .option('-o, --out <file>', 'where to write it', 'fsync-report.html')))
    .action(async (traces, o) => (await import('./commands/report.js')).report(traces, o));

  withLoadOptions(root.command('summary').argument(TRACES, TRACES_HELP)
    .description('per file: sync calls by kind, failures, bytes made durable, latency p50/p99/max')
    .option('--json', 'machine-readable output'))
    .action(async (traces, o) => (await import('./commands/summary.js')).summary(traces, o));

  withAnalysisOptions(withLoadOptions(root.command('outliers').argument(TRACES, TRACES_HELP)
    .description('syncs slower than normal for their file, over the threshold, or failed; and the incidents they form')
    .option('--json', 'machine-readable output')
    .option('--limit <n>', 'show at most N, worst first (0: all; default 50 in a table, all in JSON)', limit)
    .addOption(new Option('--cause <cause>', 'only outliers of this cause').choices(['slow', 'write-volume', 'failed']))))
    .action(async (traces, o) => (await import('./commands/outliers.js')).outliers(traces, o));

  withLoadOptions(root.command('intervals').argument(TRACES, TRACES_HELP)
    .description('each sync and the write interval it made durable, in time order')
    .option('--json', 'machine-readable output (streamed)')
    .option('--limit <n>', 'show at most N (0: all; default 100 in a table, all in JSON)', limit))
    .action(async (traces, o) => (await import('./commands/intervals.js')).intervals(traces, o));

  withLoadOptions(root.command('info').argument(TRACES, TRACES_HELP)
    .description('the trace files: process, host, records, dropped and torn records, time span')
    .option('--json', 'machine-readable output'))
    .action(async (traces, o) => (await import('./commands/info.js')).info(traces, o));

  withLoadOptions(root.command('alerts').argument(TRACES, TRACES_HELP)
    .description('the syncs the recorder raised an alert for (format v2), from the ring and the keep ring, in time order')
    .option('--json', 'machine-readable output')
    .option('--limit <n>', 'show at most N (0: all; default 100 in a table, all in JSON)', limit))
    .action(async (traces, o) => (await import('./commands/alerts.js')).alerts(traces, o));

  withLoadOptions(root.command('lint').argument(TRACES, TRACES_HELP)
    .description('durability: writes a crash would lose (renamed before sync, directory not synced, unsynced at close, written after a failed sync)')
    .option('--json', 'machine-readable output'))
    .action(async (traces, o) => (await import('./commands/lint.js')).lint(traces, o));

  withAnalysisOptions(withLoadOptions(root.command('sql').argument('<query>', 'SQL over the tables (traces, files, paths, events, calls, summary_entries, summary_hist, recorder_cost) and queries/ (intervals, summaries, baselines, outliers, incidents, file_stats, daily, alerts, ...)').argument(TRACES, TRACES_HELP)
    .description('run a query; the analysis tables it names are built first')
    .option('--json', 'rows as a JSON array of objects')))
    .action(async (query, traces, o) => (await import('./commands/sql.js')).sql(query, traces, o));

  withAnalysisOptions(withLoadOptions(root.command('export').argument(TRACES, TRACES_HELP)
    .description('write the tables and the analysis as Parquet, CSV or Arrow IPC files')
    .addOption(new Option('--format <format>', 'file format').choices(EXPORT_FORMATS).default('parquet'))
    .requiredOption('-o, --out <dir>', 'directory to write into (created if missing)')
    .option('--tables <list>', 'comma-separated tables to export (default: all)', (v) => v.split(',').map((t) => t.trim()).filter(Boolean))
    .option('--partition', 'Parquet: events, intervals and summaries in host=H/day=D/ directories')
    .option('--json', 'say what was written, as JSON')))
    .action(async (traces, o) => (await import('./commands/export.js')).exportCommand(traces, o));

  return root;
}

/** Where standard output goes: the file it was redirected to, when there is one. */
function stdoutName(): string {
  try {
    const target = readlinkSync('/proc/self/fd/1');
    if (target.startsWith('/')) return target;
  } catch {
    // no /proc: named as what it is
  }
  return 'standard output';
}

/** A write error as the user reads it: "no space left on device" (ENOSPC), not Node's text. */
function writeFailure(err: NodeJS.ErrnoException): string {
  const text = /^[A-Z]+: ([^,]*)/.exec(err.message)?.[1];
  return text ?? err.code ?? err.message;
}

async function main(argv: string[]): Promise<void> {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // A reader that went away (| head) is not an error of ours.
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    // A file the output goes to that cannot take it (a full disk): what it holds so far is the
    // shell's to remove, not ours.
    process.stderr.write(`fsync-analyze: ${stdoutName()}: cannot write: ${writeFailure(err)}\n`);
    process.exit(1);
  });
  await program().parseAsync(argv);
}

main(process.argv).catch((err: unknown) => {
  if (err instanceof FtError) {
    process.stderr.write(`fsync-analyze: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(`fsync-analyze: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 2;
  }
});
