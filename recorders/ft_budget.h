/*
 * ft_budget.h — the trace directory's budget (ft_budget.c,
 * FSYNC_TRACE_DIR_MAX_BYTES).
 */
#ifndef FT_BUDGET_H
#define FT_BUDGET_H

#include "ft_config.h"

/* Remove ended processes' traces, oldest first, until the directory's
 * traces and `need` more bytes fit ft_cfg.dir_max_bytes; count them.
 * Returns the room left under the budget as far as it could tell (0 when
 * none, or it could not tell; UINT64_MAX with no budget). */
uint64_t ft_budget_keep(uint64_t need, uint64_t *removed, uint64_t *removed_bytes);

#endif /* FT_BUDGET_H */
