/*
 * ft_names.h — the names region of the trace file (ft_names.c).
 */
#ifndef FT_NAMES_H
#define FT_NAMES_H

#include "ft_trace.h"

/* Path id is named in the names ring of this file before a record that
 * refers to it is committed: written there if it is not, or if its newest
 * copy is more than half a lap old. Returns 1 if it is there. Never waits. */
int ft_name_ensure(struct ft_regions *rg, uint32_t id);

#endif /* FT_NAMES_H */
