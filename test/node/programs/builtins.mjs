// Durable calls of each kind with built-ins broken (breakbuiltins.cjs): by the
// program itself after the hook loaded (argv[3] 'after'), or by a preload
// before it ('before'). Prints what each call gave and the files' contents.
import fs from 'node:fs';
import { createRequire } from 'node:module';

const [dir, when] = process.argv.slice(2);
if (when === 'after') createRequire(import.meta.url)('./breakbuiltins.cjs');
const out = {};
const fd = fs.openSync(`${dir}/a.dat`, 'w');
fs.writeSync(fd, 'a');
out.fsyncSync = fs.fsyncSync(fd); // line S
out.fsync = await new Promise((resolve) => {
  fs.fsync(fd, function done(err) { resolve(err); }); // line C
});
fs.closeSync(fd);
out.writeFileSync = fs.writeFileSync(Buffer.from(`${dir}/b.dat`), 'b', { flush: true }); // line W
out.appendFile = await new Promise((resolve) => {
  fs.appendFile(`${dir}/c.dat`, 'c', { flush: true }, function done(err) { resolve(err); }); // line A
});
const fh = await fs.promises.open(`${dir}/d.dat`, 'w');
out.pWriteFile = await fs.promises.writeFile(fh, 'd', { flush: true }); // line P
out.fhSync = await fh.sync(); // line H
await fh.close();
for (const f of ['a', 'b', 'c', 'd']) out[f] = fs.readFileSync(`${dir}/${f}.dat`, 'latin1');
console.log(JSON.stringify(out));
