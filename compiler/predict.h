/* compiler/predict.h — `nnmc predict` (predict.c). */
#ifndef NNM_PREDICT_H
#define NNM_PREDICT_H
#include "program.h"

/* The top `top` classes of the file's last model, with the weights of the
 * .npz file, for every image of inputs[].  The exit status: 0, or 1 after
 * a message (unreadable weights or images). */
int nnm_predict(const NnmProgram *p, const char *weights, int top, char **inputs, int ninputs);
#endif
