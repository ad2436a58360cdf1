/* runtime/callbacks.h — what happens around fit()'s epochs: the history
 * keys (Keras's logs), keras.callbacks with Keras 2.2's rules and messages,
 * and the file names ModelCheckpoint formats.
 *
 * The compiler uses the same functions to check a file (which keys a
 * monitor or history['...'] may name, whether a filepath formats), so what
 * it accepts is exactly what runs.
 *
 * Order of events in one fit, as in Keras 2.2's fit loop:
 *   nnm_fit_begin                       (on_train_begin)
 *   per epoch: nnm_fit_epoch_begin      ("Epoch 3/10" is printed before it)
 *              batches; nnm_fit_batch_end after each (TerminateOnNaN)
 *              nnm_fit_epoch_end        (after the progress line)
 *   nnm_fit_end                         (on_train_end; frees) */
#ifndef NNM_CALLBACKS_H
#define NNM_CALLBACKS_H
#include <stddef.h>
#include <stdio.h>
#include "net.h"
#include "program.h"

#define NNM_MAX_KEYS (2 * NNM_MAX_IO * (1 + NNM_MAX_METRICS) + 3)
#define NNM_KEY_MAX (NNM_NAME_MAX + 40)
typedef char NnmKeyText[NNM_MAX_KEYS][NNM_KEY_MAX]; /* where keys made of names are written */

/* The history keys of a fit step, in Keras 2.2's order: loss, each output's
 * loss when there are several (digit_loss, ...), the metrics (acc, ..., each
 * prefixed by its output's name when there are several: digit_acc), then
 * val_ and the same (with validation data), lr (with ReduceLROnPlateau or
 * LearningRateScheduler).  Returns the count; the progress line shows all
 * but lr.  The keys before val_loss are evaluate()'s list. */
int nnm_fit_keys(const NnmModel *m, const NnmStep *st, const char *keys[NNM_MAX_KEYS], NnmKeyText text);
/* The figures of one pass over data: the loss, each output's loss (several
 * outputs), each output's metrics. */
int nnm_eval_count(const NnmModel *m);
/* Index of name among keys, or -1; '...accuracy' finds '...acc' (Keras 3's
 * spelling of Keras 2.2's key). */
int nnm_key_index(const char *const *keys, int n, const char *name);
/* mode='auto' resolved as Keras does: larger is better for accuracies. */
int nnm_monitor_mode(const char *monitor);

/* ModelCheckpoint's filepath with Python's str.format: {epoch}, {epoch:02d},
 * {val_loss:.2f}, {{ and }}; epoch is 1-based.  0, or -1 with the reason in
 * err (an unknown key, a bad format spec, too long). */
int nnm_format_path(char *out, size_t size, const char *fmt, int epoch, const char *const *keys,
                    const double *vals, int nkeys, char *err, size_t errsize);

/* The state of one callback between epochs. */
typedef struct {
    double best;           /* best monitored value so far (±inf at first, or the baseline) */
    int wait;              /* epochs without improvement */
    int cooldown;          /* ReduceLROnPlateau: epochs of cooldown left */
    int stopped_epoch;     /* EarlyStopping: 0-based epoch it stopped at, 0 if none */
    int since_save;        /* ModelCheckpoint: epochs since the last save (period=) */
    float *best_weights;   /* EarlyStopping(restore_best_weights=True) */
    int have_best;         /* best_weights holds the weights of an epoch */
    FILE *csv;             /* CSVLogger */
    int csv_keys;          /* columns after 'epoch', fixed by the first row (-1: none yet) */
} NnmCbState;

typedef struct {
    const char *file;      /* the .nnm file, for messages */
    const NnmStep *st;
    Net *n;
    int nkeys;
    const char *keys[NNM_MAX_KEYS];
    NnmKeyText key_text;
    int chatter;           /* callbacks' own messages (off under -q) */
    NnmCbState *cs;        /* [st->ncallbacks] */
    int stop;              /* set by a callback: no further epochs */
    uint32_t absent;       /* bit k: keys[k] has no figure this epoch (an epoch cut short
                              by TerminateOnNaN has no validation); set before epoch_end */
} NnmFit;

/* 0, or -1 after a message (a file that cannot be written).  resume: the
 * callbacks' state from a checkpoint (checkpoint.h), or NULL. */
struct NnmFitResume;
int nnm_fit_begin(NnmFit *f, const char *file, const NnmStep *st, Net *n, int chatter,
                  const struct NnmFitResume *resume);
void nnm_fit_epoch_begin(NnmFit *f, int epoch);
/* After batch b (0-based) of an epoch with that batch's mean loss: 1 when
 * training must stop now (TerminateOnNaN, after its message). */
int nnm_fit_batch_end(NnmFit *f, int64_t batch, double loss);
/* vals[nkeys]: the epoch's figures (lr is filled in here).  0, or -1
 * after a message (a checkpoint or CSV file that cannot be written). */
int nnm_fit_epoch_end(NnmFit *f, int epoch, double *vals);
/* Closes files and frees; prints EarlyStopping's message. */
int nnm_fit_end(NnmFit *f);
#endif
