// The hook's stack captures, timed from inside: Error.captureStackTrace (which
// the hook calls for each) is wrapped, and the wrapper reads the stack too
// (formatted through the hook's own prepareStackTrace, as the hook's read
// would be; the hook then reads it formatted), so each time is part of the
// time the hook measures around that capture, on the same clock (the
// thread's CPU time, from the hook's addon): a lower bound of each cost it
// counts (test/node/sampled.test.ts checks the capture counts against it).
// Site captures only: a look at a sync's caller takes one frame, a site 12.
// Also the process's start on the same clock (CLOCK_MONOTONIC, ns), before
// the hook loaded.
import { createRequire } from 'node:module';

export function timeCaptures() {
  const ns = [];
  const capture = Error.captureStackTrace;
  const now = process.hrtime.bigint;
  // The hook's own instance (the same file): its clock of the thread's CPU time.
  const { cpu } = createRequire(import.meta.url)('../../../recorders/build/fsync_trace_node.node');
  Error.captureStackTrace = function (holder, below) {
    const site = Error.stackTraceLimit > 1;
    const t0 = cpu();
    const out = Reflect.apply(capture, this, [holder, below]);
    void holder.stack;
    if (site) ns.push(cpu() - t0);
    return out;
  };
  // performance.now() counts from the process's start.
  return { ns, start: Math.floor(Number(now()) - performance.now() * 1e6) };
}
