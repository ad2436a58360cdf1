/* runtime/options.c — see options.h. */
#include "options.h"

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
        strcmp(opt, "--resume") && strcmp(opt, "--plot"))
        return 0;
    if (*i + 1 >= argc) {
        snprintf(msg, msgsize, "option %s needs a value", opt);
        return -2;
    }
    const char *v = argv[++*i];
    uint64_t u;
    if (!strcmp(opt, "--data")) {
        snprintf(a->data_dir, sizeof a->data_dir, "%s", v);
    } else if (!strcmp(opt, "--checkpoint") || !strcmp(opt, "--resume") || !strcmp(opt, "--plot")) {
        char *dst = opt[2] == 'c' ? a->checkpoint_dir : opt[2] == 'p' ? a->plot_dir : a->resume_dir;
        if (!*v || strlen(v) >= sizeof a->checkpoint_dir - 32) {
            fprintf(stderr, "nnmc: error: %s needs a directory, got '%s'\n", opt, v);
            return -1;
        }
        snprintf(dst, sizeof a->checkpoint_dir, "%s", v);
        if (opt[2] != 'r') {
            /* make it now: a run should not train for an hour and then find it cannot save */
            struct stat sb;
            if (mkdir(v, 0777) && errno != EEXIST) {
                fprintf(stderr, "nnmc: error: %s: cannot make the directory: %s\n", v, strerror(errno));
                return -1;
            }
            if (stat(v, &sb) || !S_ISDIR(sb.st_mode)) {
                fprintf(stderr, "nnmc: error: %s: not a directory\n", v);
                return -1;
            }
        }
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

static void default_data_dir(char *buf, size_t size)
{
    const char *env = getenv("NNM_DATA");
    if (env && *env) {
        snprintf(buf, size, "%s", env);
        return;
    }
    if (access("data", F_OK) == 0) {
        snprintf(buf, size, "data");
        return;
    }
    /* next to the executable, so nnmc works from any directory of a checkout */
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(buf, size, "%s/data", exe);
            return;
        }
    }
    snprintf(buf, size, "data");
}

void nnm_run_args_finish(NnmRunArgs *a, const NnmProgram *p)
{
    if (!a->data_dir[0])
        default_data_dir(a->data_dir, sizeof a->data_dir);
    a->o.data_dir = a->data_dir;
    a->o.checkpoint_dir = a->checkpoint_dir[0] ? a->checkpoint_dir : NULL;
    a->o.resume_dir = a->resume_dir[0] ? a->resume_dir : NULL;
    a->o.plot_dir = a->plot_dir[0] ? a->plot_dir : NULL;
    if (!a->o.threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        a->o.threads = n < 1 ? 1 : n > 2 ? 2 : (int)n;
    }
    if (p && p->has_seed && !a->o.seed_given)
        a->o.seed = p->seed;
}
