/**
 * src/trace/layout.ts against the two other statements of the format:
 * recorders/ft_format.h, as the C compiler lays it out (test/recorders/layout_dump.c
 * prints every offset and size), and the tables of recorders/FORMAT.md.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as L from '../../src/trace/layout.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');

type Fields = Record<string, [offset: number, size: number]>;
interface Dump {
  header: Fields;
  event: Fields;
  path: Fields;
  summary: Fields;
  hist: Fields;
  cost: Fields;
  buckets: Array<[ns: number, bucket: number]>;
  sizeof: { ft_header: number; ft_event: number; ft_path_rec: number };
  magic: number[];
  constants: Record<string, number>;
}

let dumped: Dump | undefined;
/** The layout as compiled from ft_format.h. */
function c(): Dump {
  if (dumped) return dumped;
  const make = spawnSync('make', ['-s', '-C', join(ROOT, 'test/recorders'), 'build/layout_dump'], { encoding: 'utf8' });
  assert.is(make.status, 0, `make build/layout_dump: ${make.stderr}`);
  const out = spawnSync(join(ROOT, 'test/recorders/build/layout_dump'), { encoding: 'utf8' });
  assert.is(out.status, 0, out.stderr);
  return (dumped = JSON.parse(out.stdout) as Dump);
}

const camel = (s: string): string => s.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase());

/** C offsets by camelCase name. */
function offsets(fields: Fields): Record<string, number> {
  return Object.fromEntries(Object.entries(fields).map(([k, [off]]) => [camel(k), off]));
}

const COMMIT_WORD = ['seq', 'type', 'call', 'flags'];

/**
 * The `| offset | type | field |` rows of the first table after `heading` in
 * FORMAT.md, as field name -> [offset, size]. The field is the first word of
 * its cell ("seq — the low 32 bits" is seq); the path record's name row says
 * "the first 32 bytes of the name".
 */
function formatTable(heading: string): Fields {
  const md = readFileSync(join(ROOT, 'recorders/FORMAT.md'), 'utf8');
  const from = md.indexOf(`\n${heading}\n`);
  assert.ok(from >= 0, `FORMAT.md has "${heading}"`);
  const lines = md.slice(from + heading.length + 2).split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  const out: Fields = {};
  for (const line of lines.slice(start)) {
    if (!line.startsWith('|')) break;
    const m = /^\|\s*(\d+)\s*\|\s*([^|]*?)\s*\|\s*([^|]*?)\s*\|/.exec(line);
    if (!m) continue; // the heading and separator rows
    const [, off, type, cell] = m;
    const name = /bytes of the name/.test(cell!) ? 'name' : /^[a-z_]+/.exec(cell!)![0];
    out[name] = [Number(off), sizeOf(type!)];
  }
  return out;
}

function sizeOf(type: string): number {
  if (type === '') return 0;
  const arr = /^(?:u8|char)\[(\d+)\]$/.exec(type);
  if (arr) return Number(arr[1]);
  const scalar: Record<string, number> = { u8: 1, u16: 2, u32: 4, i32: 4, u64: 8 };
  assert.ok(type in scalar, `a known type: ${type}`);
  return scalar[type]!;
}

test('header offsets: ft_format.h and layout.ts name the same fields at the same offsets', () => {
  assert.equal(offsets(c().header), { ...L.HEADER });
});

test('event offsets: ft_format.h and layout.ts agree', () => {
  assert.equal(offsets(c().event), { ...L.EVENT });
});

test('path record offsets: ft_format.h and layout.ts agree; the commit word is shared', () => {
  const path = offsets(c().path);
  assert.equal(Object.fromEntries(Object.entries(path).filter(([k]) => !COMMIT_WORD.includes(k))), { ...L.PATH });
  assert.equal(Object.fromEntries(COMMIT_WORD.map((k) => [k, path[k]])), Object.fromEntries(COMMIT_WORD.map((k) => [k, L.EVENT[k as keyof typeof L.EVENT]])));
  assert.equal(c().path.name, [L.PATH.name, L.PATH_HEAD_BYTES]);
});

test('sizes: the header fits its page, records are 64 bytes, string fields match', () => {
  const { sizeof, header, constants } = c();
  assert.equal([sizeof.ft_event, sizeof.ft_path_rec, L.RECORD_SIZE, constants.FT_RECORD_SIZE], [64, 64, 64, 64]);
  assert.equal([L.HEADER_SIZE, constants.FT_HEADER_SIZE], [4096, 4096]);
  assert.ok(sizeof.ft_header <= L.HEADER_SIZE);
  assert.equal(Object.fromEntries(Object.keys(L.HEADER_STRING_SIZE).map((k) => [k, header[k.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`)]![1]])),
    { ...L.HEADER_STRING_SIZE });
  assert.equal([constants.FT_HOST_MAX, constants.FT_BOOT_ID_MAX, constants.FT_EXE_MAX, constants.FT_CMDLINE_MAX, constants.FT_RECORDER_VERSION_MAX],
    [L.HEADER_STRING_SIZE.host, L.HEADER_STRING_SIZE.bootId, L.HEADER_STRING_SIZE.exe, L.HEADER_STRING_SIZE.cmdline, L.HEADER_STRING_SIZE.recorderVersion]);
});

test('constants: magic, version, path pieces, flags', () => {
  const k = c().constants;
  assert.equal(c().magic, [...L.MAGIC]);
  assert.equal([k.FT_MAGIC_LEN, k.FT_VERSION], [L.MAGIC.length, L.VERSION]);
  assert.equal([k.FT_PATH_HEAD_BYTES, k.FT_PATH_CONT_BYTES, k.FT_PATH_MAX_LEN], [L.PATH_HEAD_BYTES, L.PATH_CONT_BYTES, L.PATH_MAX_LEN]);
  assert.is(L.PATH_CONT_OFFSET + L.PATH_CONT_BYTES, L.RECORD_SIZE, 'a continuation fills its record after the commit word');
  assert.equal([k.FT_HDR_ENDED, k.FT_HDR_FORKED, k.FT_HDR_DISABLED, k.FT_HDR_KERNEL, k.FT_HDR_IO_URING], [L.HDR_ENDED, L.HDR_FORKED, L.HDR_DISABLED, L.HDR_KERNEL, L.HDR_IO_URING]);
  assert.is(k.FT_COMM_MAX, L.HEADER_STRING_SIZE.comm);
  assert.equal([k.FT_F_WRITE_TIME_SAMPLED, k.FT_F_FD_RESOLVED, k.FT_F_NO_INTERVAL, k.FT_F_PATH_UNKNOWN, k.FT_F_LAST_CLOSE, k.FT_F_ALERT, k.FT_F_ALERT_SUPPRESSED, k.FT_F_KEPT,
    k.FT_F_CREATED, k.FT_F_OPEN_FILE, k.FT_F_AT_EXIT],
  [L.FLAG_WRITE_TIME_SAMPLED, L.FLAG_FD_RESOLVED, L.FLAG_NO_INTERVAL, L.FLAG_PATH_UNKNOWN, L.FLAG_LAST_CLOSE, L.FLAG_ALERT, L.FLAG_ALERT_SUPPRESSED, L.FLAG_KEPT,
    L.FLAG_CREATED, L.FLAG_OPEN_FILE, L.FLAG_AT_EXIT]);
  assert.is(L.FLAGS_KNOWN, k.FT_F_WRITE_TIME_SAMPLED! | k.FT_F_FD_RESOLVED! | k.FT_F_NO_INTERVAL! | k.FT_F_PATH_UNKNOWN! | k.FT_F_LAST_CLOSE! |
    k.FT_F_ALERT! | k.FT_F_ALERT_SUPPRESSED! | k.FT_F_KEPT! | k.FT_F_CREATED! | k.FT_F_OPEN_FILE! | k.FT_F_AT_EXIT!);
});

test('record types and call kinds: the same numbers and names', () => {
  const k = c().constants;
  assert.equal([k.FT_T_EMPTY, k.FT_T_PATH, k.FT_T_PATH_CONT, k.FT_T_SYNC, k.FT_T_OPEN, k.FT_T_CLOSE, k.FT_T_RENAME, k.FT_T_LINK, k.FT_T_UNLINK],
    [L.RecordType.Empty, L.RecordType.Path, L.RecordType.PathCont, L.RecordType.Sync, L.RecordType.Open, L.RecordType.Close, L.RecordType.Rename, L.RecordType.Link, L.RecordType.Unlink]);
  assert.equal(L.EVENT_TYPE_NAMES, {
    [k.FT_T_SYNC!]: 'sync', [k.FT_T_OPEN!]: 'open', [k.FT_T_CLOSE!]: 'close', [k.FT_T_RENAME!]: 'rename', [k.FT_T_LINK!]: 'link', [k.FT_T_UNLINK!]: 'unlink',
  });
  const fromC = Object.entries(k).filter(([n]) => n.startsWith('FT_C_') && n !== 'FT_C_MAX' && n !== 'FT_C_NONE')
    .map(([n, v]) => [v, n.slice(5).toLowerCase()] as const).sort((a, b) => a[0] - b[0]);
  assert.equal(fromC.map(([v, n]) => [v, L.CALL_NAMES[v]]), fromC.map(([v, n]) => [v, n]));
  assert.equal([k.FT_C_MAX, k.FT_C_NONE, L.CALL_NAMES[0]], [L.CALL_MAX, 0, '']);
  assert.is(fromC.length, L.CALL_MAX);
  // The Node hook's record: its type, its API numbers, where it names its call site.
  assert.equal([k.FT_T_JS, k.FT_JS_MAX, k['offsetof(struct ft_js_rec, site)']], [L.RecordType.Js, L.JS_API_MAX, L.JS_SITE]);
  // Its link to the sync that served it (flag 0x80, the u32 at 52).
  assert.equal([k['offsetof(struct ft_js_rec, link)'], k.FT_F_JS_LINKED], [L.JS_LINK, L.FLAG_JS_LINKED]);
  assert.equal([L.JS_API_NAMES[k.FT_JS_FSYNC!], L.JS_API_NAMES[k.FT_JS_FH_WRITE_STREAM!]], ['fs.fsync', 'filehandle.createWriteStream']);
});

test('summary-ring records: ft_format.h and layout.ts agree; the bucket function is the same', () => {
  const strip = (f: Fields): Record<string, number> => Object.fromEntries(Object.entries(offsets(f)).filter(([k]) => !COMMIT_WORD.includes(k)));
  assert.equal(strip(c().summary), { ...L.SUMMARY });
  assert.equal(strip(c().cost), { ...L.COST });
  assert.equal(c().hist.count, [L.HIST_OFFSET, 2 * L.HIST_PER_SLOT]);
  const k = c().constants;
  assert.equal([k.FT_T_SUMMARY, k.FT_T_SUMMARY_HIST, k.FT_T_COST], [L.RecordType.Summary, L.RecordType.SummaryHist, L.RecordType.Cost]);
  assert.equal([k.FT_SUMMARY_ENTRY_SLOTS, k.FT_HIST_BUCKETS, k.FT_HIST_PER_SLOT, k.FT_SUMMARY_MAX_CALLS],
    [L.SUMMARY_ENTRY_SLOTS, L.HIST_BUCKETS, L.HIST_PER_SLOT, L.SUMMARY_MAX_CALLS]);
  assert.equal([k.FT_SINK_OFF, k.FT_SINK_SYSLOG, k.FT_SINK_STDERR, k.FT_SINK_FILE].map((v) => L.ALERT_SINK_NAMES[v!]), ['off', 'syslog', 'stderr', 'file']);
  assert.equal(c().buckets.map(([ns]) => [ns, L.histBucket(ns)]), c().buckets);
});

test('FORMAT.md summary-ring tables: the offsets and sizes the compiler gives', () => {
  const commit = formatTable('## Records (64 bytes)');
  assert.equal({ ...commit, ...formatTable('### Summary (type 7; `call` is the call kind)') }, c().summary);
  assert.equal({ ...commit, ...formatTable('### Recorder cost (type 9; `call` is 0)') }, c().cost);
});

test('FORMAT.md header table: the offsets and sizes the compiler gives', () => {
  const md = formatTable('## Header (4096 bytes)');
  const { reserved, ...fields } = md;
  assert.equal(fields, c().header);
  assert.equal(reserved, [c().sizeof.ft_header, 0], 'reserved space starts where the struct ends');
});

test('FORMAT.md record tables: commit word, event and path record', () => {
  const commit = formatTable('## Records (64 bytes)');
  const event = formatTable('### Event records (types 3–6, 10–11)');
  const path = formatTable('### Path records (types 1–2)');
  assert.equal({ ...commit, ...event }, c().event);
  assert.equal({ ...commit, ...path }, c().path);
});

test('FORMAT.md prose: magic bytes, type and call numbers, flags', () => {
  const md = readFileSync(join(ROOT, 'recorders/FORMAT.md'), 'utf8');
  const magic = /`((?:[0-9A-F]{2} ){7}[0-9A-F]{2})`/.exec(md)![1]!.split(' ').map((h) => parseInt(h, 16));
  assert.equal(magic, [...L.MAGIC]);
  const types = /type — (0 empty, .*?rename)/.exec(md)![1]!;
  assert.is(types, '0 empty, 1 path, 2 path continuation, 3 sync, 4 open, 5 close, 6 rename');
  assert.match(md, /6 rename, 7 summary, 8 summary histogram, 9 recorder cost, 10 link, 11 unlink, 12 Node call \|/);
  const calls: Array<[number, string]> = [];
  for (const m of md.matchAll(/\|\s*(\d+)\s*\|\s*([a-z_]+)\s*\|\s*\|\s*(\d+)\s*\|\s*([a-z_]+)\s*\|/g)) {
    calls.push([Number(m[1]), m[2]!], [Number(m[3]), m[4]!]);
  }
  calls.sort((a, b) => a[0] - b[0]);
  assert.equal(calls, L.CALL_NAMES.slice(1).map((n, i) => [i + 1, n]));
  const flagsLine = /\nFlags: ([^]*?)\n\n/.exec(md)![1]!;
  const flags = [...flagsLine.matchAll(/`0x([0-9a-f]+)`/g)].map((m) => parseInt(m[1]!, 16));
  assert.equal(flags, [L.FLAG_WRITE_TIME_SAMPLED, L.FLAG_FD_RESOLVED, L.FLAG_NO_INTERVAL, L.FLAG_PATH_UNKNOWN, L.FLAG_LAST_CLOSE, L.FLAG_ALERT, L.FLAG_ALERT_SUPPRESSED, L.FLAG_KEPT,
    L.FLAG_CREATED, L.FLAG_OPEN_FILE, L.FLAG_AT_EXIT]);
  assert.match(flagsLine, /`0x10` \(close\) the file's last open descriptor/);
  assert.match(md, new RegExp(`continues in type-2 records with the next sequence\\s+numbers, ${L.PATH_CONT_BYTES} bytes each at offset ${L.PATH_CONT_OFFSET}`));
  assert.match(md, new RegExp(`\\| 52 \\| u32 \\| flags \\| ${L.HDR_ENDED} ended normally, ${L.HDR_FORKED} fork child, ${L.HDR_DISABLED} recording disabled after a failure, ${L.HDR_KERNEL} kernel-side source`));
});

test.run();
