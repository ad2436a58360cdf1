/* compiler/sema.h — semantic analysis: evaluates a .nnm script at compile
 * time and produces the Program (IR).
 *
 * A .nnm file is straight-line Python, so analysis is an abstract
 * interpreter: names are bound to compile-time Values (numbers, strings,
 * layers, optimizers, models, data arrays); calls to the Keras API build
 * models, infer shapes and append runtime steps; values only known after
 * training (a score from evaluate) are references to result slots. */
#ifndef NNM_SEMA_H
#define NNM_SEMA_H
#include "ast.h"
#include "program.h"

/* Returns the program, or NULL when errors were reported. */
NnmProgram *sema_run(const Ast *stmts, const SrcFile *src, Arena *arena, Diag *diag);
#endif
