/*
 * ft_signal.c — a truncated trace must not kill the program (SIGBUS).
 *
 * Records go through a MAP_SHARED mapping of the trace file. If someone
 * truncates that file while the program runs (`truncate -s 0`, a log
 * cleaner, a full-disk script), the next store into a page now past the end
 * of the file raises SIGBUS in whichever thread made it (mmap(2): "SIGBUS
 * Attempted access to a portion of the buffer that does not correspond to
 * the file"). Nothing can stop someone else from truncating a file on tmpfs
 * (seals exist only for memfd), so the fault itself is made harmless:
 *
 *  - Our handler is installed for SIGBUS in the constructor. A fault whose
 *    si_addr lies inside the trace mapping (ft_ring_fault, ft_trace.c) maps
 *    anonymous memory over the whole mapping with MAP_FIXED (one syscall,
 *    async-signal-safe), stops recording (the file is gone anyway) and
 *    returns: the faulting store is retried, lands in the anonymous memory,
 *    and the program goes on as if nothing happened.
 *  - Any other SIGBUS is the program's and is handled exactly as without
 *    us: the program's own action is kept here and run with its flags
 *    (SA_SIGINFO or not, SA_RESETHAND, SA_NODEFER, sa_mask); SIG_DFL
 *    restores the default action and lets the signal take it (a fault is
 *    retried and kills as it would have, with a core; a sent signal is sent
 *    again); SIG_IGN ignores a sent signal and, like the kernel, lets a fault
 *    kill (force_sig_fault resets an ignored SIGBUS to SIG_DFL).
 *  - sigaction, signal, bsd_signal and sysv_signal are interposed for SIGBUS
 *    only: a program's handler (the JVM installs one) is remembered, not
 *    installed, and a query returns what the program set, as if it were
 *    installed. Our real registration mirrors the program's sa_mask and its
 *    SA_RESTART and SA_ONSTACK, so a handler runs with the mask, on the
 *    stack, and restarts the calls it would have.
 *
 * Why not something simpler: a recorder that checks the file size before
 * every store still races with the truncation; writing with pwrite instead
 * of a mapping would change the format's crash guarantee (a record must be
 * in the page cache the instant it is committed, without a syscall).
 *
 * What stays different, documented rather than hidden:
 *  - a thread that blocks SIGBUS when our store faults is killed: the
 *    kernel forces the default action for a blocked fault signal. Programs
 *    block SIGBUS rarely (PostgreSQL and the JVM do not), and only a
 *    truncation of the trace can make such a fault;
 *  - a program that installs its SIGBUS disposition with a raw
 *    rt_sigaction syscall replaces ours (it then loses the protection, and
 *    nothing else);
 *  - a program that ignores SIGBUS and is sent one by kill(2) while in a
 *    call that never restarts (nanosleep, poll, ...) sees EINTR, because a
 *    handler ran; exec keeps SIG_IGN as the program set it (ft_signal_exec);
 *    posix_spawn(3) resets handled signals in the child, so there a
 *    program's SIG_IGN for SIGBUS becomes SIG_DFL;
 *  - sigset(3), sigvec and the like are not interposed.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ft_table.h"
#include "ft_trace.h"

/* The program's action for SIGBUS, as glibc would report it had it been
 * installed. Two copies: a writer fills the one not current and publishes it
 * with one store, so our handler (which may interrupt the writer) always
 * reads a whole one. */
static struct sigaction ft_app[2];
static uint32_t ft_app_cur;
static uint32_t ft_app_writing;     /* a writer is filling the other copy */
static uint32_t ft_app_version;     /* odd while a copy is written (seqlock) */
static int ft_sig_on;               /* our handler is installed */
static int ft_added_flags;          /* flags glibc adds (SA_RESTORER on x86_64) */
static void (*ft_restorer)(void);   /* ... and the restorer it adds */

static void ft_sigbus(int sig, siginfo_t *si, void *uc);

/* Our registration, with the program's mask and its SA_RESTART/SA_ONSTACK.
 * SA_NODEFER: SIGBUS is blocked (or not) by us, as the program asked, right
 * before its handler runs (ft_sigbus). */
static int ft_install(const struct sigaction *app)
{
    struct sigaction k;
    memset(&k, 0, sizeof k);
    k.sa_sigaction = ft_sigbus;
    k.sa_mask = app->sa_mask;
    k.sa_flags = SA_SIGINFO | SA_NODEFER | (app->sa_flags & (SA_RESTART | SA_ONSTACK));
    return FT_REAL(sigaction)(SIGBUS, &k, NULL);
}

/* A whole copy: a reader that raced with two writers in a row (the second
 * filling the copy it was reading) reads again. Bounded: the writer may be
 * the very code this handler interrupted. */
static struct sigaction ft_app_get(void)
{
    struct sigaction a;
    for (int i = 0; i < 1000; i++) {
        uint32_t v = FT_LOAD_ACQ(&ft_app_version);
        a = ft_app[FT_LOAD_ACQ(&ft_app_cur) & 1];
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (!(v & 1) && FT_LOAD(&ft_app_version) == v)
            break;
    }
    return a;
}

/* Publish a new program action. Writers are the program's own sigaction
 * calls (rare) and our handler's SA_RESETHAND: a writer that finds another
 * one busy waits a little, never for long (that one may be the thread we
 * interrupted), then writes anyway. */
static void ft_app_set(const struct sigaction *a)
{
    for (int i = 0; i < 100000; i++) {
        uint32_t zero = 0;
        if (FT_CAS(&ft_app_writing, &zero, 1))
            break;
        __builtin_ia32_pause();
    }
    uint32_t next = (FT_LOAD(&ft_app_cur) + 1) & 1;
    FT_ADD(&ft_app_version, 1); /* odd: a copy is being written */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    ft_app[next] = *a;
    FT_STORE_REL(&ft_app_cur, next);
    __atomic_fetch_add(&ft_app_version, 1, __ATOMIC_RELEASE);
    FT_STORE_REL(&ft_app_writing, 0);
}

/* As glibc reports an action it installed: with its own flags and restorer. */
static void ft_app_normalize(struct sigaction *a)
{
    a->sa_flags |= ft_added_flags;
    if (ft_added_flags)
        a->sa_restorer = ft_restorer;
    sigdelset(&a->sa_mask, SIGKILL); /* the kernel never blocks these */
    sigdelset(&a->sa_mask, SIGSTOP);
}

static void ft_default_now(void)
{
    struct sigaction d;
    memset(&d, 0, sizeof d);
    d.sa_handler = SIG_DFL;
    FT_REAL(sigaction)(SIGBUS, &d, NULL);
    FT_STORE(&ft_sig_on, 0);
}

static void ft_sigbus(int sig, siginfo_t *si, void *uc)
{
    int saved = errno;
    /* si_code > 0: made by the kernel for a fault at si_addr (siginfo(2));
     * <= 0: sent by kill, tgkill or sigqueue, whose si_addr means nothing. */
    int fault = si && si->si_code > 0;
    if (fault && ft_ring_fault(si->si_addr)) {
        errno = saved;
        return; /* the store is retried, into anonymous memory */
    }
    struct sigaction a = ft_app_get();
    if (a.sa_handler == SIG_IGN) {
        if (fault)
            ft_default_now(); /* the kernel ignores no fault: it kills */
        errno = saved;
        return;
    }
    if (a.sa_handler == SIG_DFL) {
        ft_default_now();
        if (!fault) /* a sent signal: again, now to the default action */
            ft_syscall(SYS_tgkill, (pid_t)ft_syscall(SYS_getpid), (pid_t)ft_syscall(SYS_gettid), sig);
        errno = saved; /* a fault: the instruction is retried and faults again */
        return;
    }
    if (a.sa_flags & SA_RESETHAND) {
        /* As the kernel does (SA_ONESHOT): the handler goes back to SIG_DFL,
         * flags and mask stay as they were. */
        struct sigaction d = a;
        d.sa_handler = SIG_DFL;
        ft_app_set(&d);
    }
    if (!(a.sa_flags & SA_NODEFER)) {
        /* What the kernel would have added to the mask for the handler; the
         * mask in uc is restored on return (sigreturn), as always. */
        uint64_t bit = 1ull << (sig - 1);
        ft_syscall(SYS_rt_sigprocmask, SIG_BLOCK, &bit, NULL, sizeof bit);
    }
    errno = saved;
    if (a.sa_flags & SA_SIGINFO)
        a.sa_sigaction(sig, si, uc);
    else
        a.sa_handler(sig);
}

/* At load: remember what SIGBUS is now (another library's constructor may
 * have set it), install ours. Only when recording: a disabled recorder and
 * a setuid program (AT_SECURE) leave signals alone. */
__attribute__((constructor)) static void ft_signal_init(void)
{
    int mode = FT_LOAD(&ft_mode);
    if (mode == FT_MODE_UNREAD)
        mode = ft_config_load();
    if (mode != FT_MODE_ON || !FT_REAL(sigaction))
        return;
    struct sigaction cur, probe;
    if (FT_REAL(sigaction)(SIGBUS, NULL, &cur) != 0)
        return;
    if (ft_install(&cur) != 0 || FT_REAL(sigaction)(SIGBUS, NULL, &probe) != 0)
        return;
    ft_added_flags = probe.sa_flags & ~(SA_SIGINFO | SA_NODEFER | (cur.sa_flags & (SA_RESTART | SA_ONSTACK)));
    ft_restorer = probe.sa_restorer;
    ft_app[0] = cur; /* reported by glibc already: normalized */
    FT_STORE_REL(&ft_app_cur, 0);
    FT_STORE_REL(&ft_sig_on, 1);
}

/* exec(2) resets handled signals to SIG_DFL but keeps SIG_IGN: a program
 * that ignores SIGBUS passes that on, so right before exec the real
 * disposition becomes the program's, and ours again if exec fails. */
void ft_signal_exec(int begin)
{
    if (!FT_LOAD_ACQ(&ft_sig_on))
        return;
    struct sigaction a = ft_app_get();
    if (a.sa_handler != SIG_IGN)
        return;
    int saved = errno;
    if (begin)
        FT_REAL(sigaction)(SIGBUS, &a, NULL);
    else
        ft_install(&a);
    errno = saved;
}

/* ---- the interposed functions -------------------------------------------- */

FT_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *oact)
{
    if (sig != SIGBUS || !FT_LOAD_ACQ(&ft_sig_on))
        return FT_REAL(sigaction)(sig, act, oact);
    struct sigaction old = ft_app_get();
    if (act) {
        struct sigaction a = *act; /* read before oact is written: they may alias */
        ft_app_normalize(&a);
        if (ft_install(&a) != 0)
            return -1; /* errno from the real call */
        ft_app_set(&a);
    }
    if (oact)
        *oact = old;
    return 0;
}

/* signal(3) in glibc: BSD semantics (SA_RESTART, the signal blocked in its
 * handler). glibc's own signal() calls its internal sigaction directly, so
 * it must be interposed too. */
static __sighandler_t ft_signal_as(int sig, __sighandler_t h, int flags)
{
    struct sigaction a, old;
    if (h == SIG_ERR || sig <= 0 || sig >= NSIG) {
        errno = EINVAL;
        return SIG_ERR;
    }
    memset(&a, 0, sizeof a);
    a.sa_handler = h;
    sigemptyset(&a.sa_mask);
    if (!(flags & SA_NODEFER))
        sigaddset(&a.sa_mask, sig);
    a.sa_flags = flags;
    if (sigaction(sig, &a, &old) < 0)
        return SIG_ERR;
    return old.sa_handler;
}

FT_EXPORT __sighandler_t signal(int sig, __sighandler_t h)
{
    return ft_signal_as(sig, h, SA_RESTART);
}

FT_EXPORT __sighandler_t bsd_signal(int sig, __sighandler_t h)
{
    return ft_signal_as(sig, h, SA_RESTART);
}

/* System V semantics: reset to SIG_DFL on entry, not blocked in the handler. */
FT_EXPORT __sighandler_t sysv_signal(int sig, __sighandler_t h)
{
    return ft_signal_as(sig, h, SA_RESETHAND | SA_NODEFER);
}
