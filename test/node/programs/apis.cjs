// The CommonJS twin of apis.mjs: the same calls through require('node:fs'),
// destructured when the program loads and called as methods.
const fs = require('node:fs');
const { fsync, fsyncSync } = require('node:fs');
const fsp = require('node:fs/promises');
const { promisify } = require('node:util');

const dir = process.argv[2];
const n = Number(process.argv[3] ?? 3);
const at = (name) => `${dir}/${name}`;
const done = (start) => new Promise((resolve, reject) => start((err) => (err ? reject(err) : resolve())));
const closed = (stream) => new Promise((resolve, reject) => stream.on('close', resolve).on('error', reject));

async function main() {
  const fd = fs.openSync(at('fd.dat'), 'w');
  for (let i = 0; i < n; i++) {
    fs.writeSync(fd, 'x');
    fsyncSync(fd);
    fs.fdatasyncSync(fd);
    await done((k) => fsync(fd, k));
    await done((k) => fs.fdatasync(fd, k));
    await promisify(fs.fsync)(fd);
    fs.writeFileSync(at('wfs.dat'), 'abcd', { flush: true });
    fs.appendFileSync(at('afs.dat'), 'abcd', { flush: true });
    await done((k) => fs.writeFile(at('wf.dat'), 'abcde', { flush: true }, k));
    await done((k) => fs.appendFile(at('af.dat'), 'abcde', { flush: true }, k));
    await fs.promises.writeFile(at('pwf.dat'), 'abcdef', { flush: true });
    await fsp.appendFile(at('paf.dat'), 'abcdef', { flush: true });
    const fh = await fsp.open(at('fh.dat'), 'a');
    await fh.write('x');
    await fh.sync();
    await fh.datasync();
    await fh.close();
    const ws = fs.createWriteStream(at('ws.dat'), { flush: true });
    ws.end('stream');
    await closed(ws);
    const fh2 = await fs.promises.open(at('fhs.dat'), 'w');
    const hs = fh2.createWriteStream({ flush: true });
    hs.end('handle stream');
    await closed(hs);
    fs.writeFileSync(at('plain.dat'), 'no flush');
    await done((k) => fs.writeFile(at('plain.dat'), 'no flush', k));
  }
  fs.closeSync(fd);
  console.log(JSON.stringify({ pid: process.pid, n }));
}
main();
