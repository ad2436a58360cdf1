/* runtime/progbar.h — Keras 2.2.4's progress bar (generic_utils.Progbar):
 *
 *   60000/60000 [==============================] - 3s 52us/step - loss: 0.2457 - acc: 0.9241
 *
 * On a terminal the line is redrawn in place (at most every 50 ms) with an
 * ETA; otherwise only the final line of each bar is written, so logs hold
 * one line per epoch.  verbose=2 writes " - 3s - loss: ..." at the end. */
#ifndef NNM_PROGBAR_H
#define NNM_PROGBAR_H
#include <stdint.h>
#include <stdio.h>

typedef struct {
    FILE *out;
    int64_t target;
    int verbose, tty;
    double start, last;
    int width;               /* characters written on the current line */
} Progbar;

void progbar_start(Progbar *p, FILE *out, int64_t target, int verbose);
/* names/values: the figures after the time ("loss", 0.2457); final ends the line */
void progbar_update(Progbar *p, int64_t current, int n, const char *const *names,
                    const double *values, int final);
#endif
