// Syncs from a worker thread: each isolate loads the hook (the process's
// --import/--require run in workers too) and records on its own thread.
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { closeSync, fsync, fsyncSync, openSync, writeSync } from 'node:fs';

const dir = process.argv[2];
if (isMainThread) {
  const worker = new Worker(new URL(import.meta.url), { argv: [dir] });
  worker.on('exit', () => console.log(JSON.stringify({ pid: process.pid })));
} else {
  const fd = openSync(`${dir}/worker.dat`, 'w');
  writeSync(fd, 'w');
  fsyncSync(fd);
  fsync(fd, () => {
    closeSync(fd);
    parentPort.postMessage('done');
  });
}
