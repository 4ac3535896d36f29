/*
 * ft_tracedir.h — where the trace goes, and why nothing is recorded when
 * it cannot (ft_tracedir.c).
 */
#ifndef FT_TRACEDIR_H
#define FT_TRACEDIR_H

#include "ft_trace.h"

const char *ft_trace_dir(void);         /* where this image's trace goes */
void ft_uid_prepare(uint32_t uid);      /* before becoming user uid: its own directory */
/* Is dir (the configured directory) ours to write into, or the user's own
 * under it? 1 if so; else 0, with ft_off_text saying why. */
int ft_check_dir(const char *dir);

/* Why this image records nothing, once said (ft_alert.c, ft_alert_off): 1 pending, 2 said. */
extern char ft_off_text[];
#define ft_off_pending (ft_hot.off_pending)
/* ft_off_text = "not recording: " dir what [n tail] */
void ft_off(const char *dir, const char *what, uint64_t n, const char *tail);
/* ft_off_text = "not recording: " dir what and err's name */
void ft_off_errno(const char *dir, const char *what, int err);

#endif /* FT_TRACEDIR_H */
