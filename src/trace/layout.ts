/**
 * The trace format, version 2: the TypeScript half of recorders/ft_format.h,
 * following the specification in recorders/FORMAT.md. The layout test compiles
 * a C program that prints the header's offsets and compares them with these.
 */

export const MAGIC = Uint8Array.of(0x89, 0x46, 0x53, 0x59, 0x4e, 0x43, 0x0d, 0x0a);
export const VERSION = 2;
/** The oldest version this reader still reads (the ring only). */
export const VERSION_MIN = 1;
export const HEADER_SIZE = 4096;
export const RECORD_SIZE = 64;

/** Byte offsets of the header fields. */
export const HEADER = {
  magic: 0,
  version: 8,
  headerSize: 12,
  recordSize: 16,
  ringSlots: 20,
  realtimeNs: 24,
  monotonicNs: 32,
  pid: 40,
  ppid: 44,
  uid: 48,
  flags: 52,
  nextSeq: 56,
  dropped: 64,
  maxBytes: 72,
  recorderVersion: 80,
  bootId: 96,
  host: 136,
  exe: 208,
  cmdlineLen: 1232,
  cmdlineTruncated: 1236,
  cmdline: 1240,
  // version 2
  keepOffset: 3288,
  keepSlots: 3296,
  summarySlots: 3300,
  summaryOffset: 3304,
  namesOffset: 3312,
  namesSlots: 3320,
  summaryIntervalS: 3324,
  keepNext: 3328,
  summaryNext: 3336,
  namesNext: 3344,
  namesDropped: 3352,
  alertMs: 3360,
  alertFactor: 3364,
  alertMinMs: 3368,
  alertEveryS: 3372,
  alerts: 3376,
  alertsSuppressed: 3384,
  costPeriod: 3392,
  alertSink: 3396,
  dirMaxBytes: 3400,
  dirRemoved: 3408,
  dirRemovedBytes: 3416,
  stopReason: 3424,
  stopErrno: 3428,
  comm: 3432,
  alertsUnsent: 3448,
  launchId: 3456,
  asideOffset: 3464,
  asideSlots: 3472,
} as const;

/** Where the recorder writes its alert lines (header alertSink). */
export const ALERT_SINK_NAMES: readonly string[] = ['off', 'syslog', 'stderr', 'file', 'fallback-file'];

/** Why recording stopped (header stopReason, with HDR_DISABLED), by number. */
export const STOP_REASONS: readonly string[] = ['', 'the file system is full', 'the trace file could not grow', 'the trace file was truncated under the program', 'the trace file was removed or replaced'];

/** Sizes of the header's string fields. */
export const HEADER_STRING_SIZE = {
  recorderVersion: 16,
  bootId: 40,
  host: 72,
  exe: 1024,
  cmdline: 2048,
  comm: 16,
} as const;

export const HDR_ENDED = 0x1;
export const HDR_FORKED = 0x2;
export const HDR_DISABLED = 0x4;
/** Written kernel-side (fsync-record --kernel, tracepoints), not by the preload library. */
export const HDR_KERNEL = 0x8;
/** The program set up an io_uring: its syncs there are not in the trace. */
export const HDR_IO_URING = 0x10;

/** A trace file's mode bits (FORMAT.md, "File mode"): the sticky bit once the image that wrote it ended. */
export const TRACE_MODE_ENDED = 0o1000;
/** The setgid bit: its process made it as root, then became another user; for a live pid the header decides. */
export const TRACE_MODE_DROPPED = 0o2000;

/** Byte offsets within a record; the first 8 bytes are the commit word. */
export const EVENT = {
  seq: 0,
  type: 4,
  call: 5,
  flags: 6,
  startNs: 8,
  durNs: 16,
  tid: 24,
  fd: 28,
  pathId: 32,
  res: 36,
  bytes: 40,
  writes: 48,
  writeUs: 52,
  ivalStartNs: 56,
} as const;

export const PATH = {
  pathId: 8,
  len: 12,
  dev: 16,
  ino: 24,
  name: 32,
} as const;

/** The summary record (type 7): slot 0 of a summary-ring entry. */
export const SUMMARY = {
  intervalStartNs: 8,
  pathId: 16,
  calls: 20,
  errors: 24,
  alerts: 28,
  sumNs: 32,
  maxNs: 40,
  bytes: 48,
  writes: 56,
  kept: 60,
} as const;

/** The recorder-cost record (type 9): slot 0 of a summary-ring entry. */
export const COST = {
  intervalStartNs: 8,
  period: 16,
  samples: 20,
  sampledNs: 24,
  calls: 32,
  syncNs: 40,
  syncCalls: 48,
  reserved: 56,
} as const;

/** Summary histogram slots (type 8): u16 counts from this offset. */
export const HIST_OFFSET = 8;
export const HIST_BUCKETS = 56;
export const HIST_PER_SLOT = 28;
export const SUMMARY_ENTRY_SLOTS = 3;
/** Slots per summary entry in the aside region (its own name: a path head and one continuation). */
export const ASIDE_SLOTS = 2;
export const SUMMARY_MAX_CALLS = 65535;

/**
 * The lower bound, in ns, of histogram bucket `k` (FORMAT.md, "Summary
 * histogram"): half-octave steps of 1.024 µs units; bucket 0 starts at 0.
 */
export function histBucketLowNs(k: number): number {
  if (k <= 1) return k * 1024;
  const m = k >> 1;
  return (2 ** m + (k & 1) * 2 ** (m - 1)) * 1024;
}

/** The bucket of a latency in ns, as the recorder computes it (ft_hist_bucket). */
export function histBucket(ns: number | bigint): number {
  const x = BigInt(ns) >> 10n;
  if (x < 2n) return Number(x);
  const m = x.toString(2).length - 1;
  const b = 2 * m + Number((x >> BigInt(m - 1)) & 1n);
  return Math.min(b, HIST_BUCKETS - 1);
}

export const PATH_HEAD_BYTES = 32;
export const PATH_CONT_OFFSET = 8;
export const PATH_CONT_BYTES = 56;
export const PATH_MAX_LEN = 4096;

export const enum RecordType {
  Empty = 0,
  Path = 1,
  PathCont = 2,
  Sync = 3,
  Open = 4,
  Close = 5,
  Rename = 6,
  Summary = 7,
  SummaryHist = 8,
  Cost = 9,
  Link = 10,
  Unlink = 11,
  /** A Node fs call as the program saw it (the Node hook): `call` is the API, `writes` the call site's name id. */
  Js = 12,
}

/** Names of the event record types, by type number (3..6, 10..11). */
export const EVENT_TYPE_NAMES: Readonly<Record<number, string>> = {
  3: 'sync',
  4: 'open',
  5: 'close',
  6: 'rename',
  10: 'link',
  11: 'unlink',
};

/**
 * Names of the durability calls, by call number. These are the `by_kind`
 * keys of `summary --json`: the libc names, and one name per kind of sync write.
 */
export const CALL_NAMES: readonly string[] = [
  '',
  'fsync',
  'fdatasync',
  'sync_file_range',
  'syncfs',
  'sync',
  'msync',
  'o_sync_write',
  'o_dsync_write',
  'rwf_sync_write',
  'rwf_dsync_write',
];
export const CALL_MAX = CALL_NAMES.length - 1;
/** A Node call's kind in the summary ring: this plus its API number (JS_API_NAMES). */
export const JS_SUMMARY_BASE = 64;

/**
 * The Node hook's APIs (FT_T_JS records' `call`, enum ft_js_api), by number.
 * The analyzer's kinds are `js:` + the name.
 */
export const JS_API_NAMES: readonly string[] = [
  '',
  'fs.fsync',
  'fs.fsyncSync',
  'fs.fdatasync',
  'fs.fdatasyncSync',
  'filehandle.sync',
  'filehandle.datasync',
  'fs.writeFile',
  'fs.writeFileSync',
  'fs.appendFile',
  'fs.appendFileSync',
  'fs.promises.writeFile',
  'fs.promises.appendFile',
  'fs.createWriteStream',
  'filehandle.createWriteStream',
];
export const JS_API_MAX = JS_API_NAMES.length - 1;
/** Where a JS record keeps its call site's name id (the event's `writes`). */
export const JS_SITE = 48;

export const FLAG_WRITE_TIME_SAMPLED = 0x1;
export const FLAG_FD_RESOLVED = 0x2;
export const FLAG_NO_INTERVAL = 0x4;
export const FLAG_PATH_UNKNOWN = 0x8;
export const FLAG_LAST_CLOSE = 0x10;
export const FLAG_ALERT = 0x20;
export const FLAG_ALERT_SUPPRESSED = 0x40;
export const FLAG_KEPT = 0x80;
/** (open) the call created the file. */
export const FLAG_CREATED = 0x100;
/** (rename, link) the file was open in the process: bytes holds its unsynced bytes. */
export const FLAG_OPEN_FILE = 0x200;
/** (close) written at exit for a file left open with unsynced writes. */
export const FLAG_AT_EXIT = 0x400;
export const FLAGS_KNOWN = 0x7ff;
/** (Node call, older traces only: no hook sets it now) a synchronous call timed from its system call's start (those hooks read no clock before it). */
export const FLAG_JS_AT_SYSCALL = 0x10;
/** (Node call) the trace was made during the call: that time is not in its wait. */
export const FLAG_JS_TRACE_MADE = 0x20;
/** (Node call) its stack was not captured: the site is the one its thread last captured for the same API. */
export const FLAG_JS_SITE_INHERITED = 0x40;
/**
 * (Node call) linked: the u32 at offset 52 (JS_LINK) is the low 32 bits of the start_ns of the
 * library's sync record for the system call that did this call's work (same fd, inside its window).
 */
export const FLAG_JS_LINKED = 0x80;
/** Where a JS record keeps its link (the event's `write_us`): with FLAG_JS_LINKED, else 0. */
export const JS_LINK = EVENT.writeUs;
/** The flags a JS record may carry. */
export const JS_FLAGS_KNOWN = FLAG_FD_RESOLVED | FLAG_PATH_UNKNOWN | FLAG_JS_AT_SYSCALL | FLAG_JS_TRACE_MADE | FLAG_JS_SITE_INHERITED | FLAG_JS_LINKED;
