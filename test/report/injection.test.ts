/**
 * Report injection, end to end: traces built with the encoder whose paths,
 * command lines, executables and host names carry HTML, script-closing tags,
 * comments, javascript: URLs, Vega expressions, format strings, control and
 * bidi characters, invalid UTF-8 and a 4 KiB path go through the real
 * pipeline (decode, DuckDB, queries, renderer) and the report is opened in
 * headless Chromium. Each payload that could run would call __pwn(), open a
 * dialog or make a request; none may, no element may be injected, and every
 * string must be on the page as text.
 *
 * Also the Content-Security-Policy itself: a copy of a report with an image,
 * a fetch, a beacon and a stylesheet added is blocked by it (a local server
 * sees no request), while the same copy without the policy's meta tag does
 * reach the server, so the test can see what it claims to rule out.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { reportData } from '../../src/db/report.js';
import { DEFAULT_PARAMS } from '../../src/db/params.js';
import { Session } from '../../src/db/session.js';
import { visible } from '../../src/report/format.js';
import { contentSecurityPolicy, renderReport } from '../../src/report/render.js';
import { cspHash, esc } from '../../src/report/html.js';
import { TraceWriter } from '../../src/trace/encode.js';
import { RecordType } from '../../src/trace/layout.js';
import { figure } from '../figures.js';
import { Browser, type Page } from './chromium.js';

/** Every payload that could run calls __pwn(its id), calls alert(), or asks for a pwn.invalid URL. */
const PAYLOADS: Array<[id: string, text: string]> = [
  ['script tag', `<script>__pwn('script-tag')</script>`],
  ['script close', `</script><script>__pwn('script-close')</script>`],
  ['img onerror', `<img src=x onerror=__pwn('img')>`],
  ['svg onload', `<svg onload=__pwn('svg')>`],
  ['attribute break "', `"><img src=x onerror="__pwn('attr')">`],
  ["attribute break '", `'><img src=x onerror='__pwn(1)'>`],
  ['comment open', '<!--'],
  ['comment script', `<!--<script>__pwn('comment')</script>-->`],
  ['cdata', `<![CDATA[<script>__pwn('cdata')</script>]]>`],
  ['title close', `</title><script>__pwn('title')</script>`],
  ['style close', `</style><img src=x onerror=__pwn('style')>`],
  ['textarea close', `</textarea><script>__pwn('ta')</script>`],
  ['javascript: URL', 'javascript:alert(1)'],
  ['javascript: call', `javascript:__pwn('url')`],
  ['anchor', `<a href="javascript:__pwn('a')">x</a>`],
  ['iframe', `<iframe src="javascript:__pwn('iframe')">`],
  ['meta refresh', `<meta http-equiv=refresh content="0;url=javascript:__pwn('meta')">`],
  ['base href', '<base href="http://pwn.invalid/">'],
  ['remote image', '<img src="http://pwn.invalid/img">'],
  ['fetch', `<script>fetch('http://pwn.invalid/fetch')</script>`],
  ['stylesheet', '<link rel=stylesheet href="http://pwn.invalid/css">'],
  ['mutation XSS', `<math><mtext><table><mglyph><style><img src=x onerror=__pwn('mx')>`],
  ['foreignObject', `<svg><foreignObject><img src=x onerror=__pwn('fo')>`],
  ['data: URL', `data:text/html,<script>__pwn('data')</script>`],
  ['Vega template', `{{constructor.constructor('__pwn(1)')()}}`],
  ['Vega datum', `datum.x || __pwn('datum')`],
  ['Vega signal', `signal('width') + __pwn('signal')`],
  ['Vega event stream', '[mousedown, mouseup] > mousemove'],
  ['JS template', "${__pwn('tpl')}"],
  ['JSON break', '"},{"__proto__":{"polluted":1},"x":"'],
  ['entities', `&lt;script&gt;__pwn('ent')&lt;/script&gt; &amp; &#x3c;`],
  ['format strings', '%s%s%n%x%d %(name)s {0} %1$s'],
  ['line separators', 'a\u2028b\u2029c'],
  ['control characters', 'a\x01\x07\x08\x1b[31mred\x1b[0m\r\n\tz\x7f'],
  ['bidi override', 'invoice\u202Egpj.exe'],
  ['unicode', 'Ω≈ç√ 🙂 e\u0301 日本語'],
];

/** Bytes no UTF-8 decoder accepts, put in place of a marker after encoding. */
const INVALID_UTF8 = Uint8Array.of(0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82, 0xed, 0xa0);
const MARK = 'BADUTF8!'; // as many bytes as INVALID_UTF8
const INVALID_SHOWN = new TextDecoder().decode(INVALID_UTF8);
const LONG_PATH = `/data/${'long-directory-name/'.repeat(200)}${PAYLOADS[0]![1]}`; // about 4 KiB

const MONO0 = 1_000_000_000n;
const s = (x: number) => MONO0 + BigInt(Math.round(x * 1e9));

function replaceAll(buf: Uint8Array, from: string, to: Uint8Array): void {
  const needle = new TextEncoder().encode(from);
  for (let i = 0; i + needle.length <= buf.length; i++) {
    if (needle.every((b, j) => buf[i + j] === b)) buf.set(to, i);
  }
}

/** One trace per payload: it is the host (when short), the exe, a command-line argument and a path. */
function hostileTraces(): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  const all: Array<[string, string]> = [...PAYLOADS, ['invalid UTF-8', MARK], ['4 KiB path', LONG_PATH]];
  all.forEach(([, text], k) => {
    const hostOk = new TextEncoder().encode(text).length <= 39;
    const w = new TraceWriter({
      ringSlots: 256, pid: 1000 + k, host: hostOk ? text : `host-${k}`,
      exe: `/opt/${text}`.slice(0, 1000), cmdline: ['app', text],
    });
    const path = text.startsWith('/') ? text : `/srv/${k}/${text}`;
    w.path({ id: 1, name: path, dev: BigInt(k + 1) });
    w.event({ type: RecordType.Sync, call: 1, startNs: s(1), durNs: 2_000_000n, tid: 1, pathId: 1, bytes: 4096n, ivalStartNs: s(0.5) });
    w.event({ type: RecordType.Sync, call: 1, startNs: s(2), durNs: 1_500_000_000n, tid: 1, pathId: 1, bytes: 4096n, ivalStartNs: s(1) });
    w.event({ type: RecordType.Sync, call: 2, startNs: s(4), durNs: 1_000_000n, tid: 1, pathId: 1, res: -5, bytes: 10n, ivalStartNs: s(3.5) });
    const bytes = w.bytes();
    replaceAll(bytes, MARK, INVALID_UTF8);
    out[`t${k}.fstrace`] = bytes;
  });
  return out;
}

/** What each field shows at most before it is clipped (src/report/tables.ts). */
const SHOWN_MAX = { host: 40, exe: 50, cmdline: 160, path: 90 };

/** The strings the page must show as text: [payload, field, text], for each field that shows it whole. */
function expectedTexts(): Array<[string, string, string]> {
  const out: Array<[string, string, string]> = [];
  const all: Array<[string, string]> = [...PAYLOADS, ['invalid UTF-8', INVALID_SHOWN]];
  all.forEach(([id, text], k) => {
    const fields: Record<keyof typeof SHOWN_MAX, string | null> = {
      host: new TextEncoder().encode(text).length <= 39 || id === 'invalid UTF-8' ? text : null,
      exe: `/opt/${text}`,
      cmdline: `app ${text}`,
      path: `/srv/${k}/${text}`,
    };
    for (const [field, value] of Object.entries(fields)) {
      if (value === null) continue;
      const shown = visible(value);
      if (Array.from(shown).length <= SHOWN_MAX[field as keyof typeof SHOWN_MAX]) out.push([id, field, shown]);
    }
  });
  return out;
}

const INSTRUMENT = `
window.__ran = [];
window.__pwn = function (what) { window.__ran.push(String(what)); };
window.alert = window.confirm = window.prompt = function (m) { window.__ran.push('dialog ' + m); };
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) { window.__csp.push(e.violatedDirective + ' ' + e.blockedURI); });
`;

let browser: Browser | undefined;
let dir = '';
const servers: Server[] = [];

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fsync-injection-'));
});

test.after(async () => {
  await browser?.close();
  for (const srv of servers) srv.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function open(html: string, name: string, waitCharts = true): Promise<{ page: Page; url: string }> {
  browser ??= await Browser.launch(['--window-size=1400,2400']);
  const file = join(dir, name);
  writeFileSync(file, html);
  const url = pathToFileURL(file).href;
  const page = await browser.newPage();
  for (const domain of ['Page', 'Runtime', 'Log', 'Network']) await page.send(`${domain}.enable`);
  await page.send('Page.addScriptToEvaluateOnNewDocument', { source: INSTRUMENT });
  await page.send('Page.navigate', { url });
  await page.waitFor(`document.readyState === 'complete'`);
  // A page broken by an injection may never finish its charts: inspect it anyway (the charts are asserted on).
  if (waitCharts) await page.waitFor(`document.documentElement.dataset.charts === 'done'`, 15_000).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 300)); // let any late load or error event fire
  return { page, url };
}

async function hostileReport(): Promise<string> {
  const files = hostileTraces();
  const tdir = mkdtempSync(join(dir, 'traces-'));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(tdir, name), bytes);
  const session = await Session.open({ inputs: [tdir], quiet: true, warn: (m) => { throw new Error(`unexpected warning: ${m}`); } });
  try {
    return renderReport(await reportData(session, { ...DEFAULT_PARAMS, minHistory: 1 }, new Date('2026-01-01T01:00:00Z')));
  } finally {
    session.close();
  }
}

test('hostile strings from traces: nothing runs, nothing is injected, nothing loads, everything reads as text', async () => {
  const html = await hostileReport();
  const { page, url } = await open(html, 'hostile.html');
  const state = await page.evaluate<{
    ran: string[]; csp: string[]; tags: Record<string, number>; handlers: string[]; refs: string[]; text: string; titles: string; chartText: string; charts: string[];
  }>(`(() => {
    const all = [...document.querySelectorAll('*')];
    const tags = {};
    for (const el of all) tags[el.tagName.toLowerCase()] = (tags[el.tagName.toLowerCase()] || 0) + 1;
    return {
      ran: window.__ran, csp: window.__csp, tags,
      handlers: all.flatMap((el) => [...el.attributes].filter((a) => /^on/i.test(a.name)).map((a) => el.tagName + ' ' + a.name)),
      refs: all.flatMap((el) => ['src', 'href', 'xlink:href', 'action', 'formaction', 'data', 'background'].map((n) => el.getAttribute(n)).filter((v) => v !== null && !v.startsWith('#'))),
      text: document.body.innerText,
      titles: all.map((el) => el.getAttribute('title') || '').join('\\n'),
      chartText: [...document.querySelectorAll('.chart svg')].map((s) => s.textContent).join('\\n'),
      charts: [...document.querySelectorAll('.chart')].map((el) => el.id + ' ' + el.getAttribute('data-rendered')),
    };
  })()`);

  // Nothing ran, nothing asked for the network, nothing was blocked (nothing tried).
  assert.equal(state.ran, [], 'no payload ran');
  assert.equal(page.events('Page.javascriptDialogOpening'), []);
  assert.equal(state.csp, [], 'no CSP violation: no injected load was even attempted');
  assert.equal(page.events('Network.requestWillBeSent').map((e) => e.params.request.url), [url], 'the document is the only request');
  assert.equal(page.events('Runtime.exceptionThrown').map((e) => e.params.exceptionDetails.text), []);
  // No injected element: only the report's own kinds, in their own numbers.
  // (Vega adds an empty <form class="vega-bindings"> to each chart; any other form would be injected.)
  for (const tag of ['img', 'iframe', 'object', 'embed', 'base', 'link', 'form:not(.vega-bindings)', 'textarea', 'math', 'foreignobject', 'a[href^=javascript]', 'style']) {
    const n = await page.evaluate<number>(`document.querySelectorAll(${JSON.stringify(tag)}).length`);
    assert.is(n, tag === 'style' ? 1 : 0, `${tag} elements`);
  }
  assert.is(state.tags.script, 5, 'specs, data, vega, interpreter, client');
  assert.is(state.tags.meta, 4, 'charset, CSP, referrer, viewport');
  assert.equal(state.handlers, []);
  assert.equal(state.refs.filter((r) => !/^#/.test(r)), []);
  assert.ok(state.charts.length >= 3 && state.charts.every((c) => c.endsWith(' true')), `charts drawn: ${state.charts.join(', ')}`);
  assert.is(await page.evaluate('Object.prototype.polluted'), undefined, 'no prototype pollution');

  // Every string is on the page as text, in every field that shows it whole.
  const expected = expectedTexts();
  const missing = expected.filter(([, , text]) => !state.text.includes(text)).map(([id, field, text]) => `${id} as ${field}: ${JSON.stringify(text)}`);
  assert.equal(missing, [], 'strings missing from the page text');
  // The 4 KiB path: clipped in the middle in the page, with its start and end; its whole first 1000 characters in a title.
  const long = visible(LONG_PATH);
  assert.ok(state.text.includes(long.slice(-40)), 'the long path ends on the page');
  assert.ok(state.titles.includes(long.slice(0, 900)), 'the long path in a title');
  // Chart labels are Vega text marks: paths arrive as data and are drawn as text.
  assert.ok(state.chartText.includes('…/') && /__pwn|alert|datum|signal/.test(state.chartText), 'hostile paths drawn as chart text');
  await page.close();

  const fields = new Set(expected.map(([, f]) => f));
  figure({
    area: 'Report injection',
    case: 'hostile trace strings, end to end in Chromium',
    tried: `${PAYLOADS.length + 2} strings (HTML and script-closing tags, comments, javascript: and data: URLs, Vega expressions, format strings, control and bidi characters, invalid UTF-8, a ${LONG_PATH.length}-byte path) as path, exe, command line and (when short) host of ${PAYLOADS.length + 2} traces, through decode, DuckDB and the renderer`,
    held: `0 payloads ran, 0 dialogs, 0 requests but the document, 0 CSP violations, 0 injected elements or handlers; ${expected.length} of ${expected.length} (string, field) pairs found as page text (fields: ${[...fields].join(', ')}); the 4 KiB path clipped, whole in a title`,
  });
});

function counter(): Promise<{ port: number; hits: string[] }> {
  return new Promise((resolve) => {
    const hits: string[] = [];
    const srv = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'text/plain', 'access-control-allow-origin': '*' });
      res.end('ok');
    });
    servers.push(srv);
    srv.listen(0, '127.0.0.1', () => resolve({ port: (srv.address() as { port: number }).port, hits }));
  });
}

test('the CSP meta tag is parsed and enforced: added loads are blocked, and without it they reach a server', async () => {
  const { port, hits } = await counter();
  const base = `http://127.0.0.1:${port}`;
  const html = await hostileReport();
  const match = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html);
  assert.ok(match, 'the report declares a CSP in a meta tag');
  const policy = match![1]!.replace(/&#39;/g, "'");
  assert.match(policy, /^default-src 'none'; script-src 'sha256-[^']+' 'sha256-[^']+' 'sha256-[^']+'; style-src 'sha256-[^']+'; base-uri 'none'; form-action 'none'$/);
  // An added script, allowed by its hash as the page's own are, that tries every way out.
  const probe = `fetch('${base}/fetch').catch(function () {}); new Image().src = '${base}/image-js'; navigator.sendBeacon('${base}/beacon'); var x = new XMLHttpRequest(); x.open('GET', '${base}/xhr'); x.send();`;
  const added = `<img src="${base}/img"><link rel="stylesheet" href="${base}/css"><script>${probe}</script>`;
  const withProbe = html
    .replace('</main>', () => `${added}</main>`)
    .replace(esc(`script-src `), () => esc(`script-src ${cspHash(probe)} `));
  assert.ok(withProbe.includes(esc(cspHash(probe))), 'the probe script is allowed by hash');

  const { page } = await open(withProbe, 'probe.html');
  const effective = await page.evaluate<string>(`document.querySelector('meta[http-equiv="Content-Security-Policy"]').content`);
  assert.match(effective, "default-src 'none'");
  const csp = await page.evaluate<string[]>('window.__csp');
  const blocked = csp.map((v) => v.replace(base, 'BASE')).sort();
  assert.equal(blocked, ['connect-src BASE/beacon', 'connect-src BASE/fetch', 'connect-src BASE/xhr', 'img-src BASE/image-js', 'img-src BASE/img', 'style-src-elem BASE/css'].sort());
  assert.equal(await page.evaluate('window.__ran'), [], 'the probe ran, and only tried to load');
  await page.close();
  assert.equal(hits, [], 'the server saw no request');

  // The control: the same page without the policy does reach the server, so the check above can fail.
  const noPolicy = withProbe.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '');
  const { page: open2 } = await open(noPolicy, 'no-csp.html', false);
  await open2.waitFor(`performance.getEntriesByType('resource').length >= 4`, 10_000).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 500));
  await open2.close();
  assert.ok(['/img', '/fetch', '/image-js', '/xhr'].every((p) => hits.includes(p)), `without the CSP the server saw: ${hits.join(' ')}`);
  figure({
    area: 'Report injection',
    case: 'Content-Security-Policy',
    tried: `a report with an image, a stylesheet, fetch, XMLHttpRequest, sendBeacon and new Image() added (6 loads, from a script allowed by hash); and the same page without the CSP meta tag`,
    held: `with the report's policy (default-src 'none'): 6 of 6 blocked as CSP violations, 0 requests reached a local server; without it, the server saw ${hits.length} requests`,
  });
});

test.run();
