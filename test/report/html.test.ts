import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertInlineSafe, cspHash, esc, pathText, scriptJson, traceText } from '../../src/report/html.js';
import { XSS } from './fixtures.js';

test('esc escapes the five HTML-special characters', () => {
  assert.is(esc(`<a href="x" onclick='y'>&</a>`), '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  assert.is(esc(42), '42');
  for (const payload of Object.values(XSS)) assert.not.match(esc(payload), /[<>"']/);
});

test('scriptJson cannot end its <script> element and round-trips through JSON.parse', () => {
  const value = {
    path: XSS.script,
    comment: '<!-- <script>',
    amp: 'a && b',
    separators: 'line\u2028para\u2029end',
    lone: '\ud800',
    nested: [XSS.svg, { x: XSS.vega }],
  };
  const json = scriptJson(value);
  assert.not.match(json, /[<>&\u2028\u2029]/);
  assert.ok(json.includes('\\u003c/script\\u003e'));
  assert.equal(JSON.parse(json), value);
});

test('traceText makes control characters visible, clips long strings and keeps the whole in a title', () => {
  assert.is(traceText('a\nb'), 'a\\x0ab');
  assert.is(traceText(XSS.script), '&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
  const long = '/x'.repeat(200) + XSS.script;
  const html = traceText(long, 50);
  assert.match(html, /^<span title="[^"<>]*">[^<>]*<\/span>$/);
  assert.ok(html.includes('onerror=alert(1)&gt;</span>'), 'the end of the string is kept');
});

test('pathText breaks after slashes but not inside its own markup', () => {
  assert.is(pathText('/var/lib/x'), '/<wbr>var/<wbr>lib/<wbr>x');
  assert.is(pathText('/a</script>'), '/<wbr>a&lt;/<wbr>script&gt;');
  const long = pathText('/d'.repeat(200), 20);
  assert.match(long, /^<span title="[^"]*">/, 'the title attribute has no <wbr>');
  assert.not.match(long.slice(0, long.indexOf('>')), /wbr/);
});

test('cspHash is the base64 SHA-256 of the exact text', () => {
  // echo -n 'alert(1)' | openssl dgst -sha256 -binary | base64
  assert.is(cspHash('alert(1)'), "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='");
});

test('assertInlineSafe refuses script text the HTML parser would act on', () => {
  assert.is(assertInlineSafe('ok', 'var a = 1 < 2;'), 'var a = 1 < 2;');
  assert.throws(() => assertInlineSafe('x.js', 'var s = "</SCRIPT>";'), /x\.js: cannot be inlined, it contains "<\/SCRIPT" at character 9/);
  assert.throws(() => assertInlineSafe('y.js', '/* <!-- */'), /<!--/);
});

test.run();
