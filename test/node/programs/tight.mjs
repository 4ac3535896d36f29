// A tight loop over two call lines: fs.fsyncSync at line A every turn and at
// line B every third turn (n turns: n calls at A, ceil(n / 3) at B), as fast
// as the file allows (tmpfs). Prints the hook's stack captures as timed
// from inside (captures.mjs).
import { fsyncSync, openSync, writeSync } from 'node:fs';
import { timeCaptures } from './captures.mjs';

const [dir, nText] = process.argv.slice(2);
const n = Number(nText);
const captures = timeCaptures();
const fd = openSync(`${dir}/tight.dat`, 'w');
writeSync(fd, 'x');
for (let i = 0; i < n; i++) {
  fsyncSync(fd); // line A
  if (i % 3 === 0) fsyncSync(fd); // line B
}
console.log(JSON.stringify({ pid: process.pid, n, captureNs: captures.ns, start: captures.start }));
