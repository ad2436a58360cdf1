/* compiler/build.h — `nnmc emit` to a file and `nnmc build`. */
#ifndef NNM_BUILD_H
#define NNM_BUILD_H
#include "emit.h"

/* Writes the emitted program to path ("-": standard output), atomically.
 * 0, or -1 after a message. */
int nnm_emit_file(const NnmProgram *p, const SrcFile *src, const char *path);
/* The Graphviz graph of the models to path, or to standard output for "-". */
int nnm_dot_file(const NnmProgram *p, const SrcFile *src, const char *path);
/* nnmc emit --inference: PATH (.c) and the header next to it, with the
 * weights of the .npz file.  0, or -1 after a message. */
int nnm_emit_predict_files(const NnmProgram *p, const SrcFile *src, const char *weights, const char *cpath);
/* Writes PROG.c, then makes PROG with $CC (default cc) -std=c11 $CFLAGS
 * (default -O3 -fno-math-errno) and the libraries, printing each command
 * first: from the model's part and the runtime's cached objects
 * (rtcache.c), or from PROG.c whole when there is no cache.  0, or -1
 * after a message. */
int nnm_build(const NnmProgram *p, const SrcFile *src, const char *prog);

#endif
