// The report's first screen (src/report/verdict.ts): one sentence that says whether it
// was the disk or a program, with its evidence; what was not judged and why; failures
// with errno and program. Given report data built to each case, expect those words.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ReportData, ReportIncident } from '../../src/report/data.js';
import { answerSentence, failureLines, mainIncident, unjudgedSentence } from '../../src/report/verdict.js';
import { tone, verdict } from '../../src/report/summary.js';
import { sampleReport } from './fixtures.js';

const text = (html: string) => html.replace(/<[^>]+>/g, '').replace(/&#39;/g, "'");

function incident(over: Partial<ReportIncident>): ReportIncident {
  return {
    id: 1, start: '2024-05-14T02:30:00.000Z', end: '2024-05-14T02:30:12.000Z', outliers: 40, failed: 0, files: 1, families: 1,
    processes: 1, activeProcesses: 3, activeFamilies: 4, hosts: 1, host: 'db-1', worstMs: 250, worstPath: '/data/pg_wal/0001',
    worstRatio: 120, scope: 'file', cause: 'slow', paths: ['/data/pg_wal/0001'], pids: [42], programs: ['postgres'], errnos: [],
    ...over,
  };
}

function withIncidents(list: ReportIncident[], over: Partial<ReportData> = {}): ReportData {
  const base = sampleReport();
  return { ...base, incidents: list, totals: { ...base.totals, incidents: list.length }, ...over };
}

test('the disk: several processes slow at once, weighed against those syncing then', () => {
  const d = withIncidents([incident({ scope: 'device', processes: 3, activeProcesses: 4, families: 3, programs: ['postgres', 'pgbench'], pids: [1, 2, 3] })]);
  assert.is(text(answerSentence(d)),
    "The disk: 3 of the 4 processes syncing on db-1's device (postgres, pgbench) were slow at once on 3 files, " +
    'from 02:30:00.000 for 12 s; the worst call took 250 ms, 120× its file\'s usual.');
  assert.is(tone(d), 'bad');
});

test('one program: a file and its directory of one process, the other processes fine', () => {
  const d = withIncidents([incident({ scope: 'process', families: 2, paths: ['/data/a', '/data/a/x.db'] })]);
  assert.is(text(answerSentence(d)),
    'One program, not the whole disk: postgres (pid 42) was slow on /data/a, …/a/x.db, from 02:30:00.000 for 12 s, ' +
    'while the other 2 processes syncing on the device were not; the worst call took 250 ms, 120× its file\'s usual.');
  assert.is(verdict(d), 'One process was slow, 2 failed sync calls');
});

test('one file, and when it was the only file syncing the disk is not ruled out', () => {
  const alone = withIncidents([incident({ activeFamilies: 1, activeProcesses: 1 })]);
  assert.match(text(answerSentence(alone)), 'it was the only file syncing on that device then, so the disk is not ruled out');
  const volume = withIncidents([incident({ cause: 'write-volume', activeFamilies: 5 })]);
  assert.match(text(answerSentence(volume)), 'was slow after flushing far more bytes than usual (look at how it is written)');
  assert.match(text(answerSentence(volume)), 'while the other 4 files syncing on the device were not');
});

test('failures come first, with errno and program; a second incident is mentioned', () => {
  const list = [incident({ id: 1, scope: 'device', processes: 3 }), incident({ id: 2, cause: 'failed', failed: 2, errnos: ['EIO'] })];
  assert.is(mainIncident(list)!.id, 2);
  assert.is(text(answerSentence(withIncidents(list))),
    'Failed syncs: 2 calls of …/pg_wal/0001 failed with EIO in postgres (pid 42), from 02:30:00.000 for 12 s (one file). 1 more incident below.');
  // The fixture's two EIO failures, of one file by one process: one line.
  assert.equal(failureLines(sampleReport()).map(text), ['EIO ×2: fsync of …/data/state.db by python3 (pid 3120), first at 03:12:20.057']);
});

test('no incident: "neither", and never "healthy" while calls went unjudged', () => {
  const none = withIncidents([], { totals: { ...sampleReport().totals, incidents: 0, outliers: 0, errors: 0 }, failures: [] });
  assert.is(text(answerSentence(none)), 'Neither the disk nor a program: none of the 350,424 judged calls was slow for its file, and none failed.');
  assert.is(text(unjudgedSentence(none)),
    '1,200 of 351,624 calls not judged: 1,100 because their file family had fewer than 50 other calls to compare with, before them or in ' +
    'the rest of the recording, and their program synced fewer than that of other such files around them (a burst); 100 because they named no file (sync(), or a descriptor the recorder could not name). ' +
    'They are in no verdict above, though a failed call or one over 1 s is still listed.');
  assert.is(verdict(none), 'No slow or failed call among 350,424 judged; 1,200 not judged');
  assert.is(tone(none), 'warn');
  const all = { ...none, judgement: { judged: 10, unjudged: 0, reasons: {}, sources: { prior: 10 } } };
  assert.is(verdict(all), 'No slow or failed sync calls');
  assert.is(tone(all), 'ok');
  assert.is(unjudgedSentence(all), '');
});

test.run();
