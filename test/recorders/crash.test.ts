/**
 * SIGKILL at random instants during heavy recording (load.c crash): four
 * threads sync in a loop and report each call that returned through a pipe
 * (stdout, one atomic line per call). Every reported call must be in the
 * trace (at most one more per thread: the call that returned but was not yet
 * reported), and every trace left behind must be readable, by the decoder
 * and by `fsync-analyze info`, whatever instant the kill hit: before the
 * file existed, while it was being made, in the middle of a record.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { figure } from '../figures.js';
import { cleanup, events, invariantProblems, makeDirs, removeDirs, ROOT, start } from './harness.js';
import { fields, n, size } from './reliability.js';
import { mulberry32 as rng } from '../rng.js';

const THREADS = 4;
const KILLS = size(30, 300);
const WATCHDOG_MS = 20_000;

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

test(`${KILLS} SIGKILLs at random instants: every returned call is in the trace, every trace reads`, async () => {
  const seed = Number(process.env.FT_SEED ?? Date.now() % 1e9);
  const rand = rng(seed);
  const keep = makeDirs(); // every trace left behind, for one analyzer run at the end
  mkdirSync(join(keep.root, 'all'));
  let reportedTotal = 0;
  let inTrace = 0;
  let extra = 0;
  let noTrace = 0;
  let early = 0;
  let dropped = 0n;
  let kept = 0;
  for (let i = 0; i < KILLS; i++) {
    // A third of the kills come within 4 ms of the spawn, timed by spinning
    // (a timer is too coarse): start-up, the trace file being made.
    const atStart = i % 3 === 0;
    const delay = atStart ? rand() * 4 : 5 + rand() * 100;
    if (atStart) early++;
    const p = start('load', (d) => [d.data, 'crash', String(THREADS)], { env: { FSYNC_TRACE_MAX_BYTES: String(16 << 20) } });
    const watchdog = setTimeout(() => p.child.kill('SIGKILL'), WATCHDOG_MS);
    if (atStart) {
      const until = performance.now() + delay;
      while (performance.now() < until); // spin
    } else {
      await sleep(delay);
    }
    p.child.kill('SIGKILL');
    const r = await p.done(); // decodes every file: an unreadable one throws here
    clearTimeout(watchdog);
    const what = `kill ${i} ${delay.toFixed(2)} ms after the spawn (seed ${seed})`;
    try {
      assert.is(r.signal, 'SIGKILL', what);
      assert.is(r.stderr, '', what);
      const lines = r.stdout.split('\n').filter((l) => l !== '');
      const tids = new Map<string, number>();
      const reported = new Map<string, number>();
      for (const l of lines) {
        const f = fields(l);
        if (l.startsWith('start ')) tids.set(f.t!, Number(f.tid));
        else if (l.startsWith('d ')) reported.set(`${f.t} ${f.k}`, (reported.get(`${f.t} ${f.k}`) ?? 0) + 1);
        else assert.unreachable(`${what}: unexpected line ${JSON.stringify(l)}`);
      }
      const total = [...reported.values()].reduce((a, b) => a + b, 0);
      reportedTotal += total;
      assert.ok(r.traces.length <= 1, `${what}: ${r.files.length} trace files`);
      if (r.traces.length === 0) {
        assert.is(total, 0, `${what}: ${total} calls returned but no trace file`);
        noTrace++;
        continue;
      }
      const trace = r.traces[0]!;
      assert.equal(invariantProblems(trace).filter((p) => !p.startsWith('dropped')), [], what);
      dropped += trace.header.dropped;
      const got = new Map<string, number>();
      for (const e of events(trace)) {
        if (e.type === 'sync') got.set(`${e.tid} ${e.call}`, (got.get(`${e.tid} ${e.call}`) ?? 0) + 1);
      }
      for (let t = 0; t < THREADS; t++) {
        let over = 0;
        for (const k of ['fsync', 'fdatasync', 'sync_file_range']) {
          const want = reported.get(`${t} ${k}`) ?? 0;
          const tid = tids.get(String(t));
          const have = tid === undefined ? 0 : got.get(`${tid} ${k}`) ?? 0;
          assert.ok(have >= want, `${what}: thread ${t} ${k}: ${want} returned, ${have} in the trace`);
          over += have - want;
        }
        assert.ok(over <= 1, `${what}: thread ${t}: ${over} calls in the trace beyond those reported`);
        extra += over;
      }
      inTrace += [...got.values()].reduce((a, b) => a + b, 0);
      copyFileSync(join(r.dirs.traces, r.files[0]!), join(keep.root, 'all', `${i}-${r.files[0]}`));
      kept++;
    } finally {
      removeDirs(r.dirs);
    }
  }
  // The analyzer reads every trace the kills left behind.
  const info = spawnSync(process.execPath, [join(ROOT, 'bin/fsync-analyze.js'), 'info', '--json', join(keep.root, 'all')], { encoding: 'utf8', timeout: 120_000 });
  assert.equal([info.status, info.stderr], [0, ''], info.stdout);
  const parsed = JSON.parse(info.stdout) as { traces: Array<{ records: number }> };
  assert.is(parsed.traces.length, kept);
  removeDirs(keep);
  figure({
    area: 'Recorder crash',
    case: 'SIGKILL at random instants',
    tried: `${KILLS} runs of 4 threads looping pwrite + fsync/fdatasync/sync_file_range, each killed with SIGKILL at a random instant (${early} of them within 4 ms of the spawn: start-up, the trace file being made); ${n(reportedTotal)} calls reported returned through a pipe before the kills`,
    held: `every reported call was in its trace (${n(inTrace)} recorded; ${extra} returned-but-unreported calls in flight at a kill); ${noTrace} runs killed before their first call returned, each leaving no file (never an empty or headerless one); all ${kept} traces decoded and \`fsync-analyze info --json\` read all of them without error; ${dropped} dropped`,
  });
});

test.after(cleanup);

test.run();
