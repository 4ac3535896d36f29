/**
 * A sample of fuzz cases through the real command line, as a user meets them:
 * `info --json` and `summary --json` on each, `report` on two. A case the
 * decoder accepted must exit 0 with JSON on stdout; a case it refused must
 * exit 1 with exactly the decoder's one-line message on stderr, nothing on
 * stdout, no stack trace, and no report file left behind.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { figure } from '../figures.js';
import { cleanup, ROOT } from '../recorders/harness.js';
import { freshSeed, makeCase } from './mutate.js';
import { decodeCase } from './oracle.js';
import { allSeeds } from './seeds.js';

const BIN = join(ROOT, 'bin/fsync-analyze.js');
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : freshSeed();
const EACH = 12; // cases the decoder accepts, and as many it refuses

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], cwd: string): Promise<Ran> {
  return new Promise((resolve) => {
    const { FORCE_COLOR: _forced, ...env } = process.env;
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000); // a hang shows as code null
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Run `jobs` two at a time (the VM has two cores). */
async function pool<T>(jobs: Array<() => Promise<T>>, width = 2): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  }));
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'fsync-fuzz-cli-'));
test.after(() => {
  rmSync(dir, { recursive: true, force: true });
  cleanup();
});

test(`fuzz cases through the CLI: exit 0 with JSON, or exit 1 with the decoder's one line`, async () => {
  console.log(`fuzz (cli): seed ${SEED} (FUZZ_SEED=${SEED} repeats this run)`);
  const seeds = allSeeds();
  const picked: Array<{ file: string; index: number; expect: string | null }> = [];
  let accepted = 0;
  let refused = 0;
  for (let i = 0; accepted + refused < 2 * EACH && i < 10_000; i++) {
    const c = makeCase(seeds, SEED, i);
    const file = join(dir, `case-${i}.fstrace`);
    const o = decodeCase(c.bytes, file);
    assert.is.not(o.verdict, 'crash', `seed ${SEED} case ${i}: ${o.detail}`);
    if (o.verdict === 'decoded') {
      if (accepted === EACH) continue;
      accepted++;
    } else {
      if (refused === EACH) continue;
      refused++;
    }
    writeFileSync(file, c.bytes);
    picked.push({ file, index: i, expect: o.verdict === 'decoded' ? null : o.detail });
  }
  assert.is(picked.length, 2 * EACH);

  // Each case through one of the two commands, in turn (both read every file the same way).
  const runs = await pool(picked.map((p, k) => {
    const cmd = k % 2 === 0 ? 'info' : 'summary';
    return async () => ({ ...p, cmd, r: await cli([cmd, '--json', p.file], dir) });
  }));
  for (const { file, index, expect, cmd, r } of runs) {
    const what = `seed ${SEED} case ${index}, ${cmd}: exit ${r.code}, stderr ${JSON.stringify(r.stderr.slice(0, 400))}`;
    assert.not.match(r.stderr, /\n\s+at /, `no stack trace: ${what}`);
    if (expect === null) {
      assert.is(r.code, 0, what);
      // A torn last record is a warning; nothing else is said.
      for (const line of r.stderr.split('\n').filter(Boolean)) assert.match(line, `fsync-analyze: warning: ${file}: torn last record`, what);
      const out = JSON.parse(r.stdout);
      if (cmd === 'info') assert.equal(out.traces.map((t: { file: string }) => t.file), [file], what);
      else assert.equal(Object.keys(out), ['files', 'totals'], what);
    } else {
      assert.equal([r.code, r.stdout, r.stderr], [1, '', `fsync-analyze: ${expect}\n`], what);
    }
  }

  // report: written whole when the case is read, not at all when it is refused.
  const good = picked.find((p) => p.expect === null)!;
  const bad = picked.find((p) => p.expect !== null)!;
  const [okRun, badRun] = await pool([good, bad].map((p) => () => cli(['report', '-q', p.file, '-o', `${p.file}.html`], dir)));
  assert.is(okRun!.code, 0, okRun!.stderr);
  assert.match(readFileSync(`${good.file}.html`, 'utf8'), /^<!doctype html>/i);
  assert.equal([badRun!.code, badRun!.stderr], [1, `fsync-analyze: ${bad.expect}\n`]);
  assert.not.ok(existsSync(`${bad.file}.html`), 'no report for a refused trace');
  assert.equal(readdirSync(dir).filter((f) => f.includes('.tmp')), [], 'no temporary file left');

  figure({
    area: 'Analyzer under bad input',
    case: 'mutated traces through the command line',
    tried: `${picked.length} cases (seed ${SEED}; ${EACH} the decoder read, ${EACH} it refused) through fsync-analyze info --json or summary --json (in turn), 2 through report`,
    held: `${runs.length + 2} of ${runs.length + 2} exited as predicted: 0 with JSON, or 1 with the decoder's one-line message and nothing on stdout; no stack trace; no report file for the refused case`,
  });
});

test.run();
