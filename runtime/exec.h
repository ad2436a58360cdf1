/* runtime/exec.h — runs a Program: the interpreter's entry point. */
#ifndef NNM_EXEC_H
#define NNM_EXEC_H
#include <stdint.h>
#include "program.h"

typedef struct {
    uint64_t seed;          /* every random choice derives from it */
    int epochs;             /* > 0 overrides every fit(epochs=) */
    const char *data_dir;
    int threads;            /* BLAS threads */
    int quiet;              /* no summaries, no progress output */
    int64_t max_samples;    /* > 0: every data array keeps only its first N samples (tests) */
} NnmRunOpts;

/* Returns 0, or 1 after a message on stderr (bad data or weight files). */
int nnm_exec(const NnmProgram *p, const NnmRunOpts *o);
#endif
