/* runtime/plot.h — `nnmc run --plot DIR`: pictures a browser shows.
 *   DIR/fitN.svg        after every epoch of the program's Nth fit: the loss
 *                       and each metric per epoch, training against validation
 *   DIR/confusionN.svg  after its Nth evaluate(): the confusion matrix
 * Each is written whole to a temporary file and renamed into place. */
#ifndef NNM_PLOT_H
#define NNM_PLOT_H
#include <stdint.h>
#include "session.h"

/* res[k] holds the history of keys[k] (nnm_fit_keys); the epochs shown
 * are first + 1, first + 2, ....  0, or -1 after a message. */
int nnm_plot_history(const char *path, const char *title, const char *const *keys, const NnmResult *res, int nkeys,
                     int first);
/* counts[true * classes + predicted]; names may be NULL. */
int nnm_plot_confusion(const char *path, const char *title, int classes, const char *const *names,
                       const int64_t *counts);
#endif
