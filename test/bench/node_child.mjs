// One process of npm run bench:node: times fs.fsyncSync in a loop, fs.fsync
// (callback) and filehandle.sync() (promise) with IN_FLIGHT calls at a time,
// on a file in the directory it is given (tmpfs), and prints CPU ns per call.
import { closeSync, fsync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';

const [dir, callsText] = process.argv.slice(2);
const calls = Number(callsText);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 32);
const fd = openSync(`${dir}/bench.dat`, 'w');
writeSync(fd, 'x');
const fh = await open(`${dir}/bench-fh.dat`, 'w');

function syncLoop(n) {
  for (let i = 0; i < n; i++) fsyncSync(fd);
}

function callbacks(n) {
  return new Promise((resolve, reject) => {
    let started = 0;
    let done = 0;
    const next = (err) => {
      if (err) return reject(err);
      if (++done === n) return resolve();
      if (started < n) {
        started++;
        fsync(fd, next);
      }
    };
    for (; started < Math.min(IN_FLIGHT, n); started++) fsync(fd, next);
  });
}

async function promises(n) {
  let started = 0;
  const lane = async () => {
    while (started < n) {
      started++;
      await fh.sync();
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
}

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
for (const [name, run] of [['fsyncSync', syncLoop], ['fsync', callbacks], ['filehandle.sync', promises]]) {
  const t = await time(run, calls);
  out[name] = t.main;
  out[`${name} process`] = t.process;
}
await fh.close();
closeSync(fd);
console.log(JSON.stringify(out));
