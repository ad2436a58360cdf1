/* compiler/summary.c — model.summary() as Keras 2.2.4 prints it: the
 * 65-column table of a Sequential model (or of a functional one that is a
 * chain), the 98-column one with "Connected to" of a graph, and the
 * summaries `nnmc check` prints of every model of a file. */
#include "sema_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fmt_thousands(char *buf, size_t size, int64_t v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v), o = 0;
    for (int i = 0; i < n && (size_t)o + 2 < size; i++) {
        if (i && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = 0;
}

/* Keras 2.2.4's print_row: each field cut at its column's end and padded
 * to it; a field after the first overwrites the last character before it.
 * Sequential models have 3 columns ending at 29, 55 and 65. */
static void summary_row(char *out, size_t *o, size_t cap, const int *pos, int nf, const char *const *f)
{
    char line[160];
    int len = 0;
    for (int i = 0; i < nf; i++) {
        if (i > 0)
            line[len - 1] = ' ';
        for (const char *c = f[i]; *c && len < pos[i]; c++)
            line[len++] = *c;
        while (len < pos[i])
            line[len++] = ' ';
    }
    line[len] = 0;
    *o += (size_t)snprintf(out + *o, cap - *o, "%s\n", line);
}

static const int seq_pos[3] = {29, 55, 65};

/* A layer of the summary: an Input (t), a layer object (l) or a model
 * called as a layer (model). */
typedef struct {
    LayerV *l;
    TensorV *t;
    const ModelV *model;
    int index;             /* Keras's traversal order from the outputs */
    int depth;
} SumLayer;

static int by_depth(const void *a, const void *b)
{
    const SumLayer *x = a, *y = b;
    if (x->depth != y->depth)
        return y->depth - x->depth;
    return x->index - y->index;
}

typedef struct {
    const ModelV *m;
    TensorV **post;        /* the nodes, inputs included, in the walk's post-order */
    int npost;
    SumLayer *layers;
    int nlayers;
} SumWalk;

/* The node a summary shows for tensor t: t, or the stand-in of the model
 * call that made it (the call's layers are the model's row). */
static TensorV *shown(TensorV *t)
{
    return t->via ? t->via->node : t;
}

/* what makes a row: the layer object, the model called, or the Input */
static const void *row_key(const TensorV *t)
{
    return t->layer ? (const void *)t->layer : t->via ? (const void *)t->via->m : (const void *)t;
}

static int sum_layer(SumWalk *w, TensorV *t)
{
    const void *key = row_key(t);
    for (int i = 0; i < w->nlayers; i++) {
        const SumLayer *L = &w->layers[i];
        if (key == (L->l ? (const void *)L->l : L->model ? (const void *)L->model : (const void *)L->t))
            return i;
    }
    w->layers[w->nlayers] = (SumLayer){t->layer, t->layer || t->via ? NULL : t, t->via ? t->via->m : NULL,
                                       w->nlayers, 0};
    return w->nlayers++;
}

/* Keras's build_map: layers numbered in pre-order from the outputs, nodes
 * listed in post-order */
static void sum_visit(SumWalk *w, TensorV *t, int walk)
{
    t = shown(t);
    if (t->mark == walk)
        return;
    t->mark = walk;
    sum_layer(w, t);
    for (int k = 0; k < t->nin; k++)
        sum_visit(w, t->in[k], walk);
    w->post[w->npost++] = t;
}

/* "layer[node][tensor]" of tensor t as an input in the Connected to column */
static void connection(const TensorV *t, char *buf, size_t size)
{
    if (t->via) {
        const ModelCall *c = t->via;
        int k = 0;
        while (k < c->nout - 1 && c->outs[k] != t)
            k++;
        snprintf(buf, size, "%s[%d][%d]", c->m->name, c->call, k);
    } else {
        snprintf(buf, size, "%s[%d][0]", t->layer ? t->layer->d.name : t->name, t->call);
    }
}

/* a model's own parameters, and of those the frozen ones */
static int64_t model_frozen(const ModelV *m)
{
    int64_t frozen = 0;
    for (int i = 0; i < m->n; i++)
        frozen += m->layers[i]->d.nfrozen;
    return frozen;
}

/* Keras's output_shape of a model: one shape, or the list of them */
static void model_shape(const ModelV *m, char *buf, size_t size)
{
    if (!m->functional) {
        shape_str(&m->layers[m->n - 1]->d.out, buf, size);
        return;
    }
    size_t o = 0;
    buf[0] = 0;
    for (int k = 0; k < m->noutputs && o + 1 < size; k++) {
        char sh[96];
        shape_str(&m->outputs[k]->d.out, sh, sizeof sh);
        o += (size_t)snprintf(buf + o, size - o, "%s%s%s", k ? ", " : m->noutputs > 1 ? "[" : "", sh,
                              k == m->noutputs - 1 && m->noutputs > 1 ? "]" : "");
    }
}

/* Keras 2.2.4's print_summary of a functional model: layers by decreasing
 * depth (then traversal order), InputLayers included; the three columns of
 * Sequential when the graph is a chain without shared layers, else four
 * with "Connected to" (layer[node][tensor]). */
static const char *graph_summary_text(Sema *s, const ModelV *m, int walk)
{
    int total = 2 * m->n + m->ninputs; /* nodes, calls' stand-ins and Inputs */
    SumWalk w = {m, arena_alloc(s->arena, sizeof(TensorV *) * (size_t)total), 0,
                 arena_alloc(s->arena, sizeof(SumLayer) * (size_t)total), 0};
    for (int k = 0; k < m->noutputs; k++)
        sum_visit(&w, m->outputs[k], walk);
    int *depth = arena_alloc(s->arena, sizeof *depth * (size_t)w.npost);
    memset(depth, 0, sizeof *depth * (size_t)w.npost);
    for (int i = 0; i < w.npost; i++)
        w.post[i]->mark = -1 - i; /* position in post, for the walk below */
    for (int i = w.npost - 1; i >= 0; i--) {
        TensorV *t = w.post[i];
        SumLayer *L = &w.layers[sum_layer(&w, t)];
        int d = depth[i] > L->depth ? depth[i] : L->depth;
        L->depth = depth[i] = d;
        for (int k = 0; k < t->nin; k++) {
            int j = -1 - shown(t->in[k])->mark;
            if (depth[j] < d + 1)
                depth[j] = d + 1;
        }
    }
    /* a chain: one node per depth, one input per node, no layer called twice */
    int chain = 1;
    int *per_depth = arena_alloc(s->arena, sizeof *per_depth * (size_t)(w.npost + 1));
    memset(per_depth, 0, sizeof *per_depth * (size_t)(w.npost + 1));
    for (int i = 0; i < w.npost; i++) {
        chain &= ++per_depth[depth[i]] == 1 && w.post[i]->nin <= 1;
        for (int j = 0; j < i; j++)
            chain &= !(w.post[i]->layer || w.post[i]->via) || row_key(w.post[j]) != row_key(w.post[i]);
    }
    qsort(w.layers, (size_t)w.nlayers, sizeof *w.layers, by_depth);
    static const int pos3[] = {29, 55, 65}, pos4[] = {32, 53, 65, 98};
    const int *pos = chain ? pos3 : pos4, width = chain ? 65 : 98, nf = chain ? 3 : 4;
    size_t cap = 600 + (size_t)total * 400, o = 0;
    char *out = arena_alloc(s->arena, cap), rule[100], dbl[100];
    memset(rule, '_', (size_t)width);
    rule[width] = 0;
    memset(dbl, '=', (size_t)width);
    dbl[width] = 0;
    o += (size_t)snprintf(out + o, cap - o, "%s\n", rule);
    static const char *const head[] = {"Layer (type)", "Output Shape", "Param #", "Connected to"};
    summary_row(out, &o, cap, pos, nf, head);
    o += (size_t)snprintf(out + o, cap - o, "%s\n", dbl);
    int64_t params = 0, frozen = 0;
    for (int i = 0; i < w.nlayers; i++) {
        const SumLayer *L = &w.layers[i];
        char f0[160], f1[120], f2[32], conn[NNM_NAME_MAX + 32];
        const char *f[4] = {f0, f1, f2, ""};
        int64_t np = 0;
        if (L->t) {
            snprintf(f0, sizeof f0, "%s (InputLayer)", L->t->name);
            shape_str(&L->t->d.out, f1, sizeof f1);
        } else if (L->model) {
            snprintf(f0, sizeof f0, "%s (%s)", L->model->name, L->model->functional ? "Model" : "Sequential");
            np = model_params(L->model);
            params += np;
            frozen += model_frozen(L->model);
            model_shape(L->model, f1, sizeof f1);
        } else {
            snprintf(f0, sizeof f0, "%s (%s)", L->l->d.name, layer_kinds[L->l->d.kind]->name);
            np = L->l->first->d.nparams;
            params += np;
            frozen += L->l->first->d.nfrozen;
            /* Keras's layer.output_shape: 'multiple' when its calls differ */
            shape_str(&L->l->first->d.out, f1, sizeof f1);
            for (int j = 0; j < m->n; j++)
                if (m->nodes[j]->layer == L->l && !shape_same(&m->nodes[j]->d.out, &L->l->first->d.out))
                    snprintf(f1, sizeof f1, "multiple");
        }
        snprintf(f2, sizeof f2, "%lld", (long long)np);
        int first = 1;
        const TensorV *prev = NULL;
        for (int j = 0; j < m->n && !L->t; j++) {
            const TensorV *t = shown(m->nodes[j]);
            /* a call's tensors are made one after the other: its stand-in once */
            if (t == prev || (L->l ? t->layer != L->l : !t->via || t->via->m != L->model))
                continue;
            prev = t;
            for (int k = 0; k < t->nin; k++) {
                connection(t->in[k], conn, sizeof conn);
                if (first) {
                    f[3] = conn;
                    if (chain)
                        break;
                    summary_row(out, &o, cap, pos, nf, f);
                    first = 0;
                } else {
                    const char *more[4] = {"", "", "", conn};
                    summary_row(out, &o, cap, pos, nf, more);
                }
            }
        }
        if (first)
            summary_row(out, &o, cap, pos, nf, f);
        o += (size_t)snprintf(out + o, cap - o, "%s\n", i == w.nlayers - 1 ? dbl : rule);
    }
    char t[40], tr[40], fr[40];
    snprintf(t, sizeof t, "%lld", (long long)params);
    fmt_thousands(t, sizeof t, params);
    fmt_thousands(tr, sizeof tr, params - frozen);
    fmt_thousands(fr, sizeof fr, frozen);
    o += (size_t)snprintf(out + o, cap - o, "Total params: %s\nTrainable params: %s\nNon-trainable params: %s\n%s\n",
                          t, tr, fr, rule);
    return out;
}

const char *summary_text(Sema *s, const ModelV *m)
{
    if (m->functional)
        return graph_summary_text(s, m, ++s->walk_count);
    size_t cap = 400 + (size_t)m->n * 200, o = 0;
    char *out = arena_alloc(s->arena, cap);
    char rule[70], dbl[70];
    memset(rule, '_', 65);
    rule[65] = 0;
    memset(dbl, '=', 65);
    dbl[65] = 0;
    o += (size_t)snprintf(out + o, cap - o, "%s\n", rule);
    static const char *const head[] = {"Layer (type)", "Output Shape", "Param #"};
    summary_row(out, &o, cap, seq_pos, 3, head);
    o += (size_t)snprintf(out + o, cap - o, "%s\n", dbl);
    for (int i = 0; i < m->n; i++) {
        const NnmLayer *l = &m->layers[i]->d;
        char f0[160], f1[120], f2[32];
        snprintf(f0, sizeof f0, "%s (%s)", l->name, layer_kinds[l->kind]->name);
        shape_str(&l->out, f1, sizeof f1);
        snprintf(f2, sizeof f2, "%lld", (long long)l->nparams);
        const char *f[3] = {f0, f1, f2};
        summary_row(out, &o, cap, seq_pos, 3, f);
        o += (size_t)snprintf(out + o, cap - o, "%s\n", i == m->n - 1 ? dbl : rule);
    }
    if (m->n == 0)
        o += (size_t)snprintf(out + o, cap - o, "%s\n", dbl);
    int64_t frozen = 0;
    for (int i = 0; i < m->n; i++)
        frozen += m->layers[i]->d.nfrozen;
    char t[40], tr[40], fr[40];
    fmt_thousands(t, sizeof t, model_params(m));
    fmt_thousands(tr, sizeof tr, model_params(m) - frozen);
    fmt_thousands(fr, sizeof fr, frozen);
    o += (size_t)snprintf(out + o, cap - o, "Total params: %s\nTrainable params: %s\nNon-trainable params: %s\n%s\n",
                          t, tr, fr, rule);
    return out;
}

/* `nnmc check` prints the summary of every model the file builds, whether
 * or not the file calls summary(). */
void keras_finish(Sema *s)
{
    size_t total = 1, o = 0;
    const char *texts[64];
    int n = 0;
    for (ModelLink *l = s->models; l; l = l->next) {
        ModelV *m = l->m;
        if (m->broken || !m->has_input || m->n == 0 || n == 64)
            continue;
        texts[n] = summary_text(s, m);
        total += strlen(texts[n++]) + 16 + strlen(m->name);
    }
    char *out = arena_alloc(s->arena, total);
    for (int i = n - 1; i >= 0; i--) /* the list is newest first */
        o += (size_t)snprintf(out + o, total - o, "%s", texts[i]);
    s->prog->summaries = out;
}
