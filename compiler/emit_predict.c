/* compiler/emit_predict.c — `nnmc emit --inference`: a predict-only C file
 * for small devices, made of the runtime's own forward code.
 *
 * The file holds: the runtime headers (types and declarations), then just
 * the runtime definitions the model's forward pass needs, then the layers
 * and weights as constants, static buffers for one sample, and
 * PREFIX_predict().  The definitions are picked by a small source-level
 * linker: the runtime's .c files are cut into top-level items (a function,
 * a table, a #define, a typedef), each named by what it defines; starting
 * from the forward functions of the model's layer kinds, every item whose
 * name appears in an item already taken is taken too.  This relies on the
 * runtime's layout: every top-level definition starts in column 0 and a
 * function's closing brace is alone in column 0; a kernel defined with
 * NNM_ISA_KERNEL(name, ...) (isa.h, plain static functions here) is named
 * by its first argument.
 *
 * NNM_PREDICT_ONLY makes the shared headers drop stdio and threads; the
 * matrix products are nnm_gemm's, as in `nnmc run`, so the outputs equal
 * its predictions bit for bit. */
#include "emit.h"
#include "layer.h"
#include "net.h"
#include "util.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* the runtime files whose definitions may be taken (the pool), and the
 * headers written whole, in this order */
static const char *const pool_files[] = {"rng.c", "gemm.c", "kernels.c", "spatial.c", "layer.c"};
static const char *const header_files[] = {"program.h", "util.h", "rng.h", "isa.h", "kernels.h",
                                           "layer.h",   "gemm.h", "parallel.h"};

typedef struct {
    char name[64];
    const char *text; /* from the embedded source: comment above + definition */
    size_t len;
    int group;        /* a top-level #if block: taken with any item of its file */
    int file;
    int taken;
} Item;

typedef struct {
    Item *v;
    int n, cap;
} Items;

static int is_id(int c) { return isalnum(c) || c == '_'; }

/* A copy of the text with comments, strings and character literals blanked
 * out (newlines kept, same length), so that brackets and identifiers in
 * them do not count. */
static char *code_only(const char *t, size_t n)
{
    char *o = nnm_xmalloc(n + 1);
    memcpy(o, t, n);
    o[n] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        if (t[i] == '/' && i + 1 < n && t[i + 1] == '*') {
            for (j = i + 2; j + 1 < n && !(t[j] == '*' && t[j + 1] == '/'); j++)
                ;
            j = j + 1 < n ? j + 2 : n;
        } else if (t[i] == '/' && i + 1 < n && t[i + 1] == '/') {
            while (j < n && t[j] != '\n')
                j++;
        } else if (t[i] == '"' || t[i] == '\'') {
            for (j = i + 1; j < n && t[j] != t[i] && t[j] != '\n'; j++)
                if (t[j] == '\\')
                    j++;
            j = j < n ? j + 1 : n;
        } else {
            continue;
        }
        for (size_t k = i; k < j && k < n; k++)
            if (o[k] != '\n')
                o[k] = ' ';
        i = j - 1;
    }
    return o;
}

/* What a top-level declaration defines: the identifier before the first
 * '(', '[', '=', ';' or '{' outside brackets (__attribute__((...)) skipped),
 * or, for a typedef, the last identifier before its ';'. */
static void item_name(const char *code, char *name, size_t size)
{
    static const char kernel[] = "NNM_ISA_KERNEL(";
    if (!strncmp(code, kernel, sizeof kernel - 1)) { /* named by its first argument */
        const char *c = code + sizeof kernel - 1;
        size_t n = 0;
        while (c[n] == ' ')
            c++;
        while (is_id((unsigned char)c[n]))
            n++;
        snprintf(name, size, "%.*s", (int)n, c);
        return;
    }
    char last[64] = "";
    int typedef_ = !strncmp(code, "typedef", 7), depth = 0;
    name[0] = 0;
    for (const char *c = code; *c; c++) {
        if (is_id((unsigned char)*c) && !isdigit((unsigned char)*c)) {
            size_t n = 0;
            while (is_id((unsigned char)c[n]))
                n++;
            if (n == 13 && !strncmp(c, "__attribute__", 13)) { /* skip its ((...)): not the name */
                const char *a = c + n;
                int open = 0;
                while (*a == ' ')
                    a++;
                do {
                    open += *a == '(';
                    open -= *a == ')';
                } while (*a && *++a && open > 0);
                c = a - 1;
                continue;
            }
            if (depth == 0 && n < sizeof last) {
                memcpy(last, c, n);
                last[n] = 0;
            }
            c += n - 1;
            continue;
        }
        if (*c == '{' && typedef_) {
            depth++;
            continue;
        }
        if (*c == '}' && typedef_) {
            depth--;
            continue;
        }
        if (depth == 0 && (typedef_ ? *c == ';' : (*c == '(' || *c == '[' || *c == '=' || *c == ';' || *c == '{'))) {
            snprintf(name, size, "%s", last);
            return;
        }
    }
}

static void add_item(Items *it, const char *text, size_t len, int file, int group)
{
    if (it->n == it->cap) {
        it->cap = it->cap ? 2 * it->cap : 256;
        it->v = nnm_xrealloc(it->v, (size_t)it->cap * sizeof *it->v);
    }
    Item *x = &it->v[it->n++];
    memset(x, 0, sizeof *x);
    x->text = text;
    x->len = len;
    x->file = file;
    x->group = group;
    if (!group) {
        /* skip a leading comment when naming */
        const char *t = text, *end = text + len;
        char *code = code_only(t, (size_t)(end - t));
        const char *c = code;
        while (*c && isspace((unsigned char)*c))
            c++;
        if (!strncmp(c, "#define", 7)) {
            c += 7;
            while (*c == ' ')
                c++;
            size_t n = 0;
            while (is_id((unsigned char)c[n]) && n + 1 < sizeof x->name)
                n++;
            memcpy(x->name, c, n);
            x->name[n] = 0;
        } else {
            item_name(c, x->name, sizeof x->name);
        }
        free(code);
    }
}

static const char *line_end(const char *p)
{
    const char *e = strchr(p, '\n');
    return e ? e + 1 : p + strlen(p);
}

/* Cuts one runtime .c file into items. */
static void cut_file(Items *it, int file)
{
    const char *t = nnm_runtime_texts[file].text;
    char *mask = code_only(t, strlen(t));
    const char *p = t, *comment = NULL;
    while (*p) {
        const char *e = line_end(p);
        if (*p == '\n') { /* a blank line detaches a comment from what follows */
            comment = NULL;
            p = e;
            continue;
        }
        if (!strncmp(p, "/*", 2) && !comment) {
            comment = p;
            const char *close = strstr(p, "*/");
            p = close ? line_end(close) : p + strlen(p);
            continue;
        }
        if (*p == '#') {
            const char *start = comment ? comment : p;
            comment = NULL;
            if (!strncmp(p, "#include", 8) || !strncmp(p, "#undef", 6)) {
                p = e;
                continue;
            }
            if (!strncmp(p, "#if", 3)) {
                int depth = 0;
                const char *q = p;
                for (; *q; q = line_end(q)) {
                    if (!strncmp(q, "#if", 3))
                        depth++;
                    else if (!strncmp(q, "#endif", 6) && --depth == 0) {
                        q = line_end(q);
                        break;
                    }
                }
                add_item(it, start, (size_t)(q - start), file, 1);
                p = q;
                continue;
            }
            const char *q = p; /* #define, with its continuation lines */
            while (*q) {
                const char *qe = line_end(q);
                int cont = qe - q >= 2 && qe[-1] == '\n' && qe[-2] == '\\';
                q = qe;
                if (!cont)
                    break;
            }
            add_item(it, start, (size_t)(q - start), file, 0);
            p = q;
            continue;
        }
        if (isspace((unsigned char)*p)) { /* stray indented text: not ours to cut */
            p = e;
            continue;
        }
        /* a declaration or definition: up to the line where the brackets
         * close and the text ends with ';' or '}' */
        const char *start = comment ? comment : p;
        comment = NULL;
        int depth = 0;
        const char *q = p;
        while (*q) {
            const char *qe = line_end(q);
            char lastc = 0;
            for (const char *c = mask + (q - t); c < mask + (qe - t); c++) {
                if (*c == '{' || *c == '(')
                    depth++;
                else if (*c == '}' || *c == ')')
                    depth--;
                if (!isspace((unsigned char)*c))
                    lastc = *c;
            }
            q = qe;
            if (depth == 0 && (lastc == ';' || lastc == '}'))
                break;
        }
        add_item(it, start, (size_t)(q - start), file, 0);
        p = q;
    }
    free(mask);
}

static int find_item(const Items *it, const char *name, size_t n, int from)
{
    for (int i = from; i < it->n; i++)
        if (!it->v[i].group && strlen(it->v[i].name) == n && !strncmp(it->v[i].name, name, n))
            return i;
    return -1;
}

/* Takes item i and, transitively, every item it names (all items of that
 * name: a prototype and its definition). */
static void take(Items *it, int i)
{
    if (it->v[i].taken)
        return;
    it->v[i].taken = 1;
    char *code = code_only(it->v[i].text, it->v[i].len);
    for (const char *c = code; *c;) {
        if (is_id((unsigned char)*c) && !isdigit((unsigned char)*c)) {
            size_t n = 0;
            while (is_id((unsigned char)c[n]))
                n++;
            for (int j = find_item(it, c, n, 0); j >= 0; j = find_item(it, c, n, j + 1))
                take(it, j);
            c += n;
        } else {
            c++;
        }
    }
    free(code);
}

/* The name of a layer kind's forward function, read from its LayerKind
 * definition in the runtime text: ".forward = NAME". */
static int forward_name(int kind, char *name, size_t size, int *file)
{
    static const char *const syms[] = {
#define X(ID, sym) #sym,
#include "layers.def"
#undef X
    };
    char def[96];
    snprintf(def, sizeof def, "const LayerKind layer_%s = {", syms[kind]);
    for (int f = 0; nnm_runtime_texts[f].name; f++) {
        const char *d = strstr(nnm_runtime_texts[f].text, def);
        if (!d)
            continue;
        const char *fw = strstr(d, ".forward = ");
        const char *end = strstr(d, "};");
        if (!fw || (end && fw > end))
            return -1;
        fw += strlen(".forward = ");
        size_t n = 0;
        while (is_id((unsigned char)fw[n]))
            n++;
        snprintf(name, size, "%.*s", (int)n, fw);
        *file = f;
        return 0;
    }
    return -1;
}

static void put_floats(FILE *o, const float *w, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%.9g", (double)w[i]); /* 9 digits: exact for a float */
        int integral = !strpbrk(buf, ".eE");
        fprintf(o, "%s%s%s", buf, integral ? ".0f" : "f", i + 1 < n ? (i % 8 == 7 ? ",\n" : ", ") : "\n");
    }
}

static const NnmModel *pick_model(const NnmProgram *p)
{
    for (int i = p->nsteps - 1; i >= 0; i--)
        if (p->steps[i].kind == STEP_FIT)
            return &p->models[p->steps[i].model];
    return p->nmodels ? &p->models[0] : NULL;
}

int nnm_emit_predict(const NnmProgram *p, const SrcFile *src, const char *wpath, const char *prefix,
                     const char *hname, FILE *out, FILE *hout)
{
    const NnmModel *m = pick_model(p);
    if (!m || !m->nlayers) {
        fprintf(stderr, "nnmc: error: %s: has no model with layers to emit\n", src->name);
        return -1;
    }
    /* one input and one output: f(input, output); else f(inputs[], outputs[]) */
    const int single = m->ninputs == 1 && m->noutputs == 1;
    const char *params = single ? "const float *input, float *output"
                                : "const float *const inputs[], float *const outputs[]";
    int64_t nw = 0, *woff = nnm_xcalloc((size_t)m->nlayers + 1, sizeof *woff);
    for (int i = 0; i < m->nlayers; i++) {
        woff[i] = nw;
        nw += m->layers[i].nparams; /* 0 for a layer's later calls: they use its first call's w */
    }
    float *w = nnm_alloc_floats(nw + 1);
    if (net_weights_file(m, w, wpath, 0)) {
        nnm_free_aligned(w);
        free(woff);
        return -1;
    }
    for (int64_t i = 0; i < nw; i++)
        if (!isfinite(w[i])) {
            fprintf(stderr, "nnmc: error: %s: holds a weight that is not a finite number\n", wpath);
            nnm_free_aligned(w);
            free(woff);
            return -1;
        }

    /* the runtime definitions the forward pass needs */
    Items it = {0};
    for (size_t f = 0; f < NNM_COUNTOF(pool_files); f++)
        cut_file(&it, emit_find_text(pool_files[f]));
    for (int f = 0; nnm_runtime_texts[f].name; f++)
        if (!strncmp(nnm_runtime_texts[f].path, "runtime/layers/", 15) && strstr(nnm_runtime_texts[f].name, ".c") &&
            strcmp(nnm_runtime_texts[f].name, "layer.c"))
            cut_file(&it, f);
    char (*fwd)[64] = nnm_xcalloc((size_t)m->nlayers, sizeof *fwd);
    int rc = 0;
    for (int i = 0; i < m->nlayers; i++) {
        int file, j;
        if (forward_name(m->layers[i].kind, fwd[i], sizeof fwd[i], &file) ||
            (j = find_item(&it, fwd[i], strlen(fwd[i]), 0)) < 0) {
            fprintf(stderr, "nnmc: error: cannot find the forward code of %s\n", m->layers[i].name);
            rc = -1;
            break;
        }
        take(&it, j);
        /* the attributes' type, when its file defines it (layer.h's are whole) */
        const char *at = layer_kinds[m->layers[i].kind]->attr_type;
        if (at && (j = find_item(&it, at, strlen(at), 0)) >= 0)
            take(&it, j);
    }

    Emitter e = {.out = out, .p = p, .src = src};
    if (rc == 0) {
        fputs("/* Generated by nnmc from ", out);
        emit_comment_text(out, src->name, strlen(src->name));
        fputs(" and ", out);
        emit_comment_text(out, wpath, strlen(wpath));
        fprintf(out, ".\n * The forward pass of model '");
        emit_comment_text(out, m->name, strlen(m->name));
        fputs("' for one sample at a time: see ", out);
        emit_comment_text(out, hname, strlen(hname));
        fputs(".\n", out);
        fputs(" * No malloc, no stdio, no threads, no BLAS: C11 with <math.h> and <string.h>. */\n"
              "#define NNM_PREDICT_ONLY 1\n#include <math.h>\n#include <stddef.h>\n"
              "#include <stdint.h>\n#include <string.h>\n\n",
              out);
        /* the header's prototype, repeated rather than #included: a header
         * name is not a string literal, so an odd file name could not be
         * escaped there */
        fprintf(out, "int %s_predict(%s);\n\n", prefix, params);
        for (size_t h = 0; h < NNM_COUNTOF(header_files); h++) {
            int f = emit_find_text(header_files[h]);
            if (!e.done[f])
                emit_runtime_file(&e, f);
        }
        /* taken items in source order, each file's top-level #if blocks first */
        int last_file = -1;
        for (int i = 0; i < it.n; i++) {
            if (!it.v[i].taken)
                continue;
            if (it.v[i].file != last_file) {
                last_file = it.v[i].file;
                fprintf(out, "\n/* ---- from %s ---- */\n", nnm_runtime_texts[last_file].path);
                for (int g = 0; g < it.n; g++)
                    if (it.v[g].group && it.v[g].file == last_file)
                        fprintf(out, "%.*s\n", (int)it.v[g].len, it.v[g].text);
            }
            fprintf(out, "%.*s\n", (int)it.v[i].len, it.v[i].text);
        }
        fputs("\n/* ==== the model ==== */\n\n", out);
        emit_layers(&e, "layers", m->layers, m->nlayers);
        fputc('\n', out);
        for (int i = 0; i < m->nlayers; i++) {
            const NnmLayer *l = &m->layers[i];
            if (!l->nparams)
                continue;
            fprintf(out, "/* %s: %lld weights */\nstatic const float w%d[%lld] = {\n", l->name,
                    (long long)l->nparams, i, (long long)l->nparams);
            put_floats(out, w + woff[i], l->nparams);
            fputs("};\n", out);
        }
        fputs("\n/* each layer's output and scratch, for one sample */\n", out);
        for (int i = 0; i < m->nlayers; i++) {
            const NnmLayer *l = &m->layers[i];
            int64_t sc = layer_kinds[l->kind]->scratch(l);
            fprintf(out, "static _Alignas(64) float y%d[%lld];\n", i, (long long)shape_size(&l->out));
            if (sc)
                fprintf(out, "static _Alignas(64) float s%d[%lld];\n", i, (long long)sc);
        }
        int64_t work = 0; /* one thread's workspace, shared by the layers */
        for (int i = 0; i < m->nlayers; i++)
            work = NNM_MAX(work, layer_workspace(&m->layers[i]));
        if (work)
            fprintf(out, "static _Alignas(64) float work[%lld];\n", (long long)work);
        int64_t bwork = 0; /* the call's buffer (a convolution's packed kernel) */
        for (int i = 0; i < m->nlayers; i++)
            bwork = NNM_MAX(bwork, layer_batch_work(&m->layers[i], 1));
        if (bwork)
            fprintf(out, "static _Alignas(64) float bwork[%lld];\n", (long long)bwork);
        fprintf(out, "\nint %s_predict(%s)\n{\n    LayerRun r;\n", prefix, params);
        for (int i = 0; i < m->nlayers; i++) {
            const NnmLayer *l = &m->layers[i];
            emit_origin(&e, l->line, "    ");
            fprintf(out, "    memset(&r, 0, sizeof r);\n    r.l = &layers[%d];\n    r.batch = 1;\n", i);
            for (int k = 0; k < l->nin; k++) {
                if (l->inputs[k] >= 0)
                    fprintf(out, "    r.xs[%d] = y%d;\n", k, l->inputs[k]);
                else if (single)
                    fprintf(out, "    r.xs[%d] = input;\n", k);
                else
                    fprintf(out, "    r.xs[%d] = inputs[%d];\n", k, -1 - l->inputs[k]);
            }
            fputs("    r.x = r.xs[0];\n", out);
            fprintf(out, "    r.y = y%d;\n", i);
            if (layer_kinds[l->kind]->scratch(l))
                fprintf(out, "    r.scratch = s%d;\n", i);
            if (layer_workspace(l))
                fputs("    r.work = work;\n", out);
            if (layer_batch_work(l, 1))
                fputs("    r.bwork = bwork;\n", out);
            int owner = net_weights_owner(m, i);
            if (m->layers[owner].nparams) /* read only: training is off */
                fprintf(out, "    r.w = (float *)w%d;\n", owner);
            fprintf(out, "    %s(&r);\n", fwd[i]);
        }
        for (int k = 0; k < m->noutputs; k++) {
            int node = m->outputs[k].node;
            if (single)
                fprintf(out, "    memcpy(output, y%d, sizeof y%d);\n", node, node);
            else
                fprintf(out, "    memcpy(outputs[%d], y%d, sizeof y%d);\n", k, node, node);
        }
        fputs("    return 0;\n}\n", out);

        /* the header */
        char guard[80];
        size_t g = 0;
        for (const char *c = prefix; *c && g + 3 < sizeof guard; c++)
            guard[g++] = (char)toupper((unsigned char)*c);
        snprintf(guard + g, sizeof guard - g, "_H");
        fprintf(hout, "/* Generated by nnmc: the forward pass of model '");
        emit_comment_text(hout, m->name, strlen(m->name));
        fprintf(hout, "' from ");
        emit_comment_text(hout, src->name, strlen(src->name));
        fputs(".\n *\n", hout);
        for (int k = 0; k < m->ninputs; k++) {
            fprintf(hout, " * %s", single ? "input" : "inputs[");
            if (!single)
                fprintf(hout, "%d] ('", k);
            if (!single)
                emit_comment_text(hout, m->input_names[k], strlen(m->input_names[k]));
            fprintf(hout, "%s: one sample, ", single ? "" : "')");
            for (int d = 0; d < m->inputs[k].rank; d++)
                fprintf(hout, "%s%lld", d ? " x " : "", (long long)m->inputs[k].dim[d]);
            fputs(" floats\n", hout);
        }
        fputs(" *   in row-major (height, width, channels) order, scaled as the training\n"
              " *   data was (pixels / 255, then the file's arithmetic on x, if any);\n", hout);
        for (int k = 0; k < m->noutputs; k++) {
            const NnmLayer *ol = &m->layers[m->outputs[k].node];
            fprintf(hout, " * %s", single ? "output" : "outputs[");
            if (!single) {
                fprintf(hout, "%d] ('", k);
                emit_comment_text(hout, ol->name, strlen(ol->name));
                fputs("')", hout);
            }
            fprintf(hout, ": the model's output for it, %lld floats\n", (long long)shape_size(&ol->out));
        }
        fputs(" * Returns 0.  Uses static buffers: one call at a time. */\n", hout);
        fprintf(hout, "#ifndef %s\n#define %s\n\n", guard, guard);
        if (single) {
            fprintf(hout, "#define %.*s_INPUT_SIZE %lld\n", (int)g, guard, (long long)shape_size(&m->inputs[0]));
            fprintf(hout, "#define %.*s_OUTPUT_SIZE %lld\n\n", (int)g, guard,
                    (long long)shape_size(&m->layers[m->outputs[0].node].out));
        } else {
            fprintf(hout, "#define %.*s_INPUTS %d\n#define %.*s_OUTPUTS %d\n", (int)g, guard, m->ninputs, (int)g,
                    guard, m->noutputs);
            for (int k = 0; k < m->ninputs; k++)
                fprintf(hout, "#define %.*s_INPUT%d_SIZE %lld\n", (int)g, guard, k,
                        (long long)shape_size(&m->inputs[k]));
            for (int k = 0; k < m->noutputs; k++)
                fprintf(hout, "#define %.*s_OUTPUT%d_SIZE %lld\n", (int)g, guard, k,
                        (long long)shape_size(&m->layers[m->outputs[k].node].out));
            fputc('\n', hout);
        }
        fprintf(hout, "int %s_predict(%s);\n\n#endif\n", prefix, params);
    }
    free(it.v);
    free(fwd);
    free(woff);
    nnm_free_aligned(w);
    fflush(out);
    fflush(hout);
    if (rc == 0 && (ferror(out) || ferror(hout)))
        rc = -1;
    return rc;
}
