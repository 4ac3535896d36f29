/**
 * Reduces a rendered report to its structure, for the golden test: the CSP,
 * the headings, each table's columns and row count, the chart containers and
 * the scripts (by kind and id, never their text). What changes when the page's
 * structure changes, and nothing else.
 */
const strip = (html: string) =>
  html
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();

export function outline(html: string): string {
  const lines: string[] = [];
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  lines.push(`csp: ${csp ? strip(csp[1]!) : '(none)'}`);
  const title = /<title>([\s\S]*?)<\/title>/.exec(html);
  lines.push(`title: ${title ? strip(title[1]!) : '(none)'}`);

  // Script bodies are data or code, not structure: list them, then drop them.
  for (const m of html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
    const attrs = m[1]!.trim();
    lines.push(`script${attrs ? ' ' + attrs : ''}`);
  }
  const body = html.replace(/<script[^>]*>[\s\S]*?<\/script>/g, '<script></script>');

  const nav = [...(/<nav>([\s\S]*?)<\/nav>/.exec(body)?.[1] ?? '').matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
  lines.push(`nav: ${nav.join(' ')}`);

  const parts = /<h1>|<h2>|<table id="|<div class="chart" id="|<p class="empty"( id="[^"]*")?>|<section id="|<dl class="stats">/g;
  for (const m of body.matchAll(parts)) {
    const rest = body.slice(m.index! + m[0].length);
    if (m[0] === '<h1>') lines.push(`h1: ${strip(rest.slice(0, rest.indexOf('</h1>')))}`);
    else if (m[0] === '<h2>') lines.push(`  h2: ${strip(rest.slice(0, rest.indexOf('</h2>')))}`);
    else if (m[0] === '<section id="') lines.push(`section #${rest.slice(0, rest.indexOf('"'))}`);
    else if (m[0] === '<div class="chart" id="') lines.push(`    chart #${rest.slice(0, rest.indexOf('"'))}`);
    else if (m[0].startsWith('<p class="empty"')) lines.push(`    empty: ${strip(rest.slice(0, rest.indexOf('</p>')))}`);
    else if (m[0] === '<dl class="stats">') {
      const stats = [...rest.slice(0, rest.indexOf('</dl>')).matchAll(/<dt>([^<]*)<\/dt><dd>([^<]*)<\/dd>/g)];
      lines.push(`  stats: ${stats.map((s) => `${s[1]}=${s[2]}`).join(', ')}`);
    } else {
      const id = rest.slice(0, rest.indexOf('"'));
      const table = rest.slice(0, rest.indexOf('</table>'));
      const heads = [...table.matchAll(/<th[^>]*>([\s\S]*?)<\/th>/g)].map((h) => strip(h[1]!));
      const rows = (table.split('<tbody>')[1] ?? '').match(/<tr>/g)?.length ?? 0;
      lines.push(`    table #${id}: ${rows} rows | ${heads.join(' | ')}`);
    }
  }
  return lines.join('\n') + '\n';
}
