/**
 * The JVM's own SIGBUS handling under the recorder, with the trace truncated
 * under it (java/TruncSigbus.java): HotSpot installs a SIGBUS handler that
 * turns a fault in a MappedByteBuffer of a truncated file into an
 * InternalError. The recorder keeps that handler for the JVM and chains to
 * it, and handles its own fault (the truncated trace) itself.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { figure } from '../figures.js';
import { LIB } from '../recorders/harness.js';

const SRC = join(import.meta.dirname, 'java', 'TruncSigbus.java');
const ROUNDS = 200;

test('a JVM keeps its own SIGBUS handler: its MappedByteBuffer fault is an InternalError, the trace fault is not seen', () => {
  const root = mkdtempSync('/dev/shm/fsync-jvm-sigbus-');
  try {
    const classes = join(root, 'classes');
    mkdirSync(classes);
    const javac = spawnSync('javac', ['-d', classes, SRC], { encoding: 'utf8' });
    assert.is(javac.status, 0, javac.stderr);
    const runJava = (name: string, preload: boolean) => {
      const data = join(root, name, 'data');
      const traces = join(root, name, 'traces');
      mkdirSync(data, { recursive: true });
      const env: NodeJS.ProcessEnv = { ...process.env, FSYNC_TRACE_DIR: traces, FSYNC_TRACE_MAX_BYTES: String(1 << 20) };
      delete env.LD_PRELOAD;
      if (preload) env.LD_PRELOAD = LIB;
      const r = spawnSync('java', ['-cp', classes, 'TruncSigbus', data, String(ROUNDS)], { env, encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
      let files: string[] = [];
      try {
        files = readdirSync(traces);
      } catch {
        // bare: no trace directory
      }
      return { ...r, files };
    };
    const bare = runJava('bare', false);
    const rec = runJava('rec', true);
    assert.equal([bare.status, bare.signal, bare.stderr.trim()], [0, null, 'cut=0']);
    assert.equal([rec.status, rec.signal, rec.stderr.trim()], [0, null, 'cut=1']);
    assert.is(rec.stdout, bare.stdout);
    assert.match(rec.stdout, /store 0 caught java\.lang\.InternalError/);
    // Trace files only: on a loaded machine a slow force makes an alert line, which goes to
    // fsync-trace-alerts.log in the trace directory when there is no syslog socket.
    const traces = rec.files.filter((f) => f.endsWith('.fstrace'));
    assert.is(traces.length, 1, `the JVM was recorded, and its trace truncated: ${rec.files.join(' ')}`);
    figure({
      area: 'Recorder exhaustion',
      case: 'the JVM\'s own SIGBUS',
      tried: `OpenJDK (HotSpot, which installs its own SIGBUS handler) under the recorder: ${ROUNDS} FileChannel.force, its trace truncated to 0 bytes under it, ${ROUNDS} more, then 3 stores into a MappedByteBuffer of a file it truncated itself`,
      held: 'exit 0 and output identical to the bare JVM: each of its own faults became java.lang.InternalError through its own handler (chained by the recorder), the recorder\'s fault on the truncated trace never reached it',
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
