/**
 * npm run bench:verdicts [-- --only NAME] [-- --seed N]: the labelled verdict
 * scenarios (test/bench/verdicts/scenarios.ts), each a real recording with
 * slow or failing calls injected under the recorder by the slow-disk shim.
 * Prints per scenario: injected calls found, false outliers among the normal
 * calls, outliers excused (made under real contention, below the truth's bar,
 * or normal calls the machine held, as the shim timed them: neither slowed nor
 * normal), and whether the incidents' scope is right; then
 * the totals against the targets (recall >= 95 %, false outliers <= 0.5 % of
 * normal calls, scope right in every scenario).
 */
import { existsSync } from 'node:fs';
import { PGBENCH, buildShim, runPgbench, runScenario, scenarios, type Score } from './verdicts/scenarios.js';
import { requireProgram } from '../../scripts/workloads/common.js';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

const pct = (a: number, b: number) => (b === 0 ? '—' : `${((100 * a) / b).toFixed(b >= 1000 ? 2 : 1)} %`);

requireProgram('make', 'make');
buildShim();
const only = option('--only');
const seed = Number(option('--seed') ?? 1);
const scores: Score[] = [];
const rows: string[][] = [['scenario', 'calls', 'injected', 'found', 'false outliers', 'excused', 'incidents', 'scope', 'unjudged']];

function add(r: Score, scope: string | null): void {
  scores.push(r);
  rows.push([
    r.scenario, String(r.calls), String(r.injected), r.injected ? `${r.found} (${pct(r.found, r.injected)})` : '—',
    `${r.falseOutliers} (${pct(r.falseOutliers, r.normal)})`, String(r.excused), String(r.incidents),
    scope === null ? 'n/a (nothing injected)' : `${r.scopeRight ? 'right' : 'WRONG'}: ${r.scopes.join(', ') || 'none'}`,
    String(r.unjudged),
  ]);
}

for (const s of scenarios().filter((x) => !only || x.name === only)) {
  process.stderr.write(`${s.name}: ${s.what} ...\n`);
  add(await runScenario(s, seed), s.scope);
}
if ((!only || only === PGBENCH.name) && existsSync('/usr/lib/postgresql/15/bin/pgbench')) {
  process.stderr.write(`${PGBENCH.name}: ${PGBENCH.what} ...\n`);
  add(await runPgbench(), 'file');
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
process.stdout.write(`${line(rows[0]!)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${rows.slice(1).map(line).join('\n')}\n`);
const injected = scores.reduce((a, r) => a + r.injected, 0);
const found = scores.reduce((a, r) => a + r.found, 0);
const normal = scores.reduce((a, r) => a + r.normal, 0);
const falses = scores.reduce((a, r) => a + r.falseOutliers, 0);
const scoped = scores.filter((r) => r.injected > 0);
const scopeRight = scoped.filter((r) => r.scopeRight).length;
process.stdout.write(
  `\nrecall ${found}/${injected} = ${pct(found, injected)} (target >= 95 %); ` +
    `false outliers ${falses}/${normal} normal calls = ${pct(falses, normal)} (target <= 0.5 %); ` +
    `scope right in ${scopeRight}/${scoped.length} scenarios with injected calls\n`,
);
