// A program that syncs rarely: fs.fsyncSync from three lines in turn, n
// rounds, ms apart (a sleep between calls; 20 unless given), so every call's
// stack is captured (the time rationing pays for each).
import { fsyncSync, openSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const [dir, nText, msText] = process.argv.slice(2);
const n = Number(nText);
const ms = Number(msText ?? 20);
const fd = openSync(`${dir}/sparse.dat`, 'w');
writeSync(fd, 'x');
for (let i = 0; i < n; i++) {
  fsyncSync(fd); // line A
  await sleep(ms);
  fsyncSync(fd); // line B
  await sleep(ms);
  fsyncSync(fd); // line C
  await sleep(ms);
}
console.log(JSON.stringify({ pid: process.pid, n }));
