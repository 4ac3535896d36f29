// Each synchronous and callback sync API n times, each call's own wait
// measured by the program (performance.now around the call, to its callback).
import { fdatasync, fdatasyncSync, fsync, fsyncSync, openSync, writeSync } from 'node:fs';

const [dir, nText] = process.argv.slice(2);
const n = Number(nText ?? 3);
const fd = openSync(`${dir}/waits.dat`, 'w');
const waits = { 'fs.fsyncSync': [], 'fs.fdatasyncSync': [], 'fs.fsync': [], 'fs.fdatasync': [] };
const timed = (api, f) => { const t = performance.now(); f(); waits[api].push(performance.now() - t); };
const cb = (api, f) => new Promise((resolve, reject) => {
  const t = performance.now();
  f((err) => { waits[api].push(performance.now() - t); return err ? reject(err) : resolve(); });
});
for (let i = 0; i < n; i++) {
  writeSync(fd, 'x');
  timed('fs.fsyncSync', () => fsyncSync(fd));
  timed('fs.fdatasyncSync', () => fdatasyncSync(fd));
  await cb('fs.fsync', (k) => fsync(fd, k));
  await cb('fs.fdatasync', (k) => fdatasync(fd, k));
}
console.log(JSON.stringify({ pid: process.pid, waits }));
