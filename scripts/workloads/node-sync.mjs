// A Node program that makes its files durable every way Node offers, for the
// recorder to see: fs.fsyncSync on the main thread; FileHandle.sync() and
// .datasync() from fs.promises, which run on libuv's worker threads;
// and writeFile / writeFileSync with { flush: true } (Node 20.10+), which
// fsync the file before closing it. Usage: node node-sync.mjs DIR [ROUNDS]
// Prints what it did as one JSON line.
import { closeSync, fsyncSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const dir = process.argv[2];
const rounds = Number(process.argv[3] ?? 4);
if (!dir) throw new Error('usage: node node-sync.mjs DIR [ROUNDS]');

// The main thread: write 1000 bytes, fsync, `rounds` times.
const fd = openSync(join(dir, 'sync.dat'), 'w');
for (let i = 0; i < rounds; i++) {
  writeSync(fd, Buffer.alloc(1000, i));
  fsyncSync(fd);
}
closeSync(fd);

// The thread pool: 2000 bytes then sync(), 100 bytes then datasync().
const fh = await open(join(dir, 'promise.dat'), 'w');
for (let i = 0; i < rounds; i++) {
  await fh.write(Buffer.alloc(2000, i));
  await fh.sync();
  await fh.write(Buffer.alloc(100, i));
  await fh.datasync();
}
await fh.close();

// { flush: true }: the promise API on the thread pool, the sync API on the main thread.
await writeFile(join(dir, 'flushed.dat'), 'hello', { flush: true });
writeFileSync(join(dir, 'flushed-sync.dat'), 'hello, world', { flush: true });

process.stdout.write(`${JSON.stringify({ pid: process.pid, rounds, node: process.version })}\n`);
