// filehandle.sync() and .datasync() whose promise rejects and nobody handles
// it: the process must hear of it as it would without the hook. argv[3] says
// which failure: `closed` (a FileHandle closed first: Node rejects with an
// error it made during the call, "file closed"), `stolen` (its descriptor
// closed behind its back: the system's EBADF, from the thread pool) or
// `badarg` (fs.promises.writeFile with flush and data of a wrong type: an
// error made during the call, no system call);
// argv[4] who hears it: `default` (no listener: Node prints the error and
// exits with 1) or `listener` (process.on('unhandledRejection'): prints the
// reason's fields and stack, and whether the promise is the one the call
// returned, as JSON). argv[5] = `datasync` calls datasync() instead.
import { closeSync, writeSync } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';

const [data, failure, who, method = 'sync'] = process.argv.slice(2);
const fh = await open(`${data}/unhandled.dat`, 'w');
writeSync(fh.fd, 'x');
if (failure === 'closed') await fh.close();
else if (failure === 'stolen') closeSync(fh.fd);

let returned;
if (who === 'listener') {
  process.on('unhandledRejection', (reason, promise) => {
    const r = reason ?? {};
    console.log(JSON.stringify({
      same: promise === returned, code: r.code, errno: r.errno, syscall: r.syscall, message: r.message, stack: r.stack,
      props: Object.keys(r).sort(),
    }));
  });
}

function syncNow() {
  if (failure === 'badarg') returned = writeFile(`${data}/badarg.dat`, 42, { flush: true });
  else returned = method === 'datasync' ? fh.datasync() : fh.sync();
}
syncNow();
