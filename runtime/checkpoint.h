/* runtime/checkpoint.h — the whole training state in one file, so that a
 * run killed at any moment continues where its last complete epoch ended
 * (`nnmc run --checkpoint DIR`, `--resume DIR`) and ends with exactly the
 * weights of an uninterrupted run.
 *
 * DIR/checkpoint.nnmc holds: which step and epoch the program had reached;
 * every model's weights, optimizer state and dropout generator; the
 * shuffling generator; every result so far (histories, scores); and, for
 * the fit in progress, its order of samples and its callbacks' state
 * (bests, counters, EarlyStopping's best weights, the length of CSVLogger's
 * file).  It is written whole to a temporary file, synced and renamed, so
 * a crash leaves the previous checkpoint; it ends with a CRC-32 of all its
 * bytes, and a fingerprint of the program and the seed, so a damaged file
 * or another program's is refused with a message.
 *
 * Layout (native byte order, marked by the magic): "NNMCKPT1", u32 0x01020304,
 * u64 fingerprint, u64 seed, then the sections in the order written by
 * nnm_checkpoint_save, then u32 CRC-32. */
#ifndef NNM_CHECKPOINT_H
#define NNM_CHECKPOINT_H
#include <stdint.h>
#include "callbacks.h"
#include "runstate.h"

/* DIR/checkpoint.nnmc in a new string: the one place that name is made. */
char *nnm_checkpoint_path(const char *dir);

/* The fit in progress, as saved and as restored. */
typedef struct NnmFitResume {
    int step;              /* index of the fit step */
    int next_epoch;        /* first epoch still to run */
    int stopped;           /* a callback stopped the fit: nothing left to run in it */
    int64_t n;             /* samples of the order */
    int64_t *idx;          /* [n] the sample order after the last shuffle */
    int ncallbacks;
    NnmCbState *cs;        /* [ncallbacks]; best_weights owned here; csv unused */
    int64_t *csv_size;     /* [ncallbacks] CSVLogger: bytes of its file at the checkpoint */
} NnmFitResume;

/* Writes DIR/checkpoint.nnmc after epoch `epoch` of the fit f (step st),
 * every copy of a shared layer made equal first (nnm_session_sync_all): the
 * checkpoint holds one state.  0, or -1 after a message. */
int nnm_checkpoint_save(NnmSession *s, const char *dir, const NnmStep *st, const NnmFit *f, int epoch,
                        const int64_t *idx, int64_t n);
/* Reads DIR/checkpoint.nnmc into the session: nets, generators, results,
 * and s->resume for the fit.  1 when there is no checkpoint yet (start from
 * the beginning), 0 when restored, -1 after a message (damaged, another
 * program's, another seed's). */
int nnm_checkpoint_load(NnmSession *s, const char *dir);
void nnm_fit_resume_free(NnmFitResume *r);
#endif
