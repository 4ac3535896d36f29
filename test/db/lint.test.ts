// The durability lint (queries/90-95) on hand-built traces whose findings are
// worked out in test/fixtures/lint.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Filters } from '../../src/db/filter.js';
import { readFindings, type Finding } from '../../src/db/lint.js';
import { bindings, DEFAULT_PARAMS } from '../../src/db/params.js';
import { reportData } from '../../src/db/report.js';
import { careful, careless } from '../fixtures/lint.js';
import { openTraces } from '../fixtures/session.js';
import { iso } from '../fixtures/traces.js';

const b = bindings(DEFAULT_PARAMS);

async function lint(traces: Record<string, Uint8Array>, filters: Filters = {}): Promise<Finding[]> {
  const o = await openTraces(traces, { filters });
  try {
    return await readFindings(o.session, b);
  } finally {
    o.close();
  }
}

const ev = (t: number, event: string, path: string | null, fd: number, more: { to?: string; res?: number; error?: string; bytes?: number | null } = {}) => ({
  at: iso(t), event, path, to: more.to ?? null, fd, res: more.res ?? 0, error: more.error ?? null, bytes: more.bytes === undefined ? null : more.bytes,
});

test('a careful process has no findings', async () => {
  assert.equal(await lint({ 'careful.200.fstrace': careful() }), []);
});

test('a careless process: one finding per rule, family and process, with its evidence', async () => {
  const findings = await lint({ 'careful.200.fstrace': careful(), 'careless.300.fstrace': careless() });
  const who = { host: 'h1', pid: 300, exe: '/usr/bin/careless' };
  assert.equal(findings, [
    {
      rule: 'dir-not-synced', ...who, family: '/d/new.dat', path: '/d/new.dat', at: iso(4.0), last: iso(4.0), count: 1, files: 1,
      detail: '/d/new.dat created in /d, a directory this process never synced afterwards',
      evidence: [ev(4.0, 'open', '/d/new.dat', 4, { res: 4 }), ev(4.1, 'fsync', '/d/new.dat', 4, { bytes: 10 })],
    },
    {
      rule: 'dir-not-synced', ...who, family: '/e/data', path: '/e/data', at: iso(5.1), last: iso(5.1), count: 1, files: 1,
      detail: '/e/data renamed into /e, a directory this process never synced afterwards',
      evidence: [ev(5.0, 'fsync', '/e/data.tmp', 5, { bytes: 20 }), ev(5.1, 'rename', '/e/data.tmp', -1, { to: '/e/data' })],
    },
    {
      rule: 'dir-not-synced', ...who, family: '/d/obj', path: '/d/obj', at: iso(9.2), last: iso(9.2), count: 1, files: 1,
      detail: '/d/obj linked into /d, a directory this process never synced afterwards',
      evidence: [ev(9.1, 'fsync', '/d/obj.tmp', 9, { bytes: 50 }), ev(9.2, 'link', '/d/obj.tmp', -1, { to: '/d/obj' })],
    },
    {
      rule: 'rename-before-sync', ...who, family: '/d/cfg', path: '/d/cfg', at: iso(1.1), last: iso(3.1), count: 2, files: 1,
      detail: '/d/cfg.tmp.1 renamed to /d/cfg with 100 bytes written and never synced',
      evidence: [ev(1.0, 'close', '/d/cfg.tmp.1', 3, { bytes: 100 }), ev(1.1, 'rename', '/d/cfg.tmp.1', -1, { to: '/d/cfg' })],
    },
    {
      rule: 'rename-before-sync', ...who, family: '/d/held2', path: '/d/held2', at: iso(10.1), last: iso(10.1), count: 1, files: 1,
      detail: '/d/held renamed to /d/held2 with 64 bytes written and never synced',
      evidence: [ev(10.1, 'rename', '/d/held', -1, { to: '/d/held2', bytes: 64 })],
    },
    {
      rule: 'unsynced-at-close', ...who, family: '/d/journal', path: '/d/journal', at: iso(6.5), last: iso(6.5), count: 1, files: 1,
      detail: '/d/journal closed with 512 bytes written since its last sync',
      evidence: [ev(6.0, 'fsync', '/d/journal', 6, { bytes: 4096 }), ev(6.5, 'close', '/d/journal', 6, { bytes: 512 })],
    },
    {
      rule: 'unsynced-at-close', ...who, family: '/d/wal', path: '/d/wal', at: iso(7.6), last: iso(7.6), count: 1, files: 1,
      detail: '/d/wal closed with 10 bytes written since its last sync',
      evidence: [ev(7.5, 'fsync', '/d/wal', 7, { bytes: 0 }), ev(7.6, 'close', '/d/wal', 7, { bytes: 10 })],
    },
    {
      rule: 'unsynced-at-close', ...who, family: '/d/state.log', path: '/d/state.log', at: iso(11.5), last: iso(11.5), count: 1, files: 1,
      detail: '/d/state.log left open at exit with 30 bytes written since its last sync',
      evidence: [ev(11.0, 'fsync', '/d/state.log', 11, { bytes: 10 }), ev(11.5, 'exit', '/d/state.log', 11, { bytes: 30 })],
    },
    {
      rule: 'write-after-failed-sync', ...who, family: '/d/wal', path: '/d/wal', at: iso(7.0), last: iso(7.0), count: 1, files: 1,
      detail: 'fsync failed on /d/wal (EIO), then 2 more calls on it without reopening it',
      evidence: [
        ev(7.0, 'fsync', '/d/wal', 7, { res: -5, error: 'EIO', bytes: 10 }),
        ev(7.5, 'fsync', '/d/wal', 7, { bytes: 0 }),
        ev(7.6, 'close', '/d/wal', 7, { bytes: 10 }),
      ],
    },
  ]);
});

test('--since, --until and --path choose the occurrences; the rules still read every event, those the filters cut away too', async () => {
  const traces = { 'careful.200.fstrace': careful(), 'careless.300.fstrace': careless() };
  const brief = (fs: Finding[]) => fs.map((f) => `${f.rule} ${f.path} ${f.count}`);
  // From 5 s on, under /d: the renames of /d/cfg (1.1 to 3.1) and /e/data are left out.
  assert.equal(brief(await lint(traces, { since: iso(5), path: '/d/*' })), [
    'dir-not-synced /d/obj 1', 'rename-before-sync /d/held2 1',
    'unsynced-at-close /d/journal 1', 'unsynced-at-close /d/wal 1', 'unsynced-at-close /d/state.log 1',
    'write-after-failed-sync /d/wal 1',
  ]);
  // Until 5 s before the newest event (12.2 s): before 7.2 s. The rename at 2.1 s is judged with
  // careful's fdatasync at 2.05 s, and the one at 3.1 s with its close at 3.0 s.
  assert.equal(brief(await lint(traces, { until: '5s' })), [
    'dir-not-synced /d/new.dat 1', 'dir-not-synced /e/data 1', 'rename-before-sync /d/cfg 2',
    'unsynced-at-close /d/journal 1', 'write-after-failed-sync /d/wal 1',
  ]);
  assert.equal(brief(await lint(traces, { path: 'cfg' })), ['rename-before-sync /d/cfg 2']);
});

test('a filter that cuts away the later sync makes no false finding, in lint and in the report', async () => {
  const traces = { 'careful.200.fstrace': careful() };
  // /d/good is renamed into /d at 0.8 and /d fsync'd at 0.9; /d/late is closed with 50 bytes
  // unsynced at 4.1 and sync() called at 4.2; /d itself is not under /d/good*.
  for (const filters of [{ until: iso(0.85) }, { until: iso(4.15) }, { path: '/d/good*' }, { since: iso(0.7), until: iso(4.15) }]) {
    assert.equal(await lint(traces, filters), [], JSON.stringify(filters));
    const o = await openTraces(traces, { filters });
    try {
      assert.equal((await reportData(o.session, DEFAULT_PARAMS)).durability, [], `report ${JSON.stringify(filters)}`);
    } finally {
      o.close();
    }
  }
  // The careless process's findings in a window are those of the whole run that fall in it.
  const both = { ...traces, 'careless.300.fstrace': careless() };
  const whole = await lint(both);
  const inWindow = await lint(both, { since: iso(6), until: iso(7.2) });
  assert.equal(inWindow.map((f) => `${f.rule} ${f.path}`), ['unsynced-at-close /d/journal', 'write-after-failed-sync /d/wal']);
  assert.equal(inWindow, whole.filter((f) => f.path === '/d/journal' || (f.rule === 'write-after-failed-sync')));
});

test.run();
