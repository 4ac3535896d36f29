/*
 * ft_js.h — the library's entry points for the Node hook (ft_js.c), and the
 * one struct they share with its native addon (recorders/node/addon.c).
 *
 * The addon finds them by name with dlsym: in the process's global scope when
 * the library is preloaded (fsync-record --node, LD_PRELOAD), or in the copy
 * it loaded itself (RTLD_LOCAL) when it is not. So this header is also an ABI:
 * FT_JS_ABI changes whenever the struct or a signature does, and the addon
 * refuses a library whose fsync_trace_js_abi() differs (it then records nothing).
 */
#ifndef FT_JS_H
#define FT_JS_H

#include <stdint.h>

#define FT_JS_ABI 5

/* One JavaScript-level call, once it settled. */
struct ft_js_call {
    uint32_t api;       /* enum ft_js_api (ft_format.h) */
    int32_t fd;         /* the descriptor the call synced; -1 when it named a file */
    uint64_t start_ns;  /* CLOCK_MONOTONIC when the program made the call (fsync_trace_js_now) */
    uint64_t dur_ns;    /* until its callback ran / its promise settled / it returned;
                         * 0: until now (the call settles as it is recorded) */
    int32_t res;        /* 0, or -errno of the error the program got */
    uint32_t site;      /* a name id from fsync_trace_js_name, 0 when none */
    uint64_t bytes;     /* data written by a writeFile/appendFile, else 0 */
    const char *path;   /* the file a writeFile/appendFile named (fd is -1), or NULL */
    uint32_t loaded;    /* 1: the library was loaded by the addon, not preloaded:
                         * it sees no open or close, so descriptors are named afresh */
    uint32_t flags;     /* record flags the hook knows: FT_F_JS_SITE_INHERITED (ft_format.h) */
    uint64_t end_ns;    /* out: CLOCK_MONOTONIC when it was recorded (the hook's clock for free) */
    uint64_t *cur;      /* the caller's table of current summary entries (the library keeps
                         * them there: memory the caller touches anyway), or NULL */
    uint32_t cur_len;   /* its entries: a power of 2 */
};

/* FT_JS_ABI. */
int fsync_trace_js_abi(void);
/* CLOCK_MONOTONIC in ns, the clock of every record (cheap: the library's own). */
uint64_t fsync_trace_js_now(void);
/* Intern a call site ("file:line", len bytes): its name id, 0 when not recording. */
uint32_t fsync_trace_js_name(const char *name, uint32_t len);
/* The hook runs over this library, preloaded (it wraps the process's syncs):
 * from now on the fsyncs and fdatasyncs of threads that run no JavaScript
 * (libuv's pool) are kept, and the record of each fs.fsync, fs.fdatasync,
 * filehandle.sync and filehandle.datasync call names the one that served it
 * (FT_F_JS_LINKED, ft_link.h). Not to be called on a copy the addon loaded
 * itself (it wraps nothing). */
void fsync_trace_js_link(void);
/* Record one call: 0, 1 when c->site is about to leave the names store (intern
 * it again for the next call), -1 when not recording. Keeps errno. */
int fsync_trace_js_record(struct ft_js_call *c);

#endif /* FT_JS_H */
