/* compiler/build.c — `nnmc emit` and `nnmc build`: the emitted program
 * written to a file, and compiled with the system's C compiler.
 *
 * Files are written whole or not at all (a temporary file in the same
 * directory, then rename), so a failed emit never leaves half a program
 * or destroys an older one.  The compiler is started with an argument
 * vector, never through a shell: paths from the command line cannot be
 * read as shell syntax. */
#include "build.h"
#include "rtcache.h"
#include "files.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* 1 (after a message) when path names a file this command reads: the .nnm
 * file itself, or the weights of --inference; never overwritten. */
static int is_input(const SrcFile *src, const char *weights, const char *path)
{
    const char *in = nnm_same_file(src->name, path) ? src->name : weights && nnm_same_file(weights, path) ? weights : NULL;
    if (!in)
        return 0;
    fprintf(stderr, "nnmc: error: %s: is the input file %s; give another output with -o\n", path, in);
    return 1;
}

/* Output goes through nnm_out_open (whole or not at all; "-" is standard
 * output), never over an input. */
static FILE *open_out(const SrcFile *src, const char *weights, const char *path, NnmOut **tmp)
{
    *tmp = NULL;
    if (!strcmp(path, "-"))
        path = "/dev/stdout";
    return is_input(src, weights, path) ? NULL : nnm_out_open(path, tmp);
}

int nnm_emit_file(const NnmProgram *p, const SrcFile *src, const char *path)
{
    NnmOut *tmp;
    FILE *f = open_out(src, NULL, path, &tmp);
    if (!f)
        return -1;
    return nnm_out_commit(f, tmp, nnm_emit(p, src, f) == 0);
}

int nnm_dot_file(const NnmProgram *p, const SrcFile *src, const char *path)
{
    NnmOut *tmp;
    FILE *f = open_out(src, NULL, path, &tmp);
    if (!f)
        return -1;
    return nnm_out_commit(f, tmp, nnm_write_dot(p, f) == 0);
}

int nnm_emit_predict_files(const NnmProgram *p, const SrcFile *src, const char *weights, const char *cpath)
{
    /* PATH.c and PATH.h; the function is named after the .nnm file */
    size_t n = strlen(cpath);
    char *hpath = nnm_xmalloc(n + 3);
    if (n > 2 && !strcmp(cpath + n - 2, ".c"))
        snprintf(hpath, n + 3, "%.*s.h", (int)(n - 2), cpath);
    else
        snprintf(hpath, n + 3, "%s.h", cpath);
    const char *hbase = strrchr(hpath, '/');
    hbase = hbase ? hbase + 1 : hpath;
    char prefix[64];
    const char *base = strrchr(src->name, '/');
    base = base ? base + 1 : src->name;
    size_t k = 0;
    for (const char *c = base; *c && *c != '.' && k + 1 < sizeof prefix; c++)
        prefix[k++] = isalnum((unsigned char)*c) ? *c : '_';
    prefix[k] = 0;
    if (!k || isdigit((unsigned char)prefix[0])) { /* a C name cannot start with a digit */
        memmove(prefix + 6, prefix, k + 1 < sizeof prefix - 6 ? k + 1 : sizeof prefix - 7);
        memcpy(prefix, "model_", 6);
        prefix[sizeof prefix - 1] = 0;
    }
    NnmOut *ctmp, *htmp;
    FILE *c = open_out(src, weights, cpath, &ctmp);
    FILE *h = c ? open_out(src, weights, hpath, &htmp) : NULL;
    int rc = -1;
    if (c && h) {
        int ok = nnm_emit_predict(p, src, weights, prefix, hbase, c, h) == 0;
        rc = nnm_out_commit(c, ctmp, ok);
        rc |= nnm_out_commit(h, htmp, ok && rc == 0);
    } else if (c) {
        nnm_out_commit(c, ctmp, 0);
    }
    free(hpath);
    return rc ? -1 : 0;
}

/* Appends the whitespace-separated words of s to argv. */
static void add_words(char **argv, int *argc, int max, char *s)
{
    for (char *w = strtok(s, " \t\n"); w && *argc < max; w = strtok(NULL, " \t\n"))
        argv[(*argc)++] = w;
}

int nnm_build(const NnmProgram *p, const SrcFile *src, const char *prog)
{
    size_t n = strlen(prog) + 3;
    char *cfile = nnm_xmalloc(n);
    snprintf(cfile, n, "%s.c", prog);
    /* the compiler's linker replaces what it writes: only a regular file */
    struct stat sb;
    int special = stat(prog, &sb) == 0 && !S_ISREG(sb.st_mode);
    if (special)
        fprintf(stderr, "nnmc: error: %s: not a regular file; build writes a program there\n", prog);
    if (special || is_input(src, NULL, prog) || nnm_emit_file(p, src, cfile)) {
        free(cfile);
        return -1;
    }
    const char *cc_env = getenv("CC"), *cflags_env = getenv("CFLAGS");
    char *cc = nnm_xstrdup(cc_env && *cc_env ? cc_env : "cc");
    char *cflags = nnm_xstrdup(cflags_env ? cflags_env : "-O3 -fno-math-errno");
    /* the compiler's words, -std=c11 and the flags: every command starts so */
    char *argv[NNM_BUILD_MAX_ARGS + 16];
    int argc = 0;
    add_words(argv, &argc, NNM_BUILD_MAX_ARGS / 2, cc);
    if (argc == 0)
        argv[argc++] = "cc";
    argv[argc++] = "-std=c11";
    add_words(argv, &argc, NNM_BUILD_MAX_ARGS, cflags);
    char *libs[3];
    int nlibs = 0;
    libs[nlibs++] = "-lz";
    libs[nlibs++] = "-lm";
    libs[nlibs++] = "-lpthread";
    int rc = nnm_build_cached(p, src, prog, argv, argc, libs, nlibs);
    if (rc == 1) { /* no cache: PROG.c whole */
        argv[argc++] = "-o";
        argv[argc++] = (char *)prog;
        argv[argc++] = cfile;
        for (int i = 0; i < nlibs; i++)
            argv[argc++] = libs[i];
        argv[argc] = NULL;
        rc = nnm_run_printed(argv, cfile);
    }
    free(cc);
    free(cflags);
    free(cfile);
    return rc;
}
