/*
 * ft_names.h — the names region of the trace file (ft_names.c).
 */
#ifndef FT_NAMES_H
#define FT_NAMES_H

#include "ft_ring.h"

/* Path id is named in the names region of this file, written once: before a
 * summary entry or kept record that refers to it is committed. Returns 1 if
 * it is there. Waits (a bounded spin) only for another thread writing it. */
int ft_name_ensure(struct ft_regions *rg, uint32_t id);

#endif /* FT_NAMES_H */
