// The calls npm run bench:node times (test/bench/node_child.mjs and
// node_ab.mjs): n calls of fs.fsyncSync in a loop, and of fs.fsync
// (callback) and filehandle.sync() (promise, `sync` calls it) with inFlight
// at a time, each through the function it is given.

export function syncLoop(fsyncSync, fd, n) {
  for (let i = 0; i < n; i++) fsyncSync(fd);
}

export function callbacks(fsync, fd, n, inFlight) {
  return new Promise((resolve, reject) => {
    let started = 0;
    let done = 0;
    const next = (err) => {
      if (err) return reject(err);
      if (++done === n) return resolve();
      if (started < n) {
        started++;
        fsync(fd, next);
      }
    };
    for (; started < Math.min(inFlight, n); started++) fsync(fd, next);
  });
}

export async function promises(sync, n, inFlight) {
  let started = 0;
  const lane = async () => {
    while (started < n) {
      started++;
      await sync();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
}
