// The report's Durability section (src/report/durability.ts): present when the
// lint ran, a row per finding with its evidence, every trace string escaped.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ReportFinding } from '../../src/report/durability.js';
import { renderReport } from '../../src/report/render.js';
import { sampleReport, XSS } from './fixtures.js';
import { outline } from './outline.js';

const finding = (over: Partial<ReportFinding> = {}): ReportFinding => ({
  rule: 'rename-before-sync', host: 'db-1.prod', pid: 4242, exe: '/usr/bin/app', path: '/srv/app/config', family: '/srv/app/config',
  files: 1, at: '2024-05-14T02:12:00.000000Z', last: '2024-05-14T02:40:00.000000Z', count: 7,
  detail: '/srv/app/config.tmp renamed to /srv/app/config with 100 bytes written and never synced',
  evidence: [
    { at: '2024-05-14T02:11:59.990000Z', event: 'close', path: '/srv/app/config.tmp', to: null, fd: 5, error: null, bytes: 100 },
    { at: '2024-05-14T02:12:00.000000Z', event: 'rename', path: '/srv/app/config.tmp', to: '/srv/app/config', fd: -1, error: null, bytes: null },
  ],
  ...over,
});

/** The section's HTML, without the line-break opportunities in paths. */
function durability(html: string): string {
  const start = html.indexOf('<section id="durability">');
  return html.slice(start, html.indexOf('</section>', start)).replace(/<wbr>/g, '');
}

test('no lint data: no section, no nav link', () => {
  const o = outline(renderReport(sampleReport()));
  assert.not.match(o, '#durability');
});

test('lint ran and found nothing: the section says so', () => {
  const o = outline(renderReport({ ...sampleReport(), durability: [] }));
  assert.match(o, 'section #durability\n  h2: Durability\n    empty: No durability findings in these traces.\n');
  assert.match(o, /nav: .*#traces #durability\n/);
});

test('findings: one row each, with the rule, the file family, the process, the count and the events', () => {
  const failed = finding({
    rule: 'write-after-failed-sync', path: '/srv/db/wal.3', family: '/srv/db/wal.#', files: 2, count: 3,
    detail: 'fsync failed on /srv/db/wal.3 (EIO), then 1 more call on it without reopening it',
    evidence: [
      { at: '2024-05-14T02:20:00.000000Z', event: 'fsync', path: '/srv/db/wal.3', to: null, fd: 7, error: 'EIO', bytes: 4096 },
      { at: '2024-05-14T02:20:01.000000Z', event: 'fsync', path: '/srv/db/wal.3', to: null, fd: 7, error: null, bytes: 0 },
    ],
  });
  const html = renderReport({ ...sampleReport(), durability: [finding(), failed] });
  assert.match(outline(html), 'section #durability\n  h2: Durability\n    table #durability-table: 2 rows | Rule | File | Process | When | What happened (the first time)\n');
  const section = durability(html);
  assert.match(section, '7 times<br>2024-05-14 02:12:00');
  assert.match(section, '3 times on 2 files');
  assert.match(section, 'family /srv/db/wal.#');
  assert.match(section, 'rename <span class="path">/srv/app/config.tmp → /srv/app/config</span>');
  assert.match(section, 'close <span class="path">/srv/app/config.tmp</span> fd 5, 100 B never synced');
  assert.match(section, 'fsync <span class="path">/srv/db/wal.3</span> fd 7 <strong class="hot">EIO</strong>, 4 KiB written since the last sync');
});

test('hostile strings from a trace are shown as text', () => {
  const html = renderReport({
    ...sampleReport(),
    durability: [finding({ path: XSS.script, family: XSS.svg, exe: XSS.setFlag, host: XSS.js, detail: XSS.template, files: 2,
      evidence: [{ at: '2024-05-14T02:12:00.000000Z', event: XSS.script, path: XSS.svg, to: XSS.setFlag, fd: 1, error: XSS.script, bytes: 1 }] })],
  });
  const section = durability(html);
  for (const raw of ['<img src=x', '<svg onload', '"><img']) assert.not.ok(section.includes(raw), raw);
  assert.match(section, '&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
});

test.run();
