/* runtime/session.h — the state of a running .nnm program and the steps
 * that act on it.
 *
 * Both ways of running a program go through these functions: the
 * interpreter (exec.c) calls the step matching each IR step in turn, and a
 * program written by `nnmc emit` calls the same functions in straight-line
 * code with its steps as constants.  That is what makes the two print the
 * same figures and write the same weight files. */
#ifndef NNM_SESSION_H
#define NNM_SESSION_H
#include "runstate.h"

/* Seeds the generators and initialises every model's weights, in model
 * order, as Keras builds layers when they are added; with --resume, then
 * restores the checkpoint's state.  0, or -1 after a message (a damaged
 * checkpoint): close the session and stop. */
int nnm_session_open(NnmSession *s, const NnmProgram *p, const NnmRunOpts *o);
/* Models that share layers (a base model and the model built on it) each
 * hold a copy of their weights; the newest copy is brought in before a step
 * uses a model (sync), and a step that changes a model's weights makes its
 * copies the newest (touch).  sync_all makes every copy equal, as a
 * checkpoint stores them. */
void nnm_session_sync(NnmSession *s, int model);
void nnm_session_touch(NnmSession *s, int model);
void nnm_session_sync_all(NnmSession *s);
/* Frees everything; prints the NNM_PROFILE=1 report. */
void nnm_session_close(NnmSession *s);

/* The steps.  Each returns 0, or -1 after a message on stderr (bad data
 * or weight files). */
int nnm_step_fit(NnmSession *s, const NnmStep *st);
int nnm_step_infer(NnmSession *s, const NnmStep *st);   /* evaluate, predict */
int nnm_step_weights(NnmSession *s, const NnmStep *st); /* save_weights, load_weights */
void nnm_step_print(NnmSession *s, const NnmStep *st);
#endif
