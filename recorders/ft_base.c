/*
 * ft_base.c — the state every part of the recorder shares (ft_base.h): the
 * hot page and the per-thread state.
 */
#include "ft_base.h"

struct ft_hot ft_hot;
FT_TLS struct ft_thread ft_thr;
