/** `summary`: per file, how many sync calls of each kind, how many failed, and how slow. */
import { bindings, DEFAULT_PARAMS } from '../db/params.js';
import { fileSummaries, jsFiles, totals, type JsFile } from '../db/summary.js';
import { bytes, count, json, kinds, ms, plural, table, uncountedLine, when } from './format.js';
import { out, withSession, type LoadOptions } from './options.js';

export async function summary(traces: string[], o: LoadOptions & { json?: boolean }): Promise<void> {
  const b = bindings(DEFAULT_PARAMS);
  const { files, all, js } = await withSession(traces, o, async (s) => ({
    files: await fileSummaries(s, b), all: await totals(s, b), js: await jsFiles(s, b),
  }));
  const jsOf = new Map(js.map((j) => [`${j.host}\0${j.path}`, j]));
  const jsJson = (j: JsFile | undefined) => (j ? { js: { calls: j.calls, wait_p50_ms: j.waitP50Ms, wait_p99_ms: j.waitP99Ms, ambiguous: j.ambiguous } } : {});
  // Files only the Node hook named (the library was not preloaded): no sync calls of their own.
  const jsOnly = js.filter((j) => !files.some((f) => f.host === j.host && f.path === j.path));
  if (o.json) {
    await out(json({
      files: [
        ...files.map((f) => ({
          path: f.path, calls: f.calls, by_kind: f.byKind, errors: f.errors, bytes: f.bytes,
          p50_ms: f.p50Ms, p99_ms: f.p99Ms, max_ms: f.maxMs, quantiles: f.approximate ? 'histograms' : 'exact', ...jsJson(jsOf.get(`${f.host}\0${f.path}`)),
        })),
        ...jsOnly.map((j) => ({ path: j.path, calls: 0, by_kind: {}, errors: 0, bytes: 0, p50_ms: null, p99_ms: null, max_ms: null, quantiles: null, ...jsJson(j) })),
      ],
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
  if (js.length > 0) {
    await out(`\nNode calls (the program's wait; not counted as sync calls above):\n`);
    await out(table(
      [
        ...(manyHosts ? [{ title: 'host' }] : []), { title: 'path' }, { title: 'calls', align: 'right' as const },
        { title: 'errors', align: 'right' as const }, { title: 'wait p50 ms', align: 'right' as const },
        { title: 'wait p99 ms', align: 'right' as const }, { title: 'by kind' },
      ],
      js.map((j) => [...(manyHosts ? [j.host] : []), j.path, count(j.calls), count(j.errors), ms(j.waitP50Ms), ms(j.waitP99Ms), kinds(j.byKind)]),
    ));
    const ambiguous = js.filter((j) => j.ambiguous > 0);
    if (ambiguous.length > 0) {
      await out(
        `${plural(ambiguous.reduce((n, j) => n + j.ambiguous, 0), 'Node call')} on ${plural(ambiguous.length, 'file')} left unpaired with a system call: ` +
        `syncs of the file no Node call asked for (a worker without the hook, a native addon) ran among them on the thread pool\n`);
    }
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
