/*
 * thread_cpu.node — npm run bench:node's clock: the calling thread's CPU
 * time in ns (clock_gettime(CLOCK_THREAD_CPUTIME_ID), which brings the
 * scheduler's count up to date; /proc/thread-self/schedstat and
 * getrusage(RUSAGE_THREAD) lag it by up to a tick, too coarse for blocks of
 * a few milliseconds). Node has no such clock before 23.9
 * (process.threadCpuUsage). test/bench/node.ts compiles it against the
 * running Node's headers, as recorders/Makefile compiles the hook's addon.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <time.h>

static napi_value ft_thread_ns(napi_env env, napi_callback_info info)
{
    (void)info;
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    napi_value out;
    napi_create_double(env, (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec, &out);
    return out;
}

NAPI_MODULE_INIT()
{
    napi_value fn;
    napi_create_function(env, "threadNs", NAPI_AUTO_LENGTH, ft_thread_ns, NULL, &fn);
    napi_set_named_property(env, exports, "threadNs", fn);
    return exports;
}
