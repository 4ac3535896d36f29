// The Node hook's part of the report (src/report/node.ts): given call sites built
// to each case, expect the "Queued, not the disk" sentence exactly when the wait
// went to queueing, and the Node call sites table with every trace string escaped.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ReportNodeSite } from '../../src/report/data.js';
import { nodeSitesTable, queued, queueSentence } from '../../src/report/node.js';
import { renderReport } from '../../src/report/render.js';
import { sampleReport, XSS } from './fixtures.js';

const text = (html: string) => html.replace(/<[^>]+>/g, '').replace(/&#39;/g, "'");

function site(over: Partial<ReportNodeSite>): ReportNodeSite {
  return {
    host: 'web-1', site: '/app/db.js:40', kind: 'js:fs.fsync', calls: 120, errors: 0, captured: 120, paired: 120, ambiguous: 0,
    waitP50Ms: 21.5, waitP99Ms: 80, syncP50Ms: 0.31, syncP99Ms: 2.4, waitMs: 3000, syncMs: 60, queuedMs: 2700, deliveryMs: 240,
    queuedShare: 0.98, paths: ['/data/wal'], ...over,
  };
}

test('queued: most of the wait outside the system call, a median at least twice the fsync and 1 ms more, 3 calls paired', () => {
  assert.ok(queued(site({})));
  assert.not.ok(queued(site({ queuedShare: 0.4 })), 'the disk took most of it');
  assert.not.ok(queued(site({ waitP50Ms: 0.5, syncP50Ms: 0.2 })), 'under a millisecond more: noise');
  assert.not.ok(queued(site({ waitP50Ms: 10, syncP50Ms: 6 })), 'less than twice the fsync');
  assert.not.ok(queued(site({ paired: 2 })), 'too few calls paired');
  assert.not.ok(queued(site({ paired: 0, syncP50Ms: null, queuedShare: null })), 'nothing to compare with');
});

test('the sentence names the API, the call site and the share of the wait that was queued', () => {
  const data = { ...sampleReport(), nodeSites: [site({ site: '/app/log.js:12', waitMs: 100, syncMs: 50 }), site({})] };
  assert.is(text(queueSentence(data)),
    "Queued, not the disk: Node's js:fs.fsync at /app/db.js:40 waited 21.5 ms at the median (p99 80 ms) while its fsync took 310 µs: " +
    "98% of the wait was queued — for libuv's thread pool (4 threads unless UV_THREADPOOL_SIZE says otherwise) and the event loop — " +
    'not spent on the disk. 1 more call site too (Node call sites, below).');
  const writes = { ...sampleReport(), nodeSites: [site({ kind: 'js:fs.writeFile', site: null })] };
  assert.match(text(queueSentence(writes)), "Node's js:fs.writeFile waited 21.5 ms");
  assert.match(text(queueSentence(writes)), "thread pool (4 threads unless UV_THREADPOOL_SIZE says otherwise), its own open and writes and the event loop");
  assert.is(queueSentence({ ...sampleReport(), nodeSites: [site({ queuedShare: 0.2 })] }), '');
  assert.is(queueSentence(sampleReport()), '');
});

test('the table: one row per site and API, unpaired calls without system-call figures, trace strings escaped', () => {
  const html = nodeSitesTable({ ...sampleReport(), nodeSites: [site({}), site({ site: XSS.script, kind: 'js:filehandle.sync', paired: 0, syncP50Ms: null, syncP99Ms: null, queuedShare: null })] });
  assert.not.match(html, XSS.script);
  const rows = [...html.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) => text(m[1]!).trim());
  assert.is(rows.length, 3);
  assert.is(rows[1], "/app/db.js:40js:fs.fsync12021.5 ms80 ms310 µs2.4 ms2.94 s (98%)120 of 120");
  assert.is(rows[2], "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;js:filehandle.sync12021.5 ms80 ms———0 of 120");
});

test('the table: a site whose calls were partly sampled says how many were captured', () => {
  const html = nodeSitesTable({ ...sampleReport(), nodeSites: [site({ calls: 50_000, captured: 37, paired: 50_000 }), site({ site: null, captured: 0, calls: 4 })] });
  const rows = [...html.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) => text(m[1]!).trim());
  assert.match(rows[1]!, /^\/app\/db\.js:40js:fs\.fsync50,000 \(37 sampled\)21\.5 ms/);
  assert.match(rows[2]!, /^not capturedjs:fs\.fsync421\.5 ms/, 'no site: nothing sampled to say');
  assert.match(text(html), /counted at the site its thread last captured for the same API/);
});

test('the table: calls left unpaired because other syncs of their file ran among them say so', () => {
  const html = nodeSitesTable({ ...sampleReport(), nodeSites: [site({ paired: 20, ambiguous: 100 })] });
  const rows = [...html.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) => text(m[1]!).trim());
  assert.match(rows[1]!, /20 of 120 \(100 ambiguous\)$/);
  assert.match(text(html), /otherwise the calls are left unpaired, ambiguous, rather than each paired with the sync before its own/);
});

test('the report has a Node call sites section only when the traces hold Node calls', () => {
  const without = renderReport(sampleReport());
  assert.not.match(without, 'Node call sites');
  const withSites = renderReport({ ...sampleReport(), nodeSites: [site({})] });
  assert.match(withSites, '<a href="#node">Node call sites</a>');
  assert.match(withSites, '<section id="node">');
  assert.match(withSites, '<p class="answer" id="queued">');
});

test.run();
