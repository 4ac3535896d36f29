/**
 * A long run: a Node program whose calls lap a small ring many times over
 * several summary intervals. The ring keeps the newest calls only; the
 * summary ring counts every one, so the counts per file and API (js_counts,
 * summary --json's "js") equal the program's own, exactly.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze, analyzeJson, analyzeSql, once, type SummaryJson } from '../../scripts/workloads/common.js';
import { account, NODES, recorded, removeRuns, trackedRun } from './harness.js';

test.after(removeRuns);

const ROUNDS = 150;
/** A 256 KiB trace: its ring holds a few hundred records; one-second summary intervals. */
const SMALL = { FSYNC_TRACE_MAX_BYTES: String(256 << 10), FSYNC_TRACE_SUMMARY_SECONDS: '1' };

type Counts = Record<string, Record<string, number>>;
const runs = NODES.map((node) => once(() => trackedRun('long.mjs', [String(ROUNDS)], { node: node.bin, env: SMALL, tmpfs: true })));
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

for (const [i, node] of NODES.entries()) {
  test(`${node.name}: calls that lapped the ring many times are counted exactly per file and API`, () => {
    const r = runs[i]!();
    assert.is(r.ran.status, 0, r.ran.stderr);
    const { counts } = account<{ counts: Counts }>(r);
    const total = Object.values(counts).reduce((n, byApi) => n + Object.values(byApi).reduce((m, x) => m + x, 0), 0);
    // The ring kept a small share of them: the run lapped it.
    const { js } = recorded(r);
    assert.ok(js.length > 0 && js.length * 5 < total, `${js.length} of ${total} calls in the ring`);
    const rows = analyzeSql<{ path: string; kind: string; calls: number; in_ring: number; source: string; errors: number }>(
      'select path, kind, calls::double as calls, in_ring::double as in_ring, source, errors::double as errors from js_counts order by path, kind', [r.traces]);
    const got: Record<string, Record<string, number>> = {};
    for (const x of rows) (got[x.path] ??= {})[x.kind.replace(/^js:/, '')] = x.calls;
    assert.equal(got, counts);
    assert.ok(rows.every((x) => x.source === 'summaries' && x.errors === 0 && x.in_ring < x.calls), JSON.stringify(rows));
    assert.is(rows.reduce((n, x) => n + x.in_ring, 0), js.length);
    // summary --json's per-file "js" counts are the same.
    const s = analyzeJson<SummaryJson>(['summary', r.traces]);
    const perFile = Object.fromEntries(s.files.filter((f) => f.js).map((f) => [f.path, f.js!.calls]));
    assert.equal(perFile, Object.fromEntries(Object.entries(counts).map(([f, byApi]) => [f, Object.values(byApi).reduce((m, x) => m + x, 0)])));
  });
}

test('info: each trace\'s Node calls, exact, those still in the ring, and per API', () => {
  const r = runs[0]!();
  const { counts } = account<{ counts: Counts }>(r);
  const byApi: Record<string, number> = {};
  for (const perFile of Object.values(counts)) for (const [api, n] of Object.entries(perFile)) byApi[`js:${api}`] = (byApi[`js:${api}`] ?? 0) + n;
  const total = sum(Object.values(byApi));
  const info = analyzeJson<{ traces: Array<{ js_calls: number; js_in_ring: number; js_by_kind: Record<string, number>; calls: number }> }>(['info', r.traces]);
  assert.is(info.traces.length, 1);
  const t = info.traces[0]!;
  assert.equal([t.js_calls, t.js_by_kind], [total, byApi]);
  assert.is(t.js_in_ring, recorded(r).js.length);
  assert.is(t.calls, total, 'one system call per Node call (fsync each)');
  const text = analyze(['info', r.traces]);
  assert.is(text.status, 0, text.stderr);
  const fmt = (n: number) => n.toLocaleString('en-US');
  assert.match(text.stdout, /Node calls \(the Node hook; counted from summaries where the trace has them\):/);
  assert.match(text.stdout, `${fmt(total)}  `);
  assert.match(text.stdout, `fs.fsyncSync ${fmt(byApi['js:fs.fsyncSync']!)}`);
});

test('export: js_calls, js_sites, js_apis, js_waits and js_counts, read back', () => {
  const r = runs[0]!();
  const { counts } = account<{ counts: Counts }>(r);
  const out = join(r.dir, 'export');
  const tables = ['js_calls', 'js_sites', 'js_apis', 'js_waits', 'js_counts'];
  const e = analyzeJson<{ files: Array<{ table: string; name: string; rows: number }> }>(['export', r.traces, '-o', out, '--format', 'csv', '--tables', tables.join(',')]);
  assert.equal(e.files.map((f) => [f.table, f.name]), tables.map((t) => [t, `${t}.csv`]));
  const rows = (t: string) => readFileSync(join(out, `${t}.csv`), 'utf8').trim().split('\n');
  const inRing = recorded(r).js.length;
  assert.is(rows('js_calls').length - 1, inRing);
  assert.is(rows('js_waits').length - 1, inRing);
  assert.is(rows('js_apis').length - 1, 14);
  // The sites the ring's calls name (rationed: the first call after each pause, one in 256 else).
  assert.ok(rows('js_sites').length - 1 >= 1, rows('js_sites').join('\n'));
  assert.ok(rows('js_sites').slice(1).every((line) => line.includes('long.mjs:')), rows('js_sites').join('\n'));
  // js_counts: a row per file and API, each with the program's count.
  const head = rows('js_counts')[0]!.split(',');
  const got = rows('js_counts').slice(1).map((line) => line.split(',')).map((c) => [c[head.indexOf('path')], c[head.indexOf('kind')], Number(c[head.indexOf('calls')])]);
  const want = Object.entries(counts).flatMap(([f, perFile]) => Object.entries(perFile).map(([api, n]) => [f, `js:${api}`, n]));
  const key = (x: unknown[]) => `${x[0]} ${x[1]}`;
  assert.equal(got.sort((a, b) => key(a).localeCompare(key(b))), want.sort((a, b) => key(a).localeCompare(key(b))));
  assert.is(e.files.find((f) => f.table === 'js_counts')!.rows, 3);
});

test.run();
