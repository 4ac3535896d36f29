// A flushing write stream made with emitClose: false (it never emits 'close') kept open while
// the program syncs another file n times from one line (fs.fsync, one call in flight); then
// the stream ends (its sync as Node closes it, after 'finish') and the program syncs n times
// more from another line. Prints the stacks captured (Error.captureStackTrace, wrapped to
// count) in each loop.
import { createWriteStream, fsync, openSync, writeSync } from 'node:fs';
import { once } from 'node:events';

const [dir, nText] = process.argv.slice(2);
const n = Number(nText);
let captures = 0;
const capture = Error.captureStackTrace;
Error.captureStackTrace = function (holder, below) {
  captures++;
  return capture.call(this, holder, below);
};
const ws = createWriteStream(`${dir}/stream.dat`, { flush: true, emitClose: false });
await once(ws, 'open');
ws.write('abc');
const fd = openSync(`${dir}/loop.dat`, 'w');
writeSync(fd, 'x');
const counted = [];
captures = 0;
for (let i = 0; i < n; i++) {
  await new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve()))); // line A
}
counted.push(captures);
ws.end();
await once(ws, 'finish');
// Its closing sync and close come after 'finish': done when it holds no descriptor.
while (ws.fd !== null) await new Promise((resolve) => setTimeout(resolve, 1));
captures = 0;
for (let i = 0; i < n; i++) {
  await new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve()))); // line B
}
counted.push(captures);
console.log(JSON.stringify({ pid: process.pid, n, captures: counted }));
