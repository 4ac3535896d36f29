/*
 * ft_alert.h — alert lines (ft_alert.c): one line per slow sync,
 * rate-limited per file, to syslog, stderr or a file.
 */
#ifndef FT_ALERT_H
#define FT_ALERT_H

#include "ft_track.h"

/* Send one alert line for ev; 1 if it went out. */
int ft_alert_send(const struct ft_event *ev, const struct ft_track *t, uint32_t suppressed, int relative);
/* Say once, through the same sink, why nothing is recorded (ft_off_text). */
void ft_alert_off(void);

#endif /* FT_ALERT_H */
