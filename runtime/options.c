/* runtime/options.c — see options.h. */
#include "options.h"
#include "isa.h"
#include "checkpoint.h"
#include "data.h"
#include "files.h"
#include "plot.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (!*s || *s == '-')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

void nnm_run_args_init(NnmRunArgs *a)
{
    memset(a, 0, sizeof *a);
    a->o.seed = 1;
}

int nnm_run_option(NnmRunArgs *a, int argc, char **argv, int *i, char *msg, size_t msgsize)
{
    const char *opt = argv[*i];
    NnmRunOpts *o = &a->o;
    if (!strcmp(opt, "-q") || !strcmp(opt, "--quiet")) {
        o->quiet = 1;
        return 1;
    }
    if (!strcmp(opt, "--report")) {
        o->report = 1;
        return 1;
    }
    if (strcmp(opt, "--seed") && strcmp(opt, "--epochs") && strcmp(opt, "--data") &&
        strcmp(opt, "--threads") && strcmp(opt, "--max-samples") && strcmp(opt, "--checkpoint") &&
        strcmp(opt, "--resume") && strcmp(opt, "--plot") && strcmp(opt, "--isa"))
        return 0;
    if (*i + 1 >= argc) {
        snprintf(msg, msgsize, "option %s needs a value", opt);
        return -2;
    }
    const char *v = argv[++*i];
    uint64_t u;
    if (!strcmp(opt, "--data") || !strcmp(opt, "--checkpoint") || !strcmp(opt, "--resume") || !strcmp(opt, "--plot")) {
        if (!*v) {
            fprintf(stderr, "nnmc: error: %s needs a directory, got ''\n", opt);
            return -1;
        }
        const char **dst = opt[2] == 'd' ? &o->data_dir : opt[2] == 'c' ? &o->checkpoint_dir
                         : opt[2] == 'p' ? &o->plot_dir : &o->resume_dir;
        *dst = v;
    } else if (!strcmp(opt, "--isa")) {
        o->isa = v;
    } else if (!strcmp(opt, "--seed")) {
        if (parse_u64(v, UINT64_MAX, &u)) {
            fprintf(stderr, "nnmc: error: --seed needs a non-negative integer, got '%s'\n", v);
            return -1;
        }
        o->seed = u;
        o->seed_given = 1;
    } else if (!strcmp(opt, "--max-samples")) {
        if (parse_u64(v, 1000000000, &u) || u == 0) {
            fprintf(stderr, "nnmc: error: --max-samples needs a positive integer, got '%s'\n", v);
            return -1;
        }
        o->max_samples = (int64_t)u;
    } else if (!strcmp(opt, "--epochs")) {
        if (parse_u64(v, 1000000, &u) || u == 0) {
            fprintf(stderr, "nnmc: error: --epochs needs an integer from 1 to 1000000, got '%s'\n", v);
            return -1;
        }
        o->epochs = (int)u;
    } else {
        if (parse_u64(v, 256, &u) || u == 0) {
            fprintf(stderr, "nnmc: error: --threads needs an integer from 1 to 256, got '%s'\n", v);
            return -1;
        }
        o->threads = (int)u;
    }
    return 1;
}

int nnm_program_args(NnmRunArgs *a, int argc, char **argv)
{
    nnm_run_args_init(a);
    for (int i = 1; i < argc; i++) {
        char msg[200];
        int r = nnm_run_option(a, argc, argv, &i, msg, sizeof msg);
        if (r == 1)
            continue;
        if (r == -1)
            return 1;
        if (r == 0 && (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))) {
            printf("usage: %s " NNM_RUN_OPTIONS_USAGE "\n\n" NNM_RUN_OPTIONS_HELP, argv[0]);
            return 0;
        }
        if (r == 0)
            snprintf(msg, sizeof msg, "unknown argument '%.100s'", argv[i]);
        fprintf(stderr, "%s: %s\nusage: %s " NNM_RUN_OPTIONS_USAGE "\n", argv[0], msg, argv[0]);
        return 2;
    }
    return -1;
}

/* The default data directory: $NNM_DATA, else ./data, else data/ next to
 * the executable (so nnmc works from any directory of a checkout). */
static const char *default_data_dir(void)
{
    static char *exe_data;
    const char *env = getenv("NNM_DATA");
    if (env && *env)
        return env;
    if (access("data", F_OK) == 0)
        return "data";
    if (!exe_data) {
        char exe[4096];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        char *slash = n > 0 ? (exe[n] = 0, strrchr(exe, '/')) : NULL;
        if (!slash)
            return "data";
        *slash = 0;
        size_t len = strlen(exe) + 6;
        exe_data = nnm_xmalloc(len);
        snprintf(exe_data, len, "%s/data", exe);
    }
    return exe_data;
}

static int make_dir(const char *v)
{
    struct stat sb;
    if (mkdir(v, 0777) && errno != EEXIST) {
        fprintf(stderr, "nnmc: error: %s: cannot make the directory: %s\n", v, strerror(errno));
        return -1;
    }
    if (stat(v, &sb) || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "nnmc: error: %s: not a directory\n", v);
        return -1;
    }
    return 0;
}

int nnm_run_args_finish(NnmRunArgs *a, const NnmProgram *p)
{
    NnmRunOpts *o = &a->o;
    if (!o->data_dir)
        o->data_dir = default_data_dir();
    if (!o->threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        o->threads = n < 1 ? 1 : n > 2 ? 2 : (int)n;
    }
    if (nnm_isa_select(o->isa))
        return -1;
    if (p && p->has_seed && !o->seed_given)
        o->seed = p->seed;
    if ((o->plot_dir && make_dir(o->plot_dir)) || (o->checkpoint_dir && make_dir(o->checkpoint_dir)))
        return -1;
    return p ? nnm_check_outputs(p, o) : 0;
}

/* ---- what a run reads and writes ------------------------------------------ */

typedef struct {
    char *path;
    int line;       /* in the program, 0 for a command-line option's */
    const char *what;
    int write;
} Use;

typedef struct {
    Use *u;
    int n, cap;
} Uses;

static void add(Uses *us, char *path, int line, const char *what, int write)
{
    if (us->n == us->cap)
        us->u = nnm_xrealloc(us->u, sizeof *us->u * (size_t)(us->cap = us->cap ? 2 * us->cap : 32));
    us->u[us->n++] = (Use){path, line, what, write};
}

int nnm_check_outputs(const NnmProgram *p, const NnmRunOpts *o)
{
    Uses us = {0};
    add(&us, nnm_xstrdup(p->file), 0, "the program's source", 0);
    for (int d = 0; d < p->ndatasets; d++) {
        char *files[NNM_DATA_FILES_MAX];
        int n = nnm_data_files(&p->datasets[d], o->data_dir, files);
        for (int i = 0; i < n; i++)
            add(&us, files[i], 0, "a data file", 0);
    }
    int fits = 0, evals = 0;
    for (int i = 0; i < p->nsteps; i++) {
        const NnmStep *st = &p->steps[i];
        if (st->kind == STEP_LOAD)
            add(&us, nnm_xstrdup(st->path), st->line, "weights the program loads", 0);
        if ((st->kind == STEP_SAVE || st->kind == STEP_PREDICT) && st->path)
            add(&us, nnm_xstrdup(st->path), st->line, "a file the program writes", 1);
        for (int c = 0; c < st->ncallbacks; c++)
            if (st->callbacks[c].path && !strchr(st->callbacks[c].path, '{'))
                add(&us, nnm_xstrdup(st->callbacks[c].path), st->callbacks[c].line, "a file the program writes", 1);
        if (o->plot_dir && st->kind == STEP_FIT)
            add(&us, nnm_plot_path(o->plot_dir, "fit", ++fits), 0, "a picture of --plot", 1);
        if (o->plot_dir && st->kind == STEP_EVALUATE) {
            ++evals;
            for (int k = 0; k < p->models[st->model].noutputs; k++)
                add(&us, nnm_confusion_path(o->plot_dir, &p->models[st->model], k, evals), 0, "a picture of --plot", 1);
        }
    }
    if (o->checkpoint_dir)
        add(&us, nnm_checkpoint_path(o->checkpoint_dir), 0, "the checkpoint of --checkpoint", 1);
    /* the program's own pairs were checked when it was compiled: here, the
     * pairs with one side that depends on the command line */
    int rc = 0;
    for (int i = 0; i < us.n && rc == 0; i++)
        for (int j = 0; j < us.n && rc == 0; j++) {
            Use *w = &us.u[i], *r = &us.u[j];
            if (i == j || !w->write || (r->write && j < i) || (w->line && r->line) ||
                !nnm_same_file(w->path, r->path))
                continue;
            if (r->write && !strcmp(w->what, r->what))
                continue;
            char wl[32] = "", rl[32] = "";
            if (w->line)
                snprintf(wl, sizeof wl, " (line %d)", w->line);
            if (r->line)
                snprintf(rl, sizeof rl, " (line %d)", r->line);
            fprintf(stderr, "nnmc: error: %s: %s%s %s %s%s of %s; nothing was run\n", w->path, w->what, wl,
                    r->write ? "is also" : "would overwrite", r->what, rl, p->file);
            rc = -1;
        }
    for (int i = 0; i < us.n; i++)
        free(us.u[i].path);
    free(us.u);
    return rc;
}
