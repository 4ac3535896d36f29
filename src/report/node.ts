/**
 * The Node hook's part of the report: the "Node call sites" table (what each
 * JavaScript call site waited for, beside what the system calls under it
 * took) and the sentence that says when a Node program's wait went to
 * queueing rather than to the disk. Every trace string through traceText().
 */
import type { ReportData, ReportNodeSite } from './data.js';
import { count, duration, percent, plural } from './format.js';
import { esc, traceText } from './html.js';
import { table, type Column } from './tables.js';

/**
 * When a site's wait is queueing: at least QUEUED_MIN_CALLS calls paired with
 * their system call (the first call of a process also pays for making its
 * trace), which spent at least half their wait outside it, a median wait at
 * least twice the median system call, and at least a millisecond more (below
 * that it is noise).
 */
export const QUEUED_SHARE = 0.5;
export const QUEUED_MIN_MS = 1;
export const QUEUED_MIN_CALLS = 3;

export function queued(s: ReportNodeSite): boolean {
  return s.paired >= QUEUED_MIN_CALLS && s.syncP50Ms !== null && (s.queuedShare ?? 0) >= QUEUED_SHARE &&
    s.waitP50Ms >= 2 * s.syncP50Ms && s.waitP50Ms - s.syncP50Ms >= QUEUED_MIN_MS;
}

function siteText(s: ReportNodeSite, max = 80): string {
  return s.site === null ? '<i>not captured</i>' : `<span class="path">${traceText(s.site, max)}</span>`;
}

/** "Queued, not the disk: ..." for the site whose queueing cost most, or '' when none queued. */
export function queueSentence(data: ReportData): string {
  const sites = (data.nodeSites ?? []).filter(queued);
  if (sites.length === 0) return '';
  const worst = sites.slice().sort((a, b) => (b.waitMs - b.syncMs) - (a.waitMs - a.syncMs))[0]!;
  const where = worst.site === null ? '' : ` at ${siteText(worst, 60)}`;
  const writes = /write|append/i.test(worst.kind) ? ', its own open and writes' : '';
  const more = sites.length > 1 ? ` ${plural(sites.length - 1, 'more call site')} too (Node call sites, below).` : '';
  return `<b>Queued, not the disk:</b> Node's <b>${traceText(worst.kind, 40)}</b>${where} waited ` +
    `<strong class="hot">${esc(duration(worst.waitP50Ms))}</strong> at the median (p99 ${esc(duration(worst.waitP99Ms))}) ` +
    `while its ${esc(worst.kind.includes('datasync') ? 'fdatasync' : 'fsync')} took ${esc(duration(worst.syncP50Ms))}: ` +
    `${esc(percent(worst.queuedShare))} of the wait was queued — for libuv's thread pool (4 threads unless UV_THREADPOOL_SIZE ` +
    `says otherwise)${writes} and the event loop — not spent on the disk.${more}`;
}

export function nodeSitesTable(data: ReportData): string {
  const rows = data.nodeSites ?? [];
  const columns: Column<ReportNodeSite>[] = [
    { head: 'Call site', cell: (r) => siteText(r) },
    { head: 'API', cell: (r) => traceText(r.kind, 40), nowrap: true },
    {
      head: 'Calls',
      cell: (r) => count(r.calls) + (r.site !== null && r.captured < r.calls ? ` (${count(r.captured)} sampled)` : '') +
        (r.errors > 0 ? ` (<strong class="hot">${count(r.errors)} failed</strong>)` : ''),
      num: true,
    },
    { head: 'Wait p50', cell: (r) => esc(duration(r.waitP50Ms)), num: true },
    { head: 'Wait p99', cell: (r) => esc(duration(r.waitP99Ms)), num: true },
    { head: 'Syscall p50', cell: (r) => (r.syncP50Ms === null ? '—' : esc(duration(r.syncP50Ms))), num: true },
    { head: 'Syscall p99', cell: (r) => (r.syncP99Ms === null ? '—' : esc(duration(r.syncP99Ms))), num: true },
    {
      head: 'Time queued',
      cell: (r) => (r.paired === 0 ? '—' : `${queued(r) ? '<strong class="hot">' : ''}${esc(duration(r.queuedMs + r.deliveryMs))} ` +
        `(${esc(percent(r.queuedShare))})${queued(r) ? '</strong>' : ''}`),
      num: true,
    },
    {
      head: 'Paired',
      cell: (r) => `${count(r.paired)} of ${count(r.calls)}` + (r.ambiguous > 0 ? ` (<strong class="hot">${count(r.ambiguous)} ambiguous</strong>)` : ''),
      num: true,
    },
  ];
  const note = '<p class="note">What each JavaScript call site waited for (from the call to its callback, its promise settling, or its return), ' +
    'beside the system call that did the work (the same process, file and kind, inside the call\'s window). ' +
    '<i>Time queued</i> is the paired calls\' wait outside the system call: before it (libuv\'s thread pool; a writeFile\'s open and writes) ' +
    'and after it (the event loop), with its share of their wait. A call with no system call paired ran without the preload library, ' +
    'through io_uring, or synced nothing (fs.promises.writeFile given a FileHandle ignores <code>flush</code>). ' +
    'A linked call (fs.fsync, fs.fdatasync, filehandle.sync and datasync, when the hook told the library which sync was its own) is paired with that sync, exactly. ' +
    'The others are paired in the order libuv\'s pool took them; where the calls of a file in flight together saw more syncs of it ' +
    'than they made (a worker thread without the hook, a native addon), those are set aside when a thread apart from the pool made them, ' +
    'and otherwise the calls are left unpaired, <i>ambiguous</i>, rather than each paired with the sync before its own. ' +
    'The hook samples stacks (a thread\'s first 64 calls, then one after a random count of calls that spreads each capture\'s cost ' +
    'at 25 ns a call, or at 1/32 of the time between calls beyond 1 ms when that is more: every call of a thread whose calls are 7.5 ms or more apart, after a burst from about 0.4 s after it): ' +
    'a call whose stack it did not capture is counted at the site its thread last captured for the same API, so a site\'s calls are exact for a program that ' +
    'syncs each API from one line or at most once per 7.5 ms, and otherwise an estimate from the <i>sampled</i> calls (in brackets), ' +
    'off by about &radic;(p(1&minus;p)/k) for a share p of a thread\'s calls and k of them sampled. ' +
    'Calls with no site at all are one row.</p>';
  return note + table('node-table', columns, rows, 'No Node call was recorded.');
}
