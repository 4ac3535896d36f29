// One process of npm run bench:node: times fs.fsyncSync in a loop, fs.fsync
// (callback) and filehandle.sync() (promise) with IN_FLIGHT calls at a time,
// on a file in the directory it is given (tmpfs), and prints CPU ns per call.
import { closeSync, fsync, fsyncSync, openSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';

const [dir, callsText] = process.argv.slice(2);
const calls = Number(callsText);
const IN_FLIGHT = 32;
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

/* CPU time of the whole process per call (the pool threads' share is the
 * same with and without the hook; the hook's own work is on the main thread):
 * steadier than wall time on a machine shared with other work. */
async function time(run, n) {
  await run(Math.min(5000, n));
  const c0 = process.cpuUsage();
  await run(n);
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / n;
}

const out = {
  fsyncSync: await time(syncLoop, calls),
  fsync: await time(callbacks, calls),
  'filehandle.sync': await time(promises, calls),
};
await fh.close();
closeSync(fd);
console.log(JSON.stringify(out));
