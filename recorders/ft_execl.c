/*
 * ft_execl.c — the OWN entries execl, execlp and execle (ft_table.h), in the
 * wrappers' layer: the list forms of exec, which end up in the vector forms
 * ft_wrappers.c generates (FT_WRAP_EXEC), where the header is flagged.
 */
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>

#include "ft_table.h"

/* The list forms cannot pass their arguments on; like glibc's own, they
 * gather them into a vector on the stack (execl(3): the list ends with a
 * null pointer, and execle's environment follows it) and go through the
 * vector form (ft_wrappers.c), which does the flagging. */
static size_t ft_count_args(va_list ap)
{
    size_t n = 1; /* arg0, already taken */
    while (va_arg(ap, const char *) != NULL)
        n++;
    return n;
}

/* argv[0] = arg0, then the n - 1 arguments and the null that end the list,
 * taken from *ap (a pointer, so that execle can read on to its envp). */
static void ft_gather_args(const char **argv, const char *arg0, size_t n, va_list *ap)
{
    argv[0] = arg0;
    for (size_t i = 1; i <= n; i++)
        argv[i] = va_arg(*ap, const char *);
}

/* In a list form's body: counts the list, then declares argv (on the stack)
 * and fills it; ap is left open on what follows the list (execle's envp). */
#define FT_LIST_TO_ARGV(argv, arg, ap)          \
    va_list ap;                                 \
    va_start(ap, arg);                          \
    size_t ft_nargs = ft_count_args(ap);        \
    va_end(ap);                                 \
    const char *argv[ft_nargs + 1];             \
    va_start(ap, arg);                          \
    ft_gather_args(argv, arg, ft_nargs, &ap)

FT_EXPORT int execl(const char *path, const char *arg, ...)
{
    FT_LIST_TO_ARGV(argv, arg, ap);
    va_end(ap);
    return execv(path, (char *const *)argv);
}

FT_EXPORT int execlp(const char *file, const char *arg, ...)
{
    FT_LIST_TO_ARGV(argv, arg, ap);
    va_end(ap);
    return execvp(file, (char *const *)argv);
}

FT_EXPORT int execle(const char *path, const char *arg, ...)
{
    FT_LIST_TO_ARGV(argv, arg, ap);
    char *const *envp = va_arg(ap, char *const *);
    va_end(ap);
    return execve(path, (char *const *)argv, envp);
}
