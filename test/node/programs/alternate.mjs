// A program that syncs from two lines in turn, 3 ms apart (a busy wait
// between calls, so the thread never sleeps): fs.fsyncSync at line A, 3 ms,
// line B, 3 ms, n rounds.
import { fsyncSync, openSync, writeSync } from 'node:fs';

const [dir, nText, msText] = process.argv.slice(2);
const n = Number(nText);
const ms = Number(msText ?? 3);
const fd = openSync(`${dir}/alternate.dat`, 'w');
writeSync(fd, 'x');
const wait = (ms) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};
for (let i = 0; i < n; i++) {
  fsyncSync(fd); // line A
  wait(ms);
  fsyncSync(fd); // line B
  wait(ms);
}
console.log(JSON.stringify({ pid: process.pid, n }));
