/**
 * Failures said out loud. A trace directory the recorder refuses (planted by
 * another user) is said once, through the alert sink, by a program that then
 * runs on unrecorded; with no /dev/log (a container), alert lines go to a
 * file in the trace directory instead of nowhere, and the header says so.
 * A trace that stopped when its file system filled up says why, and `info`
 * shows it. (Before issue 13: nothing at all was said, every alert line was
 * dropped and counted as suppressed, as if by the rate limit, and a stopped
 * trace said only "disabled".)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTrace } from '../../src/trace/decode.js';
import { analyze, analyzeJson, type InfoJson } from '../../scripts/workloads/common.js';
import { bin, cleanup, LIB, makeDirs, onlyTrace, run } from './harness.js';
import { traceFiles } from '../traces.js';

test.after(cleanup);

const NOBODY = 65534;
const SINK_FALLBACK_FILE = 4;
const HDR_DISABLED = 0x4;
const STOP_FULL = 1;
const ENOSPC = 28;

test('a planted trace directory: refused, and said once on the alert sink', () => {
  for (const sink of ['stderr', 'file']) {
    const d = makeDirs();
    const planted = join(d.root, 'planted');
    mkdirSync(planted, { mode: 0o700 });
    chownSync(planted, NOBODY, NOBODY);
    const log = join(d.root, 'alerts.log');
    const r = run('calls', [d.data], { dirs: d, env: { FSYNC_TRACE_DIR: planted, FSYNC_TRACE_ALERT_TO: sink === 'file' ? log : 'stderr' } });
    assert.is(r.status, 0);
    const said = sink === 'file' ? readFileSync(log, 'utf8') : r.stderr;
    assert.match(said, new RegExp(`^calls\\[${r.pid}\\]: fsync-trace: not recording: ${planted} belongs to uid ${NOBODY}, not to uid 0 \\(refused\\)\\n$`), sink);
  }
});

test('no /dev/log: alert lines go to fsync-trace-alerts.log in the trace directory, and the header says so', () => {
  const d = makeDirs();
  const r = run('/usr/bin/strace', (dd) => [
    '-f', '-qq', '-o', '/dev/null', '-e', 'trace=fdatasync', '-e', 'inject=fdatasync:delay_exit=300000:when=2',
    '-E', `LD_PRELOAD=${LIB}`, bin('slow'), dd.data, '3', '1',
  ], { dirs: d, bare: true, env: { FSYNC_TRACE_ALERT_MS: '200', FSYNC_TRACE_SYSLOG_PATH: join(d.root, 'no-dev-log') } });
  assert.is(r.status, 0, r.stderr);
  const t = onlyTrace(r);
  const file = join(d.traces, 'fsync-trace-alerts.log');
  assert.ok(existsSync(file));
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  assert.is(lines.length, 1);
  assert.match(lines[0]!, /^slow\[\d+\]: fsync-trace: slow fdatasync on .*\/f0: 3\d\d\.\d{3} ms/);
  assert.equal([t.header.alerts, t.header.alertsSuppressed, t.header.alertSink], [1n, 0n, SINK_FALLBACK_FILE]);
  // The report tells "no sink" from "rate limit".
  const html = join(d.root, 'report.html');
  const rep = analyze(['report', d.traces, '-o', html]);
  assert.is(rep.status, 0, rep.stderr);
  assert.ok(readFileSync(html, 'utf8').includes('in 1 trace the configured sink was missing and the lines went to fsync-trace-alerts.log in the trace directory'));
});

test('a trace that stopped when its file system filled up: the header and info say why', () => {
  const d = makeDirs();
  const mnt = join(d.root, 'tiny');
  mkdirSync(mnt);
  assert.is(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', mnt]).status, 0);
  try {
    const traces = join(mnt, 'traces');
    const r = run('slow', [d.data, '20000', '4', '0', '1', '0', '1'], { dirs: d, env: { FSYNC_TRACE_DIR: traces, FSYNC_TRACE_MAX_BYTES: String(8 << 20) } });
    assert.is(r.status, 0, r.stderr);
    const files = traceFiles(traces);
    assert.is(files.length, 1);
    const h = readTrace(join(traces, files[0]!)).header;
    assert.equal([h.flags & HDR_DISABLED, h.stopReason, h.stopErrno], [HDR_DISABLED, STOP_FULL, ENOSPC]);
    const info = analyzeJson<{ traces: (InfoJson['traces'][number] & { stopped: string | null; name: string })[] }>(['info', traces]);
    assert.equal(info.traces.map((t) => [t.name, t.stopped]), [['slow', 'the file system is full (ENOSPC)']]);
  } finally {
    spawnSync('umount', [mnt]);
  }
});

test.run();
