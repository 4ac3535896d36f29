#!/usr/bin/env node
// Runs the uvu suites and ends with the one line CI reads: "N passed, N failed".
// uvu prints "Total:", "Passed:" and "Skipped:" lines; anything else it says
// passes through untouched. Arguments narrow the run to a folder or pattern.
// After a run of the whole suite (no arguments; STRESS=1 too) it writes
// RELIABILITY.md from the figures the tests recorded in this run.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeReliability } from './reliability.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIGURES = join(ROOT, '.figures');
const whole = process.argv.length <= 2;
const [dir = 'test', pattern = '\\.test\\.ts$'] = process.argv.slice(2);
// Figures are this run's only.
rmSync(FIGURES, { recursive: true, force: true });
// NO_COLOR keeps uvu's output plain; a FORCE_COLOR from the caller would fight it.
const { FORCE_COLOR: _forced, ...env } = process.env;
const child = spawn('npx', ['uvu', '-r', 'tsx', dir, pattern], {
  env: { ...env, NO_COLOR: '1' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let out = '';
child.stdout.on('data', (chunk) => {
  out += chunk;
  process.stdout.write(chunk);
});
child.on('exit', (code, signal) => {
  const count = (label) => Number(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm').exec(out)?.[1] ?? 0);
  const total = count('Total');
  const passed = count('Passed');
  const skipped = count('Skipped');
  const failed = Math.max(total - passed - skipped, code === 0 && !signal ? 0 : 1);
  const summary = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
  if (whole) {
    writeReliability(ROOT, FIGURES, summary);
    process.stdout.write('\nwrote RELIABILITY.md\n');
  }
  process.stdout.write(`\n${summary}\n`);
  process.exitCode = code === 0 && failed === 0 ? 0 : 1;
});
