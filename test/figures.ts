// Figures for RELIABILITY.md, written by the tests themselves.
//
// A test that proves a promise (no call lost under 16 threads, every fuzz case
// ended in a typed error, ...) calls `figure()` with what it tried and what
// held, numbers taken from the run. test/run.mjs collects the entries after a
// full run and writes RELIABILITY.md from them, so the figures in that file
// are always the last run's, never typed by hand.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const FIGURES_DIR = join(import.meta.dirname, '..', '.figures');

export interface Figure {
  /** The section of RELIABILITY.md, e.g. "Recorder under load". */
  area: string;
  /** A short name of the case, e.g. "16 threads". */
  case: string;
  /** What was tried, with the run's numbers. */
  tried: string;
  /** What held, with the run's numbers. */
  held: string;
}

export function figure(entry: Figure): void {
  mkdirSync(FIGURES_DIR, { recursive: true });
  const line = JSON.stringify({ ...entry, at: new Date().toISOString() });
  appendFileSync(join(FIGURES_DIR, `${process.pid}.jsonl`), `${line}\n`);
}
