/**
 * npm run bench:analyze [-- --events N --processes N --files-per-process N --hours H --runs N --keep]
 *
 * Generates a synthetic trace set (10 million sync events over 200 files by
 * default; synth.ts) on tmpfs, then prints:
 *  - decode + load throughput (events/s), loading in a child process;
 *  - wall time and peak memory (max RSS of the whole process, DuckDB
 *    included) of each command, each run as `bin/fsync-analyze.js` would be.
 * The set is removed afterwards, unless --keep (a kept set is used again).
 * Targets on a 2-core machine: load >= 2.5 M events/s; `report` on 10 M
 * events within 20 s and 2 GB.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeSyntheticSet, type SynthOptions } from './synth.js';

const BIN = fileURLToPath(new URL('../../bin/fsync-analyze.js', import.meta.url));
const HERE = fileURLToPath(import.meta.url);
const TIME = '/usr/bin/time';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '10000000' },
    processes: { type: 'string', default: '20' },
    'files-per-process': { type: 'string', default: '10' },
    hours: { type: 'string', default: '2' },
    keep: { type: 'boolean', default: false },
    'load-only': { type: 'string' },
    runs: { type: 'string', default: '1' },
  },
});

if (args['load-only']) {
  await loadOnly(args['load-only']);
} else {
  await main();
}

/** The child of the load measurement: load, print figures as JSON. */
async function loadOnly(dir: string): Promise<void> {
  const { Session } = await import('../../src/db/session.js');
  const cpu = process.cpuUsage();
  const s = await Session.open({ inputs: [dir], quiet: true, warn: (m) => process.stderr.write(`${m}\n`) });
  const used = process.cpuUsage(cpu);
  const load = s.load!;
  s.close();
  process.stdout.write(JSON.stringify({
    events: load.events, seconds: load.seconds, cpuSeconds: (used.user + used.system) / 1e6,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  }));
}

async function main(): Promise<void> {
  const opts: SynthOptions = {
    events: Number(args.events),
    processes: Number(args.processes),
    filesPerProcess: Number(args['files-per-process']),
    hours: Number(args.hours),
  };
  const dir = traceSet(opts);
  const bytes = readdirSync(dir).filter((f) => f.endsWith('.fstrace')).reduce((n, f) => n + readFileSync(join(dir, f)).length, 0);
  say(`trace set: ${dir}: ${fmt(opts.events)} sync events, ${opts.processes * opts.filesPerProcess} files, ` +
    `${opts.processes} processes, ${opts.hours} h; ${(bytes / 2 ** 20).toFixed(0)} MiB`);
  say(`machine: ${availableParallelism()} cores, node ${process.version}`);
  const runs = Number(args.runs);

  const loads = Array.from({ length: runs }, () => measureLoad(dir));
  const load = loads.sort((a, b) => a.seconds - b.seconds)[Math.floor(runs / 2)]!;
  say(`\ndecode + load: ${fmt(load.events)} events in ${load.seconds.toFixed(2)} s = ` +
    `${(load.events / load.seconds / 1e6).toFixed(2)} M events/s (CPU ${load.cpuSeconds.toFixed(1)} s, ` +
    `peak RSS ${load.maxRssMb.toFixed(0)} MB)${runs > 1 ? `, median of ${runs}` : ''}`);

  const out = mkdtempSync(join(tmpdir(), 'fsync-analyze-bench-out-'));
  const db = join(out, 'kept.duckdb');
  const commands: Array<[string, string[]]> = [
    ['info', ['info', dir]],
    ['summary --json', ['summary', '--json', dir]],
    ['outliers', ['outliers', dir]],
    ['intervals --limit 1000', ['intervals', '--limit', '1000', dir]],
    ['sql (outliers)', ['sql', 'select count(*) from outliers', dir]],
    ['sql --db (load and keep)', ['sql', '--db', db, 'select count(*) from events', dir]],
    ['sql --db (kept, no decode)', ['sql', '--db', db, 'select kind, count(*), max(latency_ms) from intervals group by kind']],
    ['export parquet', ['export', '--format', 'parquet', '-o', join(out, 'parquet'), dir]],
    ['export arrow (intervals)', ['export', '--format', 'arrow', '--tables', 'intervals', '-o', join(out, 'arrow'), dir]],
    ['report', ['report', '-o', join(out, 'report.html'), dir]],
  ];
  say(`\n${'command'.padEnd(30)} ${'seconds'.padStart(8)} ${'peak RSS'.padStart(10)}`);
  const results: Record<string, { seconds: number; rssMb: number }> = {};
  for (const [name, argv] of commands) {
    const samples = Array.from({ length: runs }, () => timed(argv));
    const r = samples.sort((a, b) => a.seconds - b.seconds)[Math.floor(runs / 2)]!;
    results[name] = r;
    say(`${name.padEnd(30)} ${r.seconds.toFixed(2).padStart(8)} ${`${r.rssMb.toFixed(0)} MB`.padStart(10)}`);
  }
  const report = results.report!;
  const html = join(out, 'report.html');
  say(`\nreport: ${existsSync(html) ? `${(readFileSync(html).length / 1024).toFixed(0)} KiB of HTML` : 'not written'}`);
  say('\ntargets:');
  say(`  load >= 2.5 M events/s: ${(load.events / load.seconds / 1e6).toFixed(2)} ${load.events / load.seconds >= 2.5e6 ? 'ok' : 'MISSED'}`);
  say(`  report <= 20 s: ${report.seconds.toFixed(1)} ${report.seconds <= 20 ? 'ok' : 'MISSED'}`);
  say(`  report <= 2 GB: ${(report.rssMb / 1024).toFixed(2)} GB ${report.rssMb <= 2048 ? 'ok' : 'MISSED'}`);
  rmSync(out, { recursive: true, force: true });
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
}

/** The synthetic set for these options, on tmpfs: one kept by an earlier --keep, or a new one. */
function traceSet(opts: SynthOptions): string {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = join(base, `fsync-analyze-bench-${opts.events}-${opts.processes}x${opts.filesPerProcess}-${opts.hours}h`);
  const stamp = join(dir, 'complete.json');
  const want = JSON.stringify({ ...opts, generator: 2 });
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return dir;
  rmSync(dir, { recursive: true, force: true });
  const started = performance.now();
  writeSyntheticSet(dir, opts);
  writeFileSync(stamp, want);
  say(`generated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return dir;
}

function measureLoad(dir: string): { events: number; seconds: number; cpuSeconds: number; maxRssMb: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', HERE, '--load-only', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`load failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Run the CLI; wall time and peak RSS (through /usr/bin/time when there is one). */
function timed(argv: string[]): { seconds: number; rssMb: number } {
  const hasTime = existsSync(TIME);
  const cmd = hasTime ? TIME : process.execPath;
  const full = hasTime ? ['-f', 'fsync-bench %e %M', process.execPath, BIN, ...argv] : [BIN, ...argv];
  const started = performance.now();
  const r = spawnSync(cmd, full, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`fsync-analyze ${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  const m = /fsync-bench ([\d.]+) (\d+)/.exec(r.stderr);
  return { seconds: m ? Number(m[1]) : seconds, rssMb: m ? Number(m[2]) / 1024 : NaN };
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
