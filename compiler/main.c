/* compiler/main.c — the nnmc command line.
 *
 *   nnmc run FILE.nnm [options]   parse, analyse, then interpret the file
 *   nnmc check FILE.nnm           parse and analyse; print the model summaries
 *   nnmc tokens|ast FILE.nnm      debugging dumps (used by the tests)
 *
 * Exit status: 0 success, 1 a problem with the model, data or arguments,
 * 2 wrong usage of the command line. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ast.h"
#include "blas.h"
#include "exec.h"
#include "sema.h"

#define NNM_VERSION "0.1.0"

static const char usage_text[] =
    "usage: nnmc run FILE.nnm [--seed N] [--epochs N] [--max-samples N] [--data DIR] [--threads N] [-q]\n"
    "       nnmc check FILE.nnm\n"
    "       nnmc --help | --version\n";

static const char help_text[] =
    "nnmc " NNM_VERSION " - train Keras-style models written in .nnm files, in C\n"
    "\n"
    "commands:\n"
    "  run FILE.nnm     parse, check and run the file: build, train, evaluate, save\n"
    "  check FILE.nnm   parse and check the file; print the model summaries; no data needed\n"
    "  tokens FILE.nnm  print the tokens of the file (debugging)\n"
    "  ast FILE.nnm     print the syntax tree of the file (debugging)\n"
    "\n"
    "options of run:\n"
    "  --seed N         seed of every random choice (initial weights, shuffling, dropout);\n"
    "                   the same seed gives the same figures and weight files (default: the\n"
    "                   file's np.random.seed(N) or tf.random.set_seed(N), else 1)\n"
    "  --epochs N       train N epochs instead of the file's epochs=\n"
    "  --data DIR       where the data sets are (default $NNM_DATA, else ./data)\n"
    "  --threads N      threads (default: the number of cores, at most 2)\n"
    "  --max-samples N  use only the first N samples of every data array (quick tries, tests)\n"
    "  -q, --quiet      no summaries and no progress output; print() still prints\n"
    "\n"
    "exit status: 0 success, 1 an error in the model, data or arguments, 2 usage\n";

static int usage(const char *msg)
{
    if (msg)
        fprintf(stderr, "nnmc: %s\n", msg);
    fputs(usage_text, stderr);
    return 2;
}

#define MAX_SOURCE (16u << 20)

static int read_source(const char *path, SrcFile *src)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "nnmc: error: %s: cannot open: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0, got;
    char *buf = nnm_xmalloc(cap);
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n > MAX_SOURCE) {
            fclose(f);
            free(buf);
            fprintf(stderr, "nnmc: error: %s: file is larger than %u MiB\n", path, MAX_SOURCE >> 20);
            return -1;
        }
        if (cap - n - 1 == 0)
            buf = nnm_xrealloc(buf, cap *= 2);
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        fprintf(stderr, "nnmc: error: %s: cannot read\n", path);
        return -1;
    }
    buf[n] = 0;
    src->name = path;
    src->text = buf;
    src->size = (uint32_t)n;
    return 0;
}

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
    char exe[PATH_MAX];
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

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(NULL);
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(help_text, stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("nnmc %s (BLAS: %s)\n", NNM_VERSION, nnm_blas_name());
        return 0;
    }
    int mode = !strcmp(cmd, "run") ? 0 : !strcmp(cmd, "check") ? 1 : !strcmp(cmd, "tokens") ? 2
             : !strcmp(cmd, "ast") ? 3 : -1;
    if (mode < 0) {
        char msg[200];
        snprintf(msg, sizeof msg, "unknown command '%.100s'", cmd);
        return usage(msg);
    }
    NnmRunOpts opts = {.seed = 1, .epochs = 0, .threads = 0, .quiet = 0};
    int seed_given = 0;
    char datadir[PATH_MAX + 8] = "";
    const char *file = NULL;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (mode == 0 && (!strcmp(a, "-q") || !strcmp(a, "--quiet"))) {
            opts.quiet = 1;
            continue;
        }
        if (mode == 0 && (!strcmp(a, "--seed") || !strcmp(a, "--epochs") || !strcmp(a, "--data") ||
                          !strcmp(a, "--threads") || !strcmp(a, "--max-samples"))) {
            if (i + 1 >= argc) {
                char msg[100];
                snprintf(msg, sizeof msg, "option %s needs a value", a);
                return usage(msg);
            }
            const char *v = argv[++i];
            uint64_t u;
            if (!strcmp(a, "--data")) {
                snprintf(datadir, sizeof datadir, "%s", v);
            } else if (!strcmp(a, "--seed")) {
                if (parse_u64(v, UINT64_MAX, &u)) {
                    fprintf(stderr, "nnmc: error: --seed needs a non-negative integer, got '%s'\n", v);
                    return 1;
                }
                opts.seed = u;
                seed_given = 1;
            } else if (!strcmp(a, "--max-samples")) {
                if (parse_u64(v, 1000000000, &u) || u == 0) {
                    fprintf(stderr, "nnmc: error: --max-samples needs a positive integer, got '%s'\n", v);
                    return 1;
                }
                opts.max_samples = (int64_t)u;
            } else if (!strcmp(a, "--epochs")) {
                if (parse_u64(v, 1000000, &u) || u == 0) {
                    fprintf(stderr, "nnmc: error: --epochs needs an integer from 1 to 1000000, got '%s'\n", v);
                    return 1;
                }
                opts.epochs = (int)u;
            } else {
                if (parse_u64(v, 256, &u) || u == 0) {
                    fprintf(stderr, "nnmc: error: --threads needs an integer from 1 to 256, got '%s'\n", v);
                    return 1;
                }
                opts.threads = (int)u;
            }
            continue;
        }
        if (a[0] == '-' && a[1]) {
            char msg[200];
            snprintf(msg, sizeof msg, "unknown option '%.100s' for '%s'", a, cmd);
            return usage(msg);
        }
        if (file)
            return usage("only one file can be given");
        file = a;
    }
    if (!file)
        return usage("no .nnm file given");
    if (!datadir[0])
        default_data_dir(datadir, sizeof datadir);
    opts.data_dir = datadir;
    if (!opts.threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        opts.threads = n < 1 ? 1 : n > 2 ? 2 : (int)n;
    }

    SrcFile src;
    if (read_source(file, &src))
        return 1;
    Arena arena = {0};
    Diag diag;
    diag_init(&diag, &src, stderr);
    int rc = 0;
    if (mode == 2) {
        nnm_dump_tokens(&src, &arena, &diag, stdout);
    } else {
        ParseCtx ctx = {0};
        ctx.arena = &arena;
        ctx.diag = &diag;
        nnm_parse(&ctx, &src);
        if (mode == 3) {
            if (!diag.n_errors)
                ast_dump(ctx.stmts, stdout);
        } else if (!diag.n_errors) {
            NnmProgram *prog = sema_run(ctx.stmts, &src, &arena, &diag);
            if (prog && mode == 1)
                fputs(prog->summaries, stdout);
            else if (prog) {
                if (prog->has_seed && !seed_given)
                    opts.seed = prog->seed;
                rc = nnm_exec(prog, &opts);
            }
        }
    }
    if (diag_finish(&diag))
        rc = 1;
    arena_free(&arena);
    free((void *)src.text);
    return rc;
}
