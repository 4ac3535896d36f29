/*
 * ft_base.c — the state every part of the recorder shares (ft_base.h): the
 * hot page and the per-thread state.
 */
#include "ft_base.h"

/* externally_visible: link-time optimization must keep the symbol by its
 * name, which the aliases below refer to. */
__attribute__((used, externally_visible)) struct ft_hot ft_hot;
FT_TLS struct ft_thread ft_thr_tls;

/* ft_thr_off and ft_errno_off (ft_base.h): the hot page's first two words. */
_Static_assert(__builtin_offsetof(struct ft_hot, thr_off) == 0 && __builtin_offsetof(struct ft_hot, errno_off) == 8,
               "the aliases below");
__asm__(".globl ft_thr_off\n.hidden ft_thr_off\n.set ft_thr_off, ft_hot\n"
        ".globl ft_errno_off\n.hidden ft_errno_off\n.set ft_errno_off, ft_hot + 8\n");

/* The offsets of ft_thr and errno from the thread pointer (ft_thr_get,
 * ft_errno_get). Any thread may set them, any number of times: the values
 * are the same. */
void ft_tls_setup(void)
{
    char *tp = __builtin_thread_pointer();
    ft_hot.errno_off = (char *)&errno - tp;
    ft_hot.thr_off = (char *)&ft_thr_tls - tp;
}
