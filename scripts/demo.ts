/**
 * npm run demo: record a real workload on this machine, end to end, and write
 * its report.
 *
 *   npm run demo [-- --seconds N] [-- --slow]
 *
 * With sqlite3 installed, the workload is SQLite in WAL mode committing 100
 * transactions a second (each one fdatasync of its WAL) in a fresh directory
 * under $TMPDIR, on whatever disk that is; without it, a Node program that
 * syncs its files every way Node can (scripts/workloads/node-sync.mjs).
 * --slow (needs strace) makes a stretch of the SQLite commits slow, so the
 * report has an incident to show. The analysis runs with its defaults: a run
 * of seconds is judged from its first call (queries/20_baselines.sql).
 *
 * Prints where the report is; opens nothing.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { analyze, freshDir, RECORD, requireProgram, ROOT, runOk } from './workloads/common.js';
import { pacedSqlite, plainSqlite } from './workloads/sqlite.js';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

function has(program: string): boolean {
  try {
    requireProgram(program, program);
    return true;
  } catch {
    return false;
  }
}

const seconds = Number(option('--seconds') ?? 8);
const slow = process.argv.includes('--slow');
const dir = freshDir('demo');
const traces = join(dir, 'traces');
mkdirSync(traces);
const say = (line: string) => process.stdout.write(`${line}\n`);

if (has('sqlite3')) {
  if (slow && !has('strace')) throw new Error('--slow needs strace (apt-get install strace)');
  const db = join(dir, 'app.db');
  const transactions = Math.max(100, Math.round(seconds * 100));
  say(`Recording sqlite3: ${transactions} transactions in WAL mode, synchronous=FULL, 100 a second, into ${db}${slow ? ', with a slow stretch made by strace' : ''} ...`);
  plainSqlite(db, 'pragma journal_mode=wal;\ncreate table t(k integer primary key, v blob);\n');
  const firstSlow = Math.round(transactions * 0.6);
  const run = await pacedSqlite({
    db, traceDir: traces, maxBytes: 4 << 20, transactions, intervalMs: 10, setup: 'pragma synchronous=full;',
    slow: slow ? { first: firstSlow + 2, last: firstSlow + 11, delayMs: 300 } : undefined,
  });
  const ms = run.transactions.map((t) => t.answered - t.sent).sort((a, b) => a - b);
  say(`  committed ${ms.length} transactions; the workload's own view: median ${ms[Math.floor(ms.length / 2)]!.toFixed(2)} ms, max ${ms[ms.length - 1]!.toFixed(2)} ms per transaction`);
} else {
  say(`sqlite3 is not installed: recording a Node program that syncs files every way Node can, into ${dir}/data ...`);
  const data = join(dir, 'data');
  mkdirSync(data);
  runOk(RECORD, ['--quiet', '--dir', traces, '--max-bytes', '4M', '--', process.execPath, join(ROOT, 'scripts/workloads/node-sync.mjs'), data, String(Math.max(50, seconds * 50))]);
}

const summary = analyze(['summary', '--quiet', traces]);
process.stdout.write(`\n${summary.stdout}`);
const outliers = analyze(['outliers', '--quiet', '--limit', '5', traces]);
process.stdout.write(`\n${outliers.stdout}`);
const report = join(dir, 'report.html');
const made = analyze(['report', '--quiet', '-o', report, traces]);
if (made.status !== 0) throw new Error(`fsync-analyze report failed: ${made.stderr}`);
say(`\nThe report: ${report}\n  ${pathToFileURL(report).href}`);
say(`The traces: ${traces}\n  again: ./bin/fsync-analyze.js report ${traces} -o report.html`);
