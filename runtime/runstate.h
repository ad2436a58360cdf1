/* runtime/runstate.h — the state of a running .nnm program: its options,
 * data, nets, generators and results.  session.c runs the steps on it;
 * checkpoint.c writes and reads it whole, which is why it lives apart from
 * both (neither calls the other's side through it). */
#ifndef NNM_RUNSTATE_H
#define NNM_RUNSTATE_H
#include <stdint.h>
#include "data.h"
#include "net.h"
#include "program.h"
#include "rng.h"

/* Options of `nnmc run` and of emitted programs (options.c parses them). */
typedef struct {
    uint64_t seed;          /* every random choice derives from it */
    int seed_given;         /* --seed was given: it beats the file's np.random.seed() */
    int epochs;             /* > 0 overrides every fit(epochs=) */
    const char *data_dir;
    int threads;            /* threads of nnmc's own pool */
    const char *isa;        /* --isa: which version of the kernels (isa.h); NULL: auto */
    int quiet;              /* no summaries, no progress output */
    int64_t max_samples;    /* > 0: every data array keeps only its first N samples (tests) */
    int report;             /* --report: a confusion matrix and per-class figures after evaluate() */
    const char *checkpoint_dir; /* --checkpoint DIR: the training state after every epoch */
    const char *resume_dir; /* --resume DIR: go on from its checkpoint */
    const char *plot_dir;   /* --plot DIR: training curves and confusion matrices as SVG */
} NnmRunOpts;

typedef struct {
    double *v;
    int n;
    int list;               /* printed as [a, b] rather than a scalar */
} NnmResult;

typedef struct {
    const NnmProgram *p;
    const NnmRunOpts *o;
    NnmData *data;          /* [ndatasets], read when first needed */
    int *data_ready;
    Net *nets;              /* [nmodels], weights initialised at open */
    NnmRng init_rng, shuffle_rng;
    NnmResult *res;         /* [nresults] */
    int skip_until;         /* --resume: the steps before this one ran before the checkpoint */
    int nshared;            /* layer objects whose weights several models hold */
    struct NnmShared *shared; /* [nshared]: where each is held, and which model's copy is newest */
    struct NnmFitResume *resume; /* --resume: the fit to continue, until it does */
} NnmSession;
#endif
