/** `summary`: per file, how many sync calls of each kind, how many failed, and how slow. */
import { bindings, DEFAULT_PARAMS } from '../db/params.js';
import { fileSummaries, totals } from '../db/summary.js';
import { bytes, count, json, kinds, ms, plural, table, uncountedLine, when } from './format.js';
import { out, withSession, type LoadOptions } from './options.js';

export async function summary(traces: string[], o: LoadOptions & { json?: boolean }): Promise<void> {
  const b = bindings(DEFAULT_PARAMS);
  const { files, all } = await withSession(traces, o, async (s) => ({ files: await fileSummaries(s, b), all: await totals(s, b) }));
  if (o.json) {
    await out(json({
      files: files.map((f) => ({
        path: f.path, calls: f.calls, by_kind: f.byKind, errors: f.errors, bytes: f.bytes,
        p50_ms: f.p50Ms, p99_ms: f.p99Ms, max_ms: f.maxMs,
      })),
      totals: {
        calls: all.calls, by_kind: all.byKind, errors: all.errors, processes: all.processes,
        summarized_only: all.summarizedOnly, unaccounted: all.unaccounted, uncounted_records: all.uncountedRecords,
      },
    }));
    return;
  }
  const manyHosts = all.hosts > 1;
  await out(table(
    [
      ...(manyHosts ? [{ title: 'host' }] : []), { title: 'path' }, { title: 'calls', align: 'right' as const },
      { title: 'errors', align: 'right' as const }, { title: 'bytes', align: 'right' as const },
      { title: 'p50 ms', align: 'right' as const }, { title: 'p99 ms', align: 'right' as const },
      { title: 'max ms', align: 'right' as const }, { title: 'by kind' },
    ],
    files.map((f) => [
      ...(manyHosts ? [f.host] : []), f.path, count(f.calls), count(f.errors), bytes(f.bytes),
      approx(f.approximate, ms(f.p50Ms)), approx(f.approximate, ms(f.p99Ms)), ms(f.maxMs), kinds(f.byKind),
    ]),
  ));
  await out(
    `\n${plural(all.calls, 'sync call')} (${kinds(all.byKind) || 'none'}), ${count(all.errors)} failed, ` +
    `on ${count(all.files)} file${all.files === 1 ? '' : 's'}, from ${count(all.processes)} process${all.processes === 1 ? '' : 'es'} on ${count(all.hosts)} host${all.hosts === 1 ? '' : 's'}\n`);
  if (all.summarizedOnly > 0) {
    await out(
      `${count(all.summarizedOnly)} of them only in the recorder's summaries, from ${when(all.historyStart)}; ` +
      `p50/p99 marked ~ are read off the summaries' half-octave histograms (within 1.22x)\n`);
  }
  if (all.unaccounted > 0) {
    await out(`${plural(all.unaccounted, 'more sync call')} happened (the recorder counted them) that no summary or record holds any more\n`);
  }
  if (all.uncountedRecords > 0) await out(`${uncountedLine(all.uncountedRecords, all.uncountedTraces)}\n`);
}

/** A quantile read off histograms rather than exact: '~' before it. */
function approx(approximate: boolean, text: string): string {
  return approximate && text !== '-' ? `~${text}` : text;
}
