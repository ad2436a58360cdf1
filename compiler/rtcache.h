/* compiler/rtcache.h — running the C compiler for `nnmc build`, and the
 * runtime's objects compiled once into a cache (rtcache.c). */
#ifndef NNM_RTCACHE_H
#define NNM_RTCACHE_H
#include "emit.h"

/* how many words $CC and $CFLAGS may have together */
#define NNM_BUILD_MAX_ARGS 200

/* Runs argv (no shell) and waits: 0 when it exits 0; else -1, after
 * "cannot run the C compiler" when it cannot start, or "the C compiler
 * failed on WHAT" (what non-NULL) when it fails.  out non-NULL: its
 * standard output, allocated, NUL-terminated (also on failure). */
int nnm_run_command(char **argv, const char *what, char **out);
/* The same, after printing the command on standard output. */
int nnm_run_printed(char **argv, const char *what);

/* The program PROG from the model's part (nnm_emit_model_part) and the
 * runtime's cached objects; base: the compiler's words, -std=c11 and the
 * flags; libs go last.  0, -1 after a message, or 1 when there is no
 * cache (nothing done: compile PROG.c whole). */
int nnm_build_cached(const NnmProgram *p, const SrcFile *src, const EmitOpts *o, const char *prog, char **base,
                     int nbase, char **libs, int nlibs);
#endif
