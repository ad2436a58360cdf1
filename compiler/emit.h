/* compiler/emit.h — `nnmc emit`: the IR of a .nnm file as one standalone C
 * program that trains.
 *
 * The program is the runtime's own source text (embedded into nnmc at
 * build time by compiler/embed.c), followed by the program's IR as C
 * constants, a forward and a backward function per model that call the
 * layer functions directly, and a main() that calls the session's steps
 * in order.  The interpreter and the program therefore run the same
 * kernels in the same order on the same constants: they print the same
 * figures and write the same weight files. */
#ifndef NNM_EMIT_H
#define NNM_EMIT_H
#include <stdio.h>
#include "diag.h"
#include "program.h"

typedef struct {
    const char *name; /* as #included: "blas.h" */
    const char *path; /* in the source tree: "runtime/blas.h" */
    const char *text;
} NnmSourceText;

/* The runtime's sources; ends with a {0} entry. */
extern const NnmSourceText nnm_runtime_texts[];

/* Writes the C program; returns 0, or -1 when writing failed. */
int nnm_emit(const NnmProgram *p, const SrcFile *src, FILE *out);

/* The lines every emitted translation unit starts with: no -ffast-math,
 * POSIX, no contraction with clang. */
void nnm_emit_prelude(FILE *out);

/* The model's part of the program alone (its IR as constants, its passes,
 * main), after the prelude and every runtime header: what nnmc build
 * compiles when the runtime's objects come from its cache (rtcache.c).
 * Linked with them it is the program nnm_emit writes.  0, or -1. */
int nnm_emit_model_part(const NnmProgram *p, const SrcFile *src, FILE *out);

/* `nnmc ir`: the program's IR alone, as nnm_emit writes it (layers with
 * their attributes from each kind's schema, models, optimizers, steps):
 * 0, or -1 when writing failed. */
int nnm_emit_ir(const NnmProgram *p, const SrcFile *src, FILE *out);

/* `nnmc emit --inference`: the forward pass of one model, with its weights
 * from the .npz file wpath, as a C file (out) and a header (hout) with
 * `int PREFIX_predict(const float *input, float *output)`: no malloc, no
 * stdio, no threads, no BLAS.  0, or -1 after a message. */
int nnm_emit_predict(const NnmProgram *p, const SrcFile *src, const char *wpath, const char *prefix,
                     const char *hname, FILE *out, FILE *hout);

/* `nnmc dot`: the models as a Graphviz graph (dot.c); 0, or -1 when
 * writing failed. */
int nnm_write_dot(const NnmProgram *p, FILE *out);

/* Writes s as a C string literal that compiles to exactly these bytes,
 * whatever they are (quotes, backslashes, newlines, trigraphs, NUL-free). */
void nnm_emit_cstr(FILE *out, const char *s);

/* ---- shared by emit.c and emit_predict.c ---- */
typedef struct {
    FILE *out;
    const NnmProgram *p;
    const SrcFile *src;
    char done[128];       /* runtime files already written, by index in nnm_runtime_texts */
} Emitter;
int emit_find_text(const char *name); /* index in nnm_runtime_texts, or -1 */
/* 1 when nnm_runtime_texts[i]'s name ends with suffix (".c", ".h") */
int emit_text_is(int i, const char *suffix);
/* 1 when it is one of the .c files an emitted program is made of: every
 * runtime .c file but the interpreter's step loop (exec.c) */
int emit_is_program_source(int i);
/* The runtime file's text with its #include "..." resolved (headers once). */
void emit_runtime_file(Emitter *e, int idx);
/* "static const NnmLayer ARRAY[n] = {...};", each layer after a comment
 * with its source line, and before it the statics of their attributes
 * (ARRAY_attrI), written from each kind's schema. */
void emit_layers(Emitter *e, const char *array, const NnmLayer *layers, int n);
/* A comment with FILE:LINE: and that line of the source. */
void emit_origin(Emitter *e, int line, const char *indent);
/* Text that is safe inside a comment. */
void emit_comment_text(FILE *out, const char *s, size_t n);
#endif
