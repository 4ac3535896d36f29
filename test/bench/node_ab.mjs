// One process of npm run bench:node's in-process comparison: keeps the
// original fs.fsyncSync, fs.fsync and FileHandle.prototype.sync, then loads
// the hook (recorders/node/hook.cjs, given as the third argument) and times
// blocks of calls through the originals and through the hook's wrappers,
// alternating, in the same process (same heap, same pool threads, same
// file). Prints, per API, the median of the blocks' paired differences in
// CPU ns per call, and each block's (hook - originals, and originals run
// again - originals: the method's own noise): of the main thread, where all of the hook's work is
// (CLOCK_THREAD_CPUTIME_ID, through test/bench/thread_cpu.c, the fourth
// argument: exact to the ns, where /proc's figures lag by a tick), and of the
// whole process (process.cpuUsage: the pool threads that run the async forms'
// syncs too, so those differences carry the pool's noise); and the stacks the
// hook captured for its call sites in the hooked blocks (counted by wrapping
// Error.captureStackTrace, which the hook calls for each) with what they cost:
// the whole capture path (the stack, its site text, the name, the next count)
// and what it leaves behind, from the blocks that hold captures against those
// that hold none.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { createRequire } from 'node:module';
// The call loops three times, as three module instances: each its own functions and feedback, so
// each loop calls one target (one shared loop turns polymorphic and charges the switch to all).
// `same` runs the originals again: blocks through it against blocks through `orig` are the
// method's own noise (an A/A comparison), beside what the hook adds (`hook` against `orig`).
const loops = {
  orig: await import('./node_calls.mjs?orig'), same: await import('./node_calls.mjs?same'), hook: await import('./node_calls.mjs?hook'),
};

const [dir, blocksText, perBlockText, hook, threadCpu] = process.argv.slice(2);
const { threadNs } = createRequire(import.meta.url)(threadCpu);
let captures = 0;
const capture = Error.captureStackTrace;
Error.captureStackTrace = function (holder, below) {
  captures++;
  return capture.call(this, holder, below);
};
const BLOCKS = Number(blocksText);
const PER_BLOCK = Number(perBlockText);
const IN_FLIGHT = 32;
const fd = fs.openSync(`${dir}/ab.dat`, 'w');
fs.writeSync(fd, 'x');
const first = await fsp.open(`${dir}/ab-fh0.dat`, 'w');
const proto = Object.getPrototypeOf(first);
const originals = { fsyncSync: fs.fsyncSync, fsync: fs.fsync, 'filehandle.sync': proto.sync };
createRequire(import.meta.url)(hook);
// The hook wraps FileHandle's prototype at the next open.
const fh = await fs.promises.open(`${dir}/ab-fh.dat`, 'w');
const wrapped = { fsyncSync: fs.fsyncSync, fsync: fs.fsync, 'filehandle.sync': proto.sync };
for (const k of Object.keys(wrapped)) if (wrapped[k] === originals[k]) throw new Error(`${k} is not wrapped`);

// One closure each (three literals: closures of one literal share their feedback).
const syncs = {
  orig: () => originals['filehandle.sync'].call(fh), same: () => originals['filehandle.sync'].call(fh), hook: () => wrapped['filehandle.sync'].call(fh),
};
// The asynchronous forms with 32 calls in flight, where the main thread's pace sets how many
// completions each turn of the event loop collects, and with 1, where each call is a turn.
const runs = {
  fsyncSync: (v, f, n) => loops[v].syncLoop(f, fd, n),
  fsync: (v, f, n) => loops[v].callbacks(f, fd, n, IN_FLIGHT),
  'filehandle.sync': (v, _f, n) => loops[v].promises(syncs[v], n, IN_FLIGHT),
  'fsync, 1 in flight': (v, f, n) => loops[v].callbacks(f, fd, n, 1),
  'filehandle.sync, 1 in flight': (v, _f, n) => loops[v].promises(syncs[v], n, 1),
};
const apiOf = (name) => name.split(',')[0];

const processNs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};
const median = (xs) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const out = {};
const minus = (a, b) => a.map((x, i) => x - b[i]);
// The three variants' order turns each block (all six orders, in turn), so drift in the
// machine's load and each variant's place after another fall on all three alike.
const ORDERS = [['orig', 'same', 'hook'], ['hook', 'orig', 'same'], ['same', 'hook', 'orig'],
  ['orig', 'hook', 'same'], ['same', 'orig', 'hook'], ['hook', 'same', 'orig']];
// BENCH_ONLY=<name>: that call alone (an experiment's quicker A/B).
for (const name of Object.keys(runs).filter((n) => !process.env.BENCH_ONLY || n === process.env.BENCH_ONLY)) {
  const api = apiOf(name);
  // One call in flight waits a thread hop each (tens of us): a quarter of the calls per block.
  const K = name.includes('1 in flight') ? Math.max(1, Math.round(PER_BLOCK / 4)) : PER_BLOCK;
  const fnOf = (v) => (v === 'hook' ? wrapped[api] : originals[api]);
  const main = { orig: [], same: [], hook: [] };
  const whole = { orig: [], same: [], hook: [] };
  for (const v of Object.keys(main)) await runs[name](v, fnOf(v), K);
  // The hook's captures in each block.
  const caps = [];
  for (let b = 0; b < BLOCKS; b++) {
    for (const v of ORDERS[b % ORDERS.length]) {
      const n0 = captures;
      const p0 = processNs();
      const t0 = threadNs();
      await runs[name](v, fnOf(v), K);
      main[v].push((threadNs() - t0) / K);
      whole[v].push((processNs() - p0) / K);
      if (v === 'hook') caps.push(captures - n0);
    }
  }
  const d = minus(main.hook, main.orig);
  // The blocks without a capture: what every call adds. A block with captures adds, beyond
  // their mean, the whole cost of its captures (the stack, the site's text and name, the
  // next count, and the caches they leave cold), counted here per capture. Their mean, not
  // their median: the blocks' differences lean right (now and then a block pays for something
  // else, an interrupt, a compile, a collection), so the excess over the median would charge
  // each block with a capture that lean, (mean - median) x K, as if the capture's: 100-150 us
  // a capture at load 6-8, as much as the capture itself.
  const clean = d.filter((_, b) => caps[b] === 0);
  const base = clean.length > 0 ? clean.reduce((a, x) => a + x, 0) / clean.length : median(d);
  let captured = 0;
  let capturedNs = 0;
  d.forEach((x, b) => {
    if (caps[b] === 0) return;
    captured += caps[b];
    capturedNs += (x - base) * K;
  });
  out[name] = {
    bare: median(main.orig), added: median(d),
    // Per block, main thread: what the hook added (all blocks, and those without a capture),
    // and what the originals "added" to themselves.
    blocksAdded: d, blocksClean: clean, blocksSame: minus(main.same, main.orig),
    addedProcess: median(minus(whole.hook, whole.orig)),
    calls: BLOCKS * K,
    capturesPer1000: (captured * 1000) / (BLOCKS * K),
    captureUs: captured > 0 ? capturedNs / captured / 1000 : 0,
    captureNsPerCall: capturedNs / (BLOCKS * K),
  };
}
await fh.close();
await first.close();
fs.closeSync(fd);
console.log(JSON.stringify(out));
