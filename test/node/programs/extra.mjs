// fs.fsync with 32 calls in flight over two files, a.dat and b.dat, while a worker thread
// started without the hook (execArgv: []) syncs a.dat too: syncs no hooked call asked
// for, inside the runs of a.dat's calls. argv[3]: 'sync' (the worker's fs.fsyncSync, on
// its own thread) or 'pool' (its fs.fsync, on libuv's pool, as the hooked calls' are);
// argv[4]: the worker's syncs, 2 ms apart. The main thread keeps calls in flight until
// the worker is done and argv[5] calls completed; argv[6] 'one': both descriptors on a.dat
// (one file whose calls are one run from start to end). Prints the calls, the worker's
// syncs and its thread id.
import { fsync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const tid = () => Number(readFileSync('/proc/thread-self/stat', 'utf8').split(' ')[0]);

if (!isMainThread) {
  const { file, how, count } = workerData;
  const fd = openSync(file, 'a');
  const pause = new Int32Array(new SharedArrayBuffer(4));
  let n = 0;
  const next = () => {
    if (n === count) return parentPort.postMessage({ tid: tid(), syncs: n });
    n++;
    Atomics.wait(pause, 0, 0, 2);
    if (how === 'sync') {
      fsyncSync(fd);
      next();
    } else {
      fsync(fd, (err) => {
        if (err) throw err;
        next();
      });
    }
  };
  parentPort.once('message', next);
} else {
  const [dir, how, extraText, callsText, files] = process.argv.slice(2);
  const fds = (files === 'one' ? ['a', 'a'] : ['a', 'b']).map((name) => {
    const fd = openSync(`${dir}/${name}.dat`, 'w');
    writeSync(fd, 'x');
    return fd;
  });
  const worker = new Worker(new URL(import.meta.url), { execArgv: [], workerData: { file: `${dir}/a.dat`, how, count: Number(extraText) } });
  let extra = null;
  worker.once('message', (m) => {
    extra = m;
  });
  await new Promise((resolve) => worker.once('online', resolve));
  const min = Number(callsText);
  let started = 0;
  let done = 0;
  await new Promise((resolve, reject) => {
    const next = (err) => {
      if (err) return reject(err);
      done++;
      if (extra !== null && started >= min) {
        if (done === started) resolve();
        return;
      }
      fsync(fds[started++ % 2], next);
    };
    worker.postMessage('go');
    for (; started < 32; started++) fsync(fds[started % 2], next);
  });
  await worker.terminate();
  console.log(JSON.stringify({ pid: process.pid, calls: done, workerTid: extra.tid, workerSyncs: extra.syncs }));
}
