/**
 * npm run bench:analyze [-- --events N --processes N --small-traces N --huge N --runs N --keep --only startup,small,big,huge]
 *
 * Generates synthetic sets shaped like what the recorder writes (synth.ts:
 * format v2 at the default 64 MiB, sparse, summaries, keep ring, names) on
 * tmpfs, runs `bin/fsync-analyze.js` on them as a user would, and prints
 * wall time and peak RSS (the whole process, DuckDB included):
 *  - big: 10 M events over 20 processes: decode + load rate, then info,
 *    summary and report. Targets: report <= 10 s and <= 1 GB; load >= 3 M events/s.
 *  - small: 4,000 default-size traces of 20 events each: info <= 3 s, report <= 10 s.
 *  - huge: 100 M events (--huge N) over 20 processes: report with peak RSS <= 2 GB, and its time.
 *  - startup: `--version`, and `summary` of the smallest sample.
 * Figures, not tests: the machine's load moves them; medians of --runs runs.
 * Sets are removed afterwards unless --keep (a kept set is used again).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeSyntheticSet, type SynthOptions } from './synth.js';
import { traceFiles } from '../traces.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/fsync-analyze.js');
const HERE = fileURLToPath(import.meta.url);
const TIME = '/usr/bin/time';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '10000000' },
    processes: { type: 'string', default: '20' },
    'small-traces': { type: 'string', default: '4000' },
    huge: { type: 'string', default: '100000000' },
    keep: { type: 'boolean', default: false },
    only: { type: 'string', default: 'startup,small,big,huge' },
    'load-only': { type: 'string' },
    runs: { type: 'string', default: '1' },
  },
});

if (args['load-only']) {
  await loadOnly(args['load-only']);
} else {
  await main();
}

/**
 * The child of the load measurement: load, print figures as JSON. It runs the
 * compiled code, as the bins do (`npm run bench:analyze` builds it first):
 * through tsx, the decode worker would spend its start-up compiling sources
 * inside the measured time.
 */
async function loadOnly(dir: string): Promise<void> {
  const dist = (module: string) => new URL(`../../dist/db/${module}.js`, import.meta.url).href;
  const { Session } = (await import(dist('session'))) as typeof import('../../src/db/session.js');
  const cpu = process.cpuUsage();
  const s = await Session.open({ inputs: [dir], quiet: true, warn: (m) => process.stderr.write(`${m}\n`) });
  const used = process.cpuUsage(cpu);
  const load = s.load!;
  const { bindings, DEFAULT_PARAMS } = (await import(dist('params'))) as typeof import('../../src/db/params.js');
  await s.build(['counts'], bindings(DEFAULT_PARAMS));
  const [r] = await s.rows('select sum(calls)::bigint as calls from counts');
  s.close();
  process.stdout.write(JSON.stringify({
    events: load.events, calls: Number(r?.calls ?? 0), seconds: load.seconds, cpuSeconds: (used.user + used.system) / 1e6,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  }));
}

interface Row { set: string; what: string; seconds: number; cpuSeconds?: number; rssMb: number; note?: string }

async function main(): Promise<void> {
  const only = new Set(args.only!.split(','));
  const runs = Number(args.runs);
  const rows: Row[] = [];
  say(`machine: ${cpus()[0]?.model ?? '?'}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, node ${process.version}; ` +
    `load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the start; ${new Date().toISOString()}`);
  ensureBuilt();

  if (only.has('startup')) {
    const smallest = traceFiles(join(ROOT, 'samples'))
      .map((f) => join(ROOT, 'samples', f)).sort((a, b) => statSync(a).size - statSync(b).size)[0]!;
    rows.push({ set: 'startup', what: '--version', ...median(5, () => timed(['--version'])) });
    rows.push({ set: 'startup', what: `summary ${smallest.slice(ROOT.length)}`, ...median(5, () => timed(['summary', smallest])) });
  }
  if (only.has('small')) {
    const n = Number(args['small-traces']);
    const dir = traceSet({ events: 20 * n, processes: n, filesPerProcess: 2, hours: 1 });
    const note = `${fmt(n)} traces × 20 events, ${fmt(n * 64)} MiB apparent`;
    rows.push({ set: 'small', what: 'info', note, ...median(runs, () => timed(['info', dir])) });
    const html = join(tmpdir(), `fsync-bench-${process.pid}.html`);
    rows.push({ set: 'small', what: 'report', note, ...median(runs, () => timed(['report', '-o', html, dir])) });
    rmSync(html, { force: true });
    done(dir);
  }
  if (only.has('big')) bigSet(rows, Number(args.events), Number(args.processes), runs, 'big');
  if (only.has('huge')) bigSet(rows, Number(args.huge), Number(args.processes), 1, 'huge', ['report']);

  say(`\n| set | command | wall s | CPU s | peak RSS | |\n|---|---|---:|---:|---:|---|`);
  for (const r of rows) {
    const cpu = r.cpuSeconds === undefined || Number.isNaN(r.cpuSeconds) ? '-' : r.cpuSeconds.toFixed(2);
    say(`| ${r.set} | ${r.what} | ${r.seconds.toFixed(2)} | ${cpu} | ${Number.isFinite(r.rssMb) ? `${r.rssMb.toFixed(0)} MB` : '-'} | ${r.note ?? ''} |`);
  }
  say(`\nload average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

/** The load and the commands on a set of `events` over `processes` (`only`: just these commands, no load row). */
function bigSet(rows: Row[], events: number, processes: number, runs: number, set: string, only?: string[]): void {
  const dir = traceSet({ events, processes, filesPerProcess: 10, hours: 2 });
  const note = `${fmt(events)} events, ${processes} processes`;
  if (!only) {
    const loads = Array.from({ length: runs }, () => measureLoad(dir));
    const load = loads.sort((a, b) => a.seconds - b.seconds)[Math.floor(runs / 2)]!;
    rows.push({
      set, what: 'decode + load (in process)', seconds: load.seconds, cpuSeconds: load.cpuSeconds, rssMb: load.maxRssMb,
      note: `${(events / load.seconds / 1e6).toFixed(2)} M events/s (${fmt(load.events)} rows: the rings' newest records; ${fmt(load.calls)} calls counted)`,
    });
  }
  const out = mkdtempSync(join(tmpdir(), 'fsync-analyze-bench-out-'));
  for (const [what, argv] of [
    ['info', ['info', dir]],
    ['summary --json', ['summary', '--json', dir]],
    ['report', ['report', '-o', join(out, 'report.html'), dir]],
  ] as Array<[string, string[]]>) {
    if (!only || only.includes(what)) rows.push({ set, what, note, ...median(runs, () => timed(argv)) });
  }
  const html = join(out, 'report.html');
  if (existsSync(html)) rows[rows.length - 1]!.note += `; ${(statSync(html).size / 1024).toFixed(0)} KiB of HTML`;
  rmSync(out, { recursive: true, force: true });
  done(dir);
}

/** The synthetic set for these options, on tmpfs: one kept by an earlier --keep, or a new one. */
function traceSet(opts: SynthOptions): string {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = join(base, `fsync-analyze-bench-v2-${opts.events}-${opts.processes}x${opts.filesPerProcess}-${opts.hours}h`);
  const stamp = join(dir, 'complete.json');
  const want = JSON.stringify({ ...opts, generator: 3 });
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return dir;
  rmSync(dir, { recursive: true, force: true });
  const started = performance.now();
  writeSyntheticSet(dir, opts);
  writeFileSync(stamp, want);
  say(`generated ${dir} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return dir;
}

function done(dir: string): void {
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
}

function ensureBuilt(): void {
  if (!existsSync(join(ROOT, 'dist/cli.js'))) {
    const r = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('npm run build failed');
  }
}

function measureLoad(dir: string): { events: number; calls: number; seconds: number; cpuSeconds: number; maxRssMb: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', HERE, '--load-only', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`load failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function median(runs: number, f: () => { seconds: number; cpuSeconds: number; rssMb: number }): { seconds: number; cpuSeconds: number; rssMb: number } {
  const samples = Array.from({ length: runs }, f).sort((a, b) => a.seconds - b.seconds);
  return samples[Math.floor(runs / 2)]!;
}

/** Run the CLI; wall time, CPU time (user + system) and peak RSS (through /usr/bin/time when there is one). */
function timed(argv: string[]): { seconds: number; cpuSeconds: number; rssMb: number } {
  const hasTime = existsSync(TIME);
  const cmd = hasTime ? TIME : process.execPath;
  const full = hasTime ? ['-f', 'fsync-bench %e %M %U %S', process.execPath, BIN, ...argv] : [BIN, ...argv];
  const started = performance.now();
  const r = spawnSync(cmd, full, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`fsync-analyze ${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  const m = /fsync-bench ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(r.stderr);
  return { seconds: m ? Number(m[1]) : seconds, cpuSeconds: m ? Number(m[3]) + Number(m[4]) : NaN, rssMb: m ? Number(m[2]) / 1024 : NaN };
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
