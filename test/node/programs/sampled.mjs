// Call sites sampled: fs.fsyncSync from one line n times, then from another
// line n times, then fs.fsync (callback) from a third line n times, as fast
// as the file allows (tmpfs). Prints the hook's stack captures as timed
// from inside (captures.mjs).
import { fsync, fsyncSync, openSync, writeSync } from 'node:fs';
import { timeCaptures } from './captures.mjs';

const [dir, nText] = process.argv.slice(2);
const n = Number(nText);
const captures = timeCaptures();
const fd = openSync(`${dir}/sampled.dat`, 'w');
writeSync(fd, 'x');
for (let i = 0; i < n; i++) fsyncSync(fd); // line A
for (let i = 0; i < n; i++) fsyncSync(fd); // line B
for (let i = 0; i < n; i++) await new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve()))); // line C
console.log(JSON.stringify({ pid: process.pid, n, captureNs: captures.ns, start: captures.start }));
