// Failed syncs as the program sees them: EBADF from a descriptor that is not
// open, and whatever the system returns for a real file (EIO when the test
// injects it with strace). Prints each error's fields and stack as JSON, so a
// run with the hook can be compared with one without.
const fs = require('node:fs');

const file = `${process.argv[2]}/errors.dat`;
const seen = [];
const keep = (where, err) => seen.push({
  where,
  name: err && err.name,
  code: err && err.code,
  errno: err && err.errno,
  syscall: err && err.syscall,
  message: err && err.message,
  stack: err && err.stack,
  props: err ? Object.keys(err).sort() : null,
});
const cb = (f) => new Promise((resolve) => f((err) => resolve(err)));

async function main() {
  const bad = 4000;
  try {
    fs.fsyncSync(bad);
  } catch (err) {
    keep('fsyncSync', err);
  }
  try {
    fs.fdatasyncSync(bad);
  } catch (err) {
    keep('fdatasyncSync', err);
  }
  keep('fsync', await cb((k) => fs.fsync(bad, k)));
  keep('fdatasync', await cb((k) => fs.fdatasync(bad, k)));
  // A real file: fine, unless a failure is injected.
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, 'data');
  try {
    fs.fsyncSync(fd);
    keep('file fsyncSync', null);
  } catch (err) {
    keep('file fsyncSync', err);
  }
  keep('file fsync', await cb((k) => fs.fsync(fd, k)));
  fs.closeSync(fd);
  const fh = await fs.promises.open(file, 'a');
  keep('file filehandle.sync', await fh.sync().then(() => null, (err) => err));
  await fh.close();
  keep('file writeFile flush', await cb((k) => fs.writeFile(file, 'x', { flush: true }, k)));
  try {
    fs.fsyncSync('not a descriptor');
  } catch (err) {
    keep('bad argument', err);
  }
  console.log(JSON.stringify({ pid: process.pid, seen }));
}
main();
