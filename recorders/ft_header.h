/*
 * ft_header.h — the trace header's facts about the process (ft_header.c).
 */
#ifndef FT_HEADER_H
#define FT_HEADER_H

#include "ft_trace.h"

/* The executable's base name at dst + at, made safe for a file name. */
size_t ft_exe_base(char *dst, size_t at, size_t size, const char *exe);
/* comm (the kernel's name) and the name users know the program by. */
void ft_prog_names(uint32_t pid, const char *exe, char *comm, size_t csize, char *name, size_t nsize);
/* Everything of the header but the regions' plan: magic, version, clocks,
 * host, boot, process, executable, command line, the drops counted so far. */
void ft_fill_header(struct ft_header *h, struct ft_ctx *c, uint64_t rt, uint64_t mono,
                    uint32_t pid, int forked, const char *exe, const char *comm);

#endif /* FT_HEADER_H */
