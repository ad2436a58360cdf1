/* compiler/main.c — the nnmc command line.
 *
 *   nnmc run FILE.nnm [options]   parse, analyse, then interpret the file
 *   nnmc check FILE.nnm           parse and analyse; print the model summaries
 *   nnmc emit FILE.nnm [-o F.c]   write the file as one standalone C program
 *   nnmc build FILE.nnm [-o F]    the same, compiled with the system's C compiler
 *   nnmc dot FILE.nnm [-o F.dot]  the models as a Graphviz graph
 *   nnmc predict FILE.nnm --weights W.npz [--top K] IMAGE...  classify images
 *   nnmc tokens|ast|ir FILE.nnm   debugging dumps (used by the tests)
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
#include "build.h"
#include "exec.h"
#include "options.h"
#include "predict.h"
#include "files.h"
#include "util.h"
#include "sema.h"

#define NNM_VERSION "0.1.0"

static const char usage_text[] =
    "usage: nnmc run FILE.nnm " NNM_RUN_OPTIONS_USAGE "\n"
    "       nnmc check FILE.nnm\n"
    "       nnmc emit FILE.nnm [-o OUT.c] [--blas cblas|none]\n"
    "       nnmc emit --inference FILE.nnm --weights W.npz [-o OUT.c]\n"
    "       nnmc build FILE.nnm [-o PROG] [--blas cblas|none]\n"
    "       nnmc dot FILE.nnm [-o OUT.dot]\n"
    "       nnmc predict FILE.nnm --weights W.npz [--top K] IMAGE...\n"
    "       nnmc --help | --version\n";

static const char help_text[] =
    "nnmc " NNM_VERSION " - train Keras-style models written in .nnm files, in C\n"
    "\n"
    "commands:\n"
    "  run FILE.nnm     parse, check and run the file: build, train, evaluate, save\n"
    "  check FILE.nnm   parse and check the file; print the model summaries; no data needed\n"
    "  emit FILE.nnm    write the file as one standalone C program that trains exactly as\n"
    "                   run does (default output: FILE.c in the current directory)\n"
    "  build FILE.nnm   emit, then compile with $CC (default cc) and $CFLAGS (default -O3)\n"
    "                   into PROG (default: FILE); the program takes the options of run;\n"
    "                   the runtime part is compiled once, into $NNMC_CACHE (default\n"
    "                   ~/.cache/nnmc; NNMC_CACHE=off compiles the whole file)\n"
    "  dot FILE.nnm     the models as a Graphviz graph, one box per layer with its input and\n"
    "                   output shapes, as Keras's plot_model draws them (default: standard\n"
    "                   output; then e.g. dot -Tpng -o model.png)\n"
    "  predict FILE.nnm --weights W.npz [--top K] IMAGE...\n"
    "                   the top K (default 5) classes of the file's last model, trained\n"
    "                   weights W.npz, for PNG, PGM/PPM images and IDX image files (every\n"
    "                   image in them): converted, resized and scaled to the model's input\n"
    "  tokens FILE.nnm  print the tokens of the file (debugging)\n"
    "  ast FILE.nnm     print the syntax tree of the file (debugging)\n"
    "  ir FILE.nnm      print the checked program's IR, as emit writes it into the program:\n"
    "                   each layer with its inputs, shapes and attributes, the models, the\n"
    "                   steps (debugging)\n"
    "\n"
    "options of run:\n"
    NNM_RUN_OPTIONS_HELP

    "\n"
    "options of emit and build:\n"
    "  -o PATH          the output file (emit: - for standard output)\n"
    "  --blas cblas|none  accepted and ignored: nnmc's matrix products are its own\n"
    "                   (runtime/gemm.c), and programs link no BLAS library\n"
    "  --inference      emit: only the forward pass, with the weights of --weights W.npz\n"
    "                   built in, as OUT.c and OUT.h (default FILE_predict.c) with\n"
    "                   int FILE_predict(const float *input, float *output): no malloc,\n"
    "                   no stdio, no threads, no BLAS\n"
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

/* The model file, or standard input for "-" (the one input that may be a pipe). */
static int read_source(const char *path, SrcFile *src)
{
    unsigned char *buf;
    size_t n;
    int rc = !strcmp(path, "-") ? nnm_read_fd(0, 0, "<stdin>", MAX_SOURCE, "16 MiB", &buf, &n)
                                : nnm_read_file(path, MAX_SOURCE, "16 MiB", 0, &buf, &n);
    if (rc)
        return -1;
    src->name = !strcmp(path, "-") ? "<stdin>" : path;
    src->text = (char *)buf;
    src->size = (uint32_t)n;
    return 0;
}

/* FILE.nnm -> FILE + ext in the current directory */
static void default_output(const char *file, const char *ext, char *buf, size_t size)
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    size_t n = strlen(base);
    if (n > 4 && !strcmp(base + n - 4, ".nnm"))
        n -= 4;
    snprintf(buf, size, "%.*s%s", (int)n, base, ext);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(NULL);
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        if (argc > 2)
            return usage("--help takes no arguments");
        fputs(help_text, stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        if (argc > 2)
            return usage("--version takes no arguments");
        printf("nnmc %s (matrix products: its own GEMM, runtime/gemm.c)\n", NNM_VERSION);
        return 0;
    }
    enum { RUN, CHECK, TOKENS, AST, EMIT, BUILD, DOT, PREDICT, IR };
    int mode = !strcmp(cmd, "run") ? RUN : !strcmp(cmd, "check") ? CHECK : !strcmp(cmd, "tokens") ? TOKENS
             : !strcmp(cmd, "ast") ? AST : !strcmp(cmd, "emit") ? EMIT : !strcmp(cmd, "build") ? BUILD
             : !strcmp(cmd, "dot") ? DOT : !strcmp(cmd, "predict") ? PREDICT : !strcmp(cmd, "ir") ? IR : -1;
    if (mode < 0) {
        char msg[200];
        snprintf(msg, sizeof msg, "unknown command '%.100s'", cmd);
        return usage(msg);
    }
    NnmRunArgs ra;
    nnm_run_args_init(&ra);
    const char *file = NULL, *out = NULL, *weights = NULL;
    int inference = 0, top = 5, ninputs = 0;
    /* predict's images, gathered in place at the front of argv's arguments
     * (each is moved to a slot the loop has already read) */
    char **inputs = argv + 2;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { /* nnmc run --help: the same help */
            fputs(help_text, stdout);
            return 0;
        }
        if ((mode == RUN || mode == EMIT || mode == BUILD) && !strcmp(a, "--blas")) {
            /* older nnmc linked OpenBLAS; both values are still accepted,
             * and change nothing: every product is nnmc's own */
            const char *v = i + 1 < argc ? argv[++i] : "";
            if (strcmp(v, "none") && strcmp(v, "cblas"))
                return usage("--blas takes 'cblas' or 'none'");
            continue;
        }
        if (mode == EMIT && !strcmp(a, "--inference")) {
            inference = 1;
            continue;
        }
        if (mode == PREDICT && !strcmp(a, "--top")) {
            char *end;
            long k = i + 1 < argc ? strtol(argv[i + 1], &end, 10) : 0;
            if (i + 1 >= argc || *end || k < 1 || k > 1000)
                return usage("--top needs a number from 1 to 1000");
            top = (int)k;
            i++;
            continue;
        }
        if (mode == PREDICT && file && a[0] != '-') {
            inputs[ninputs++] = argv[i];
            continue;
        }
        if ((mode == EMIT || mode == PREDICT) && !strcmp(a, "--weights")) {
            if (i + 1 >= argc || !argv[i + 1][0])
                return usage("--weights needs a .npz file");
            weights = argv[++i];
            continue;
        }
        if ((mode == EMIT || mode == BUILD || mode == DOT) && !strcmp(a, "-o")) {
            if (i + 1 >= argc || !argv[i + 1][0])
                return usage("-o needs a file name");
            out = argv[++i];
            continue;
        }
        if (mode == RUN) {
            char msg[200];
            int r = nnm_run_option(&ra, argc, argv, &i, msg, sizeof msg);
            if (r == 1)
                continue;
            if (r == -1)
                return 1;
            if (r == -2)
                return usage(msg);
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
    if (mode == PREDICT && (!weights || !ninputs))
        return usage(!weights ? "predict needs --weights W.npz" : "predict needs one or more images");
    if (mode != PREDICT && inference != (weights != NULL))
        return usage(inference ? "--inference needs --weights W.npz" : "--weights goes with --inference");

    SrcFile src;
    if (read_source(file, &src))
        return 1;
    Arena arena = {0};
    Diag diag;
    diag_init(&diag, &src, stderr);
    int rc = 0;
    if (mode == TOKENS) {
        nnm_dump_tokens(&src, &arena, &diag, stdout);
    } else {
        ParseCtx ctx = {0};
        ctx.arena = &arena;
        ctx.diag = &diag;
        nnm_parse(&ctx, &src);
        if (mode == AST) {
            if (!diag.n_errors)
                ast_dump(ctx.stmts, stdout);
        } else if (!diag.n_errors) {
            NnmProgram *prog = sema_run(ctx.stmts, &src, &arena, &diag);
            if (prog && mode == CHECK) {
                fputs(prog->summaries, stdout);
            } else if (prog && mode == PREDICT) {
                rc = nnm_predict(prog, weights, top, inputs, ninputs);
            } else if (prog && mode == IR) {
                rc = nnm_emit_ir(prog, &src, stdout) ? 1 : 0;
            } else if (prog && mode == DOT) {
                rc = nnm_dot_file(prog, &src, out ? out : "-") ? 1 : 0;
            } else if (prog && (mode == EMIT || mode == BUILD)) {
                char def[4096];
                if (!out)
                    default_output(file, mode == BUILD ? "" : inference ? "_predict.c" : ".c", def, sizeof def);
                int r = inference      ? nnm_emit_predict_files(prog, &src, weights, out ? out : def)
                        : mode == EMIT ? nnm_emit_file(prog, &src, out ? out : def)
                                       : nnm_build(prog, &src, out ? out : def);
                rc = r ? 1 : 0;
            } else if (prog) {
                rc = nnm_run_args_finish(&ra, prog) ? 1 : nnm_exec(prog, &ra.o);
            }
        }
    }
    if (diag_finish(&diag))
        rc = 1;
    arena_free(&arena);
    free((void *)src.text);
    return rc;
}
