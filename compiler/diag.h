/* compiler/diag.h — gcc-style diagnostics; the only code in compiler/ that
 * writes errors to stderr.
 *
 *   mlp.nnm:4:17: error: Dense has no argument 'unit'
 *       4 | model.add(Dense(unit=10))
 *         |                 ^~~~
 *   mlp.nnm:4:17: note: did you mean 'units'?
 *
 * A location is a byte span (off, len) in the one source file; line:col is
 * computed only when a message is printed. */
#ifndef NNM_DIAG_H
#define NNM_DIAG_H
#include <stdint.h>
#include <stdio.h>
#include "util.h"

typedef struct {
    uint32_t off, len;
} Loc;

typedef struct {
    const char *name; /* as given on the command line */
    const char *text; /* NUL-terminated copy of the whole file */
    uint32_t size;
} SrcFile;

typedef struct {
    const SrcFile *src;
    FILE *out;
    int n_errors;
    int max_errors; /* after this many, stop reporting and say so */
    int fatal;      /* set by errors after which analysis cannot go on */
} Diag;

void diag_init(Diag *d, const SrcFile *src, FILE *out);
void diag_error(Diag *d, Loc at, const char *fmt, ...) NNM_PRINTF(3, 4);
void diag_note(Diag *d, Loc at, const char *fmt, ...) NNM_PRINTF(3, 4);
/* Prints "N errors generated." when there were errors; returns the count. */
int diag_finish(Diag *d);
/* 1-based line and byte column of an offset. */
void diag_linecol(const SrcFile *src, uint32_t off, int *line, int *col);

/* Closest candidate by edit distance, or NULL if none is close enough for a
 * "did you mean" hint.  cands is NULL-terminated. */
const char *diag_suggest(const char *word, const char *const *cands);
#endif
