/**
 * npm run bench:interrupt [-- --events N --processes N --runs N --signal SIGTERM --bin B[,B2]]
 *
 * How long a `--db FILE` load takes to end after SIGTERM (or SIGINT): a
 * synthetic set (synth.ts) is loaded into a fresh database once whole (its
 * time), then --runs times again, each sent the signal at a time spread evenly
 * over the load (after its loading file appears); printed: the delay from the
 * signal to the process's exit, median and max, and what the process left.
 * With several bins (another checkout's bin/fsync-analyze.js), their runs
 * alternate. Figures, not a test: the machine's load moves them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeSyntheticSet } from './synth.js';


const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '2000000' },
    processes: { type: 'string', default: '8' },
    runs: { type: 'string', default: '10' },
    signal: { type: 'string', default: 'SIGTERM' },
    bin: { type: 'string', default: fileURLToPath(new URL('../../bin/fsync-analyze.js', import.meta.url)) },
  },
});
const sig = args.signal as NodeJS.Signals;

const dir = mkdtempSync(join(tmpdir(), 'fsync-bench-interrupt-'));
const spill = join(dir, 'tmp');
const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: spill };
delete env.FSYNC_ANALYZE_TMPDIR;
const bins = args.bin.split(',');
const ms = (x: number) => `${x.toFixed(0)} ms`;

/** The time from `sig` to the exit of a process started by `start`, `afterMs` after `ready` says it is ready. */
async function delay(start: () => ChildProcess, ready: (c: ChildProcess) => boolean, afterMs: number): Promise<number | null> {
  const child = start();
  let exited = false;
  const ended = new Promise<number>((res) => child.on('exit', () => {
    exited = true;
    res(performance.now());
  }));
  while (!ready(child) && !exited) await sleep(2);
  await sleep(afterMs);
  if (exited) return null;
  const sent = performance.now();
  child.kill(sig);
  return (await ended) - sent;
}

try {
  const set = join(dir, 'set');
  writeSyntheticSet(set, { events: Number(args.events), processes: Number(args.processes), filesPerProcess: 4, hours: 1 });
  mkdirSync(spill);
  const db = join(dir, 'kept.duckdb');
  const load = (bin: string) => spawn(process.execPath, [bin, 'info', '-q', '--db', db, set], { stdio: 'ignore', env });
  const loadMs = bins.map((bin) => {
    const t0 = performance.now();
    const whole = spawnSync(process.execPath, [bin, 'info', '-q', '--db', db, set], { env, encoding: 'utf8' });
    if (whole.status !== 0) throw new Error(whole.stderr);
    return performance.now() - t0;
  });
  console.log(`${Number(args.events).toLocaleString('en-US')} events over ${args.processes} traces; load average ${loadavg()[0]!.toFixed(2)} at the start`);
  const delays = bins.map(() => [] as number[]);
  // The floor: a node process that does nothing but wait, ended by the signal with a handler like the analyzer's.
  const floor: number[] = [];
  let left = 0;
  const runs = Number(args.runs);
  for (let i = 0; i < runs; i++) {
    for (const [b, bin] of bins.entries()) {
      // Spread over the load, the first a little after it starts, the last near its end.
      const d = await delay(() => load(bin), () => readdirSync(dir).some((n) => n.includes('.loading-')), (loadMs[b]! * 0.9 * (i + 0.5)) / runs);
      if (d !== null) delays[b]!.push(d);
      left += readdirSync(dir).filter((n) => n.includes('.loading-')).length + readdirSync(spill).length;
    }
    const idle = `process.on('${sig}', () => { process.removeAllListeners('${sig}'); process.kill(process.pid, '${sig}'); }); setInterval(() => {}, 1000); console.log('ready');`;
    let ready = false;
    const d = await delay(() => {
      const c = spawn(process.execPath, ['-e', idle], { stdio: ['ignore', 'pipe', 'ignore'] });
      c.stdout!.once('data', () => (ready = true));
      return c;
    }, () => ready, 0);
    if (d !== null) floor.push(d);
  }
  const line = (what: string, xs: number[]) => {
    xs.sort((a, b) => a - b);
    console.log(`${what}: ${xs.length} runs, median ${ms(xs[xs.length >> 1] ?? NaN)}, max ${ms(xs.at(-1) ?? NaN)}; all: ${xs.map((d) => d.toFixed(0)).join(' ')}`);
  };
  bins.forEach((bin, b) => line(`${bin} (whole load ${ms(loadMs[b]!)}): ${sig} to exit`, delays[b]!));
  line(`an idle node process: ${sig} to exit`, floor);
  console.log(`loading files and spill directories left: ${left}; load average ${loadavg()[0]!.toFixed(2)} at the end`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
