/**
 * The only ways text gets into the page: escaped for HTML, or serialised as
 * JSON that is safe inside a <script> element. Nothing from a trace is ever
 * concatenated into markup any other way.
 */
import { createHash } from 'node:crypto';
import { clip, visible } from './format.js';

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text for element content or a quoted attribute value. */
export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * A string read from a trace (path, command line, host, exe), ready for the
 * page: control and bidi characters made visible, long values clipped in the
 * middle with the full value in a title, then HTML-escaped.
 */
export function traceText(s: string, max = 160): string {
  const shown = visible(s);
  const clipped = clip(shown, max);
  if (clipped === shown) return esc(shown);
  return `<span title="${esc(clip(shown, 2000))}">${esc(clipped)}</span>`;
}

/**
 * A path from a trace, as traceText() but with a line-break opportunity after
 * each `/`, so long paths wrap at directory boundaries in narrow columns.
 */
export function pathText(s: string, max = 160): string {
  return traceText(s, max).replace(/\/(?![^<]*>)/g, '/<wbr>');
}

const JSON_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/**
 * JSON that can sit inside <script type="application/json">: no `<`, `>` or
 * `&` (so no `</script>` or `<!--` can end or confuse the element), and no
 * U+2028/U+2029. The page reads it back with JSON.parse, never eval.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => JSON_ESCAPES[c] ?? c);
}

/** A CSP source expression for an inline element's exact text: `'sha256-…'`. */
export function cspHash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/**
 * Script text that is safe to inline as is: it must not close its element or
 * open an HTML comment, which the HTML parser would act on inside <script>.
 */
export function assertInlineSafe(name: string, text: string): string {
  const bad = /<\/script|<!--|<script/i.exec(text);
  if (bad) throw new Error(`${name}: cannot be inlined, it contains "${bad[0]}" at character ${bad.index}`);
  return text;
}
