// RELIABILITY.md from the figures the tests of one run recorded (test/figures.ts).
// test/run.mjs calls it after a run of the whole suite; a partial run never does.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';

/** Sections in this order; any other area follows, alphabetically. */
export const AREAS = [
  'Recorder under load',
  'Recorder crash',
  'Recorder exhaustion',
  'Hostile environment',
  'Analyzer under bad input',
  'Report injection',
];

/** Every entry in `dir`'s *.jsonl files, in the order they were recorded. */
export function readFigures(dir) {
  if (!existsSync(dir)) return [];
  const entries = [];
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort()) {
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        entries.push(JSON.parse(line));
      } catch {
        // a line cut by a killed test: nothing to show
      }
    }
  }
  return entries.sort((a, b) => String(a.at).localeCompare(String(b.at)));
}

function cell(text) {
  return String(text ?? '').replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function git(root, args) {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** A one-line description of this machine: cores, kernel, memory. */
export function hostSummary() {
  const cpu = cpus();
  const model = cpu[0]?.model?.replace(/\s+/g, ' ').trim();
  return `${cpu.length} cores${model ? ` (${model})` : ''}, Linux ${release()}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM`;
}

/** The document, from `entries` and what the run was. */
export function renderReliability(entries, { command, date, commit, host, result }) {
  const byArea = new Map();
  for (const e of entries) {
    const area = String(e.area ?? 'Other');
    if (!byArea.has(area)) byArea.set(area, []);
    byArea.get(area).push(e);
  }
  const order = [...AREAS.filter((a) => byArea.has(a)), ...[...byArea.keys()].filter((a) => !AREAS.includes(a)).sort()];
  const out = [
    '# Reliability',
    '',
    `Produced by \`${command}\` at ${date}, commit ${commit}, on ${host}. ` +
      `Every number below is the last full run's, written by the tests themselves (test/figures.ts); ` +
      `nothing here is typed by hand. That run: ${result}.`,
    '',
  ];
  if (order.length === 0) out.push('No test recorded a figure in this run.', '');
  for (const area of order) {
    out.push(`## ${area}`, '', '| case | tried | held |', '|---|---|---|');
    for (const e of byArea.get(area)) out.push(`| ${cell(e.case)} | ${cell(e.tried)} | ${cell(e.held)} |`);
    out.push('');
  }
  return out.join('\n');
}

/** Write RELIABILITY.md at `root` from the figures in `figuresDir`. */
export function writeReliability(root, figuresDir, result) {
  // RELIABILITY.md itself is rewritten by every full run: it does not make the tested tree dirty.
  const dirty = git(root, ['status', '--porcelain', '--untracked-files=no', '--', '.', ':!RELIABILITY.md']) !== '';
  const commit = (git(root, ['rev-parse', '--short', 'HEAD']) || 'unknown') + (dirty ? ' (with uncommitted changes)' : '');
  const text = renderReliability(readFigures(figuresDir), {
    command: process.env.STRESS === '1' ? 'npm run stress' : 'npm test',
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    commit,
    host: hostSummary(),
    result,
  });
  writeFileSync(join(root, 'RELIABILITY.md'), text);
}
