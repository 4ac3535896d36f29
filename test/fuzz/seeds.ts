/**
 * The fuzzer's seeds: every trace in samples/ (real recordings of SQLite,
 * PostgreSQL, ZooKeeper, fio and Node), plus one trace recorded now by the
 * recorder built from this tree, so whatever format version it writes is
 * fuzzed too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT, run } from '../recorders/harness.js';
import type { Seed } from './mutate.js';

/** Every *.fstrace under samples/, in path order. */
export function sampleSeeds(): Seed[] {
  const dir = join(ROOT, 'samples');
  const out: Seed[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.fstrace')) out.push({ name: relative(ROOT, p), bytes: new Uint8Array(readFileSync(p)) });
    }
  };
  walk(dir);
  return out;
}

/**
 * A trace recorded now: test/recorders/calls (every sync kind, opens, closes,
 * renames, a failed call) under the recorder, in a 64 KiB ring.
 */
export function recordedSeed(): Seed {
  const r = run('calls', (d) => [d.data], { env: { FSYNC_TRACE_MAX_BYTES: String(64 * 1024) } });
  if (r.status !== 0 || r.files.length === 0) throw new Error(`recording the fresh seed failed: status ${r.status}, ${r.files.length} traces\n${r.stderr}`);
  const file = r.files[0]!;
  return { name: `recorded now: calls (${file})`, bytes: new Uint8Array(readFileSync(join(r.dirs.traces, file))) };
}

export function allSeeds(): Seed[] {
  return [...sampleSeeds(), recordedSeed()];
}
