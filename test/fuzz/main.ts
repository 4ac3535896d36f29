/**
 * npm run fuzz -- [--cases N] [--seed S] [--db N] [--reports N]
 * npm run fuzz -- --replay FILE
 *
 * A long fuzz campaign (100,000 cases by default) that prints figures rather
 * than passing or failing; failing cases are kept in .fuzz-failures/. With
 * --replay, runs one kept case (or any file) through the decoder and the
 * database and says what it came to.
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { cleanup, ROOT } from '../recorders/harness.js';
import { freshSeed } from './mutate.js';
import { decodeCase } from './oracle.js';
import { fuzz } from './runner.js';
import { allSeeds } from './seeds.js';
import { readFileSync } from 'node:fs';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '100000' },
    seed: { type: 'string' },
    db: { type: 'string', default: '1000' },
    reports: { type: 'string', default: '50' },
    replay: { type: 'string' },
  },
});

if (values.replay) {
  const o = decodeCase(new Uint8Array(readFileSync(values.replay)), values.replay);
  console.log(`${values.replay}: ${o.verdict}: ${o.detail} (${o.ms.toFixed(1)} ms, ${o.buffers} bytes of buffers)`);
  process.exitCode = o.verdict === 'crash' ? 1 : 0;
} else {
  const seed = values.seed !== undefined ? Number(values.seed) : freshSeed();
  const cases = Number(values.cases);
  const seeds = allSeeds();
  cleanup();
  console.log(`fuzz: seed ${seed}, ${cases.toLocaleString('en-US')} cases, ${seeds.length} seeds (${seeds.reduce((s, x) => s + x.bytes.length, 0).toLocaleString('en-US')} bytes)`);
  const r = await fuzz({
    seeds, seed, cases, dbCases: Number(values.db), reportCases: Number(values.reports),
    failDir: join(ROOT, '.fuzz-failures'), log: (l) => console.log(`  ${l}`),
  });
  const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
  console.log(`
cases            ${r.cases.toLocaleString('en-US')} (seed ${r.seed})
decoded          ${r.decoded.toLocaleString('en-US')}
refused          ${r.refused.toLocaleString('en-US')} (a one-line TraceError)
failures         ${r.failures.length}${r.failures.length ? ` (kept in .fuzz-failures/)` : ''}
time per case    ${r.msMean.toFixed(3)} ms mean, ${r.msMax.toFixed(1)} ms max
new buffers      ${mib(r.maxBuffers)} max, ${r.maxBuffersRatio.toFixed(2)}x the input at most (largest input ${mib(r.maxSize)})
heap growth      ${mib(r.maxHeap)} max per case
peak RSS         ${mib(r.peakRss)} (decode worker), ${mib(r.db.peakRss)} (DuckDB stage)
DuckDB stage     ${r.db.cases} cases: ${r.db.loaded} analyzed, ${r.db.refused} refused, ${r.db.reports} reports; ${r.db.msMean.toFixed(0)} ms mean, ${r.db.msMax.toFixed(0)} ms max
wall time        ${r.seconds.toFixed(1)} s`);
  for (const f of r.failures) console.log(`  case ${f.index} (${f.stage}, ${f.kind}): ${f.detail.split('\n')[0]}\n    ${f.file}`);
  process.exitCode = r.failures.length ? 1 : 0;
}
