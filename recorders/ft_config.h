/*
 * ft_config.h — the configuration, read from the environment once
 * (ft_config.c), and whether a call is to be recorded.
 */
#ifndef FT_CONFIG_H
#define FT_CONFIG_H

#include "ft_clock.h"

/* Reads the environment into ft_cfg (the hot page) and sets ft_mode. */
int ft_config_load(void);

/* Should this call be recorded? Reads the configuration on first use, which
 * may be before our constructor ran (another library's constructor). The
 * wrappers come through ft_on (ft_always.h), which also counts the call. */
static inline int ft_active(void)
{
    int m = FT_LOAD(&ft_mode);
    if (FT_UNLIKELY(m == FT_MODE_UNREAD))
        m = ft_config_load();
    return m == FT_MODE_ON && !(ft_thr.resolving | ft_thr.in_vfork);
}

#endif /* FT_CONFIG_H */
