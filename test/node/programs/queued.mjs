// fs.fsync while libuv's thread pool (UV_THREADPOOL_SIZE=1) is kept busy by
// crypto.pbkdf2: each fsync waits in the queue behind a hash far longer than
// the disk takes. Prints its own measure of the waits, in ms.
import { closeSync, fsync, openSync, writeSync } from 'node:fs';
import { pbkdf2 } from 'node:crypto';

const file = `${process.argv[2]}/queued.dat`;
const rounds = Number(process.argv[3] ?? 10);
const fd = openSync(file, 'w');
const waits = [];
let busy = true;
const hash = () => pbkdf2('secret', 'salt', 40000, 32, 'sha256', () => {
  if (busy) hash();
});
hash();
for (let i = 0; i < rounds; i++) {
  writeSync(fd, 'record\n');
  const t0 = performance.now();
  await new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
  waits.push(performance.now() - t0);
}
busy = false;
closeSync(fd);
console.log(JSON.stringify({ pid: process.pid, waits }));
