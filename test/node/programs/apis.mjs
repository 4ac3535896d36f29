// Every API the Node hook wraps, N times each, through ES module named
// imports (bound at import time: the hook must reach them too). Prints what
// it did as JSON: test/node/hook.test.ts compares the trace with it.
import {
  appendFile, appendFileSync, closeSync, createWriteStream, fdatasync, fdatasyncSync, fsync, fsyncSync, openSync,
  writeFile, writeFileSync, writeSync,
} from 'node:fs';
import { appendFile as pAppendFile, open, writeFile as pWriteFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const dir = process.argv[2];
const n = Number(process.argv[3] ?? 3);
const at = (name) => `${dir}/${name}`;
const done = (start) => new Promise((resolve, reject) => start((err) => (err ? reject(err) : resolve())));
const closed = (stream) => new Promise((resolve, reject) => stream.on('close', resolve).on('error', reject));

const fd = openSync(at('fd.dat'), 'w');
for (let i = 0; i < n; i++) {
  writeSync(fd, 'x');
  fsyncSync(fd);
  fdatasyncSync(fd);
  await done((k) => fsync(fd, k));
  await done((k) => fdatasync(fd, k));
  await promisify(fsync)(fd);
  writeFileSync(at('wfs.dat'), Buffer.from('abcd'), { flush: true });
  appendFileSync(at('afs.dat'), Buffer.from('abcd'), { flush: true });
  await done((k) => writeFile(at('wf.dat'), 'abcde', { flush: true }, k));
  await done((k) => appendFile(at('af.dat'), 'abcde', { flush: true }, k));
  await pWriteFile(at('pwf.dat'), 'abcdef', { flush: true });
  await pAppendFile(at('paf.dat'), 'abcdef', { flush: true });
  const fh = await open(at('fh.dat'), 'a');
  await fh.write('x');
  await fh.sync();
  await fh.datasync();
  await fh.close();
  const ws = createWriteStream(at('ws.dat'), { flush: true });
  ws.end('stream');
  await closed(ws);
  const fh2 = await open(at('fhs.dat'), 'w');
  const hs = fh2.createWriteStream({ flush: true });
  hs.end('handle stream');
  await closed(hs);
  // Not durability calls: not recorded.
  writeFileSync(at('plain.dat'), 'no flush');
  await done((k) => writeFile(at('plain.dat'), 'no flush', k));
}
closeSync(fd);
console.log(JSON.stringify({ pid: process.pid, n }));
