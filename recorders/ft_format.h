/*
 * ft_format.h — the fsync trace file format, version 2.
 *
 * This header is the C half of the format; recorders/FORMAT.md is the
 * specification and src/trace/layout.ts is the TypeScript half. The test
 * test/trace/layout.test.ts compiles test/recorders/layout_dump.c, which
 * prints every offset below, and compares them with layout.ts, so the three
 * cannot drift apart silently.
 *
 * A trace is one file per process image:
 *
 *   [ header: FT_HEADER_SIZE bytes ][ ring: ring_slots records of 64 bytes ]
 *   [ keep ring: keep_slots ][ summary ring: summary_slots ][ names: names_slots ]
 *
 * The ring holds the newest raw records; the keep ring a copy of every sync
 * worth keeping longer (failed, alerted, outlier); the summary ring per
 * interval, per file and call kind, counts and a latency histogram; the
 * names region each path those two refer to, written once. Version 1 files
 * have the ring only (the header fields from 3288 on are zero).
 *
 * Everything is little-endian (the recorder refuses to build elsewhere).
 * Records are written into a shared mapping of the file; a record is valid
 * once its commit word (the first 8 bytes) has a non-zero type, and the
 * commit word is stored last, with release ordering.
 */
#ifndef FT_FORMAT_H
#define FT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the fsync trace format is little-endian; this recorder writes native structs"
#endif

/* 0x89 first, like PNG: a byte that is not ASCII, then a name, then CR LF so
 * that a text-mode transfer that mangles line ends is caught at the magic. */
#define FT_MAGIC "\x89" "FSYNC\r\n"
#define FT_MAGIC_LEN 8
#define FT_VERSION 2
#define FT_HEADER_SIZE 4096
#define FT_RECORD_SIZE 64

#define FT_HOST_MAX 72
#define FT_BOOT_ID_MAX 40
#define FT_EXE_MAX 1024
#define FT_CMDLINE_MAX 2048
#define FT_RECORDER_VERSION_MAX 16
#define FT_COMM_MAX 16

/* Header flags. */
#define FT_HDR_ENDED 0x1u       /* the process image ended normally (exit, _exit or exec) */
#define FT_HDR_FORKED 0x2u      /* this process is a fork child of parent_pid */
#define FT_HDR_DISABLED 0x4u    /* recording was switched off after a failure */
#define FT_HDR_KERNEL 0x8u      /* written kernel-side (fsync-record --kernel), not by this library */
#define FT_HDR_IO_URING 0x10u   /* the program set up an io_uring: its syncs there are not seen here */

/* A trace file's mode (FORMAT.md, "File mode"): 0600 while its image lives;
 * the sticky bit once it ended (exit, _exit, exec: ft_trace.c; the
 * kernel-side recorder's ended traces too), so a look at the directory
 * (ft_budget.c) tells it by the stat it makes of every trace anyway (Linux
 * ignores the sticky bit on a regular file). The setgid bit (without group
 * execute: inert on a data file, and never cleared by a write) says its
 * process dropped root's privileges (setuid and friends) and may no longer
 * change the mode when it ends: for such a trace of a live pid, the header
 * (FT_HDR_ENDED) decides. The header stays the truth. */
#define FT_TRACE_MODE 0600u
#define FT_TRACE_ENDED_BIT 01000u   /* S_ISVTX */
#define FT_TRACE_DROPPED_BIT 02000u /* S_ISGID */

struct ft_header {
    char magic[FT_MAGIC_LEN];      /*   0 FT_MAGIC */
    uint32_t version;              /*   8 FT_VERSION */
    uint32_t header_size;          /*  12 FT_HEADER_SIZE: the ring starts here */
    uint32_t record_size;          /*  16 FT_RECORD_SIZE */
    uint32_t ring_slots;           /*  20 number of record slots in the ring */
    /* Clock anchors, read together: realtime_ns is the wall clock at the
     * instant the monotonic clock read monotonic_ns. Every event time in the
     * trace is CLOCK_MONOTONIC; wall = realtime_ns + (t - monotonic_ns). */
    uint64_t realtime_ns;          /*  24 CLOCK_REALTIME, ns since the epoch */
    uint64_t monotonic_ns;         /*  32 CLOCK_MONOTONIC at the same instant */
    uint32_t pid;                  /*  40 */
    uint32_t ppid;                 /*  44 */
    uint32_t uid;                  /*  48 real uid */
    uint32_t flags;                /*  52 FT_HDR_*, updated with atomic or */
    /* Written by the recorder while it runs (atomics in the mapping). */
    uint64_t next_seq;             /*  56 sequence numbers handed out so far */
    uint64_t dropped;              /*  64 records that could not be written */
    uint64_t max_bytes;            /*  72 the size cap this file was made under */
    char recorder_version[FT_RECORDER_VERSION_MAX]; /*  80 NUL-terminated */
    char boot_id[FT_BOOT_ID_MAX];  /*  96 /proc/sys/kernel/random/boot_id */
    char host[FT_HOST_MAX];        /* 136 uname nodename */
    char exe[FT_EXE_MAX];          /* 208 readlink /proc/self/exe */
    uint32_t cmdline_len;          /* 1232 bytes used in cmdline (may be truncated) */
    uint32_t cmdline_truncated;    /* 1236 1 when the command line did not fit */
    char cmdline[FT_CMDLINE_MAX];  /* 1240 argv joined by NUL bytes */
    /* Version 2: the regions after the ring, and the always-on settings. */
    uint64_t keep_offset;          /* 3288 byte offset of the keep ring; 0 when absent */
    uint32_t keep_slots;           /* 3296 */
    uint32_t summary_slots;        /* 3300 a multiple of FT_SUMMARY_ENTRY_SLOTS */
    uint64_t summary_offset;       /* 3304 0 when absent */
    uint64_t names_offset;         /* 3312 0 when absent */
    uint32_t names_slots;          /* 3320 */
    uint32_t summary_interval_s;   /* 3324 */
    uint64_t keep_next;            /* 3328 keep sequence numbers handed out (live) */
    uint64_t summary_next;         /* 3336 summary entries handed out (live) */
    uint64_t names_next;           /* 3344 names slots used (live) */
    uint64_t names_dropped;        /* 3352 paths that did not fit (live) */
    uint32_t alert_ms;             /* 3360 absolute alert threshold; 0 off */
    uint32_t alert_factor;         /* 3364 relative rule: x the file's baseline p99; 0 off */
    uint32_t alert_min_ms;         /* 3368 a relative alert needs at least this */
    uint32_t alert_every_s;        /* 3372 at most one line per file in this many s */
    uint64_t alerts;               /* 3376 alert lines written (live) */
    uint64_t alerts_suppressed;    /* 3384 alerts not written (live) */
    uint32_t cost_period;          /* 3392 one call in this many is measured */
    uint32_t alert_sink;           /* 3396 enum ft_sink: the sink lines went to */
    /* Added without a version change (zero in earlier files). */
    uint64_t dir_max_bytes;        /* 3400 the budget; 0 when off */
    uint64_t dir_removed;          /* 3408 traces of ended processes it removed */
    uint64_t dir_removed_bytes;    /* 3416 their allocated bytes */
    uint32_t stop_reason;          /* 3424 enum ft_stop: why recording stopped (with FT_HDR_DISABLED) */
    uint32_t stop_errno;           /* 3428 the errno behind it, 0 when none */
    char comm[FT_COMM_MAX];        /* 3432 the process's name (comm): the basename it was exec'd by */
    uint64_t alerts_unsent;        /* 3448 alert lines no sink could take (live; also in alerts_suppressed) */
    uint64_t launch_id;            /* 3456 FSYNC_TRACE_LAUNCH: the fsync-record run this process is part of; 0 when none */
    uint64_t aside_offset;         /* 3464 summary entries' own names: byte offset, 0 when absent */
    uint32_t aside_slots;          /* 3472 2 slots per summary entry */
    /* 3476 .. 4095: zero, reserved for later versions (3476 pads the struct to 3480) */
};

/* Where alert lines go (header alert_sink). */
enum ft_sink {
    FT_SINK_OFF = 0,
    FT_SINK_SYSLOG = 1,
    FT_SINK_STDERR = 2,
    FT_SINK_FILE = 3,
    FT_SINK_FALLBACK = 4, /* the configured sink was missing: fsync-trace-alerts.log in the trace directory */
};

/* Why recording stopped (header stop_reason, with FT_HDR_DISABLED). */
enum ft_stop {
    FT_STOP_NONE = 0,
    FT_STOP_FULL = 1,       /* the file system is full (ENOSPC) */
    FT_STOP_GROW = 2,       /* the trace file could not grow (stop_errno) */
    FT_STOP_TRUNCATED = 3,  /* the trace file was truncated under the program (SIGBUS) */
    FT_STOP_REMOVED = 4,    /* the trace file was removed or replaced */
};

/* Record types: byte 4 of the commit word. 0 means the slot is empty. */
enum ft_type {
    FT_T_EMPTY = 0,
    FT_T_PATH = 1,       /* interns a path: first slot */
    FT_T_PATH_CONT = 2,  /* the following slots of a long path */
    FT_T_SYNC = 3,       /* a durability call */
    FT_T_OPEN = 4,
    FT_T_CLOSE = 5,
    FT_T_RENAME = 6,
    FT_T_SUMMARY = 7,    /* summary ring: an entry's first slot */
    FT_T_SUMMARY_HIST = 8, /* summary ring: an entry's histogram slots (call = 0, 1) */
    FT_T_COST = 9,       /* summary ring: the recorder's cost in an interval */
    FT_T_LINK = 10,      /* a hard link made: path_id = the existing name, writes = the new one */
    FT_T_UNLINK = 11,    /* a name removed (unlink, unlinkat): path_id = the name */
    FT_T_JS = 12,        /* a Node fs call as the program saw it (recorders/node): call = enum ft_js_api */
};

/* Durability calls: byte 5 of the commit word in FT_T_SYNC records. */
enum ft_call {
    FT_C_NONE = 0,
    FT_C_FSYNC = 1,
    FT_C_FDATASYNC = 2,
    FT_C_SYNC_FILE_RANGE = 3,
    FT_C_SYNCFS = 4,
    FT_C_SYNC = 5,
    FT_C_MSYNC = 6,
    FT_C_O_SYNC_WRITE = 7,     /* a write-family call on an O_SYNC descriptor */
    FT_C_O_DSYNC_WRITE = 8,    /* ... on an O_DSYNC descriptor */
    FT_C_RWF_SYNC_WRITE = 9,   /* pwritev2 with RWF_SYNC */
    FT_C_RWF_DSYNC_WRITE = 10, /* pwritev2 with RWF_DSYNC */
    FT_C_MAX = 10,
};

/* The Node hook's calls: byte 5 of the commit word in FT_T_JS records
 * (recorders/node/hook.cjs names them; the analyzer's kinds are "js:" + name). */
enum ft_js_api {
    FT_JS_NONE = 0,
    FT_JS_FSYNC = 1,              /* fs.fsync (callback) */
    FT_JS_FSYNC_SYNC = 2,         /* fs.fsyncSync */
    FT_JS_FDATASYNC = 3,          /* fs.fdatasync */
    FT_JS_FDATASYNC_SYNC = 4,     /* fs.fdatasyncSync */
    FT_JS_FH_SYNC = 5,            /* filehandle.sync() (fs.promises) */
    FT_JS_FH_DATASYNC = 6,        /* filehandle.datasync() */
    FT_JS_WRITE_FILE = 7,         /* fs.writeFile with flush: true */
    FT_JS_WRITE_FILE_SYNC = 8,    /* fs.writeFileSync with flush: true */
    FT_JS_APPEND_FILE = 9,        /* fs.appendFile with flush: true */
    FT_JS_APPEND_FILE_SYNC = 10,  /* fs.appendFileSync with flush: true */
    FT_JS_P_WRITE_FILE = 11,      /* fs.promises.writeFile with flush: true */
    FT_JS_P_APPEND_FILE = 12,     /* fs.promises.appendFile with flush: true */
    FT_JS_WRITE_STREAM = 13,      /* fs.createWriteStream with flush: true: its closing sync */
    FT_JS_FH_WRITE_STREAM = 14,   /* filehandle.createWriteStream with flush: true: its closing sync */
    FT_JS_MAX = 14,
};
/* A Node call's kind in the summary ring: FT_JS_SUMMARY_BASE + enum ft_js_api. */
#define FT_JS_SUMMARY_BASE 64

/* Record flags: bytes 6-7 of the commit word. */
#define FT_F_WRITE_TIME_SAMPLED 0x0001u /* write_us extrapolated from sampled writes */
#define FT_F_FD_RESOLVED 0x0002u        /* the fd was not seen opened; resolved via /proc */
#define FT_F_NO_INTERVAL 0x0004u        /* no write interval (sync, syncfs, unknown file) */
#define FT_F_PATH_UNKNOWN 0x0008u       /* the file could not be named (path_id is 0) */
#define FT_F_LAST_CLOSE 0x0010u         /* FT_T_CLOSE: the last descriptor of the file */
#define FT_F_ALERT 0x0020u              /* FT_T_SYNC: the call met an alert rule */
#define FT_F_ALERT_SUPPRESSED 0x0040u   /* ... and its line was not written */
#define FT_F_KEPT 0x0080u               /* FT_T_SYNC: copied to the keep ring */
#define FT_F_CREATED 0x0100u            /* FT_T_OPEN: the call created the file */
#define FT_F_OPEN_FILE 0x0200u          /* FT_T_RENAME/LINK: the file was open here; bytes = its unsynced bytes */
#define FT_F_AT_EXIT 0x0400u            /* FT_T_CLOSE: written at exit for a file left open with unsynced writes */
#define FT_F_JS_AT_SYSCALL 0x0010u      /* FT_T_JS, older traces only (nothing sets it now): timed from its system call's start */
#define FT_F_JS_TRACE_MADE 0x0020u      /* FT_T_JS: the trace was made during the call: that time is not in dur_ns */
#define FT_F_JS_SITE_INHERITED 0x0040u  /* FT_T_JS: its stack was not captured: the site is the one this
                                         * thread last captured for the same API (the hook samples stacks) */
#define FT_F_JS_LINKED 0x0080u          /* FT_T_JS: link holds the low 32 bits of start_ns of the sync record
                                         * (same fd, inside the call's window) whose system call served it */

/*
 * The event record. The meaning of the last 24 bytes depends on type/call:
 *
 *   type/call                   bytes           writes          ival_start_ns
 *   SYNC fsync, fdatasync,      bytes written   write calls     interval start
 *     sync writes               since last sync since last sync (last sync or open)
 *   SYNC sync_file_range        offset          flags           nbytes
 *   SYNC msync                  address         flags           length
 *   SYNC sync, syncfs           0               0               0
 *   OPEN                        0               open flags      0
 *   CLOSE                       unsynced bytes  unsynced writes interval start
 *   RENAME, LINK                unsynced bytes  new path id     interval start (path_id = old;
 *                               (FT_F_OPEN_FILE)                 FT_F_OPEN_FILE, else 0)
 *   UNLINK                      0               0               0   (path_id = the name)
 *
 * res follows the kernel's convention: the call's return value, or -errno
 * when it failed. Linux caps one transfer at 0x7ffff000 bytes, so a write's
 * return value always fits.
 */
struct ft_event {
    uint32_t seq;           /*  0 low 32 bits of the sequence number */
    uint8_t type;           /*  4 enum ft_type */
    uint8_t call;           /*  5 enum ft_call */
    uint16_t flags;         /*  6 FT_F_* */
    uint64_t start_ns;      /*  8 CLOCK_MONOTONIC when the call began */
    uint64_t dur_ns;        /* 16 how long the call took */
    uint32_t tid;           /* 24 */
    int32_t fd;             /* 28 -1 for sync(2) and msync(2) */
    uint32_t path_id;       /* 32 0 when unknown */
    int32_t res;            /* 36 return value or -errno */
    uint64_t bytes;         /* 40 */
    uint32_t writes;        /* 48 */
    uint32_t write_us;      /* 52 microseconds spent in the interval's writes */
    uint64_t ival_start_ns; /* 56 */
};

/*
 * The Node hook's record (FT_T_JS): an event record whose times are the
 * program's: start_ns when the JavaScript call was made, dur_ns until its
 * callback ran or its promise settled (a synchronous call: until it
 * returned). tid, fd, path_id and res as in an event (res 0, or -errno of the
 * error the program got); bytes: the data a writeFile/appendFile wrote (else
 * 0); site: the call site's name id (a "file:line" in the names region, like
 * a path), 0 when it was not captured. The write-interval fields are not used.
 */
struct ft_js_rec {
    uint32_t seq;           /*  0 */
    uint8_t type;           /*  4 FT_T_JS */
    uint8_t call;           /*  5 enum ft_js_api */
    uint16_t flags;         /*  6 FT_F_FD_RESOLVED, FT_F_PATH_UNKNOWN, FT_F_JS_AT_SYSCALL, FT_F_JS_TRACE_MADE, FT_F_JS_SITE_INHERITED,
                             *   FT_F_JS_LINKED */
    uint64_t start_ns;      /*  8 CLOCK_MONOTONIC when the program made the call */
    uint64_t dur_ns;        /* 16 how long the program waited */
    uint32_t tid;           /* 24 the JavaScript thread */
    int32_t fd;             /* 28 -1 when the call named a file, not a descriptor */
    uint32_t path_id;       /* 32 */
    int32_t res;            /* 36 0 or -errno */
    uint64_t bytes;         /* 40 */
    uint32_t site;          /* 48 the call site's name id; 0 not captured */
    uint32_t link;          /* 52 with FT_F_JS_LINKED: low 32 bits of its sync record's start_ns; else 0 */
    uint64_t made_ns;       /* 56 with FT_F_JS_TRACE_MADE: the making left out of dur_ns; else 0 */
};

/*
 * The path record: the first slot of a path. Its name continues in
 * FT_T_PATH_CONT slots with the following sequence numbers, 56 bytes each
 * (bytes 8..63). A path id is never reused for another name within a file;
 * a path record may be written again (the ring overwrites old ones), always
 * with the same content.
 */
struct ft_path_rec {
    uint32_t seq;           /*  0 */
    uint8_t type;           /*  4 FT_T_PATH */
    uint8_t call;           /*  5 0 */
    uint16_t flags;         /*  6 0 */
    uint32_t path_id;       /*  8 >= 1 */
    uint32_t len;           /* 12 bytes in the name, without a terminator */
    uint64_t dev;           /* 16 st_dev of the file when it was named */
    uint64_t ino;           /* 24 st_ino */
    char name[32];          /* 32 the first bytes of the name */
};

#define FT_PATH_HEAD_BYTES 32
#define FT_PATH_CONT_BYTES 56
#define FT_PATH_MAX_LEN 4096

/*
 * The summary ring: entries of FT_SUMMARY_ENTRY_SLOTS slots. Slot 0 is an
 * ft_summary (or an ft_cost), slots 1 and 2 ft_summary_hist with call = 0
 * and 1; all three carry the entry number's low 32 bits as seq. Counters are
 * updated in place with atomic adds while the interval lasts.
 */
#define FT_SUMMARY_ENTRY_SLOTS 3
/* The aside region: 2 slots per summary entry (slots 2 i and 2 i + 1 for
 * entry index i), a path record (head and one continuation: names of up to
 * 88 bytes) naming that entry's path, both slots carrying the entry's seq. */
#define FT_ASIDE_SLOTS 2
#define FT_HIST_BUCKETS 56
#define FT_HIST_PER_SLOT 28
#define FT_SUMMARY_MAX_CALLS 65535u /* an entry this full gives way to a new one */

struct ft_summary {
    uint32_t seq;               /*  0 entry number, low 32 bits */
    uint8_t type;               /*  4 FT_T_SUMMARY */
    uint8_t call;               /*  5 enum ft_call */
    uint16_t flags;             /*  6 0 */
    uint64_t interval_start_ns; /*  8 CLOCK_MONOTONIC, a multiple of the interval */
    uint32_t path_id;           /* 16 0 when the calls had no file */
    uint32_t calls;             /* 20 */
    uint32_t errors;            /* 24 */
    uint32_t alerts;            /* 28 */
    uint64_t sum_ns;            /* 32 */
    uint64_t max_ns;            /* 40 */
    uint64_t bytes;             /* 48 */
    uint32_t writes;            /* 56 */
    uint32_t kept;              /* 60 */
};

struct ft_summary_hist {
    uint32_t seq;               /*  0 */
    uint8_t type;               /*  4 FT_T_SUMMARY_HIST */
    uint8_t call;               /*  5 part: 0 buckets 0-27, 1 buckets 28-55 */
    uint16_t flags;             /*  6 0 */
    uint16_t count[FT_HIST_PER_SLOT]; /* 8 */
};

struct ft_cost {
    uint32_t seq;               /*  0 */
    uint8_t type;               /*  4 FT_T_COST */
    uint8_t call;               /*  5 0 */
    uint16_t flags;             /*  6 0 */
    uint64_t interval_start_ns; /*  8 */
    uint32_t period;            /* 16 one call in this many was measured */
    uint32_t samples;           /* 20 calls measured */
    uint64_t sampled_ns;        /* 24 recorder time in them, the real call excluded */
    uint64_t calls;             /* 32 intercepted calls, counted in batches of period */
    uint64_t sync_ns;           /* 40 time in sync calls */
    uint64_t sync_calls;        /* 48 */
    uint64_t reserved;          /* 56 0 */
};

/* The histogram bucket of a latency: half-octave steps of 1.024 us units,
 * bucket 55 holding everything from 206 s up (FORMAT.md, "Summary histogram"). */
static inline unsigned ft_hist_bucket(uint64_t ns)
{
    uint64_t x = ns >> 10;
    if (x < 2)
        return (unsigned)x;
    unsigned m = 63u ^ (unsigned)__builtin_clzll(x); /* the top bit's place: 63 - clz, one bsr */
    unsigned b = 2u * m + (unsigned)((x >> (m - 1)) & 1u);
    return b < FT_HIST_BUCKETS ? b : FT_HIST_BUCKETS - 1;
}

_Static_assert(sizeof(struct ft_header) <= FT_HEADER_SIZE, "header fits its page");
_Static_assert(offsetof(struct ft_header, alert_sink) == 3396, "header v2 layout");
_Static_assert(offsetof(struct ft_header, stop_reason) == 3424, "header layout");
_Static_assert(offsetof(struct ft_header, stop_errno) == 3428, "header layout");
_Static_assert(offsetof(struct ft_header, comm) == 3432, "header layout");
_Static_assert(offsetof(struct ft_header, alerts_unsent) == 3448, "header layout");
_Static_assert(offsetof(struct ft_header, launch_id) == 3456, "header layout");
_Static_assert(offsetof(struct ft_header, aside_offset) == 3464, "header layout");
_Static_assert(offsetof(struct ft_header, aside_slots) == 3472, "header layout");
_Static_assert(sizeof(struct ft_summary) == FT_RECORD_SIZE, "summary record is 64 bytes");
_Static_assert(sizeof(struct ft_summary_hist) == FT_RECORD_SIZE, "histogram record is 64 bytes");
_Static_assert(sizeof(struct ft_cost) == FT_RECORD_SIZE, "cost record is 64 bytes");
_Static_assert(FT_HIST_BUCKETS == 2 * FT_HIST_PER_SLOT, "two histogram slots");
_Static_assert(offsetof(struct ft_header, cmdline) == 1240, "header layout");
_Static_assert(sizeof(struct ft_event) == FT_RECORD_SIZE, "event record is 64 bytes");
_Static_assert(sizeof(struct ft_path_rec) == FT_RECORD_SIZE, "path record is 64 bytes");
_Static_assert(offsetof(struct ft_event, ival_start_ns) == 56, "event layout");
_Static_assert(offsetof(struct ft_path_rec, name) == 32, "path layout");
_Static_assert(sizeof(struct ft_js_rec) == FT_RECORD_SIZE, "js record is 64 bytes");
_Static_assert(offsetof(struct ft_js_rec, res) == offsetof(struct ft_event, res), "js record: an event's first fields");
_Static_assert(offsetof(struct ft_js_rec, site) == offsetof(struct ft_event, writes), "js record: the site is where a rename's new name is");

#endif /* FT_FORMAT_H */
