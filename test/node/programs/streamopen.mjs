// A program that keeps a flushing write stream open (createWriteStream with
// flush: true) while it syncs another file n times from one line (fs.fsync,
// one call in flight), with Map.prototype.get/set/delete and Set.prototype.has
// made to throw while it does; then puts them back and ends the stream (its
// closing sync). Prints the hook's stack captures as timed from inside
// (captures.mjs).
import { createWriteStream, fsync, openSync, writeSync } from 'node:fs';
import { once } from 'node:events';
import { timeCaptures } from './captures.mjs';

const [dir, nText] = process.argv.slice(2);
const n = Number(nText);
const captures = timeCaptures();
const ws = createWriteStream(`${dir}/stream.dat`, { flush: true });
await once(ws, 'open');
ws.write('abc');
const fd = openSync(`${dir}/loop.dat`, 'w');
writeSync(fd, 'x');
const kept = { get: Map.prototype.get, set: Map.prototype.set, delete: Map.prototype.delete, has: Set.prototype.has };
const broken = () => {
  throw new Error('no collections here');
};
Map.prototype.get = Map.prototype.set = Map.prototype.delete = Set.prototype.has = broken;
for (let i = 0; i < n; i++) {
  await new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve()))); // line A
}
Object.assign(Map.prototype, { get: kept.get, set: kept.set, delete: kept.delete });
Set.prototype.has = kept.has;
ws.end();
await once(ws, 'close');
console.log(JSON.stringify({ pid: process.pid, n, captureNs: captures.ns, start: captures.start }));
