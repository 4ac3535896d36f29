/*
 * ft_budget.h — the trace directory's budget (ft_budget.c,
 * FSYNC_TRACE_DIR_MAX_BYTES).
 */
#ifndef FT_BUDGET_H
#define FT_BUDGET_H

#include "ft_config.h"

#define FT_BUDGET_CAND 64      /* oldest ended traces remembered per pass */
#define FT_TRACE_NAME_MAX 128  /* <exe, 64>.<pid>.<s>.<ns>.fstrace fits */

struct ft_budget_cand {
    uint64_t start;            /* when it was made: oldest goes first */
    uint64_t bytes;
    uint32_t check;            /* ended by its mode only (FT_TRACE_ENDED_BIT): the header decides */
    char name[FT_TRACE_NAME_MAX];
};

/* A look at the directory, made in steps: where it is between them
 * (phase 0: not looking). */
struct ft_budget_walk {
    uint32_t phase;            /* FT_WALK_* (ft_budget.c) */
    const char *dir;           /* the directory the looker's trace is in (ft_trace_dir: uid-N under the configured one, maybe) */
    uint32_t uid;              /* traces of this owner only */
    uint32_t ncand, next;      /* candidates found; the next to remove */
    uint32_t more, passes;     /* traces left unlooked at; passes made */
    uint32_t made0, lag;       /* the caller's: chunks made when the look began; grown during the last */
    int64_t off;               /* where the directory is read on (0: its start) */
    uint64_t total;            /* allocated bytes of the traces seen so far */
    struct ft_budget_cand cand[FT_BUDGET_CAND];
    uint32_t ents_len, ents_at; /* entries read, not all looked at yet */
    char ents[1024];           /* (struct linux_dirent64) */
    const char *self;          /* the looker's own trace's name (NULL: none yet): never removed */
    uint64_t self_bytes;       /* its bytes, once this pass has passed it (in total unless self_out) */
    uint32_t self_out;         /* its image ended: its bytes are the caller's need, not in total */
    uint32_t step_work, step_max; /* traces stat'ed or removed in this step; at most */
    char path[FT_DIR_MAX + FT_TRACE_NAME_MAX + 2]; /* dir/name of the trace looked at */
};

/* Remove ended processes' traces, oldest first, until the directory's
 * traces and `need` more bytes fit ft_cfg.dir_max_bytes; count them.
 * One step of it on w: at most step_max traces stat'ed or removed, and
 * no more than about step_ns of work (0: no time limit) once 4 are, so a
 * growing trace's look at a directory of thousands of traces is spread
 * over many calls. Returns 0 when w goes on next time; when the look is
 * over, the room left under the budget as far as it could tell in *room
 * (0 when none, or it could not tell; UINT64_MAX with no budget) and 1,
 * or 2 when only live processes' traces were left to remove. */
int ft_budget_look(struct ft_budget_walk *w, uint64_t need, uint64_t step_ns, uint32_t step_max, uint64_t *room,
                   uint64_t *removed, uint64_t *removed_bytes);

/* The looker's image ends (exit, _exit, exec): it grows no more, so what its
 * look still needs is its own trace's bytes now (path: its trace), taken out
 * of what the look counts so they are not counted twice. Returns them. */
uint64_t ft_budget_ending(struct ft_budget_walk *w, const char *path);

/* The looker's image lives on (an exec failed): its own trace's bytes, if
 * this pass has counted them, go back into what the look counts. */
void ft_budget_living(struct ft_budget_walk *w);

#endif /* FT_BUDGET_H */
