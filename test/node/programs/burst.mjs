// A burst, then sparse calls: fs.fsyncSync n times in a tight loop, then
// `rounds` rounds of a pair (line A, then line B at once), 30 ms apart.
import { fsyncSync, openSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const [dir, nText, roundsText] = process.argv.slice(2);
const n = Number(nText);
const rounds = Number(roundsText);
const fd = openSync(`${dir}/burst.dat`, 'w');
writeSync(fd, 'x');
for (let i = 0; i < n; i++) fsyncSync(fd); // line X
for (let i = 0; i < rounds; i++) {
  await sleep(30);
  fsyncSync(fd); // line A
  fsyncSync(fd); // line B
}
console.log(JSON.stringify({ pid: process.pid, n, rounds }));
