/*
 * layout_dump.c — the trace layout as the C compiler sees it, as JSON.
 *
 * usage: layout_dump
 *
 * Prints the offset and size of every field of struct ft_header, ft_event and
 * ft_path_rec from recorders/ft_format.h, the structs' sizes, and the
 * constants. test/trace/layout.test.ts compares them with src/trace/layout.ts
 * and recorders/FORMAT.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ft_format.h"

#define FIELD(type, f) \
    printf("%s\n    \"%s\": [%zu, %zu]", first ? "" : ",", #f, offsetof(struct type, f), \
           sizeof(((struct type *)0)->f)), first = 0

#define CONST(name) printf(",\n    \"%s\": %lld", #name, (long long)(name))

int main(void) {
    int first;

    printf("{\n  \"header\": {");
    first = 1;
    FIELD(ft_header, magic);
    FIELD(ft_header, version);
    FIELD(ft_header, header_size);
    FIELD(ft_header, record_size);
    FIELD(ft_header, ring_slots);
    FIELD(ft_header, realtime_ns);
    FIELD(ft_header, monotonic_ns);
    FIELD(ft_header, pid);
    FIELD(ft_header, ppid);
    FIELD(ft_header, uid);
    FIELD(ft_header, flags);
    FIELD(ft_header, next_seq);
    FIELD(ft_header, dropped);
    FIELD(ft_header, max_bytes);
    FIELD(ft_header, recorder_version);
    FIELD(ft_header, boot_id);
    FIELD(ft_header, host);
    FIELD(ft_header, exe);
    FIELD(ft_header, cmdline_len);
    FIELD(ft_header, cmdline_truncated);
    FIELD(ft_header, cmdline);
    FIELD(ft_header, keep_offset);
    FIELD(ft_header, keep_slots);
    FIELD(ft_header, summary_slots);
    FIELD(ft_header, summary_offset);
    FIELD(ft_header, names_offset);
    FIELD(ft_header, names_slots);
    FIELD(ft_header, summary_interval_s);
    FIELD(ft_header, keep_next);
    FIELD(ft_header, summary_next);
    FIELD(ft_header, names_next);
    FIELD(ft_header, names_dropped);
    FIELD(ft_header, alert_ms);
    FIELD(ft_header, alert_factor);
    FIELD(ft_header, alert_min_ms);
    FIELD(ft_header, alert_every_s);
    FIELD(ft_header, alerts);
    FIELD(ft_header, alerts_suppressed);
    FIELD(ft_header, cost_period);
    FIELD(ft_header, alert_sink);
    FIELD(ft_header, dir_max_bytes);
    FIELD(ft_header, dir_removed);
    FIELD(ft_header, dir_removed_bytes);
    FIELD(ft_header, stop_reason);
    FIELD(ft_header, stop_errno);
    FIELD(ft_header, comm);
    FIELD(ft_header, alerts_unsent);
    FIELD(ft_header, launch_id);
    FIELD(ft_header, aside_offset);
    FIELD(ft_header, aside_slots);
    printf("\n  },\n  \"event\": {");
    first = 1;
    FIELD(ft_event, seq);
    FIELD(ft_event, type);
    FIELD(ft_event, call);
    FIELD(ft_event, flags);
    FIELD(ft_event, start_ns);
    FIELD(ft_event, dur_ns);
    FIELD(ft_event, tid);
    FIELD(ft_event, fd);
    FIELD(ft_event, path_id);
    FIELD(ft_event, res);
    FIELD(ft_event, bytes);
    FIELD(ft_event, writes);
    FIELD(ft_event, write_us);
    FIELD(ft_event, ival_start_ns);
    printf("\n  },\n  \"path\": {");
    first = 1;
    FIELD(ft_path_rec, seq);
    FIELD(ft_path_rec, type);
    FIELD(ft_path_rec, call);
    FIELD(ft_path_rec, flags);
    FIELD(ft_path_rec, path_id);
    FIELD(ft_path_rec, len);
    FIELD(ft_path_rec, dev);
    FIELD(ft_path_rec, ino);
    FIELD(ft_path_rec, name);
    printf("\n  },\n  \"summary\": {");
    first = 1;
    FIELD(ft_summary, seq);
    FIELD(ft_summary, type);
    FIELD(ft_summary, call);
    FIELD(ft_summary, flags);
    FIELD(ft_summary, interval_start_ns);
    FIELD(ft_summary, path_id);
    FIELD(ft_summary, calls);
    FIELD(ft_summary, errors);
    FIELD(ft_summary, alerts);
    FIELD(ft_summary, sum_ns);
    FIELD(ft_summary, max_ns);
    FIELD(ft_summary, bytes);
    FIELD(ft_summary, writes);
    FIELD(ft_summary, kept);
    printf("\n  },\n  \"hist\": {");
    first = 1;
    FIELD(ft_summary_hist, seq);
    FIELD(ft_summary_hist, type);
    FIELD(ft_summary_hist, call);
    FIELD(ft_summary_hist, flags);
    FIELD(ft_summary_hist, count);
    printf("\n  },\n  \"cost\": {");
    first = 1;
    FIELD(ft_cost, seq);
    FIELD(ft_cost, type);
    FIELD(ft_cost, call);
    FIELD(ft_cost, flags);
    FIELD(ft_cost, interval_start_ns);
    FIELD(ft_cost, period);
    FIELD(ft_cost, samples);
    FIELD(ft_cost, sampled_ns);
    FIELD(ft_cost, calls);
    FIELD(ft_cost, sync_ns);
    FIELD(ft_cost, sync_calls);
    FIELD(ft_cost, reserved);
    printf("\n  },\n  \"buckets\": [");
    {
        static const uint64_t probe[] = {0, 1023, 1024, 2047, 2048, 3071, 3072, 4096, 6143, 6144,
                                         1000000, 999999999, 206158430207ull, 206158430208ull,
                                         1000000000000000ull};
        for (size_t i = 0; i < sizeof probe / sizeof probe[0]; i++)
            printf("%s[%llu, %u]", i ? ", " : "", (unsigned long long)probe[i], ft_hist_bucket(probe[i]));
    }
    printf("],\n  \"sizeof\": {\n    \"ft_header\": %zu,\n    \"ft_event\": %zu,\n"
           "    \"ft_path_rec\": %zu\n  },\n",
           sizeof(struct ft_header), sizeof(struct ft_event), sizeof(struct ft_path_rec));

    printf("  \"magic\": [");
    for (int i = 0; i < FT_MAGIC_LEN; i++) printf("%s%u", i ? ", " : "", (unsigned char)FT_MAGIC[i]);
    printf("],\n  \"constants\": {\n    \"FT_MAGIC_LEN\": %d", FT_MAGIC_LEN);
    CONST(FT_VERSION);
    CONST(FT_HEADER_SIZE);
    CONST(FT_RECORD_SIZE);
    CONST(FT_HOST_MAX);
    CONST(FT_BOOT_ID_MAX);
    CONST(FT_EXE_MAX);
    CONST(FT_CMDLINE_MAX);
    CONST(FT_RECORDER_VERSION_MAX);
    CONST(FT_HDR_ENDED);
    CONST(FT_HDR_FORKED);
    CONST(FT_HDR_DISABLED);
    CONST(FT_HDR_KERNEL);
    CONST(FT_HDR_IO_URING);
    CONST(FT_COMM_MAX);
    CONST(FT_T_EMPTY);
    CONST(FT_T_PATH);
    CONST(FT_T_PATH_CONT);
    CONST(FT_T_SYNC);
    CONST(FT_T_OPEN);
    CONST(FT_T_CLOSE);
    CONST(FT_T_RENAME);
    CONST(FT_T_JS);
    CONST(FT_JS_FSYNC);
    CONST(FT_JS_FH_WRITE_STREAM);
    CONST(FT_JS_MAX);
    CONST(offsetof(struct ft_js_rec, site));
    CONST(offsetof(struct ft_js_rec, link));
    CONST(FT_F_JS_LINKED);
    CONST(FT_C_NONE);
    CONST(FT_C_FSYNC);
    CONST(FT_C_FDATASYNC);
    CONST(FT_C_SYNC_FILE_RANGE);
    CONST(FT_C_SYNCFS);
    CONST(FT_C_SYNC);
    CONST(FT_C_MSYNC);
    CONST(FT_C_O_SYNC_WRITE);
    CONST(FT_C_O_DSYNC_WRITE);
    CONST(FT_C_RWF_SYNC_WRITE);
    CONST(FT_C_RWF_DSYNC_WRITE);
    CONST(FT_C_MAX);
    CONST(FT_F_WRITE_TIME_SAMPLED);
    CONST(FT_F_FD_RESOLVED);
    CONST(FT_F_NO_INTERVAL);
    CONST(FT_F_PATH_UNKNOWN);
    CONST(FT_F_LAST_CLOSE);
    CONST(FT_F_ALERT);
    CONST(FT_F_ALERT_SUPPRESSED);
    CONST(FT_F_KEPT);
    CONST(FT_F_CREATED);
    CONST(FT_F_OPEN_FILE);
    CONST(FT_F_AT_EXIT);
    CONST(FT_T_SUMMARY);
    CONST(FT_T_SUMMARY_HIST);
    CONST(FT_T_COST);
    CONST(FT_T_LINK);
    CONST(FT_T_UNLINK);
    CONST(FT_SUMMARY_ENTRY_SLOTS);
    CONST(FT_HIST_BUCKETS);
    CONST(FT_HIST_PER_SLOT);
    CONST(FT_SUMMARY_MAX_CALLS);
    CONST(FT_SINK_OFF);
    CONST(FT_SINK_SYSLOG);
    CONST(FT_SINK_STDERR);
    CONST(FT_SINK_FILE);
    CONST(FT_PATH_HEAD_BYTES);
    CONST(FT_PATH_CONT_BYTES);
    CONST(FT_PATH_MAX_LEN);
    printf("\n  }\n}\n");
    return 0;
}
