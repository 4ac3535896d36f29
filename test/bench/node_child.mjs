// One process of npm run bench:node: times fs.fsyncSync in a loop, fs.fsync
// (callback) and filehandle.sync() (promise) with IN_FLIGHT calls at a time,
// on a file in the directory it is given (tmpfs), and prints CPU ns per call.
import { closeSync, fsync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { callbacks, promises, syncLoop } from './node_calls.mjs';

const [dir, callsText] = process.argv.slice(2);
const calls = Number(callsText);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 32);
const fd = openSync(`${dir}/bench.dat`, 'w');
writeSync(fd, 'x');
const fh = await open(`${dir}/bench-fh.dat`, 'w');

/* The main thread's CPU time in ns (the scheduler's count, exact to its last
 * update: a few ms, small against a run of tens of thousands of calls). */
const mainCpu = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);

/* CPU ns per call: of the main thread, where all of the hook's work is, and
 * of the whole process (the pool threads too: they wake and sleep more or
 * less often as the main thread's pace changes). Both steadier than wall
 * time on a machine shared with other work. */
async function time(run, n) {
  await run(Math.min(5000, n));
  const c0 = process.cpuUsage();
  const m0 = mainCpu();
  await run(n);
  const m = mainCpu() - m0;
  const c = process.cpuUsage(c0);
  return { main: m / n, process: ((c.user + c.system) * 1000) / n };
}

const out = {};
const sync = () => fh.sync();
const runs = [
  ['fsyncSync', (n) => syncLoop(fsyncSync, fd, n)],
  ['fsync', (n) => callbacks(fsync, fd, n, IN_FLIGHT)],
  ['filehandle.sync', (n) => promises(sync, n, IN_FLIGHT)],
];
for (const [name, run] of runs) {
  const t = await time(run, calls);
  out[name] = t.main;
  out[`${name} process`] = t.process;
}
await fh.close();
closeSync(fd);
console.log(JSON.stringify(out));
