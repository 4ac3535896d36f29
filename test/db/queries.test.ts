// The house form of queries/: a header that says what each query is for, reads,
// takes and gives; parameters named in the header are exactly those the SQL binds;
// lowercase; a pipeline of CTEs ending in `select * from final`.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { QUERIES_DIR, queries } from '../../src/db/queries.js';

const LOADED = ['events', 'events_context', 'filter_window', 'traces', 'paths', 'files', 'calls', 'event_types', 'summary_entries', 'summary_hist',
  'summary_buckets', 'recorder_cost', 'js_calls', 'js_sites', 'js_apis', 'js_summary_entries'];

test('the queries, in order', () => {
  assert.equal(queries().map((q) => q.file), [
    '10_intervals.sql', '12_counts.sql', '15_summaries.sql', '18_families.sql', '20_baselines.sql', '22_bursts.sql', '25_verdicts.sql', '30_outliers.sql', '40_incidents.sql', '50_file_stats.sql',
    '55_totals.sql', '56_js_waits.sql', '57_js_call_sites.sql', '58_js_files.sql', '59_js_counts.sql', '60_trace_info.sql', '62_daily.sql', '64_alerts.sql', '66_overhead.sql', '68_steady_cost.sql', '70_heat.sql', '80_points.sql',
    '90_lint_events.sql', '91_lint_syncs.sql', '92_lint_made_durable.sql', '93_lint_rename_before_sync.sql', '94_lint_dir_not_synced.sql',
    '95_lint_unsynced_at_close.sql', '96_lint_write_after_failed_sync.sql', '97_lint.sql',
  ]);
});

for (const q of queries()) {
  test(`${q.file}: header, parameters, form`, () => {
    const text = readFileSync(QUERIES_DIR + q.file, 'utf8');
    const header = text.match(/^(?:--.*\n)+/)![0];
    assert.match(header, new RegExp(`^-- ${q.name}: `));
    for (const field of ['purpose', 'inputs', 'parameters', 'output']) assert.match(header, new RegExp(`^-- ${field}:`, 'm'));
    const declared = /^-- parameters:\s*(.*)$/m.exec(header)![1]!.match(/\$[a-z_]+/g) ?? [];
    assert.equal([...declared].sort(), q.params.map((p) => `$${p}`).sort(), 'declared and bound parameters');
    const inputs = /^-- inputs:\s*(.*)$/m.exec(header)![1]!.split(/[\s,]+/).filter(Boolean);
    for (const input of inputs) assert.ok(LOADED.includes(input) || queries().some((o) => o.name === input), `input ${input}`);
    const body = text.slice(header.length).replace(/--.*$/gm, '').replace(/'[^']*'/g, "''");
    assert.is(body, body.toLowerCase(), 'lowercase');
    assert.match(body, /^\s*with\b/);
    assert.match(body, /\bfinal as \(/);
    assert.match(body, /\)\n\nselect \* from final\n$/);
  });
}

test.run();
