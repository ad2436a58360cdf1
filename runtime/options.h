/* runtime/options.h — the options of `nnmc run`, parsed the same way by
 * nnmc and by the programs `nnmc emit` writes (they take the same ones). */
#ifndef NNM_OPTIONS_H
#define NNM_OPTIONS_H
#include <stddef.h>
#include "program.h"
#include "session.h"

#define NNM_RUN_OPTIONS_USAGE "[--seed N] [--epochs N] [--max-samples N] [--data DIR] [--threads N] [--isa I] [--report]\n       [--checkpoint DIR] [--resume DIR] [--plot DIR] [-q]"
#define NNM_RUN_OPTIONS_HELP                                                                      \
    "  --seed N         seed of every random choice (initial weights, shuffling, dropout);\n"    \
    "                   the same seed gives the same figures and weight files (default: the\n"  \
    "                   file's np.random.seed(N) or tf.random.set_seed(N), else 1)\n"            \
    "  --epochs N       train N epochs instead of the file's epochs=\n"                          \
    "  --data DIR       where the data sets are (default $NNM_DATA, else ./data)\n"              \
    "  --threads N      threads (default: the number of cores, at most 2)\n"                     \
    "  --isa I          the version of the element-wise and layout kernels: auto (the best\n"   \
    "                   this CPU has, the default), baseline (SSE2), avx2 or avx512; every\n"  \
    "                   version gives the same figures, only the speed differs\n"              \
    "  --max-samples N  use only the first N samples of every data array (quick tries, tests)\n" \
    "  --report         after each evaluate(): the confusion matrix and per-class precision,\n"  \
    "                   recall and F1 with their averages\n"                                     \
    "  --checkpoint DIR save the whole training state in DIR/checkpoint.nnmc after every epoch\n"  \
    "  --resume DIR     go on from DIR's checkpoint (from the beginning when it has none yet);\n" \
    "                   the run ends with the weights an uninterrupted run ends with\n"           \
    "  --plot DIR       draw DIR/fitN.svg (loss and metrics per epoch, training against\n"       \
    "                   validation) after every epoch, DIR/confusionN.svg after evaluate()\n"    \
    "  -q, --quiet      no summaries and no progress output; print() still prints\n"

typedef struct {
    NnmRunOpts o;           /* its paths point into argv (or the environment) */
} NnmRunArgs;

void nnm_run_args_init(NnmRunArgs *a);
/* Looks at argv[*i]: returns 1 when it was an option of run (its value, if
 * any, consumed: *i advanced), 0 when it is not one, -1 after an error
 * message on stderr (a bad value: exit status 1), -2 when the value is
 * missing (usage: exit status 2; msg says what is wrong). */
int nnm_run_option(NnmRunArgs *a, int argc, char **argv, int *i, char *msg, size_t msgsize);
/* The whole command line of an emitted program: its options, or --help.
 * Returns -1 to go on, else the exit status to leave with (0 after --help,
 * 1 after a bad value, 2 after a usage message). */
int nnm_program_args(NnmRunArgs *a, int argc, char **argv);
/* After the options and the program's compilation: the defaults of what
 * was not given, the file's own seed when --seed was not given, the
 * directories of --plot and --checkpoint made (a run should not train for an
 * hour and then find it cannot save), and nnm_check_outputs.  0, or -1
 * after a message (exit status 1). */
int nnm_run_args_finish(NnmRunArgs *a, const NnmProgram *p);
/* What only the run knows, checked before anything runs: no file written
 * (--plot's and --checkpoint's, and those the program names) is one the
 * program reads (its source, its data under --data, weights it loads).
 * 0, or -1 after a message. */
int nnm_check_outputs(const NnmProgram *p, const NnmRunOpts *o);
#endif
