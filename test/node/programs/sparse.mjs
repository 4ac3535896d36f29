// A program that syncs rarely: fs.fsyncSync from three lines in turn, n
// rounds, 20 ms apart (a sleep between calls), so every call's stack is
// captured (the time rationing pays for each).
import { fsyncSync, openSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const [dir, nText] = process.argv.slice(2);
const n = Number(nText);
const fd = openSync(`${dir}/sparse.dat`, 'w');
writeSync(fd, 'x');
for (let i = 0; i < n; i++) {
  fsyncSync(fd); // line A
  await sleep(20);
  fsyncSync(fd); // line B
  await sleep(20);
  fsyncSync(fd); // line C
  await sleep(20);
}
console.log(JSON.stringify({ pid: process.pid, n }));
