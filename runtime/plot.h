/* runtime/plot.h — `nnmc run --plot DIR`: pictures a browser shows.
 *   DIR/fitN.svg        after every epoch of the program's Nth fit: the loss
 *                       and each metric per epoch, training against validation
 *   DIR/confusionN.svg  after its Nth evaluate(): the confusion matrix
 * Each is written whole to a temporary file and renamed into place. */
#ifndef NNM_PLOT_H
#define NNM_PLOT_H
#include <stdint.h>
#include "session.h"

/* DIR/NAMEN.svg ("fit" or "confusion", N from 1) in a new string: the one
 * place these names are made, for the run and for nnm_check_outputs. */
char *nnm_plot_path(const char *dir, const char *name, int n);
/* The confusion matrix of the n-th evaluate() for output k of m: DIR/confusionN.svg,
 * or DIR/confusionN_OUTPUT.svg for a model with several outputs. */
char *nnm_confusion_path(const char *dir, const NnmModel *m, int k, int n);
/* res[k] holds the history of keys[k] (nnm_fit_keys); the epochs shown
 * are first + 1, first + 2, ....  0, or -1 after a message. */
int nnm_plot_history(const char *path, const char *title, const char *const *keys, const NnmResult *res, int nkeys,
                     int first);
/* counts[true * classes + predicted]; names may be NULL. */
int nnm_plot_confusion(const char *path, const char *title, int classes, const char *const *names,
                       const int64_t *counts);
#endif
