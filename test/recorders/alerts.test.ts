/**
 * Live alerts: slow.c under strace, which makes chosen fdatasync calls slow
 * (`-e inject=fdatasync:delay_exit=US:when=EXPR`). Exactly the slowed calls
 * alert, by the absolute rule and by the relative one; each line names the
 * program, pid, file, call and latency; the trace flags those events and only
 * those; the rate limit holds back lines per file and says how many; the
 * syslog sink speaks RFC 3164 on a datagram socket, the stderr sink leaves
 * the program's own output alone.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DecodedTrace } from '../../src/trace/decode.js';
import { account, bin, cleanup, LIB, makeDirs, onlyTrace, type RunOptions, run, type RunResult, start, syncEvents } from './harness.js';
import type { TraceEvent } from '../../src/trace/events.js';
import { figure } from '../figures.js';

const F_ALERT = 0x20;
const F_SUPPRESSED = 0x40;
const F_KEPT = 0x80;

/** slow.c under strace, which slows the fdatasync calls `when` selects by `delayUs`. */
function slowed(args: string[], inject: string, opts: RunOptions & { preload?: boolean } = {}): RunResult {
  const preload = opts.preload ?? true;
  return run('/usr/bin/strace', (d) => [
    '-f', '-qq', '--seccomp-bpf', '-o', '/dev/null', '-e', 'trace=fdatasync', '-e', `inject=fdatasync:${inject}`,
    ...(preload ? ['-E', `LD_PRELOAD=${LIB}`] : []), bin('slow'), d.data, ...args,
  ], { ...opts, bare: true });
}

/** The invocations (1-based) strace's `first[..last][+step]` selects, up to n. */
function selected(expr: string, n: number): number[] {
  const m = /^(\d+)(?:\.\.(\d+))?(?:\+(\d*))?$/.exec(expr)!;
  const first = Number(m[1]);
  const last = m[2] ? Number(m[2]) : m[3] !== undefined ? n : first;
  const step = m[3] ? Number(m[3]) : 1;
  const out: number[] = [];
  for (let k = first; k <= last && k <= n; k += step) out.push(k);
  return out;
}

interface Line {
  prog: string;
  pid: number;
  call: string;
  path: string;
  ms: string;
  p50: string | null;
  p99: string | null;
  calls: number;
  bytes: bigint;
  writes: number;
  rule: string;
  suppressed: number;
}

const LINE = /^fsync-trace: slow (\w+) on (.*): (\d+\.\d{3}) ms, baseline (?:p50 (\d+\.\d{3}) ms p99 (\d+\.\d{3}) ms over|none yet,) (\d+) calls, interval (\d+) bytes in (\d+) writes, rule (absolute|relative)(?: \[(\d+) suppressed\])?$/;

/** Parse "PROG[PID]: fsync-trace: ..." (the file and stderr sinks; syslog puts its header before). */
function parse(text: string): Line {
  const head = /^(\S+)\[(\d+)\]: (.*)$/.exec(text);
  assert.ok(head, `an alert line: ${text}`);
  const m = LINE.exec(head![3]!);
  assert.ok(m, `an alert message: ${head![3]}`);
  return {
    prog: head![1]!, pid: Number(head![2]), call: m![1]!, path: m![2]!, ms: m![3]!, p50: m![4] ?? null, p99: m![5] ?? null,
    calls: Number(m![6]), bytes: BigInt(m![7]!), writes: Number(m![8]), rule: m![9]!, suppressed: Number(m![10] ?? 0),
  };
}

/** A duration as the lines print it. */
function ms(ns: bigint): string {
  return `${ns / 1000000n}.${String((ns / 1000n) % 1000n).padStart(3, '0')}`;
}

/** The program's fdatasync calls in order, with the trace's event for each (one thread, one file per round). */
function rounds(r: RunResult, trace: DecodedTrace): Array<{ i: number; file: string; us: number; e: TraceEvent }> {
  const said = account(r.stdout).filter((l) => l.kind === 'sync');
  const syncs = syncEvents(trace).filter((e) => e.call === 'fdatasync');
  assert.is(syncs.length, said.length, 'one fdatasync event per round');
  return said.map((l, k) => {
    const e = syncs[k]!;
    assert.equal([e.path, e.res], [l.f.file, 0], `round ${l.f.i}`);
    return { i: Number(l.f.i), file: l.f.file!, us: Number(l.f.us), e };
  });
}

function alertLines(path: string): Line[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map(parse);
}

test.after(cleanup);

test('absolute rule: exactly the slowed calls alert, each line names its call, and the trace flags them', () => {
  const WHEN = '30+30';
  // The default sink, syslog, with nobody listening: the lines go to the fallback file in the trace directory.
  const r = slowed(['120', '3'], `delay_exit=300000:when=${WHEN}`, {
    env: { FSYNC_TRACE_ALERT_MS: '200', FSYNC_TRACE_ALERT_FACTOR: '0', FSYNC_TRACE_ALERT_EVERY: '0', FSYNC_TRACE_SYSLOG_PATH: '/nonexistent/log' },
  });
  const file = join(r.dirs.root, 'alerts.log');
  const r2 = slowed(['120', '3'], `delay_exit=300000:when=${WHEN}`, {
    env: { FSYNC_TRACE_ALERT_MS: '200', FSYNC_TRACE_ALERT_FACTOR: '0', FSYNC_TRACE_ALERT_EVERY: '0', FSYNC_TRACE_ALERT_TO: file },
  });
  assert.is(r.status, 0, r.stderr);
  assert.is(r2.status, 0, r2.stderr);
  const trace = onlyTrace(r2);
  const all = rounds(r2, trace);
  const slow = selected(WHEN, 120);
  assert.equal(slow, [30, 60, 90, 120]);
  assert.equal(all.filter((x) => x.us >= 300000).map((x) => x.i + 1), slow, 'strace slowed what it was told to');
  assert.equal(all.filter((x) => x.e.flags & F_ALERT).map((x) => x.i + 1), slow, 'the trace flags exactly the slowed calls');
  assert.ok(all.every((x) => (x.e.flags & F_SUPPRESSED) === 0));
  assert.ok(all.filter((x) => x.e.flags & F_ALERT).every((x) => x.e.flags & F_KEPT), 'an alerted sync is kept');
  assert.equal([trace.header.alerts, trace.header.alertsSuppressed, trace.header.alertSink], [4n, 0n, 3]);
  const lines = alertLines(file);
  const done = Number(account(r2.stdout).find((l) => l.kind === 'done')!.f.pid);
  assert.equal(lines.map((l) => [l.prog, l.pid, l.call, l.path, l.ms, l.rule, l.suppressed]),
    all.filter((x) => x.e.flags & F_ALERT).map((x) => ['slow', done, 'fdatasync', x.file, ms(x.e.durNs), 'absolute', 0]));
  for (const [k, l] of lines.entries()) {
    const x = all.filter((y) => y.e.flags & F_ALERT)[k]!;
    assert.equal([l.bytes, l.writes], [x.e.bytes, x.e.writes], 'the write interval the sync closed');
    assert.ok(Number(l.ms) >= 300, `${l.ms} ms`);
  }
  const t1 = onlyTrace(r);
  assert.equal([t1.header.alertSink, t1.header.alerts, t1.header.alertsSuppressed, t1.header.alertsUnsent], [4, 4n, 0n, 0n]);
  assert.is(alertLines(join(r.dirs.traces, 'fsync-trace-alerts.log')).length, 4);
  assert.ok(syncEvents(t1).filter((e) => e.flags & F_ALERT).every((e) => (e.flags & F_SUPPRESSED) === 0));
  figure({
    area: 'Always on',
    case: 'live alerts under injected slow syncs',
    tried: `${all.length} fdatasync, strace delaying calls ${slow.join(', ')} by 300 ms; FSYNC_TRACE_ALERT_MS=200, to a file and to a syslog socket nobody listens on`,
    held: `${lines.length} lines, exactly for the ${slow.length} delayed calls, each naming program, pid, file, call, latency and write interval; the same ${slow.length} events flagged and kept, no other; with no syslog listener the ${slow.length} lines go to fsync-trace-alerts.log in the trace directory (header alert_sink "fallback-file") and the program runs on`,
  });
});

test('relative rule (FSYNC_TRACE_ALERT_MS=0): slow against the file\'s own baseline, once it has one', () => {
  const WHEN = '200+40';
  const file = join(makeDirs().root, 'alerts.log');
  const r2 = slowed(['360', '3'], `delay_exit=300000:when=${WHEN}`, {
    env: { FSYNC_TRACE_ALERT_MS: '0', FSYNC_TRACE_ALERT_MIN_MS: '150', FSYNC_TRACE_ALERT_EVERY: '0', FSYNC_TRACE_ALERT_TO: file },
  });
  assert.is(r2.status, 0, r2.stderr);
  const trace = onlyTrace(r2);
  assert.equal([trace.header.alertMs, trace.header.alertFactor, trace.header.alertMinMs], [0, 10, 150]);
  const all = rounds(r2, trace);
  const slow = selected(WHEN, 360);
  assert.equal(slow, [200, 240, 280, 320, 360]);
  assert.equal(all.filter((x) => x.e.flags & F_ALERT).map((x) => x.i + 1), slow);
  const lines = alertLines(file);
  assert.equal(lines.map((l) => [l.path, l.ms, l.rule]), all.filter((x) => x.e.flags & F_ALERT).map((x) => [x.file, ms(x.e.durNs), 'relative']));
  for (const l of lines) {
    // Each file has had 64 calls or more: a baseline, and the call is 10x its p99 (and 150 ms) or more.
    assert.ok(l.p50 !== null && l.p99 !== null && l.calls >= 64, `a baseline: ${l.p50} ${l.p99} ${l.calls}`);
    assert.ok(Number(l.p50) <= Number(l.p99) && Number(l.ms) >= Math.max(150, 10 * Number(l.p99)), `${l.ms} ms against p99 ${l.p99} ms`);
  }
  // The first 64 calls of a file have no baseline: slow ones then would not alert by this rule.
  const early = slowed(['40', '1'], 'delay_exit=300000:when=10', {
    env: { FSYNC_TRACE_ALERT_MS: '0', FSYNC_TRACE_ALERT_MIN_MS: '150', FSYNC_TRACE_ALERT_TO: file + '.early' },
  });
  const e = rounds(early, onlyTrace(early));
  assert.ok(e[9]!.us >= 300000);
  assert.equal([e.filter((x) => x.e.flags & F_ALERT).length, onlyTrace(early).header.alerts], [0, 0n]);
  assert.ok(e[9]!.e.flags & F_KEPT, 'but it is kept: 1 ms or more before the file has a baseline');
});

test('rate limit: one line per file per FSYNC_TRACE_ALERT_EVERY, saying how many were held back; files apart', () => {
  const file = join(makeDirs().root, 'rate.log');
  const r2 = slowed(['40', '2'], 'delay_exit=100000', {
    env: { FSYNC_TRACE_ALERT_MS: '50', FSYNC_TRACE_ALERT_EVERY: '1', FSYNC_TRACE_ALERT_TO: file },
  });
  assert.is(r2.status, 0, r2.stderr);
  const trace = onlyTrace(r2);
  const all = rounds(r2, trace);
  assert.ok(all.every((x) => x.e.flags & F_ALERT), 'every call is slow, every one alerts');
  const lines = alertLines(file);
  let written = 0;
  let held = 0;
  for (const path of [...new Set(all.map((x) => x.file))]) {
    const mine = all.filter((x) => x.file === path);
    const out = lines.filter((l) => l.path === path);
    let last = -1n;
    let since = 0;
    let k = 0;
    for (const x of mine) {
      const end = x.e.startNs + x.e.durNs;
      if ((x.e.flags & F_SUPPRESSED) === 0) {
        assert.ok(last < 0n || end - last >= 1_000_000_000n, `${path} round ${x.i}: a line at least 1 s after the last`);
        assert.equal([out[k]?.ms, out[k]?.suppressed], [ms(x.e.durNs), since], `${path} line ${k}`);
        last = end;
        since = 0;
        k++;
      } else {
        assert.ok(end - last < 1_000_000_000n, `${path} round ${x.i}: held back within 1 s of the last line`);
        since++;
      }
    }
    assert.is(out.length, k);
    assert.ok(k >= 2, `${path}: ${k} lines over ~4 s`);
    assert.is(mine[0]!.e.flags & F_SUPPRESSED, 0, `${path}: its first alert is written, whatever the other file did`);
    written += k;
    held += mine.length - k;
  }
  assert.equal([trace.header.alerts, trace.header.alertsSuppressed], [BigInt(written), BigInt(held)]);
});

test('syslog: one RFC 3164 datagram per alert on the socket (FSYNC_TRACE_SYSLOG_PATH), LOG_USER|LOG_WARNING', async () => {
  const listener = start('sysloglisten', (d) => [join(d.root, 'log.sock'), '3', '15000'], { bare: true });
  await listener.waitFor((out) => out.includes('ready\n'));
  const sock = join(listener.dirs.root, 'log.sock');
  const r = slowed(['60', '1'], 'delay_exit=300000:when=20+20', {
    env: { FSYNC_TRACE_ALERT_MS: '200', FSYNC_TRACE_ALERT_EVERY: '0', FSYNC_TRACE_SYSLOG_PATH: sock },
  });
  const heard = await listener.done();
  assert.is(r.status, 0, r.stderr);
  const trace = onlyTrace(r);
  const all = rounds(r, trace);
  const msgs = heard.stdout.split('\n').filter((l) => l.startsWith('msg ')).map((l) => l.slice(4));
  assert.ok(heard.stdout.includes('end count=3'), heard.stdout);
  const pid = Number(account(r.stdout).find((l) => l.kind === 'done')!.f.pid);
  const now = new Date();
  for (const [k, m] of msgs.entries()) {
    const h = /^<12>([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d) (.*)$/.exec(m);
    assert.ok(h, `RFC 3164: ${m}`);
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    const stamp = Date.UTC(now.getUTCFullYear(), months.indexOf(h![1]!), Number(h![2]), Number(h![3]), Number(h![4]), Number(h![5]));
    assert.ok(Math.abs(stamp - now.getTime()) < 120_000, `a UTC time stamp near now: ${m}`);
    const l = parse(h![6]!);
    const x = all.filter((y) => y.e.flags & F_ALERT)[k]!;
    assert.equal([l.prog, l.pid, l.call, l.path, l.ms], ['slow', pid, 'fdatasync', x.file, ms(x.e.durNs)]);
  }
  assert.equal(all.filter((x) => x.e.flags & F_ALERT).map((x) => x.i + 1), [20, 40, 60]);
  assert.equal([trace.header.alerts, trace.header.alertsSuppressed, msgs.length], [3n, 0n, 3]);
});

test('stderr: alert lines on the program\'s stderr, its own output unchanged', () => {
  const env = { FSYNC_TRACE_ALERT_MS: '200', FSYNC_TRACE_ALERT_EVERY: '0', FSYNC_TRACE_ALERT_TO: 'stderr' };
  const r = slowed(['40', '2'], 'delay_exit=300000:when=15+10', { env });
  const bare = slowed(['40', '2'], 'delay_exit=300000:when=15+10', { env, preload: false });
  assert.equal([r.status, bare.status], [0, 0], r.stderr);
  const strip = (x: RunResult) => x.stdout.replace(/ us=\d+/g, '').replace(/pid=\d+/, 'pid=N').split(x.dirs.data).join('DATA');
  assert.is(strip(r), strip(bare));
  assert.is(bare.stderr, 'hello stderr\n');
  const errLines = r.stderr.split('\n').filter((l) => l !== '');
  assert.is(errLines[0], 'hello stderr');
  const trace = onlyTrace(r);
  const alerted = rounds(r, trace).filter((x) => x.e.flags & F_ALERT);
  assert.equal(alerted.map((x) => x.i + 1), [15, 25, 35]);
  assert.equal(errLines.slice(1).map(parse).map((l) => [l.path, l.ms]), alerted.map((x) => [x.file, ms(x.e.durNs)]));
});

test('the sink\'s descriptor: high, close-on-exec, and opened again when the program closes it or dup2s over it', () => {
  const file = join(makeDirs().root, 'sink.log');
  const r = run('/usr/bin/strace', (d) => [
    '-f', '-qq', '--seccomp-bpf', '-o', '/dev/null', '-e', 'trace=fdatasync', '-e', 'inject=fdatasync:delay_exit=100000:when=2..4',
    '-E', `LD_PRELOAD=${LIB}`, bin('sinkfd'), d.data,
  ], { bare: true, env: { FSYNC_TRACE_ALERT_MS: '50', FSYNC_TRACE_ALERT_EVERY: '0', FSYNC_TRACE_ALERT_TO: file } });
  assert.is(r.status, 0, r.stderr);
  const open = (label: string): Array<[number, number]> => r.stdout.split('\n').find((l) => l.startsWith(`fds label=${label}`))!
    .split(' ').slice(2).map((x) => x.split(':').map(Number) as [number, number]);
  // The program's own file is 3; the sink is the one at 1000 or above, close-on-exec.
  assert.equal(open('first').filter(([fd]) => fd >= 1000), [[1000, 1]]);
  assert.equal(open('closefrom').filter(([fd]) => fd >= 1000), [[1000, 1]], 'closed by closefrom, opened again');
  assert.equal(open('dup2').filter(([fd]) => fd >= 1000), [[1000, 0], [1001, 1]], 'the program took 1000: the sink moved on');
  assert.is(readFileSync(join(r.dirs.data, 'mine'), 'utf8'), 'abc', 'no alert went into the program\'s file');
  const lines = alertLines(file);
  assert.equal(lines.map((l) => [l.prog, l.path]), Array(3).fill(['sinkfd', join(r.dirs.data, 'mine')]));
  assert.is(onlyTrace(r).header.alerts, 3n);
});

test.run();
