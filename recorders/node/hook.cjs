'use strict';
/*
 * fsync-flight-recorder/node — the Node preload hook.
 *
 *   node --import fsync-flight-recorder/node app.mjs     (ESM or CommonJS programs)
 *   node --require fsync-flight-recorder/node app.js
 *   fsync-record --node -- node app.js                    (also preloads the library)
 *
 * It wraps the fs calls that ask for durability — fs.fsync, fs.fdatasync and
 * their Sync forms, filehandle.sync() and .datasync(), and the `flush: true`
 * forms of writeFile, appendFile (callback, Sync and fs.promises) and
 * createWriteStream (fs and filehandle) — and records, per call, what the
 * program waited for: from the call to its callback, to its promise settling,
 * or to its return; with the file, the result, and the call site (the first
 * stack frame outside Node's own code, "file:line"). Each call becomes one
 * record in the process's trace, through the recorder library's entry point
 * (recorders/ft_js.c, reached by the addon in node/addon.c), so the analyzer
 * finds the system call that did the work in the same trace and tells the
 * time queued in libuv's thread pool from the time the disk took.
 *
 * Plain CommonJS, so that one file serves --require and --import (Node 20
 * cannot require an ES module) and needs no build step.
 *
 * Nothing changes for the program: results, errors (the same objects; an
 * error made while a wrapper was on the stack, thrown or rejected, loses only
 * the hook's own stack frames), a rejection nobody handles (reported as
 * unhandled all the same), `this`,
 * callback versus promise, synchronous versus asynchronous. Every line of the
 * hook's own work is inside a try: it never throws into the program. Without
 * the addon (no Node headers at build time) nothing is wrapped at all.
 */
const fs = require('node:fs');
const path = require('node:path');
const { syncBuiltinESMExports } = require('node:module');
const { fileURLToPath, URL } = require('node:url');
const { Buffer } = require('node:buffer');
const pathResolve = path.resolve;
const BufferToString = Buffer.prototype.toString;

/* Built-ins a wrapped call needs, kept as they are when the hook loads, so
 * that a program that replaces Function.prototype.apply/call, Reflect.apply,
 * URL or Buffer (globals) does not reach the hook's work; no other method a
 * program may replace is called on a wrapped call's path: strings compared by
 * hand (begins, holds), arrays walked by index, `in` and instanceof for
 * hasOwnProperty, Array.isArray, Buffer.isBuffer. Reflect.apply is looked at when the hook loads:
 * one a preload replaced before it (node -r) — its text not V8's native one,
 * or it fails a try — gives way to a fresh realm's (node:vm, ~2 ms, only
 * then); a replacement that imitates the native text and passes the try
 * is not told. */
function appliesRight(apply) {
  try {
    return typeof apply === 'function' && `${apply}` === 'function apply() { [native code] }' && apply(function (a, b) {
      return this.x + a + b;
    }, { x: 1 }, [2, 3]) === 6;
  } catch {
    return false;
  }
}
const ReflectApply = appliesRight(Reflect.apply) ? Reflect.apply : require('node:vm').runInNewContext('Reflect.apply');

/* s begins with p; s holds p: by hand, no String method. */
function begins(s, p) {
  if (s.length < p.length) return false;
  for (let i = 0; i < p.length; i++) if (s[i] !== p[i]) return false;
  return true;
}
function holds(s, p) {
  for (let at = 0; at + p.length <= s.length; at++) {
    let i = 0;
    while (i < p.length && s[at + i] === p[i]) i++;
    if (i === p.length) return true;
  }
  return false;
}

const MARK = Symbol.for('fsync-flight-recorder.node');

/* API numbers: enum ft_js_api in recorders/ft_format.h. */
const API = {
  fsync: 1, fsyncSync: 2, fdatasync: 3, fdatasyncSync: 4, fhSync: 5, fhDatasync: 6,
  writeFile: 7, writeFileSync: 8, appendFile: 9, appendFileSync: 10, pWriteFile: 11, pAppendFile: 12,
  writeStream: 13, fhWriteStream: 14,
};

/* The modules through which Node itself syncs on behalf of a call it was
 * given (writeFile's writeAll, a stream's close, fs.promises' writeFile):
 * a sync whose caller is one of these is part of that call, recorded once.
 * Compared by hand: no Set method a program may have replaced. */
const nodeSyncer = (file) => file === 'node:fs' || file === 'node:internal/fs/streams' || file === 'node:internal/fs/promises';

function loadAddon() {
  try {
    // eslint-disable-next-line import/no-dynamic-require
    const addon = require(path.join(__dirname, '..', 'build', 'fsync_trace_node.node'));
    return addon && addon.how ? addon : null;
  } catch {
    return null;
  }
}

/* ---- recording ------------------------------------------------------------- */

/*
 * Call sites. Capturing a stack costs tens of microseconds when it is rare
 * (V8 walks and symbolizes frames through code the CPU no longer has in its
 * caches and TLB: 40-250 us per capture on this project's VM, measured by
 * `npm run bench:node`), far more than the rest of a wrapped call, so it is
 * rationed by what the captures cost. A thread captures the sites of its
 * first 64 calls and the first call of each API; after that, each capture is
 * timed in the thread's CPU time (what it took of the thread, however long
 * the thread was preempted in it: wall time counted a preempted capture as
 * dear as a stall; counted at 1 ms at most, so that one rare stall, a
 * garbage collection say, does not stop the captures for long), and the
 * next is due after a number of calls drawn at random, uniformly between
 * half and one and a half times cost / credit (cost: the mean of the
 * captures before this one; credit: what a call pays towards the captures,
 * 25 ns, and 1/32 of the thread's time per call beyond 1 ms, averaged over
 * its calls, each 5 ms weighing those before 7/8 (a span of 40 ms or more
 * as 40 ms): about the last 40 ms of a busy thread, start to start), and
 * never more calls than that 1/32 alone needs to pay for the captures each
 * counted at 200 us at most (timeCost):
 *  - a tight loop, or bursts of calls (the bench's blocks, a few thousand a
 *    second on average), has a mean count of cost / 25 ns (1,600-8,000 calls
 *    here): the captures cost 25 ns a call on average by their own measure,
 *    whatever it does (what a capture leaves behind besides: about nothing
 *    in a loop of the hook's calls alone, 1.3 times its own time or more in
 *    bench:node's interleaved blocks, where the captures come to 20-87 ns a
 *    call at load 7-11; figures.md, s11s);
 *  - a thread whose calls are 7.5 ms or more apart has every call captured:
 *    1/32 of 6.5 ms pays for any capture counted at 200 us, so the count is 1
 *    (after a burst, once the burst's calls weigh out: 20,000 calls, about
 *    0.4 s; each look, 5 ms after the last capture or look, ends a span, so
 *    the burst's weigh less as time passes, not only as captures come);
 *  - between the two, a count of a few calls.
 * FSYNC_TRACE_JS_SITES=N makes the mean N at most (dense calls: N); `all`
 * captures every call, `off` none (site 0). Time only sets how many calls
 * the count is, never which call is captured: a look once per 5 ms at most
 * (for a thread whose last count was drawn during a burst and whose calls
 * became sparse) draws the count afresh from the time per call, and does
 * not capture the call it is on.
 * A call whose stack is not captured takes the site this thread last
 * captured for the same API, flagged as inherited (FT_F_JS_SITE_INHERITED),
 * so every call is attributed. Since the count is random and does not depend
 * on the site just captured (the mean cost is of the captures before), a
 * capture lands on each call of a loop with the same chance and each
 * capture's calls are as many whatever its site: a loop over several lines
 * gives each line its share of the calls, give or take the sampling error
 * (with k captures after the first 64, a share p is off by about
 * sqrt(p (1 - p) / k)). What is not quite independent of the site: the time
 * per call, when a loop's lines take very different times and its calls are
 * about 1-7.5 ms apart (the captured call's gap weighs about 1/8 of it,
 * more when over 5 ms).
 */
const SITE_DEPTH = 12;
const SITE_FIRST = 64;
/* The count rationing: each call pays BUDGET_NS of the captures. */
const BUDGET_NS = 25;
/* A capture timed over this is counted as this (one rare stall, a garbage
 * collection say, must not stop the captures for long). */
const COST_MAX_NS = 1e6;
/* What the time rationing pays for: a capture counted at this at most. */
const TIME_COST_MAX_NS = 200e3;
/* The time rationing: a call's credit is BUDGET_NS and 1/TIME_SHARE of its
 * time beyond SPARSE_NS (the thread's time per call, each capture's span
 * weighing SPAN_DECAY at the next); a look at the count once per GAP_NS. */
const GAP_NS = 5e6;
const SPARSE_NS = 1e6;
const TIME_SHARE = 32;
const SPAN_DECAY = 7 / 8;

function siteSettings(text) {
  const v = (text ?? '').trim().toLowerCase();
  if (v === 'all') return { all: true, every: -1 };
  if (v === 'off' || v === '0') return { all: false, every: 0 };
  const n = v === '' ? NaN : Number(v);
  // every -1: the budget sets the mean count.
  return { all: false, every: Number.isInteger(n) && n > 0 ? n : -1 };
}

/* The fields of a record in the addon's buffer (node/addon.c). */
const A_API = 0;
const A_FD = 1;
const A_START = 2;
const A_DUR = 3;
const A_RES = 4;
const A_SITE = 5;
const A_BYTES = 6;
const A_NOW = 7;
const A_OUT = 8;
const A_FLAGS = 9;
/* The hook's own per-call state, in the same buffer: after a system call
 * (which empties the TLB on this project's VM) every other page a call
 * touches costs ~100 ns, and these are read at every call. A_SINCE: calls
 * left until a capture; A_MARK: the clock at which the time rationing
 * looks next (5 ms after the last capture or look); A_FIRST: captures left
 * of the first SITE_FIRST; A_DRAWN: the calls from the last capture or look
 * to the next capture due (A_DRAWN - A_SINCE: the calls since); A_TAKEN: the
 * clock at the last capture's start or look; A_COST: the captures' mean cost (ns); A_LAST + api: the
 * site this thread last captured for api (-1 until its first), which the
 * calls not captured inherit. */
const A_SINCE = 10;
const A_MARK = 11;
const A_FIRST = 12;
const A_DRAWN = 13;
const A_TAKEN = 14;
const A_COST = 15;
const A_LAST = 16;
/* A_LAST + 31 at most; from 48 the library's own words (node/addon.c). */
const A_COUNT = 48;
/* FT_F_JS_SITE_INHERITED (recorders/ft_format.h). */
const SITE_INHERITED = 0x40;

function makeRecorder(addon) {
  const args = new Float64Array(addon.buf);
  if (args.length < A_COUNT) return null;
  const { now: clock, record, recordNamed } = addon;
  /* The thread's CPU time (ns), a capture's cost: what it took of the
   * thread, however long the thread was preempted in it. An addon without
   * cpu() (a build from before it) has the wall clock counted instead: a
   * capture that cost nothing would be paid for on every call. */
  const cpu = typeof addon.cpu === 'function' ? addon.cpu : () => Number(process.hrtime.bigint());
  /* The recorder's clock (CLOCK_MONOTONIC, ns), read by the library: one
   * call that writes into the buffer costs less than performance.now(). */
  const now = () => {
    clock();
    return args[A_NOW];
  };
  /* The clock as siteOf and nodeOwn left it: read after the hook's own
   * work for the call, so it is the call's start. */
  const started = () => args[A_NOW];
  /* Site texts to their name ids; file URLs to paths (4,096 at most). Plain
   * objects without a prototype: no Map method a program may have replaced. */
  const sites = { __proto__: null };
  const { all, every } = siteSettings(process.env.FSYNC_TRACE_JS_SITES);
  args.fill(-1, A_LAST, A_COUNT);
  args[A_SINCE] = 1;
  args[A_DRAWN] = 1;
  args[A_MARK] = Infinity;
  args[A_COST] = 0;
  args[A_TAKEN] = now();
  args[A_FIRST] = SITE_FIRST;
  /* The captures' random counts: a xorshift32 of the hook's own, seeded from
   * the clock, so nothing a program does to Math (before or after the hook
   * loads) reaches a wrapped call. */
  let rng = now() % 4294967296 | 0 || 0x2545f491;
  function uniform() {
    rng ^= rng << 13;
    rng ^= rng >>> 17;
    rng ^= rng << 5;
    return (rng >>> 0) / 4294967296;
  }
  /* A count of calls, uniform between half and one and a half times mean,
   * rounded (by hand), 1 at least. */
  function draw(mean) {
    const drawn = mean * (0.5 + uniform()) + 0.5;
    return drawn >= 1 ? drawn - (drawn % 1) : 1;
  }
  /* The time between the thread's calls, averaged over its spans (a span:
   * from a capture or look to the next), the spans before weighing 7/8 per
   * GAP_NS of the span after them (a look ends a span at least every GAP_NS
   * the thread calls, so in a burst about its last 8 spans weigh; once the
   * calls are sparse the burst's weigh less every round, however many):
   * span ns, calls. */
  let span = 0;
  let spanCalls = 0;
  /* The captures' mean cost as the time rationing counts it (each at
   * TIME_COST_MAX_NS at most); A_COST's, at COST_MAX_NS. */
  let timeCost = 0;
  /* The weight of the spans before when this one is from A_TAKEN to t:
   * (7/8)^8 at the least, so that one span the thread was preempted in, or
   * slept, does not make all of its calls' time. */
  function pastWeight(t) {
    const gaps = (t - args[A_TAKEN]) / GAP_NS;
    return SPAN_DECAY ** (gaps < 8 ? gaps : 8);
  }
  /* The mean count to the next capture when the calls since the last capture
   * or look are calls and the clock is t: what a call pays of a capture (its
   * credit) is BUDGET_NS, and 1/TIME_SHARE of its time beyond SPARSE_NS. */
  function meanCount(t, calls) {
    const w = pastWeight(t);
    const per = (span * w + (t - args[A_TAKEN])) / (spanCalls * w + calls);
    const share = per > SPARSE_NS ? (per - SPARSE_NS) / TIME_SHARE : 0;
    let mean = args[A_COST] / (BUDGET_NS + share);
    if (share > 0 && timeCost / share < mean) mean = timeCost / share;
    return every > 0 && every < mean ? every : mean;
  }
  /* The span from A_TAKEN ends at t, its calls calls: it joins those before. */
  function endSpan(t, calls) {
    const w = pastWeight(t);
    span = span * w + (t - args[A_TAKEN]);
    spanCalls = spanCalls * w + calls;
  }
  /* A stack was captured from t0 to now (the clock read again: the call's
   * start), the calls-th since the last capture or look: the count to the
   * next, drawn from the mean cost of the captures before this one and the
   * thread's time per call, and the time of the next look. */
  function captureDone(t0, calls, cpu0) {
    const first = args[A_FIRST];
    let count = 1;
    if (first > 0) args[A_FIRST] = first - 1;
    if (first <= 1 && !all) count = draw(meanCount(t0, calls));
    endSpan(t0, calls);
    const took = cpu() - cpu0;
    const end = now();
    const cost = took < COST_MAX_NS ? took : COST_MAX_NS;
    const small = took < TIME_COST_MAX_NS ? took : TIME_COST_MAX_NS;
    // The means of the captures' costs, the recent ones weighing most (1/8 each).
    args[A_COST] = args[A_COST] === 0 ? cost : args[A_COST] + (cost - args[A_COST]) / 8;
    timeCost = timeCost === 0 ? small : timeCost + (small - timeCost) / 8;
    args[A_SINCE] = count;
    args[A_DRAWN] = count;
    args[A_TAKEN] = t0;
    args[A_MARK] = end + GAP_NS;
  }
  const hookFile = __filename;

  const prepare = (_err, frames) => frames;

  function frames(below, depth) {
    const limit = Error.stackTraceLimit;
    // Own or not: Error's prototypes (Function's, Object's) have none.
    const hadPrepare = 'prepareStackTrace' in Error;
    const prep = Error.prepareStackTrace;
    try {
      Error.stackTraceLimit = depth;
      Error.prepareStackTrace = prepare;
      const holder = {};
      Error.captureStackTrace(holder, below);
      const list = holder.stack;
      return list instanceof Array ? list : [];
    } finally {
      Error.stackTraceLimit = limit;
      if (hadPrepare) Error.prepareStackTrace = prep;
      else delete Error.prepareStackTrace;
    }
  }

  const paths = { __proto__: null };
  let pathCount = 0;
  function fileOf(frame) {
    const f = frame.getFileName();
    if (!f) return '';
    if (begins(f, 'file://')) {
      let p = paths[f];
      if (p === undefined) {
        try {
          p = fileURLToPath(f);
        } catch {
          p = f;
        }
        if (pathCount < 4096) {
          paths[f] = p;
          pathCount++;
        }
      }
      return p;
    }
    return f;
  }

  /* The call site in frames: "file:line" of the first frame outside Node's
   * own code (and this hook); when that is inside node_modules, the first
   * frame of the program's own code, if the captured stack holds one (async
   * frames included), goes in front: "app.mjs:7 > node_modules/pkg/x.js:12". */
  const inModules = `${path.sep}node_modules${path.sep}`;
  function siteText(list) {
    let first = '';
    for (let i = 0; i < list.length; i++) {
      const frame = list[i];
      const file = fileOf(frame);
      if (file === '' || begins(file, 'node:') || file === hookFile) continue;
      const at = `${file}:${frame.getLineNumber()}`;
      const inPackage = holds(file, inModules);
      if (first === '') {
        first = at;
        if (!inPackage) return first;
      } else if (!inPackage) {
        return `${at} > ${first}`;
      }
    }
    return first;
  }

  function siteId(text) {
    if (text === '') return 0;
    let id = sites[text];
    if (id === undefined) {
      id = addon.name(text);
      if (id > 0) sites[text] = id;
    }
    return id;
  }

  /* The stack below `below`, as frames; [] when it cannot be had. */
  function stackOf(below) {
    try {
      return frames(below, SITE_DEPTH);
    } catch {
      return [];
    }
  }

  /* A captured site for api: its id, kept as the one later calls inherit. */
  function captured(list, api) {
    let id = 0;
    try {
      id = siteId(siteText(list));
    } catch {
      // no site
    }
    args[A_LAST + api] = id;
    return id;
  }

  /*
   * The site of a call of api about to start: its name id when its stack is
   * captured now, minus the inherited one's when not (0: none), so one number
   * carries both to put(). Reads the clock first (the time rationing needs
   * it fresh), and again after a capture: started() is the call's start.
   */
  function siteOf(below, api) {
    clock();
    if (every === 0) return 0;
    // The test inline, not a function of its own: a call to one cost ~150 ns more
    // per fs.fsyncSync (in one process, 8 alternating pairs at load 6), most of what
    // the rationing cost (its code, like every page, walked afresh after a system call).
    // The rest out of line (siteDue): with the time rationing's test inline too,
    // fs.fsyncSync cost ~110 ns more, sites or not (the wrapper's code grew; 3 pairs
    // of 2 processes each, load 3).
    const left = args[A_SINCE] - 1;
    const last = args[A_LAST + api];
    if (left > 0 && last >= 0 && args[A_NOW] < args[A_MARK]) {
      args[A_SINCE] = left;
      return -last;
    }
    return siteDue(below, api, left, last);
  }

  /* siteOf when a capture is due by count (or it is the first call of api),
   * or the time rationing looks (GAP_NS since the last capture or look).
   * A look never captures the call it is on (that call is the first after a
   * fixed mark, which would lock onto one line of a loop): when the calls
   * left are more than twice the mean count the time per call gives (a
   * burst's count, and the calls became sparse), it draws the count afresh
   * from that mean. It ends the span: a new one starts here. Out of line:
   * the code the hot path walks stays small. */
  function siteDue(below, api, left, last) {
    const cpu0 = cpu();
    const t0 = args[A_NOW];
    const calls = args[A_DRAWN] - left;
    if (left > 0 && last >= 0) {
      const mean = meanCount(t0, calls);
      const count = left > 2 * mean + 1 ? draw(mean) : left;
      endSpan(t0, calls);
      args[A_SINCE] = count;
      args[A_DRAWN] = count;
      args[A_TAKEN] = t0;
      args[A_MARK] = t0 + GAP_NS;
      return -last;
    }
    const id = captured(stackOf(below), api);
    captureDone(t0, calls, cpu0);
    return id;
  }

  /*
   * A sync that may be Node's own on behalf of a call recorded already (a
   * writeFile with flush, a flushing stream): true when its caller, the frame
   * below `below`, is Node's fs code. One frame is captured to tell (the
   * site, when it is the program's call, is siteOf's to capture or not, as
   * any other call's); the clock read after, as siteOf leaves it. Of the
   * built-ins a program may replace, only those kept at load are called
   * (Error.captureStackTrace and the CallSite's getFileName are read now).
   */
  function nodeOwn(below) {
    let file = '';
    try {
      const list = frames(below, 1);
      if (list.length > 0) file = list[0].getFileName();
    } catch {
      // not known: the program's
    }
    clock();
    return nodeSyncer(file);
  }

  /* One record, ending now; err is what the program got (an error without
   * an errno, e.g. a bad argument, made no system call and is not recorded);
   * site as siteOf gives it. */
  function put(api, fd, t0, err, site, bytes, file) {
    try {
      let res = 0;
      if (err !== null && err !== undefined) {
        if (typeof err.errno !== 'number') return;
        res = err.errno < 0 ? err.errno : -err.errno;
      }
      args[A_API] = api;
      args[A_FD] = typeof fd === 'number' && fd % 1 === 0 ? fd : -1;
      args[A_START] = t0;
      args[A_DUR] = 0; // the library takes the end
      args[A_RES] = res;
      args[A_SITE] = site < 0 ? -site : site;
      args[A_FLAGS] = site < 0 ? SITE_INHERITED : 0;
      args[A_BYTES] = bytes > 0 ? bytes : 0;
      if (file === undefined) record();
      else recordNamed(file);
      if (args[A_OUT] === 1) forget(site < 0 ? -site : site);
    } catch {
      // never into the program
    }
  }

  /* A site whose name is about to leave the names store: named again now
   * (the calls that inherit it need the new name as much as a capture). */
  function forget(id) {
    for (const text in sites) {
      if (sites[text] !== id) continue;
      const fresh = addon.name(text);
      if (fresh > 0) sites[text] = fresh;
      else delete sites[text];
      for (let i = A_LAST; i < A_COUNT; i++) if (args[i] === id) args[i] = fresh > 0 ? fresh : 0;
    }
  }

  return { siteOf, nodeOwn, now, started, put };
}

/* ---- wrapping ---------------------------------------------------------------- */

/* The wrapper takes the original's name, length and own properties
 * (util.promisify.custom and the like), so code that looks sees the same. */
function dressed(wrapper, orig) {
  try {
    for (const key of Reflect.ownKeys(orig)) {
      if (key === 'prototype' || key === 'caller' || key === 'arguments') continue;
      const d = Object.getOwnPropertyDescriptor(orig, key);
      if (d && (key !== 'length' && key !== 'name' ? true : d.configurable)) Object.defineProperty(wrapper, key, d);
    }
  } catch {
    // keep the wrapper's own
  }
  return wrapper;
}

/* An error thrown synchronously through a wrapper: the hook's own frames
 * are taken out of its stack, so it reads as it would without the hook. */
function withoutHookFrames(err) {
  try {
    if (err !== null && typeof err === 'object') {
      const stack = err.stack;
      if (typeof stack === 'string' && stack.includes(__filename)) {
        err.stack = stack.split('\n').filter((line) => !line.includes(__filename)).join('\n');
      }
    }
  } catch {
    // leave it
  }
  return err;
}

/*
 * A rejection passed on. An error with an errno is the system's, made after
 * the call returned (in the thread pool's completion): no frame of the
 * hook's is in its stack, which is left unread, so that Node, when nobody
 * handles the rejection, still points at the line that made it (reading a
 * stack formats it, and the formatted stack no longer tells V8 where the
 * error was made). Any other error (a bad argument, a closed FileHandle) may
 * have been made while the wrapper was on the stack: its stack loses the
 * hook's frames, as a thrown one's does. One made later (an abort, a bad
 * chunk of an async iterable) has none to lose but is read all the same:
 * when an error was made cannot be told, and Node's report of it unhandled
 * then blames its own line (README).
 */
function unhooked(err) {
  throw err !== null && typeof err === 'object' && typeof err.errno === 'number' ? err : withoutHookFrames(err);
}

/* orig applied with room for the hook's two frames (the wrapper's and this
 * one's) in a stack: an error it throws loses them (withoutHookFrames) and
 * keeps as many of the program's own frames as it would without the hook. */
function deeper(orig, self, args) {
  const limit = Error.stackTraceLimit;
  if (typeof limit !== 'number') return ReflectApply(orig, self, args);
  setStackLimit(limit + 2);
  try {
    return ReflectApply(orig, self, args);
  } finally {
    setStackLimit(limit);
  }
}

/* Error.stackTraceLimit = n, unless the program made it read-only. */
function setStackLimit(n) {
  try {
    Error.stackTraceLimit = n;
  } catch {
    // frozen: its stacks stay as they are
  }
}

function isFlush(options) {
  return options !== null && typeof options === 'object' && options.flush === true;
}

function byteCount(data, options) {
  try {
    if (typeof data === 'string') return Buffer.byteLength(data, (typeof options === 'object' && options && options.encoding) || 'utf8');
    if (ArrayBuffer.isView(data)) return data.byteLength;
  } catch {
    // unknown
  }
  return 0;
}

/* The file a writeFile names: absolute now, as the open will see it. */
function fileName(file) {
  try {
    if (typeof file === 'string') return pathResolve(file);
    if (file instanceof Buffer) return pathResolve(ReflectApply(BufferToString, file, []));
    if (file instanceof URL) return fileURLToPath(file);
  } catch {
    // unknown
  }
  return undefined;
}

function install(rec) {
  const { siteOf, nodeOwn, now, started, put } = rec;
  /* writeFile/appendFile calls with flush in flight: while there are any, a
   * sync may be Node's own on behalf of one (recorded already). */
  let flushing = 0;
  /* While a wrapper runs its original synchronously, the wrappers it
   * reaches (appendFile -> writeFile, writeFileSync -> fsyncSync) pass. */
  let depth = 0;
  /* Flushing streams by descriptor, until their closing sync (recorded as
   * theirs), their 'close', or their descriptor is no longer theirs. A plain
   * object without a prototype: no Map method a program may replace. */
  const streams = { __proto__: null };

  /* A sync of fd about to start: the API to record it as (api, or a
   * flushing stream's when Node syncs on its behalf), its site in callSite
   * (as siteOf gives it), the clock read last (started()); or 0 when it is
   * Node's own on behalf of a call recorded already. The caller (one stack
   * frame, ~5 us) is looked at only when such a call may be in flight: a
   * writeFile/appendFile with flush, or a flushing stream on this fd. */
  let callSite = 0;
  function syncKind(wrapper, fd, api, streamApi) {
    let s = typeof fd === 'number' ? streams[fd] : undefined;
    if (s !== undefined && !owns(s, fd)) s = unwatch(fd, s);
    if ((flushing === 0 && s === undefined) || !nodeOwn(wrapper)) {
      callSite = siteOf(wrapper, api);
      return api;
    }
    if (!s || streamApi === 0) return 0;
    // A stream syncs once, as it closes.
    unwatch(fd, s);
    callSite = s.site;
    return streamApi;
  }
  /* Whether the stream s still holds fd: one closed without a 'close' event
   * (emitClose: false) or without its sync (no descriptor by then) does not. */
  function owns(s, fd) {
    try {
      return s.fdOf() === fd;
    } catch {
      return false;
    }
  }
  /* The stream s of fd is done: its entry goes (returns undefined). */
  function unwatch(fd, s) {
    if (streams[fd] === s) delete streams[fd];
    return undefined;
  }

  /* A writeFile/appendFile with flush about to start: its record's fields
   * (the clock last: the program's wait starts after the hook's own work). */
  function flushCall(wrapper, api, file, data, options) {
    const site = siteOf(wrapper, api);
    let fd = -1;
    let named;
    try {
      const handle = file !== null && typeof file === 'object' && !(file instanceof URL) && !(file instanceof Buffer);
      fd = typeof file === 'number' ? file : handle && typeof file.fd === 'number' ? file.fd : -1;
      named = fd < 0 ? fileName(file) : undefined;
    } catch {
      // the file not known: recorded without it
    }
    const bytes = byteCount(data, options);
    return { t0: now(), site, fd, named, bytes };
  }
  const putFlush = (api, call, err) => put(api, call.fd, call.t0, err, call.site, call.bytes, call.named);

  /* The promise the program gets: the original's outcome, recorded as it
   * settles (an error passed on as unhooked() says). */
  function settled(promise, record) {
    return promise.then(
      (value) => {
        record(null);
        return value;
      },
      (err) => {
        record(err);
        return unhooked(err);
      },
    );
  }

  function syncCallback(name, api, streamApi) {
    const orig = fs[name];
    const wrapper = function (fd, callback) {
      if (depth > 0 || typeof callback !== 'function') return ReflectApply(orig, this, arguments);
      const kind = syncKind(wrapper, fd, api, streamApi);
      if (kind === 0) return ReflectApply(orig, this, arguments);
      const site = callSite;
      const t0 = started();
      // deeper(), inlined on a hot path: room for the wrapper's frame.
      const limit = Error.stackTraceLimit;
      if (typeof limit === 'number') setStackLimit(limit + 1);
      try {
        return ReflectApply(orig, this, [fd, function (err) {
          put(kind, fd, t0, err, site, 0);
          return ReflectApply(callback, this, arguments);
        }]);
      } catch (err) {
        throw withoutHookFrames(err);
      } finally {
        setStackLimit(limit);
      }
    };
    fs[name] = dressed(wrapper, orig);
  }

  function syncSync(name, api) {
    const orig = fs[name];
    const wrapper = function (fd) {
      if (depth > 0) return ReflectApply(orig, this, arguments);
      const site = siteOf(wrapper, api);
      const t0 = started();
      let result;
      // deeper(), inlined on the hottest path: room for the wrapper's frame.
      const limit = Error.stackTraceLimit;
      if (typeof limit === 'number') setStackLimit(limit + 1);
      try {
        result = ReflectApply(orig, this, arguments);
      } catch (err) {
        setStackLimit(limit);
        put(api, fd, t0, err, site, 0);
        throw withoutHookFrames(err);
      }
      setStackLimit(limit);
      put(api, fd, t0, null, site, 0);
      return result;
    };
    fs[name] = dressed(wrapper, orig);
  }

  /* writeFile/appendFile(file, data, [options], callback) with flush: true. */
  function flushCallback(name, api) {
    const orig = fs[name];
    const wrapper = function (file, data, options, callback) {
      if (depth > 0 || !isFlush(options) || typeof callback !== 'function') return ReflectApply(orig, this, arguments);
      const call = flushCall(wrapper, api, file, data, options);
      flushing++;
      depth++;
      try {
        return deeper(orig, this, [file, data, options, function (err) {
          flushing--;
          putFlush(api, call, err);
          return ReflectApply(callback, this, arguments);
        }]);
      } catch (err) {
        flushing--;
        throw withoutHookFrames(err);
      } finally {
        depth--;
      }
    };
    fs[name] = dressed(wrapper, orig);
  }

  function flushSync(name, api) {
    const orig = fs[name];
    const wrapper = function (file, data, options) {
      if (depth > 0 || !isFlush(options)) return ReflectApply(orig, this, arguments);
      const call = flushCall(wrapper, api, file, data, options);
      let result;
      depth++;
      try {
        result = deeper(orig, this, arguments);
      } catch (err) {
        depth--;
        putFlush(api, call, err);
        throw withoutHookFrames(err);
      }
      depth--;
      putFlush(api, call, null);
      return result;
    };
    fs[name] = dressed(wrapper, orig);
  }

  /* fs.promises.writeFile/appendFile with flush: true. */
  function flushPromise(name, api) {
    const p = fs.promises;
    const orig = p[name];
    const wrapper = function (file, data, options) {
      if (!isFlush(options)) return ReflectApply(orig, this, arguments);
      const call = flushCall(wrapper, api, file, data, options);
      flushing++;
      return settled(deeper(orig, this, arguments), (err) => {
        flushing--;
        putFlush(api, call, err);
      });
    };
    p[name] = dressed(wrapper, orig);
  }

  /* A stream with flush: true syncs when it closes (Node's close of its
   * descriptor: after 'finish', or when destroyed): that sync is its record. */
  function watchStream(stream, api, site, fdOf) {
    try {
      const entry = { site, api, fdOf };
      let fd;
      const add = () => {
        if (typeof fd !== 'number' && typeof fdOf() === 'number' && fdOf() >= 0) {
          fd = fdOf();
          streams[fd] = entry;
        }
      };
      add();
      stream.once('open', add);
      stream.once('close', () => {
        // The descriptor is gone by now (stream.fd is null): forget the one it had.
        if (typeof fd === 'number') unwatch(fd, entry);
      });
    } catch {
      // unwatched: its sync is recorded as a plain one
    }
  }

  function flushStream() {
    const orig = fs.createWriteStream;
    const wrapper = function (file, options) {
      if (!isFlush(options)) return ReflectApply(orig, this, arguments);
      const site = siteOf(wrapper, API.writeStream);
      let stream;
      try {
        stream = deeper(orig, this, arguments);
      } catch (err) {
        throw withoutHookFrames(err);
      }
      watchStream(stream, API.writeStream, site, () => stream.fd);
      return stream;
    };
    fs.createWriteStream = dressed(wrapper, orig);
  }

  /* FileHandle's prototype is not exported: it is wrapped when the first
   * FileHandle comes out of fs.promises.open, before the program has it. */
  let handlesDone = false;
  /* A call not recorded whose promise may reject with an error made under
   * the hook's frames: it settles as the original's, with those frames out
   * of the error's stack and as many of the program's in (deeper). A second
   * promise, as for a recorded call: the program's rejection, if it leaves it
   * unhandled, is reported as unhandled all the same. */
  function bare(orig, self, args) {
    return deeper(orig, self, args).then(undefined, unhooked);
  }
  function wrapHandles(proto) {
    handlesDone = true;
    const wrapSync = (name, api, streamApi) => {
      const orig = proto[name];
      if (typeof orig !== 'function') return;
      const wrapper = function () {
        const fd = this !== null && typeof this === 'object' ? this.fd : undefined;
        // A closed FileHandle (fd -1) or no FileHandle at all: the original
        // rejects with an error it makes now, under the wrapper's frame.
        if (typeof fd !== 'number' || fd < 0) return bare(orig, this, arguments);
        const kind = syncKind(wrapper, fd, api, streamApi);
        if (kind === 0) return ReflectApply(orig, this, arguments);
        const site = callSite;
        const t0 = started();
        // One reaction, no closure beyond the two the program's promise needs.
        return ReflectApply(orig, this, arguments).then(
          (value) => {
            put(kind, fd, t0, null, site, 0);
            return value;
          },
          (err) => {
            put(kind, fd, t0, err, site, 0);
            return unhooked(err);
          },
        );
      };
      Object.defineProperty(proto, name, { value: dressed(wrapper, orig), writable: true, configurable: true, enumerable: false });
    };
    wrapSync('sync', API.fhSync, API.fhWriteStream);
    wrapSync('datasync', API.fhDatasync, 0);
    const origStream = proto.createWriteStream;
    if (typeof origStream === 'function') {
      const wrapper = function (options) {
        if (!isFlush(options)) return ReflectApply(origStream, this, arguments);
        const site = siteOf(wrapper, API.fhWriteStream);
        const handle = this;
        const stream = ReflectApply(origStream, this, arguments);
        watchStream(stream, API.fhWriteStream, site, () => handle.fd);
        return stream;
      };
      Object.defineProperty(proto, 'createWriteStream', { value: dressed(wrapper, origStream), writable: true, configurable: true, enumerable: false });
    }
  }

  function watchOpen() {
    const p = fs.promises;
    const orig = p.open;
    const wrapper = function () {
      const promise = ReflectApply(orig, this, arguments);
      if (handlesDone) return promise;
      return promise.then((handle) => {
        try {
          if (!handlesDone && handle !== null && typeof handle === 'object') {
            wrapHandles(Object.getPrototypeOf(handle));
            if (p.open === wrapped) p.open = orig;
            syncBuiltinESMExports();
          }
        } catch {
          // FileHandle calls go unrecorded
        }
        return handle;
      });
    };
    const wrapped = dressed(wrapper, orig);
    p.open = wrapped;
  }

  syncCallback('fsync', API.fsync, API.writeStream);
  syncCallback('fdatasync', API.fdatasync, 0);
  syncSync('fsyncSync', API.fsyncSync);
  syncSync('fdatasyncSync', API.fdatasyncSync);
  flushCallback('writeFile', API.writeFile);
  flushCallback('appendFile', API.appendFile);
  flushSync('writeFileSync', API.writeFileSync);
  flushSync('appendFileSync', API.appendFileSync);
  flushPromise('writeFile', API.pWriteFile);
  flushPromise('appendFile', API.pAppendFile);
  flushStream();
  watchOpen();
  // ES modules' named imports (import { fsync } from 'node:fs') see the wrappers.
  syncBuiltinESMExports();
}

function main() {
  if (globalThis[MARK]) return;
  try {
    Object.defineProperty(globalThis, MARK, { value: true });
  } catch {
    return;
  }
  const addon = loadAddon();
  if (!addon) return;
  try {
    const rec = makeRecorder(addon);
    if (rec) install(rec);
  } catch {
    // a hook half installed still passes every call through
  }
}

main();
