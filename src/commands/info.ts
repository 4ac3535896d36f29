/** `info`: the trace files, the processes they recorded, and how complete they are. */
import { relative } from 'node:path';
import { bindings, DEFAULT_PARAMS } from '../db/params.js';
import { traceInfo } from '../db/summary.js';
import { count, json, table, when } from './format.js';
import { out, withSession, type LoadOptions } from './options.js';

export async function info(traces: string[], o: LoadOptions & { json?: boolean }): Promise<void> {
  const rows = await withSession(traces, o, (s) => traceInfo(s, bindings(DEFAULT_PARAMS)));
  if (o.json) {
    await out(json({
      traces: rows.map((t) => ({
        file: t.file, pid: t.pid, exe: t.exe, host: t.host, records: t.records,
        dropped: t.dropped, torn: t.torn, start: t.start, end: t.end,
      })),
    }));
    return;
  }
  await out(table(
    [
      { title: 'file' }, { title: 'host' }, { title: 'pid', align: 'right' }, { title: 'exe' },
      { title: 'records', align: 'right' }, { title: 'syncs', align: 'right' }, { title: 'dropped', align: 'right' },
      { title: 'torn', align: 'right' }, { title: 'start' }, { title: 'end' },
    ],
    rows.map((t) => [
      displayPath(t.file), t.host, String(t.pid), t.exe, count(t.records), count(t.syncs), count(t.dropped),
      t.torn ? 'yes' : 'no', when(t.start), when(t.end),
    ]),
  ));
}

/** A path relative to the working directory when that is shorter. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.length < file.length && !rel.startsWith('..') ? rel : file;
}
