// A program that syncs a file and at once its directory's file again, every
// 30 ms (the "fsync the file, then the directory" pattern): fs.fsyncSync at
// line A and at once at line B, n rounds, a sleep of 30 ms between rounds.
import { fsyncSync, openSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const [dir, nText] = process.argv.slice(2);
const n = Number(nText);
const fd = openSync(`${dir}/pair.dat`, 'w');
writeSync(fd, 'x');
for (let i = 0; i < n; i++) {
  fsyncSync(fd); // line A
  fsyncSync(fd); // line B
  await sleep(30);
}
console.log(JSON.stringify({ pid: process.pid, n }));
