// fs.fsync with 32 calls in flight over 4 files, argv[3] calls in all (libuv's
// pool of 4 threads runs them first in, first out). Prints how many completed.
import { fsync, openSync, writeSync } from 'node:fs';

const [dir, countText] = process.argv.slice(2);
const count = Number(countText ?? 4000);
const fds = [0, 1, 2, 3].map((i) => {
  const fd = openSync(`${dir}/inflight${i}.dat`, 'w');
  writeSync(fd, 'x');
  return fd;
});
let started = 0;
let done = 0;
await new Promise((resolve, reject) => {
  const next = (err) => {
    if (err) return reject(err);
    if (++done === count) return resolve();
    if (started < count) fsync(fds[started++ % 4], next);
  };
  for (; started < Math.min(32, count); started++) fsync(fds[started % 4], next);
});
console.log(JSON.stringify({ pid: process.pid, done }));
