// RELIABILITY.md as test/run.mjs writes it from the figures of one run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error: a plain ES module without types
import { AREAS, hostSummary, readFigures, renderReliability } from '../reliability.mjs';

const META = { command: 'npm test', date: '2026-11-26T04:00:00Z', commit: 'abc1234', host: '2 cores, Linux 6.1.0', result: '300 passed, 0 failed' };

test('areas in the fixed order, then others alphabetically; one table each; cells escaped', () => {
  const at = (n: number) => `2026-11-26T03:00:0${n}.000Z`;
  const text: string = renderReliability([
    { area: 'Report injection', case: 'paths', tried: '40 strings', held: 'none ran', at: at(1) },
    { area: 'Zeta', case: 'z', tried: 't', held: 'h', at: at(2) },
    { area: 'Recorder under load', case: '16 threads', tried: 'a | b', held: 'line\nbreak', at: at(3) },
    { area: 'Alpha', case: 'a', tried: 't', held: 'h', at: at(4) },
    { area: 'Report injection', case: 'hosts', tried: '8', held: 'all text', at: at(5) },
  ], META);
  const headings = text.split('\n').filter((l) => l.startsWith('## '));
  assert.equal(headings, ['## Recorder under load', '## Report injection', '## Alpha', '## Zeta']);
  assert.match(text, 'Produced by `npm test` at 2026-11-26T04:00:00Z, commit abc1234, on 2 cores, Linux 6.1.0.');
  assert.match(text, "the last full run's");
  assert.match(text, 'That run: 300 passed, 0 failed.');
  assert.match(text, '| 16 threads | a \\| b | line break |');
  const injection = text.slice(text.indexOf('## Report injection'), text.indexOf('## Alpha'));
  assert.equal(injection.split('\n').filter((l) => l.startsWith('| ')), ['| case | tried | held |', '| paths | 40 strings | none ran |', '| hosts | 8 | all text |']);
  assert.equal(AREAS.slice(4), ['Analyzer under bad input', 'Report injection']);
});

test('figures are read from every .jsonl file, in the order recorded; a cut line is skipped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fsync-figures-'));
  try {
    writeFileSync(join(dir, '2.jsonl'), `${JSON.stringify({ area: 'A', case: 'second', at: '2026-01-01T00:00:02Z' })}\n{"area": "A", "ca`);
    writeFileSync(join(dir, '1.jsonl'), `${JSON.stringify({ area: 'A', case: 'first', at: '2026-01-01T00:00:01Z' })}\n`);
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    assert.equal(readFigures(dir).map((e: { case: string }) => e.case), ['first', 'second']);
    assert.equal(readFigures(join(dir, 'missing')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the host summary names cores and kernel', () => {
  assert.match(hostSummary(), /^\d+ cores.*, Linux \d+\.\d+/);
});

test('an empty run says so', () => {
  assert.match(renderReliability([], META), 'No test recorded a figure in this run.');
});

test.run();
