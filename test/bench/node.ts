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
 * Then the same calls compared inside one process (test/bench/node_ab.mjs):
 * blocks of calls through the originals, through the originals again, and
 * through the hook's wrappers, in turn, so all share the heap, the pool
 * threads, the file and the moment's load. Per block, the hook's ns per call
 * minus the originals' is what the hook added; the originals' again minus
 * theirs is the method's own noise (an A/A comparison: it should straddle 0,
 * and its spread is what a difference must exceed to mean anything). Both are
 * pooled over every block of every process and quoted as a median with a
 * distribution-free 95% interval. The hook's stack captures are rare (0.1-0.3
 * per 1,000 calls, yet a block of 1,000 holds one about as often as not): the
 * hook's figure is the median of the blocks that hold none, and its cost is
 * judged with the captures' ns per call added (the whole capture path and what
 * it leaves behind: what the blocks that hold captures add beyond the mean of
 * those that hold none, over all the hook's calls; beyond their median it
 * would also count the blocks' right lean, node_ab.mjs), and that against its target as met
 * (the whole interval under it), missed (over it) or undecided. The
 * asynchronous forms run with 32 calls in flight (where the main thread's
 * pace sets how many completions each turn of the event loop collects, which
 * the hook's work changes) and with 1 (one turn per call). Main-thread
 * figures come from the thread's own CPU clock (test/bench/thread_cpu.c,
 * compiled here against Node's headers), exact where /proc's lag by a tick:
 * these are the figures to quote.
 *
 *   npm run bench:node [-- --runs 7 --calls 50000 --processes 4 --blocks 90 --per-block 1000 --in-process-only --hook FILE]
 *
 * BENCH_ONLY=<call> (e.g. 'filehandle.sync, 1 in flight') runs one call of the in-process comparison.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { libraryPath } from '../../src/record/launch.js';
import { ciText, median, medianCi, verdict } from './node_stats.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const RUNS = flag('runs', 7);
const CALLS = flag('calls', 50_000);
const BLOCKS = flag('blocks', 90);
const PER_BLOCK = flag('per-block', 1000);
const PROCESSES = flag('processes', Math.max(1, Math.ceil(RUNS / 2)));
const IN_PROCESS_ONLY = args.includes('--in-process-only');
const CHILD = fileURLToPath(new URL('./node_child.mjs', import.meta.url));
const AB_CHILD = fileURLToPath(new URL('./node_ab.mjs', import.meta.url));
const THREAD_CPU_C = fileURLToPath(new URL('./thread_cpu.c', import.meta.url));
const hookAt = args.indexOf('--hook');
if (hookAt >= 0 && (args[hookAt + 1] === undefined || args[hookAt + 1]!.startsWith('--'))) {
  console.error('bench:node: --hook needs a file (a copy of recorders/node/hook.cjs)');
  process.exit(2);
}
// --hook <file>: another copy of the hook (it must sit in recorders/node/, beside which it finds its addon), to compare.
const HOOK = hookAt >= 0 ? resolve(args[hookAt + 1]!) : fileURLToPath(new URL('../../recorders/node/hook.cjs', import.meta.url));
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

interface AbResult {
  bare: number; added: number; blocksAdded: number[]; blocksClean: number[]; blocksSame: number[]; addedProcess: number;
  calls: number; capturesPer1000: number; captureUs: number; captureNsPerCall: number;
}
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


const AB_CONFIGS = CONFIGS.slice(1, 3);
const abResults = new Map<string, Record<string, AbResult>[]>(AB_CONFIGS.map((c) => [c.name, []]));
const results = new Map<string, Record<string, number[]>>(CONFIGS.map((c) => [c.name, Object.fromEntries(MEASURES.map((k) => [k, []]))]));
const loadBefore = loadavg().map((x) => x.toFixed(1)).join(' ');
const base = mkdtempSync('/dev/shm/fsync-bench-node-');
try {
  const threadCpu = buildThreadCpu(base);
  for (let run = 0; run < (IN_PROCESS_ONLY ? 0 : RUNS); run++) {
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
  for (let run = 0; run < PROCESSES; run++) {
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
for (const [title, suffix] of IN_PROCESS_ONLY ? [] : [['main thread (all of the hook\'s work)', ''], ['whole process (pool threads too)', ' process']] as const) {
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
console.log(`\nin one process (main thread, CLOCK_THREAD_CPUTIME_ID: all of the hook's work; ${BLOCKS} blocks per call and process, ` +
  `through the originals, the originals again and the hook, in turn; ${PER_BLOCK.toLocaleString('en-US')} calls a block, a quarter of that with 1 in flight; ` +
  `${abRuns} processes per configuration): per block, the hook's ns per call minus the originals', and the originals' again minus theirs ` +
  `(the method's own noise, which should straddle 0); the median over every block of every process (the hook's: those without a stack capture), and its 95% interval:`);
console.log(`| call | original ns | ${AB_CONFIGS.map((c) => `${c.name}: added ns`).join(' | ')} | hook: captures, ns a call | hook with its captures | originals again ("added") | target | verdict |`);
console.log(`|---|---:|${AB_CONFIGS.map(() => '---:').join('|')}|---:|---:|---:|---:|---|`);
const AB_CALLS = Object.keys(abResults.get(AB_CONFIGS[0]!.name)![0] ?? {});
for (const k of AB_CALLS) {
  const blocks = (name: string, pick: (r: AbResult) => number[]) => abResults.get(name)!.flatMap((r) => pick(r[k]!));
  const bare = median(AB_CONFIGS.flatMap((c) => abResults.get(c.name)!.map((r) => r[k]!.bare)));
  const added = AB_CONFIGS.map((c) => medianCi(blocks(c.name, (r) => r.blocksClean)));
  const same = medianCi(AB_CONFIGS.flatMap((c) => blocks(c.name, (r) => r.blocksSame)));
  const target = k === 'fsyncSync' ? 300 : 1000;
  // No "steady" column any more: the hook paces its stack captures by count (25 ns a call),
  // so the blocks here capture as a program that syncs back to back does; the idle time
  // between the hook's blocks (the originals' blocks) no longer makes it capture.
  // The medians are of the blocks without a capture, which leave their cost out: the verdict
  // is on the median plus the captures' ns per call (all of the hook's captures in all
  // processes, each counted whole, over all its calls), its interval shifted by as much.
  const hooked = abResults.get(AB_CONFIGS[0]!.name)!;
  const captureNs = hooked.reduce((a, r) => a + r[k]!.captureNsPerCall * r[k]!.calls, 0) / hooked.reduce((a, r) => a + r[k]!.calls, 0);
  const whole = { ...added[0]!, median: added[0]!.median + captureNs, lo: added[0]!.lo + captureNs, hi: added[0]!.hi + captureNs };
  console.log(`| ${k}${k === 'fsync' || k === 'filehandle.sync' ? ' (32 in flight)' : ''} | ${fmt(bare)} | ` +
    `${added.map(ciText).join(' | ')} | ${fmt(captureNs)} | **${ciText(whole)}** | ${ciText(same)} | ≤ ${target} | ${verdict(whole, target)} |`);
}
console.log('\nper process (the median of its blocks\' differences; hook, default rationing / whole process, process.cpuUsage: pool threads too):');
for (const k of AB_CALLS) {
  const per = abResults.get(AB_CONFIGS[0]!.name)!.map((r) => `${fmt(r[k]!.added)} / ${fmt(r[k]!.addedProcess)}`);
  console.log(`- ${k}: ${per.join(', ')}`);
}
const abMedian = (name: string, k: string, pick: (r: AbResult) => number) => median(abResults.get(name)!.map((r) => pick(r[k]!)));
console.log('\nstacks captured for call sites (hook, default rationing; main thread CPU; medians over the processes):');
console.log('| call | captures per 1,000 calls | µs per capture | ns per call |');
console.log('|---|---:|---:|---:|');
for (const k of AB_CALLS) {
  const m = (pick: (r: AbResult) => number) => abMedian(AB_CONFIGS[0]!.name, k, pick);
  console.log(`| ${k} | ${m((r) => r.capturesPer1000).toFixed(2)} | ${m((r) => r.captureUs).toFixed(0)} | ${m((r) => r.captureNsPerCall).toFixed(0)} |`);
}
console.log('\ntargets: <= 300 ns added per synchronous call, <= 1000 ns per asynchronous call; verdict (on the hook with its captures: the median block\'s added ns, which holds no capture, plus the captures\' ns per call): met when the whole interval is under the target, missed when over it');
