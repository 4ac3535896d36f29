/**
 * Opens a rendered report in real headless Chromium and checks what a person
 * would see: every chart drawn, the summary present, no console error, no CSP
 * violation, no request other than the file itself, and hostile trace strings
 * shown as text without creating any element. Needs Debian's `chromium`
 * (`apt-get install -y chromium`); fails, never skips, without it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderReport } from '../../src/report/render.js';
import { CHART_IDS } from '../../src/report/specs.js';
import { CLIENT_SCRIPT } from '../../src/report/client.js';
import { cspHash } from '../../src/report/html.js';
import { Browser, chromiumPath, type Page } from './chromium.js';
import { hugeReport, sampleReport, XSS } from './fixtures.js';

/** Installed before any page script: flags that a payload ran, and records CSP violations. */
const INSTRUMENT = `
window.__xss = false;
window.__csp = [];
window.alert = window.confirm = window.prompt = function () { window.__xss = 'dialog'; };
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI);
});
`;

interface PageState {
  charts: Array<{ id: string; rendered: string | null; width: number; height: number; marks: number }>;
  xss: unknown;
  csp: string[];
  imgs: number;
  strayElements: number;
  handlers: string[];
  scripts: number;
  externalRefs: string[];
  text: string;
  summary: string;
  chartText: string;
}

const INSPECT = `(() => {
  const charts = [...document.querySelectorAll('.chart')].map((el) => {
    const svg = el.querySelector('svg');
    const r = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
    return { id: el.id, rendered: el.getAttribute('data-rendered'), width: r.width, height: r.height,
      marks: svg ? svg.querySelectorAll('path, rect, line, text').length : 0 };
  });
  const all = [...document.querySelectorAll('*')];
  return {
    charts,
    xss: window.__xss,
    csp: window.__csp,
    imgs: document.querySelectorAll('img, iframe, object, embed, video, audio, image, foreignObject').length,
    strayElements: [...document.querySelectorAll('svg')].filter((s) => !s.closest('.chart')).length,
    handlers: all.flatMap((el) => [...el.attributes].filter((a) => /^on/i.test(a.name)).map((a) => el.tagName + ' ' + a.name)),
    scripts: document.scripts.length,
    externalRefs: all.flatMap((el) => ['src', 'href', 'xlink:href', 'action', 'formaction']
      .map((n) => el.getAttribute(n)).filter((v) => v !== null && !v.startsWith('#'))),
    text: document.body.innerText,
    summary: document.getElementById('summary').innerText,
    chartText: [...document.querySelectorAll('.chart svg')].map((s) => s.textContent).join('\\n'),
  };
})()`;

let browser: Browser | undefined;
let launchError: Error | undefined;
let dir = '';

// uvu does not report an error thrown by a hook, so keep it and fail each test with it.
test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fsync-report-'));
  try {
    chromiumPath(); // "apt-get install -y chromium" when it is missing
    browser = await Browser.launch(['--window-size=1400,2400']);
  } catch (err) {
    launchError = err as Error;
    console.error(`browser tests: ${launchError.message}`);
  }
});

test.after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function open(html: string, name: string): Promise<{ page: Page; url: string; state: PageState }> {
  if (launchError || !browser) throw launchError ?? new Error('chromium did not start');
  const file = join(dir, name);
  writeFileSync(file, html);
  const url = pathToFileURL(file).href;
  const page = await browser.newPage();
  for (const domain of ['Page', 'Runtime', 'Log', 'Network', 'Audits']) await page.send(`${domain}.enable`);
  await page.send('Page.addScriptToEvaluateOnNewDocument', { source: INSTRUMENT });
  await page.send('Page.navigate', { url });
  await page.waitFor(`document.readyState === 'complete'`);
  try {
    await page.waitFor(`document.documentElement.dataset.charts === 'done'`);
  } catch (err) {
    throw new Error(`${(err as Error).message}; page problems: ${problems(page).join('; ') || 'none'}`);
  }
  const state = await page.evaluate<PageState>(INSPECT);
  return { page, url, state };
}

function problems(page: Page): string[] {
  const found: string[] = [];
  for (const e of page.events('Runtime.consoleAPICalled')) {
    if (e.params.type === 'error' || e.params.type === 'warning' || e.params.type === 'assert') {
      found.push(`console.${e.params.type}: ${e.params.args.map((a: any) => a.value ?? a.description).join(' ')}`);
    }
  }
  for (const e of page.events('Runtime.exceptionThrown')) {
    found.push(`exception: ${e.params.exceptionDetails.exception?.description ?? e.params.exceptionDetails.text}`);
  }
  for (const e of page.events('Log.entryAdded')) {
    if (e.params.entry.level === 'error' || e.params.entry.level === 'warning') found.push(`log ${e.params.entry.source}: ${e.params.entry.text}`);
  }
  for (const e of page.events('Audits.issueAdded')) found.push(`issue: ${e.params.issue.code} ${JSON.stringify(e.params.issue.details)}`);
  for (const e of page.events('Page.javascriptDialogOpening')) found.push(`dialog: ${e.params.message}`);
  return found;
}

test('a realistic report renders every chart with no error, CSP violation or request', async () => {
  const { page, url, state } = await open(renderReport(sampleReport()), 'sample.html');
  // Without v2 data (summaries), no long-range chart.
  assert.equal(state.charts.map((c) => c.id).sort(), CHART_IDS.filter((id) => id !== 'chart-history').sort());
  for (const c of state.charts) {
    assert.is(c.rendered, 'true', `${c.id} rendered`);
    assert.ok(c.width > 300 && c.height > 100, `${c.id} has size ${c.width}×${c.height}`);
    // A section in a 1024-px window is about 920 px wide inside: no chart scrolls sideways there.
    assert.ok(c.width <= 920, `${c.id} is ${c.width} px wide`);
    assert.ok(c.marks > 20, `${c.id} drew ${c.marks} elements`);
  }
  assert.match(state.summary, 'The disk was slow, 2 failed sync calls, 2 incidents');
  assert.match(state.summary, /The disk: \d+ of the \d+ processes syncing on db-1\.prod's device \([a-z0-9, ]+\) were slow at once/);
  assert.match(state.summary, '1,200 of 351,624 calls not judged');
  assert.match(state.summary, 'From 2024-05-14 02:10:00.000 UTC to 04:10:00.000 UTC (2 h)');
  assert.match(state.summary, /Worst: fdatasync of \/var\/lib\/postgresql\/16\/main\/pg_wal\/0+1000000A7000000C3 on db-1\.prod/);
  assert.match(state.summary, /took 1\.\d\d s, 1,\d{3}× its usual 1\.2 ms \(p99 3\.84 ms, from its file's last 1 h\)/);
  assert.equal(state.csp, []);
  assert.equal(problems(page), []);
  const requests = page.events('Network.requestWillBeSent').map((e) => e.params.request.url as string);
  assert.equal(requests, [url], 'the document is the only request');
  assert.equal(state.externalRefs, []);
  assert.is(state.scripts, 5, 'specs, data, vega, interpreter, client');
  await page.close();
});

test('with v2 data: the long-range chart, the alerts and the overhead line, with no error or CSP violation', async () => {
  const { page, url, state } = await open(renderReport(sampleReport({ v2: true })), 'v2.html');
  assert.equal(state.charts.map((c) => c.id).sort(), [...CHART_IDS].sort());
  for (const c of state.charts) {
    assert.is(c.rendered, 'true', `${c.id} rendered`);
    assert.ok(c.width > 300 && c.height > 100, `${c.id} has size ${c.width}×${c.height}`);
    assert.ok(c.marks > 20, `${c.id} drew ${c.marks} elements`);
  }
  // The long-range chart: 7 files (capped at 8), a p50 and a p99 line each, 15 days.
  const history = await page.evaluate<{ lines: number; points: number; labels: string }>(`(() => {
    const svg = document.querySelector('#chart-history svg');
    return { lines: svg.querySelectorAll('.mark-line path').length, points: svg.querySelectorAll('.mark-symbol path').length,
      labels: svg.textContent };
  })()`);
  assert.is(history.lines, 14);
  assert.is(history.points, 7 * 15 * 2 + 2, 'a point per file, day and quantile, and the legend\'s two');
  assert.match(history.labels, '2024-05-');
  assert.match(history.labels, 'p99');
  assert.match(state.summary, 'Recorder overhead, steady state: 83.3 ns per call, 1.2% of the time spent in sync calls');
  assert.match(state.summary, /alerts written\s*9/);
  assert.match(state.summary, /alerts suppressed\s*5/);
  assert.match(state.summary, 'From 2024-04-30 02:10:00.000 UTC to 2024-05-14 04:10:00.000 UTC (14 d 2 h)');
  const alertRows = await page.evaluate<string[]>(`[...document.querySelectorAll('#alerts-table tbody tr')].map((r) => r.innerText)`);
  assert.is(alertRows.length, 14);
  assert.match(alertRows[0]!, /^2024-05-03 03:16:40\.000\t.*fdatasync\t2\.21 s\t—\twritten\tkeep ring\tpostgres\npid 2811 · db-1\.prod/s);
  assert.match(alertRows[1]!, /EIO\tsuppressed\tkeep ring/);
  // In a 1024-px window no table scrolls sideways, even with dates in its times (a 14-day span).
  await page.send('Emulation.setDeviceMetricsOverride', { width: 1024, height: 2400, deviceScaleFactor: 1, mobile: false });
  const wide = await page.evaluate<string[]>(`[...document.querySelectorAll('.table-wrap')]
    .filter((w) => w.scrollWidth > w.clientWidth + 1).map((w) => w.firstElementChild.id + ' ' + w.scrollWidth + '>' + w.clientWidth)`);
  assert.equal(wide, []);
  assert.equal(state.csp, []);
  assert.equal(problems(page), []);
  const requests = page.events('Network.requestWillBeSent').map((e) => e.params.request.url as string);
  assert.equal(requests, [url], 'the document is the only request');
  await page.close();
});

test('hostile paths, hosts and command lines show as text and create no element', async () => {
  // With the v2 sections too: the alerts table and the long-range chart carry trace strings.
  const { page, state } = await open(renderReport(sampleReport({ hostile: true, v2: true })), 'hostile.html');
  assert.ok(state.charts.some((c) => c.id === 'chart-history'), 'the long-range chart is on the page');
  assert.is(state.xss, false, 'no payload ran');
  assert.is(state.imgs, 0);
  assert.is(state.strayElements, 0);
  assert.equal(state.handlers, []);
  assert.is(state.scripts, 5);
  for (const payload of Object.values(XSS)) assert.ok(state.text.includes(payload), `page text shows ${payload}`);
  // Chart labels and headers are Vega text marks: the strings arrive as data, drawn as text.
  assert.ok(state.chartText.includes(XSS.svg), 'host name drawn as text in a chart');
  assert.ok(state.chartText.includes('…/</script><im'), 'path drawn as text in a chart');
  assert.ok(state.chartText.includes('…/app/{{constr'), 'path drawn as text in a chart');
  assert.ok(state.chartText.includes('datum.x || alert(1)'), 'a Vega expression in a path drawn as text');
  for (const c of state.charts) assert.is(c.rendered, 'true', `${c.id} rendered`);
  assert.equal(state.csp, []);
  assert.equal(problems(page), []);
  const title = await page.evaluate<string>('document.title');
  assert.match(title, 'fsync report');

  // Hover a point: Vega's default tooltip is the chart's title attribute, the path in it as text.
  const box = await page.evaluate<{ x: number; y: number } | null>(`(() => {
    const el = document.querySelector('#chart-scatter svg .mark-symbol path:last-child');
    if (!el) return null;
    el.scrollIntoView({ block: 'center' });
    const r = el.getBoundingClientRect();
    return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
  })()`);
  assert.ok(box, 'found a point to hover');
  // Two moves: the first one enters the chart, the second one lands on the point.
  await page.send('Input.dispatchMouseEvent', { type: 'mouseMoved', x: box!.x - 8, y: box!.y });
  await page.send('Input.dispatchMouseEvent', { type: 'mouseMoved', x: box!.x, y: box!.y });
  await page.waitFor(`document.querySelector('#chart-scatter[title]')`, 5000);
  const tip = await page.evaluate<string>(`document.querySelector('#chart-scatter[title]').getAttribute('title')`);
  assert.match(tip, 'file: ');
  assert.match(tip, /start \(UTC\): 2024-05-14 0\d:\d\d:\d\d\.\d{3}\n/);
  assert.match(tip, 'latency (ms): ');
  assert.ok(tip.includes(`file: /srv/app/${XSS.script}`), 'the hovered path, as text');
  assert.is(await page.evaluate('window.__xss'), false);
  await page.close();
});

test('a report made from 2 million points opens and draws within the limits', async () => {
  const { page, state } = await open(renderReport(hugeReport(2_000_000, 5000)), 'huge.html');
  for (const c of state.charts) assert.is(c.rendered, 'true', `${c.id} rendered`);
  assert.is(state.xss, false);
  assert.equal(state.csp, []);
  assert.equal(problems(page), []);
  await page.close();
});

test('the CSP is enforced: Vega without the interpreter is refused eval, and the test sees it', async () => {
  // Same page, but the client lets Vega compile expressions with Function() (its default).
  const html = renderReport(sampleReport());
  const evil = CLIENT_SCRIPT.replace(', expr: vega.expressionInterpreter', '');
  assert.is.not(evil, CLIENT_SCRIPT);
  const hash = (text: string) => cspHash(text).slice(1, -1); // the meta tag has the quotes as &#39;
  const page = html.replace(CLIENT_SCRIPT, () => evil).replace(hash(CLIENT_SCRIPT), () => hash(evil));
  assert.ok(page.includes(hash(evil)));
  const { page: tab, state } = await open(page, 'eval.html');
  assert.ok(state.csp.some((v) => v.startsWith('script-src') && v.endsWith(' eval')), `eval refused: ${state.csp.join(', ')}`);
  assert.ok(state.charts.every((c) => c.rendered === 'error'), 'every chart reports that it could not be drawn');
  assert.ok(problems(tab).length > 0, 'the refusals show up as console errors too');
  await tab.close();
});

test.run();
