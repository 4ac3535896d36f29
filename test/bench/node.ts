/**
 * npm run bench:node — what the Node hook (recorders/node/hook.cjs) adds to
 * each wrapped call.
 *
 * Runs test/bench/node_child.mjs under the preload library alone, and with
 * the hook too (call sites rationed, the default; and a site captured for
 * every call), alternating, and prints the median CPU ns per call of each and
 * what the hook adds: fs.fsyncSync in a loop (the synchronous cost), and
 * fs.fsync (callback) and filehandle.sync() (promise) with 32 calls in flight,
 * where the main thread's own work sets the pace (the asynchronous cost).
 * Files and traces on tmpfs, where a sync costs least and the hook's share
 * is largest. CPU time of the process (steadier than wall time on a shared
 * machine, and the hook's work is all on the program's thread); still, under
 * load the figures move by tens of percent from run to run: the medians of
 * alternating runs are the figures to quote, with that caveat.
 *
 * Then the same three calls compared inside one process (test/bench/node_ab.mjs):
 * blocks of calls through the originals and through the hook's wrappers,
 * alternating, so both share the heap, the pool threads, the file and the
 * moment's load; the median of the paired differences is what the hook adds
 * per call, with much less of the spread between processes (whose baselines
 * differ by how many completions each event-loop turn happens to collect).
 * Its main-thread figures come from the thread's own CPU clock
 * (test/bench/thread_cpu.c, compiled here against Node's headers), exact
 * where /proc's lag by a tick: these are the figures to quote for the async
 * calls, whose per-process figures move by more than the hook costs.
 *
 *   npm run bench:node [-- --runs 7 --calls 50000 --blocks 40 --per-block 2000]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { libraryPath } from '../../src/record/launch.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const RUNS = flag('runs', 7);
const CALLS = flag('calls', 50_000);
const BLOCKS = flag('blocks', 40);
const PER_BLOCK = flag('per-block', 2000);
const CHILD = fileURLToPath(new URL('./node_child.mjs', import.meta.url));
const AB_CHILD = fileURLToPath(new URL('./node_ab.mjs', import.meta.url));
const THREAD_CPU_C = fileURLToPath(new URL('./thread_cpu.c', import.meta.url));
const HOOK = fileURLToPath(new URL('../../recorders/node/hook.cjs', import.meta.url));
const CALL_NAMES = ['fsyncSync', 'fsync', 'filehandle.sync'] as const;

interface Config {
  name: string;
  hook: boolean;
  env: NodeJS.ProcessEnv;
}
const CONFIGS: Config[] = [
  { name: 'library only', hook: false, env: {} },
  { name: 'hook', hook: true, env: {} },
  { name: 'hook, no sites', hook: true, env: { FSYNC_TRACE_JS_SITES: 'off' } },
  { name: 'hook, every site', hook: true, env: { FSYNC_TRACE_JS_SITES: 'all' } },
];
/* Per call: the main thread's CPU ns (all of the hook's work), and the process's. */
const MEASURES = CALL_NAMES.flatMap((k) => [k, `${k} process`]);

function child<T>(args: string[], config: Config, dir: string): T {
  const r = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    env: {
      ...process.env, UV_USE_IO_URING: '0', LD_PRELOAD: libraryPath(), FSYNC_TRACE_DIR: join(dir, 'traces'),
      FSYNC_TRACE_MAX_BYTES: String(16 << 20), ...config.env,
    },
  });
  if (r.status !== 0) throw new Error(`bench child (${config.name}) exited with ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}

function once(config: Config, dir: string): Record<string, number> {
  return child([...(config.hook ? ['--import', HOOK] : []), CHILD, dir, String(CALLS)], config, dir);
}

interface AbResult { bare: number; added: number; mean: number; bareProcess: number; addedProcess: number; capturesPer1000: number; captureUs: number; captureNsPerCall: number }
function inProcess(config: Config, dir: string, threadCpu: string): Record<string, AbResult> {
  return child([AB_CHILD, dir, String(BLOCKS), String(PER_BLOCK), HOOK, threadCpu], config, dir);
}

/* The main thread's CPU clock for node_ab.mjs, built against this Node's headers. */
function buildThreadCpu(dir: string): string {
  const include = resolve(process.execPath, '../../include/node');
  const out = join(dir, 'thread_cpu.node');
  execFileSync(process.env.CC ?? 'cc', ['-O2', '-std=gnu11', '-fPIC', '-shared', '-Wall', '-Wextra', '-Werror', `-I${include}`, '-o', out, THREAD_CPU_C]);
  return out;
}

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const AB_CONFIGS = CONFIGS.slice(1, 3);
const abResults = new Map<string, Record<string, AbResult>[]>(AB_CONFIGS.map((c) => [c.name, []]));
const results = new Map<string, Record<string, number[]>>(CONFIGS.map((c) => [c.name, Object.fromEntries(MEASURES.map((k) => [k, []]))]));
const loadBefore = loadavg().map((x) => x.toFixed(1)).join(' ');
const base = mkdtempSync('/dev/shm/fsync-bench-node-');
try {
  const threadCpu = buildThreadCpu(base);
  for (let run = 0; run < RUNS; run++) {
    // Alternate the order, so drift in the machine's load spreads over every configuration.
    const order = run % 2 === 0 ? CONFIGS : [...CONFIGS].reverse();
    for (const config of order) {
      const dir = mkdtempSync(join(base, 'run-'));
      const got = once(config, dir);
      rmSync(dir, { recursive: true, force: true });
      for (const k of MEASURES) results.get(config.name)![k]!.push(got[k]!);
    }
    process.stderr.write(`run ${run + 1}/${RUNS}\n`);
  }
  for (let run = 0; run < Math.max(1, Math.ceil(RUNS / 2)); run++) {
    for (const config of run % 2 === 0 ? AB_CONFIGS : [...AB_CONFIGS].reverse()) {
      const dir = mkdtempSync(join(base, 'ab-'));
      abResults.get(config.name)!.push(inProcess(config, dir, threadCpu));
      rmSync(dir, { recursive: true, force: true });
    }
    process.stderr.write(`in-process run ${run + 1}\n`);
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}

const load = `${loadBefore} before, ${loadavg().map((x) => x.toFixed(1)).join(' ')} after`;
const fmt = (x: number) => x.toFixed(0);
console.log(`Node hook cost (CPU ns per call): median of ${RUNS} alternating runs of ${CALLS.toLocaleString('en-US')} calls each, tmpfs, load averages (1, 5, 15 min) ${load}`);
for (const [title, suffix] of [['main thread (all of the hook\'s work)', ''], ['whole process (pool threads too)', ' process']] as const) {
  console.log(`\n${title}:`);
  console.log(`| call | library only ns | ${CONFIGS.slice(1).map((c) => `${c.name}: added ns`).join(' | ')} |`);
  console.log(`|---|---:|${CONFIGS.slice(1).map(() => '---:').join('|')}|`);
  for (const k of CALL_NAMES) {
    const m = (name: string) => median(results.get(name)![`${k}${suffix}`]!);
    const b = m('library only');
    const added = CONFIGS.slice(1).map((c, i) => (i === 0 ? `**${fmt(m(c.name) - b)}**` : fmt(m(c.name) - b)));
    console.log(`| ${k}${k === 'fsyncSync' ? '' : ' (32 in flight)'} | ${fmt(b)} | ${added.join(' | ')} |`);
  }
}
const abRuns = abResults.get(AB_CONFIGS[0]!.name)!.length;
console.log(`\nin one process (CPU ns per call; ${BLOCKS} alternating blocks of ${PER_BLOCK.toLocaleString('en-US')} calls ` +
  `through the original and through the hook; the median of the blocks' paired differences; median over ${abRuns} processes):`);
const abMedian = (name: string, k: string, pick: (r: AbResult) => number) => median(abResults.get(name)!.map((r) => pick(r[k]!)));
for (const [title, bareOf, addedOf] of [
  ['main thread (CLOCK_THREAD_CPUTIME_ID: all of the hook\'s work)', (r: AbResult) => r.bare, (r: AbResult) => r.added],
  ['whole process (process.cpuUsage: pool threads too)', (r: AbResult) => r.bareProcess, (r: AbResult) => r.addedProcess],
] as const) {
  console.log(`\n${title}:`);
  console.log(`| call | original ns | ${AB_CONFIGS.map((c) => `${c.name}: added ns`).join(' | ')} |`);
  console.log(`|---|---:|${AB_CONFIGS.map(() => '---:').join('|')}|`);
  for (const k of CALL_NAMES) {
    const bare = median(AB_CONFIGS.flatMap((c) => abResults.get(c.name)!.map((r) => bareOf(r[k]!))));
    const added = AB_CONFIGS.map((c, i) => {
      const m = fmt(abMedian(c.name, k, addedOf));
      return i === 0 ? `**${m}**` : m;
    });
    console.log(`| ${k}${k === 'fsyncSync' ? '' : ' (32 in flight)'} | ${fmt(bare)} | ${added.join(' | ')} |`);
  }
}
console.log('\nstacks captured for call sites (hook, default rationing; main thread CPU; medians over the processes):');
console.log('| call | captures per 1,000 calls | µs per capture | ns per call |');
console.log('|---|---:|---:|---:|');
for (const k of CALL_NAMES) {
  const m = (pick: (r: AbResult) => number) => abMedian(AB_CONFIGS[0]!.name, k, pick);
  console.log(`| ${k} | ${m((r) => r.capturesPer1000).toFixed(2)} | ${m((r) => r.captureUs).toFixed(0)} | ${m((r) => r.captureNsPerCall).toFixed(0)} |`);
}
console.log('\ntargets: <= 300 ns added per synchronous call, <= 1000 ns per asynchronous call');
