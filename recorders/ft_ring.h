/*
 * ft_ring.h — the ring: appending records (ft_ring.c).
 */
#ifndef FT_RING_H
#define FT_RING_H

#include "ft_names.h"

/* Append an event: fills seq and tid; names its paths first (ft_names.c). */
void ft_emit(struct ft_event *ev);

#endif /* FT_RING_H */
