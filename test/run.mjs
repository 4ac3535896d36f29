#!/usr/bin/env node
// Runs the uvu suites and ends with the one line CI reads: "N passed, N failed".
// uvu prints "Total:", "Passed:" and "Skipped:" lines; anything else it says
// passes through untouched. Arguments narrow the run to a folder or pattern.
import { spawn } from 'node:child_process';

const [dir = 'test', pattern = '\\.test\\.ts$'] = process.argv.slice(2);
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
  process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  process.exitCode = code === 0 && failed === 0 ? 0 : 1;
});
