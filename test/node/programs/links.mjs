// The calls whose sync libuv's pool makes on their descriptor (fs.fsync,
// fs.fdatasync, filehandle.sync, filehandle.datasync), many in flight at once,
// and the ones that fail or are not linked: test/node/links.test.ts checks
// each call's link.
//   links.mjs DIR [N]
// 1. filehandle.sync: 32 in flight on one FileHandle, N calls;
// 2. fs.fsync and fs.fdatasync callbacks: 32 in flight over 4 files, N calls, kinds alternating;
// 3. filehandle.datasync: 32 in flight on one FileHandle, N / 4 calls;
// 4. fs.fsync and fs.fdatasync of a descriptor not open (EBADF), 150 each;
// 5. a worker thread (the hook loads there too) keeps 8 fs.fsync in flight on
//    a file of its own, N / 4 calls, while this thread keeps 8 fs.fsync in
//    flight on files[0], N / 4 calls; then a worker terminated with 32
//    fs.fsync in flight (its calls not recorded, whatever its pool syncs
//    left), then 64 fs.fsync on files[0], 8 in flight;
// 6. fs.fsyncSync and fs.fdatasyncSync, 20 each (not linked).
import { closeSync, fdatasync, fdatasyncSync, fsync, fsyncSync, openSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const done = (start) => new Promise((resolve) => start((err) => resolve(err)));

async function inFlight(count, width, call) {
  let started = 0;
  const running = [];
  const one = async () => {
    while (started < count) await call(started++);
  };
  for (let k = 0; k < width; k++) running.push(one());
  await Promise.all(running);
}

if (!isMainThread) {
  const { file, count, width, forever } = workerData;
  const fd = openSync(file, 'w');
  writeSync(fd, 'w');
  const failed = [];
  if (forever) {
    // Calls in flight until terminated (the first turn's are started before it says so).
    const again = () => fsync(fd, again);
    for (let k = 0; k < width; k++) again();
    parentPort.postMessage({ fd });
  } else {
    await inFlight(count, width, async () => {
      const err = await done((k) => fsync(fd, k));
      if (err) failed.push(err.code);
    });
    closeSync(fd);
    parentPort.postMessage({ fd, failed });
  }
} else {
  const dir = process.argv[2];
  const n = Number(process.argv[3] ?? 2000);
  const worker = (data) => new Worker(new URL(import.meta.url), { workerData: data });

  const fh = await open(`${dir}/fh.dat`, 'w');
  await fh.write('x');
  await inFlight(n, 32, () => fh.sync());

  const fds = [0, 1, 2, 3].map((i) => {
    const fd = openSync(`${dir}/cb${i}.dat`, 'w');
    writeSync(fd, 'x');
    return fd;
  });
  const failed = [];
  await inFlight(n, 32, async (i) => {
    const err = await done((k) => (i % 2 ? fdatasync : fsync)(fds[i % 4], k));
    if (err) failed.push(err.code);
  });

  const dh = await open(`${dir}/dh.dat`, 'w');
  await dh.write('x');
  await inFlight(n / 4, 32, () => dh.datasync());

  const bad = openSync(`${dir}/bad.dat`, 'w');
  closeSync(bad);
  const ebadf = [];
  for (let i = 0; i < 150; i++) {
    ebadf.push((await done((k) => fsync(bad, k)))?.code);
    ebadf.push((await done((k) => fdatasync(bad, k)))?.code);
  }

  const w = worker({ file: `${dir}/worker.dat`, count: n / 4, width: 8 });
  const fromWorker = new Promise((resolve) => w.once('message', resolve));
  // Listened for now: a worker that exits before this thread reads its message has the
  // message and 'exit' emitted in one go, before an await of the message could listen for
  // 'exit' (the program then ended with its top-level await unsettled: exit 13, under load).
  const exited = new Promise((resolve) => w.once('exit', resolve));
  await inFlight(n / 4, 8, async () => {
    const err = await done((k) => fsync(fds[0], k));
    if (err) failed.push(err.code);
  });
  const workerSaid = await fromWorker;
  failed.push(...workerSaid.failed);
  await exited;
  const cut = worker({ file: `${dir}/cut.dat`, width: 32, forever: true });
  await new Promise((resolve) => cut.once('message', resolve));
  await cut.terminate();
  await inFlight(64, 8, async () => {
    const err = await done((k) => fsync(fds[0], k));
    if (err) failed.push(err.code);
  });

  for (let i = 0; i < 20; i++) {
    fsyncSync(fds[1]);
    fdatasyncSync(fds[1]);
  }

  await fh.close();
  await dh.close();
  for (const fd of fds) closeSync(fd);
  console.log(JSON.stringify({ pid: process.pid, n, failed, ebadf: ebadf.filter((c) => c === 'EBADF').length, fds, bad }));
}
