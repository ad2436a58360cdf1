/* fuzz/fuzz_frontend.c — AFL++ harness for the front end: lexer, parser and
 * semantic analysis (everything `nnmc check` does), then the C emitter on
 * every program that comes out (`nnmc emit`), in persistent mode.
 *
 *   make fuzz FUZZ_SECONDS=1800     (see fuzz/run.sh)
 *
 * Any crash, sanitizer report or hang is a bug: nnmc must turn every input
 * into diagnostics or a program. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ast.h"
#include "emit.h"
#include "sema.h"

#ifndef __AFL_LOOP
#define __AFL_LOOP(n) (once_ ? (once_ = 0, 1) : 0)
static int once_ = 1;
#endif

static void run_one(const char *data, size_t n, FILE *sink)
{
    char *text = nnm_xmalloc(n + 1);
    memcpy(text, data, n);
    text[n] = 0;
    SrcFile src = {"fuzz.nnm", text, (uint32_t)n};
    Arena arena = {0};
    Diag diag;
    diag_init(&diag, &src, sink);
    ParseCtx ctx = {0};
    ctx.arena = &arena;
    ctx.diag = &diag;
    nnm_parse(&ctx, &src);
    if (!diag.n_errors) {
        NnmProgram *p = sema_run(ctx.stmts, &src, &arena, &diag);
        if (p)
            nnm_emit(p, &src, sink);
    }
    diag_finish(&diag);
    arena_free(&arena);
    free(text);
}

int main(int argc, char **argv)
{
    FILE *sink = fopen("/dev/null", "w");
    static char buf[1 << 20];
    while (__AFL_LOOP(10000)) {
        size_t n;
        if (argc > 1) {
            FILE *f = fopen(argv[1], "rb");
            if (!f)
                return 1;
            n = fread(buf, 1, sizeof buf, f);
            fclose(f);
        } else {
            n = fread(buf, 1, sizeof buf, stdin);
        }
        run_one(buf, n, sink);
    }
    fclose(sink);
    return 0;
}
