/**
 * The trace format, version 1: the TypeScript half of recorders/ft_format.h,
 * following the specification in recorders/FORMAT.md. The layout test compiles
 * a C program that prints the header's offsets and compares them with these.
 */

export const MAGIC = Uint8Array.of(0x89, 0x46, 0x53, 0x59, 0x4e, 0x43, 0x0d, 0x0a);
export const VERSION = 1;
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
} as const;

/** Sizes of the header's string fields. */
export const HEADER_STRING_SIZE = {
  recorderVersion: 16,
  bootId: 40,
  host: 72,
  exe: 1024,
  cmdline: 2048,
} as const;

export const HDR_ENDED = 0x1;
export const HDR_FORKED = 0x2;
export const HDR_DISABLED = 0x4;

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
}

/** Names of the event record types, by type number (3..6). */
export const EVENT_TYPE_NAMES: Readonly<Record<number, string>> = {
  3: 'sync',
  4: 'open',
  5: 'close',
  6: 'rename',
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

export const FLAG_WRITE_TIME_SAMPLED = 0x1;
export const FLAG_FD_RESOLVED = 0x2;
export const FLAG_NO_INTERVAL = 0x4;
export const FLAG_PATH_UNKNOWN = 0x8;
export const FLAG_LAST_CLOSE = 0x10;
export const FLAGS_KNOWN = 0x1f;
