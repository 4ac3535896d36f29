// The process's first sync makes its trace: one call, the first (fs.fsyncSync
// or fs.fsync, as argv[3] says), then one more of the same, each timed by the
// program itself. Prints both waits (ns) as JSON.
const fs = require('node:fs');

const fd = fs.openSync(`${process.argv[2]}/first.dat`, 'w');
fs.writeSync(fd, 'x');
const form = process.argv[3];
const once = () => new Promise((resolve, reject) => {
  const t0 = process.hrtime.bigint();
  if (form === 'sync') {
    fs.fsyncSync(fd);
    resolve(Number(process.hrtime.bigint() - t0));
  } else {
    fs.fsync(fd, (err) => (err ? reject(err) : resolve(Number(process.hrtime.bigint() - t0))));
  }
});

(async () => {
  const waits = [await once(), await once()];
  fs.closeSync(fd);
  console.log(JSON.stringify({ waits }));
})();
