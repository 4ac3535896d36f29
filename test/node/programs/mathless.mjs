// A program that breaks Math before it syncs: Math.random throws, Math.max,
// Math.min and Math.round return NaN. Then fs.fsyncSync n times in a loop.
// Prints the hook's stack captures as timed from inside (captures.mjs).
import { fsyncSync, openSync, writeSync } from 'node:fs';
import { timeCaptures } from './captures.mjs';

const [dir, nText] = process.argv.slice(2);
const n = Number(nText);
const captures = timeCaptures();
Math.random = () => {
  throw new Error('no random numbers here');
};
Math.max = Math.min = Math.round = () => NaN;
const fd = openSync(`${dir}/mathless.dat`, 'w');
writeSync(fd, 'x');
for (let i = 0; i < n; i++) fsyncSync(fd); // line A
console.log(JSON.stringify({ pid: process.pid, n, captureNs: captures.ns, start: captures.start }));
