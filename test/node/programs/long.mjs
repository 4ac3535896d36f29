// A long run that laps a small ring many times: rounds of fs.fsyncSync on one
// file, fs.fsync (callback) and filehandle.sync() on another, a pause between
// rounds (so the run spans several summary intervals). Prints its own count
// per file and API as JSON.
import { closeSync, fsync, fsyncSync, openSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

const [dir, roundsText] = process.argv.slice(2);
const rounds = Number(roundsText);
const a = `${dir}/a.dat`;
const b = `${dir}/b.dat`;
const counts = { [a]: { 'fs.fsyncSync': 0 }, [b]: { 'fs.fsync': 0, 'filehandle.sync': 0 } };
const fa = openSync(a, 'w');
const fb = await open(b, 'w');
const fsyncCb = (fd) => new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
for (let r = 0; r < rounds; r++) {
  writeSync(fa, 'x');
  // Uneven per round, so no count is a round multiple by accident.
  for (let i = 0; i < 50 + (r % 7); i++, counts[a]['fs.fsyncSync']++) fsyncSync(fa);
  for (let i = 0; i < 20 + (r % 3); i++, counts[b]['fs.fsync']++) await fsyncCb(fb.fd);
  for (let i = 0; i < 10 + (r % 5); i++, counts[b]['filehandle.sync']++) await fb.sync();
  await sleep(15);
}
await fb.close();
closeSync(fa);
console.log(JSON.stringify({ counts }));
