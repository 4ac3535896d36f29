/**
 * The first thing the report says: was it the disk or us? One sentence with
 * its evidence (scope, files, processes, when, how far from normal), then what
 * could not be judged, then what failed. Plain HTML fragments, every trace
 * string through traceText().
 */
import type { ReportData, ReportIncident } from './data.js';
import { count, duration, epochMs, plural, ratio, shortPath, time } from './format.js';
import { esc, traceText } from './html.js';

const SEVERITY = { device: 3, process: 2, file: 1 } as const;

/** The incident the sentence is about: failures first, then the widest scope, then the most outliers. */
export function mainIncident(incidents: ReportIncident[]): ReportIncident | null {
  const sorted = incidents.slice().sort((a, b) =>
    Number(b.cause === 'failed') - Number(a.cause === 'failed') ||
    SEVERITY[b.scope] - SEVERITY[a.scope] ||
    b.outliers - a.outliers || a.id - b.id);
  return sorted[0] ?? null;
}

function path(p: string): string {
  return `<span class="path">${traceText(shortPath(p, 60), 80)}</span>`;
}

function list(items: string[], max: number, render: (s: string) => string): string {
  const shown = items.slice(0, max).map(render);
  const more = items.length - shown.length;
  return shown.join(', ') + (more > 0 ? ` and ${count(more)} more` : '');
}

function when(i: ReportIncident): string {
  const span = epochMs(i.end) - epochMs(i.start);
  return `from <b>${esc(time(i.start).slice(11, 23))}</b> for <b>${esc(duration(Math.max(span, 0)))}</b>`;
}

function worst(i: ReportIncident): string {
  const far = i.worstRatio !== null && i.worstRatio >= 1 ? `, <strong class="hot">${esc(ratio(i.worstRatio))}</strong> its file's usual` : '';
  return `the worst call took <strong class="hot">${esc(duration(i.worstMs))}</strong>${far}`;
}

function programs(i: ReportIncident): string {
  return list(i.programs, 3, (p) => `<b>${traceText(p, 40)}</b>`);
}

/** The one sentence, about the main incident (or the absence of any). */
export function answerSentence(data: ReportData): string {
  const t = data.totals;
  const j = data.judgement;
  const main = mainIncident(data.incidents);
  if (!main) {
    if (j.judged === 0) return `<b>Cannot tell:</b> none of the ${plural(t.calls, 'sync call')} could be judged (see below why).`;
    const all = j.unjudged === 0 ? `any of the ${plural(j.judged, 'sync call')}` : `the ${plural(j.judged, 'judged call')}`;
    return `<b>Neither the disk nor a program:</b> none of ${all} was slow for its file, and none failed.`;
  }
  const others = data.incidents.length > 1 ? ` ${plural(data.incidents.length - 1, 'more incident')} below.` : '';
  const pids = main.pids.length === 1 ? ` (pid ${main.pids[0]})` : '';
  if (main.cause === 'failed') {
    const errs = main.errnos.length ? main.errnos.map((e) => `<strong class="hot">${traceText(e, 20)}</strong>`).join(', ') : 'an error';
    return `<b>Failed syncs:</b> ${plural(main.failed, 'call')} of ${list(main.paths, 2, path)} failed with ${errs} ` +
      `in ${programs(main)}${pids}, ${when(main)} (${scopeWords(main)}).${others}`;
  }
  if (main.scope === 'device') {
    return `<b>The disk:</b> ${count(main.processes)} of the ${count(main.activeProcesses)} processes syncing on ` +
      `${traceText(main.host, 40)}'s device (${programs(main)}) were slow at once on ${plural(main.families, 'file')}, ` +
      `${when(main)}; ${worst(main)}.${others}`;
  }
  const volume = main.cause === 'write-volume' ? ' after flushing far more bytes than usual (look at how it is written)' : '';
  if (main.scope === 'process') {
    const alone = main.activeProcesses <= main.processes
      ? `; no other process was syncing on that device then, so the disk is not ruled out`
      : `, while the other ${plural(main.activeProcesses - main.processes, 'process', 'processes')} syncing on the device were not`;
    return `<b>${main.processes === 1 ? 'One program' : 'Some programs'}, not the whole disk:</b> ${programs(main)}${pids} was slow on ` +
      `${list(main.paths, 3, path)}${volume}, ${when(main)}${alone}; ${worst(main)}.${others}`;
  }
  const alone = main.activeFamilies <= 1
    ? `; it was the only file syncing on that device then, so the disk is not ruled out`
    : `, while the other ${plural(main.activeFamilies - 1, 'file')} syncing on the device were not`;
  return `<b>One file, not the whole disk:</b> ${list(main.paths, 2, path)} (${programs(main)}) was slow${volume}, ` +
    `${when(main)}${alone}; ${worst(main)}.${others}`;
}

function scopeWords(i: ReportIncident): string {
  if (i.scope === 'device') return `${count(i.processes)} of ${count(i.activeProcesses)} processes on the device`;
  if (i.scope === 'process') return `one process, ${plural(i.families, 'file')}`;
  return 'one file';
}

const REASONS: Record<string, (minHistory: number) => string> = {
  'few calls': (m) => `their file family had fewer than ${count(m)} other calls to compare with, before them or in the rest of the ` +
    `recording, and their program synced fewer than that of other such files around them (a burst)`,
  'no file': () => 'they named no file (sync(), or a descriptor the recorder could not name)',
};

/** "N of M calls were not judged: why." or nothing when every call was. */
export function unjudgedSentence(data: ReportData): string {
  const j = data.judgement;
  if (j.unjudged === 0) return '';
  const why = Object.entries(j.reasons).sort((a, b) => b[1] - a[1])
    .map(([r, n]) => `${count(n)} because ${(REASONS[r] ?? (() => esc(r)))(data.params.minHistory)}`).join('; ');
  return `<b>${count(j.unjudged)} of ${plural(j.judged + j.unjudged, 'call')} not judged</b>: ${why}. ` +
    `They are in no verdict above, though a failed call or one over ${esc(duration(data.params.thresholdMs))} is still listed.`;
}

/** Failures grouped by errno, program and file, at most `max` lines. */
export function failureLines(data: ReportData, max = 3): string[] {
  const groups = new Map<string, { n: number; errno: string; program: string; pid: number; path: string; kind: string; first: string }>();
  for (const f of data.failures) {
    const key = `${f.errnoName}\u0000${f.program}\u0000${f.pid}\u0000${f.path}`;
    const g = groups.get(key);
    if (g) g.n += 1;
    else groups.set(key, { n: 1, errno: f.errnoName, program: f.program, pid: f.pid, path: f.path, kind: f.kind, first: f.start });
  }
  return [...groups.values()].sort((a, b) => b.n - a.n).slice(0, max).map((g) =>
    `<strong class="hot">${traceText(g.errno, 20)}</strong>${g.n > 1 ? ` ×${count(g.n)}` : ''}: ${traceText(g.kind, 30)} of ${path(g.path)} ` +
    `by <b>${traceText(g.program, 40)}</b> (pid ${g.pid}), first at ${esc(time(g.first).slice(11, 23))}`);
}
