/* runtime/exec.h — runs a Program: the interpreter's entry point. */
#ifndef NNM_EXEC_H
#define NNM_EXEC_H
#include "program.h"
#include "session.h"

/* Returns 0, or 1 after a message on stderr (bad data or weight files). */
int nnm_exec(const NnmProgram *p, const NnmRunOpts *o);
#endif
