/*
 * addon.c — the Node hook's native binding (build/fsync_trace_node.node):
 * hands hook.cjs's records to the recorder library's entry points (ft_js.h).
 *
 * Node-API only (node_api.h, ABI-stable across Node versions): compiled by
 * recorders/Makefile with the C compiler against the running Node's own
 * headers; no node-gyp, nothing downloaded.
 *
 * Finding the library: when it is preloaded (fsync-record --node, or
 * LD_PRELOAD) its entry points are in the global scope, and the system calls
 * under each JavaScript call are recorded too. Otherwise the addon loads its
 * own copy from beside itself (RTLD_LOCAL: it interposes nothing), so the
 * JavaScript calls are still recorded, but not the system calls.
 *
 * The hot calls, record() and now(), take no arguments and return nothing:
 * hook.cjs writes the fields into a Float64Array over this module's own
 * buffer (one per thread that loads it: the main thread, each worker) and
 * reads the results from it, which costs far less than converting seven
 * arguments and a result.
 */
#define NAPI_VERSION 8
#include <dlfcn.h>
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../ft_js.h"

/* The fields of one record, as hook.cjs writes them; A_NOW is where now()
 * and record() put the clock (a double holds CLOCK_MONOTONIC's ns exactly for
 * 104 days of uptime, to 2 ns after); A_OUT is record()'s result (0, 1 when
 * the site's name is about to leave the names store, -1 not recorded);
 * A_FLAGS, the record's flags from the hook (FT_F_JS_SITE_INHERITED). */
enum { A_API, A_FD, A_START_NS, A_DUR_NS, A_RES, A_SITE, A_BYTES, A_NOW, A_OUT, A_FLAGS };
/* The buffer's size in doubles: the fields above, then hook.cjs's own state
 * (its call-site rationing), kept here to be on the same page, then, from
 * A_CUR, the library's table of current summary entries for this thread's
 * calls (ft_js_call.cur: 64-bit words the hook never reads). */
enum { A_CUR = 48, A_CUR_LEN = 16, A_COUNT = A_CUR + A_CUR_LEN };

/* This thread's buffer (the main thread's, or a worker's: each loads its own
 * instance of the module on its own thread), so the hot functions need no
 * napi_get_cb_info. A module's own thread-local variable costs a call to
 * __tls_get_addr and two more pages to touch (its TLS block is the dynamic
 * loader's): after a system call emptied the TLB, each is ~100 ns on this
 * project's VM. So the main thread's buffer is also in a plain variable,
 * found by the thread pointer (the main thread lives as long as the process:
 * its pointer is never another thread's while it is kept). */
static __thread double *ft_buf;
static void *ft_main_tp;
static double *ft_main_buf;

static inline double *ft_buffer(void)
{
    return __builtin_thread_pointer() == __atomic_load_n(&ft_main_tp, __ATOMIC_ACQUIRE) ? ft_main_buf : ft_buf;
}

static int (*ft_record)(struct ft_js_call *);
static uint64_t (*ft_clock)(void);
static uint32_t (*ft_name)(const char *, uint32_t);
static const char *ft_how = "";   /* "preload", "loaded", or "" (not recording) */
static int ft_loaded;

static void *ft_own_library(void)
{
    Dl_info info;
    if (!dladdr((void *)&ft_own_library, &info) || !info.dli_fname)
        return NULL;
    const char *slash = strrchr(info.dli_fname, '/');
    size_t dir = slash ? (size_t)(slash - info.dli_fname) + 1 : 0;
    static const char lib[] = "libfsync_recorder.so";
    char *path = malloc(dir + sizeof lib);
    if (!path)
        return NULL;
    memcpy(path, info.dli_fname, dir);
    memcpy(path + dir, lib, sizeof lib);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    free(path);
    return h;
}

/* Once per process (every thread's instance shares it). */
static void ft_find(void)
{
    void *h = RTLD_DEFAULT; /* (a null pointer: it means "the global scope") */
    const char *how = "preload";
    if (!dlsym(h, "fsync_trace_js_record")) {
        h = ft_own_library();
        how = "loaded";
        if (!h)
            return;
    }
    int (*abi)(void) = (int (*)(void))dlsym(h, "fsync_trace_js_abi");
    if (!abi || abi() != FT_JS_ABI)
        return;
    ft_name = (uint32_t (*)(const char *, uint32_t))dlsym(h, "fsync_trace_js_name");
    ft_clock = (uint64_t (*)(void))dlsym(h, "fsync_trace_js_now");
    ft_record = (int (*)(struct ft_js_call *))dlsym(h, "fsync_trace_js_record");
    if (!ft_name || !ft_record || !ft_clock) {
        ft_record = NULL;
        return;
    }
    ft_loaded = how[0] == 'l';
    /* Asked (FSYNC_TRACE_JS_LINK=1), the preloaded library keeps its pool
     * threads' syncs for the calls' records (ft_js.h): exact pairs, at a cost
     * to the JavaScript thread of ~120-400 ns an async call (the take reads
     * what pool threads wrote: docs/figures.md), so not by default; a copy of
     * our own wraps no system call. */
    void (*link)(void) = (void (*)(void))dlsym(h, "fsync_trace_js_link");
    const char *want = getenv("FSYNC_TRACE_JS_LINK");
    if (!ft_loaded && link && want && strcmp(want, "1") == 0)
        link();
    ft_how = how;
}

static napi_value ft_int(napi_env env, int32_t v)
{
    napi_value out;
    napi_create_int32(env, v, &out);
    return out;
}

/* A field as a count: x when it is a positive number under 2^63, else 0.
 * Tested on its bits and converted through int64_t: a double's conversion
 * to uint64_t compares it with 2^63 loaded from .rodata, one more page of
 * ours that each record walks after a system call (~100 ns on this VM). A
 * positive double is under 2^63 when its bits are under 2^63's, 0x43e0...;
 * 0, negatives and NaNs are not in (0, that). */
static inline uint64_t ft_count(double x)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    return bits - 1 < 0x43e0000000000000ull - 1 ? (uint64_t)(int64_t)x : 0;
}

static void ft_fill(struct ft_js_call *c, const double *a)
{
    memset(c, 0, sizeof *c);
    c->api = (uint32_t)a[A_API];
    c->fd = (int32_t)a[A_FD];
    c->start_ns = ft_count(a[A_START_NS]);
    c->dur_ns = ft_count(a[A_DUR_NS]);
    c->res = (int32_t)a[A_RES];
    c->site = (uint32_t)a[A_SITE];
    c->bytes = ft_count(a[A_BYTES]);
    c->loaded = (uint32_t)ft_loaded;
    c->flags = (uint32_t)a[A_FLAGS];
    c->cur = (uint64_t *)(a + A_CUR);
    c->cur_len = A_CUR_LEN;
}

static void ft_put(double *a, const char *path)
{
    struct ft_js_call c;
    ft_fill(&c, a);
    c.path = path;
    a[A_OUT] = ft_record(&c);
    if (c.end_ns)
        a[A_NOW] = (double)c.end_ns;
}

/*
 * record(): the fields in the buffer; the result and the clock at the record
 * go back into it. The hot call: one per JavaScript call, no arguments, no
 * return value, no Node-API call of its own (each is a few more pages to
 * touch after a system call emptied the TLB).
 */
static napi_value ft_js_record(napi_env env, napi_callback_info info)
{
    (void)env;
    (void)info;
    double *a = ft_buffer();
    if (a) {
        if (ft_record)
            ft_put(a, NULL);
        else
            a[A_OUT] = -1;
    }
    return NULL;
}

/* recordNamed(path): a call that named a file (writeFile by path). */
static napi_value ft_js_record_named(napi_env env, napi_callback_info info)
{
    size_t argc = 1;
    napi_value argv[1];
    double *a = ft_buffer();
    if (!a)
        return NULL;
    a[A_OUT] = -1;
    if (!ft_record || napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok)
        return NULL;
    char path[4096];
    size_t len = 0;
    if (argc >= 1 && napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) == napi_ok && len > 0 &&
        len < sizeof path - 1)
        ft_put(a, path);
    else
        ft_put(a, NULL);
    return NULL;
}

/* now(): the clock into the buffer (cheaper than returning a number). */
static napi_value ft_js_now(napi_env env, napi_callback_info info)
{
    (void)env;
    (void)info;
    double *a = ft_buffer();
    if (!a || !ft_clock)
        return NULL;
    a[A_NOW] = (double)ft_clock();
    return NULL;
}

/* cpu(): the calling thread's CPU time (ns): what a stack capture costs the
 * thread, however long it was preempted. */
static napi_value ft_js_cpu(napi_env env, napi_callback_info info)
{
    (void)info;
    struct timespec ts;
    napi_value out;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    napi_create_double(env, (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec, &out);
    return out;
}

/* name(site): the site's name id, 0 when not recording. */
static napi_value ft_js_name(napi_env env, napi_callback_info info)
{
    size_t argc = 1;
    napi_value argv[1];
    char buf[4096];
    size_t len = 0;
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || !ft_name ||
        napi_get_value_string_utf8(env, argv[0], buf, sizeof buf, &len) != napi_ok)
        return ft_int(env, 0);
    return ft_int(env, (int32_t)ft_name(buf, (uint32_t)len));
}

NAPI_MODULE_INIT()
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, ft_find);
    napi_value buf, fn, how;
    void *data = NULL;
    if (napi_create_arraybuffer(env, A_COUNT * sizeof(double), &data, &buf) != napi_ok)
        return NULL;
    /* Kept alive with the module: the record function reads through its pointer. */
    napi_ref keep;
    napi_create_reference(env, buf, 1, &keep);
    napi_set_named_property(env, exports, "buf", buf);
    ft_buf = data;
    if (syscall(SYS_gettid) == getpid() && !__atomic_load_n(&ft_main_tp, __ATOMIC_RELAXED)) {
        ft_main_buf = data;
        __atomic_store_n(&ft_main_tp, __builtin_thread_pointer(), __ATOMIC_RELEASE);
    }
    napi_create_function(env, "record", NAPI_AUTO_LENGTH, ft_js_record, NULL, &fn);
    napi_set_named_property(env, exports, "record", fn);
    napi_create_function(env, "recordNamed", NAPI_AUTO_LENGTH, ft_js_record_named, NULL, &fn);
    napi_set_named_property(env, exports, "recordNamed", fn);
    napi_create_function(env, "now", NAPI_AUTO_LENGTH, ft_js_now, NULL, &fn);
    napi_set_named_property(env, exports, "now", fn);
    napi_create_function(env, "cpu", NAPI_AUTO_LENGTH, ft_js_cpu, NULL, &fn);
    napi_set_named_property(env, exports, "cpu", fn);
    napi_create_function(env, "name", NAPI_AUTO_LENGTH, ft_js_name, NULL, &fn);
    napi_set_named_property(env, exports, "name", fn);
    napi_create_string_utf8(env, ft_how, NAPI_AUTO_LENGTH, &how);
    napi_set_named_property(env, exports, "how", how);
    return exports;
}
