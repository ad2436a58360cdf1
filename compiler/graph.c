/* compiler/graph.c — the functional API at compile time: Input tensors,
 * layers called on tensors (a layer called again shares its weights),
 * the merge functions add([...]), concatenate([...]), ..., Model(inputs,
 * outputs), and the summary of a graph in Keras 2.2's format.
 *
 * A Model's nodes are the calls its outputs depend on, in creation order
 * (tensors are immutable, so that order is topological and a chain keeps
 * the order Sequential would give it); each node's inputs are indices of
 * earlier nodes or -1 - k for the model's input k (program.h). */
#include "sema_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tensors one file may make: a model called on tensors makes one per layer
 * each time, and a file of a thousand such calls must not exhaust memory. */
#define GRAPH_MAX_TENSORS 100000

static int tensor_budget(Sema *s, Loc loc)
{
    if (s->tensor_count < GRAPH_MAX_TENSORS)
        return 0;
    diag_error(s->diag, loc, "the file calls layers more than %d times in all", GRAPH_MAX_TENSORS);
    s->diag->fatal = 1;
    return -1;
}

TensorV *graph_input(Sema *s, const NnmShape *shape, const char *name, Loc loc)
{
    if (tensor_budget(s, loc))
        return NULL;
    TensorV *t = NEW(s->arena, TensorV);
    memset(t, 0, sizeof *t);
    t->id = ++s->tensor_count;
    t->d.out = *shape;
    t->loc = loc;
    if (name)
        snprintf(t->name, sizeof t->name, "%s", name);
    else
        snprintf(t->name, sizeof t->name, "input_%d", ++s->input_count);
    return t;
}

/* Input(shape=..., name=...): a tensor; in a Sequential model, its first layer */
Value *make_input(Sema *s, const Args *a)
{
    static const Param params[] = {{"shape", 1, 1}, {"batch_size", 0, 0}, {"name", 0, 0},
                                   {"dtype", 0, 0}, {NULL, 0, 0}};
    Value *val[5];
    const Ast *where[5];
    if (bind_args(s, a, "Input", params, val, where))
        return val_err(s);
    LayerV *l = NEW(s->arena, LayerV);
    l->loc = a->call->loc;
    if (shape_from(s, val[0], where[0], "shape", &l->input))
        return val_err(s);
    l->has_input = 1;
    if (val[3]) {
        const char *dt;
        if (want_str(s, val[3], where[3], "dtype", &dt))
            return val_err(s);
        if (strcmp(dt, "float32") != 0) {
            diag_error(s->diag, where[3]->loc, "nnmc computes in float32; dtype '%s' is not supported", dt);
            return val_err(s);
        }
    }
    const char *name = NULL;
    if (val[2] && val[2]->k != V_NONE) {
        if (want_str(s, val[2], where[2], "an input name", &name))
            return val_err(s);
        if (!*name || strlen(name) >= NNM_NAME_MAX || strpbrk(name, "/:")) {
            diag_error(s->diag, where[2]->loc, "an input name must be 1 to %d characters without '/' or ':'",
                       NNM_NAME_MAX - 1);
            return val_err(s);
        }
    }
    Value *v = val_new(s, V_INPUT);
    v->layer = l;
    if (!(v->tensor = graph_input(s, &l->input, name, a->call->loc)))
        return val_err(s);
    return v;
}

static TensorV *tensor_of(const Value *v)
{
    return v->k == V_TENSOR || v->k == V_INPUT ? v->tensor : NULL;
}

/* The tensors of v (one tensor, or a list or tuple of them) into out; n,
 * or -1 after an error.  *list tells which form it was. */
static int tensors_of(Sema *s, const Value *v, const Ast *at, const char *what, TensorV **out, int *list)
{
    *list = v->k == V_LIST || v->k == V_TUPLE;
    if (v->k == V_ERR)
        return -1;
    if (!*list) {
        if (!tensor_of(v)) {
            diag_error(s->diag, at->loc, "%s must be a tensor (such as Input(shape=...) or a layer's output), got %s",
                       what, val_kind_name(v));
            return -1;
        }
        out[0] = tensor_of(v);
        return 1;
    }
    if (v->n > NNM_MAX_IN) {
        diag_error(s->diag, at->loc, "%s: nnmc takes at most %d tensors here, got %d", what, NNM_MAX_IN, v->n);
        return -1;
    }
    const Ast *el = at->kind == AST_LIST || at->kind == AST_TUPLE ? at->kids : NULL;
    for (int i = 0; i < v->n; i++, el = el ? el->next : NULL) {
        if (v->v[i]->k == V_ERR)
            return -1;
        if (!(out[i] = tensor_of(v->v[i]))) {
            diag_error(s->diag, (el ? el : at)->loc, "%s must be tensors, but item %d is %s", what, i,
                       val_kind_name(v->v[i]));
            return -1;
        }
    }
    return v->n;
}


/* a later call's weights must be the first call's: same arrays, same shapes */
static int weights_fit(const NnmLayer *first, const NnmLayer *again)
{
    const LayerKind *k = layer_kinds[first->kind];
    WeightInfo a[LAYER_MAX_WEIGHTS], b[LAYER_MAX_WEIGHTS];
    int na = k->weights(first, a), nb = k->weights(again, b);
    if (na != nb)
        return 0;
    for (int i = 0; i < na; i++)
        if (!shape_same(&a[i].shape, &b[i].shape))
            return 0;
    return 1;
}

/* A call of layer l on tensors in[0..n) at loc: its output tensor, or NULL
 * after an error.  A layer called before (here or in a Sequential model)
 * shares its weights with that use, which must fit them.  via: the model
 * call this runs for, or NULL; as in Keras, running a model's layers again
 * is a call of the model, not a new call of each layer. */
static TensorV *apply_layer(Sema *s, LayerV *l, TensorV *const *in, int n, Loc loc, ModelCall *via)
{
    const LayerKind *lk = layer_kinds[l->d.kind];
    if (tensor_budget(s, loc))
        return NULL;
    TensorV *t = NEW(s->arena, TensorV);
    memset(t, 0, sizeof *t);
    t->layer = l;
    t->call = l->ncalls;
    t->via = via;
    t->nin = n;
    memcpy(t->in, in, sizeof *in * (size_t)n);
    t->loc = loc;
    t->d = l->d;
    t->d.nin = n;
    if (lk->attr_size) { /* each call infers its own (Concatenate's sizes, padding) */
        t->d.attr = arena_alloc(s->arena, lk->attr_size);
        memcpy(t->d.attr, l->d.attr, lk->attr_size);
    }
    char err[320];
    int rc;
    if (lk->infer_inputs) {
        NnmShape shapes[NNM_MAX_IN];
        for (int k = 0; k < n; k++)
            shapes[k] = in[k]->d.out;
        rc = lk->infer_inputs(&t->d, shapes, err, sizeof err);
    } else {
        t->d.in = in[0]->d.out;
        rc = lk->infer(&t->d, err, sizeof err);
    }
    if (rc) {
        diag_error(s->diag, loc, "%s", err);
        return NULL;
    }
    const NnmLayer *ref = l->first ? &l->first->d : l->owner ? &l->d : NULL;
    if (ref && !weights_fit(ref, &t->d)) {
        char was[96], now[96];
        shape_str(&ref->in, was, sizeof was);
        shape_str(&t->d.in, now, sizeof now);
        diag_error(s->diag, loc, "layer '%s' is called on %s, but its weights were made for %s by its first use",
                   l->d.name, now, was);
        diag_note(s->diag, l->first ? l->first->loc : l->loc, "the first use of '%s'", l->d.name);
        return NULL;
    }
    if (l->first)
        t->d.nparams = t->d.nfrozen = 0; /* counted at the first call */
    else
        l->first = t;
    if (!via)
        l->ncalls++;
    t->id = ++s->tensor_count;
    return t;
}

Value *graph_call(Sema *s, Value *lv, const Args *a)
{
    LayerV *l = lv->layer;
    const LayerKind *lk = layer_kinds[l->d.kind];
    const Ast *at = a->call;
    if (a->npos != 1 || a->nkw) {
        diag_error(s->diag, at->loc, "a layer is called on one tensor, or on a list of tensors for a merge layer: "
                   "y = %s(...)(x)", lk->name);
        return val_err(s);
    }
    TensorV *in[NNM_MAX_IN];
    int list, n = tensors_of(s, a->pos[0].v, a->pos[0].node, "the input of a layer", in, &list);
    if (n < 0)
        return val_err(s);
    if (lk->infer_inputs && !list) {
        diag_error(s->diag, a->pos[0].node->loc, "%s merges a list of tensors: %s()([a, b])", lk->name, lk->name);
        return val_err(s);
    }
    if (!lk->infer_inputs && (list || n != 1)) {
        diag_error(s->diag, a->pos[0].node->loc, "%s takes one tensor, got a list of %d; merge them first, e.g. with "
                   "Concatenate()", lk->name, n);
        return val_err(s);
    }
    TensorV *t = apply_layer(s, l, in, n, at->loc, NULL);
    if (!t)
        return val_err(s);
    Value *v = val_new(s, V_TENSOR);
    v->tensor = t;
    return v;
}

/* model(x): the model's layers called again on x, in its order (its
 * weights shared with it, as Keras shares them); its output tensor, or a
 * list of them. */
Value *graph_call_model(Sema *s, Value *mv, const Args *a)
{
    ModelV *m = mv->model;
    const Ast *at = a->call;
    if (m->broken)
        return val_err(s);
    if (a->npos != 1 || a->nkw) {
        diag_error(s->diag, at->loc, "a model is called on its input tensor, or a list of them: y = %s(x)", m->name);
        return val_err(s);
    }
    if (!m->has_input || m->n == 0) {
        diag_error(s->diag, at->loc, "model '%s' has no layers with a known input shape yet", m->name);
        return val_err(s);
    }
    TensorV *in[NNM_MAX_IN];
    int list, n = tensors_of(s, a->pos[0].v, a->pos[0].node, "the input of a model", in, &list);
    int want = m->functional ? m->ninputs : 1;
    if (n < 0)
        return val_err(s);
    if (n != want) {
        diag_error(s->diag, a->pos[0].node->loc, "model '%s' takes %d input tensor%s, got %d", m->name, want,
                   want == 1 ? "" : "s", n);
        return val_err(s);
    }
    for (int k = 0; k < n; k++) {
        NnmShape need = m->functional ? m->inputs[k]->d.out : m->input;
        if (!shape_same(&in[k]->d.out, &need)) {
            char got[96], sh[96];
            shape_str(&in[k]->d.out, got, sizeof got);
            shape_str(&need, sh, sizeof sh);
            diag_error(s->diag, a->pos[0].node->loc, "model '%s' takes %s as input %d, got %s", m->name, sh, k, got);
            return val_err(s);
        }
    }
    ModelCall *call = NEW(s->arena, ModelCall);
    memset(call, 0, sizeof *call);
    call->m = m;
    call->call = ++m->ncalls;
    call->node = NEW(s->arena, TensorV);
    memset(call->node, 0, sizeof *call->node);
    call->node->via = call;
    call->node->nin = n;
    memcpy(call->node->in, in, sizeof *in * (size_t)n);
    call->node->loc = at->loc;
    /* the model's tensors, old (its own) to new (of this call) */
    TensorV **made = arena_alloc(s->arena, sizeof *made * (size_t)m->n);
    for (int i = 0; i < m->n; i++) {
        TensorV *args[NNM_MAX_IN];
        int nargs = 1;
        if (!m->functional) {
            args[0] = i ? made[i - 1] : in[0];
        } else {
            const TensorV *node = m->nodes[i];
            nargs = node->nin;
            for (int k = 0; k < node->nin; k++) {
                const TensorV *from = node->in[k];
                args[k] = NULL;
                for (int j = 0; j < m->ninputs && !args[k]; j++)
                    if (m->inputs[j] == from)
                        args[k] = in[j];
                for (int j = 0; j < i && !args[k]; j++)
                    if (m->nodes[j] == from)
                        args[k] = made[j];
                NNM_ASSERT(args[k]);
            }
        }
        LayerV *obj = m->functional ? m->nodes[i]->layer : m->layers[i];
        if (!(made[i] = apply_layer(s, obj, args, nargs, at->loc, call)))
            return val_err(s);
    }
    int nout = m->functional ? m->noutputs : 1;
    Value *outs[NNM_MAX_IO];
    for (int k = 0; k < nout; k++) {
        outs[k] = val_new(s, V_TENSOR);
        outs[k]->tensor = call->outs[k] = made[m->functional ? m->outs[k].node : m->n - 1];
    }
    call->nout = nout;
    call->node->d.out = call->outs[0]->d.out;
    if (nout == 1)
        return outs[0];
    Value *l = val_new(s, V_LIST);
    l->n = nout;
    l->v = arena_alloc(s->arena, sizeof *l->v * (size_t)nout);
    memcpy(l->v, outs, sizeof *outs * (size_t)nout);
    return l;
}

/* add([x, y]), concatenate([x, y], axis=-1), dot([x, y], axes): the layer
 * made from the keyword arguments, called on the list. */
Value *graph_merge(Sema *s, int kind, const Args *a)
{
    const char *fname = layer_kinds[kind]->snake;
    if (a->npos < 1) {
        diag_error(s->diag, a->call->loc, "%s() needs the list of tensors to merge", fname);
        return val_err(s);
    }
    Args la = *a;
    la.npos = a->npos - 1; /* Keras: merge(inputs, *args, **kwargs); the rest go to the layer */
    memmove(la.pos, a->pos + 1, sizeof *la.pos * (size_t)la.npos);
    Value *lv = make_layer(s, kind, &la, 0);
    if (lv->k == V_ERR)
        return lv;
    Args ca = {.npos = 1, .nkw = 0, .call = a->call};
    ca.pos[0] = a->pos[0];
    return graph_call(s, lv, &ca);
}

static int by_id(const void *a, const void *b)
{
    const TensorV *x = *(TensorV *const *)a, *y = *(TensorV *const *)b;
    return (x->id > y->id) - (x->id < y->id);
}

/* the position of t among the sorted nodes, or -1 */
static int node_index(TensorV **nodes, int n, const TensorV *t)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (nodes[mid]->id == t->id)
            return mid;
        if (nodes[mid]->id < t->id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

#define GRAPH_MAX_NODES 1000 /* as Sequential's MODEL_MAX_LAYERS */

Value *make_model(Sema *s, const Args *a)
{
    static const Param params[] = {{"inputs", 1, 1}, {"outputs", 1, 1}, {"name", 1, 0}, {NULL, 0, 0}};
    Value *val[3];
    const Ast *where[3];
    if (bind_args(s, a, "Model", params, val, where))
        return val_err(s);
    TensorV *ins[NNM_MAX_IN], *outs[NNM_MAX_IN];
    int list, nin = tensors_of(s, val[0], where[0], "Model's inputs", ins, &list);
    int nout = nin < 0 ? -1 : tensors_of(s, val[1], where[1], "Model's outputs", outs, &list);
    if (nin < 0 || nout < 0)
        return val_err(s);
    const char *name = NULL;
    if (val[2] && want_str(s, val[2], where[2], "a model name", &name))
        return val_err(s);
    for (int i = 0; i < nin; i++) {
        if (ins[i]->layer) {
            diag_error(s->diag, where[0]->loc, "Model's inputs must be Input() tensors, but input %d is the output of "
                       "layer '%s'", i, ins[i]->layer->d.name);
            return val_err(s);
        }
        for (int j = 0; j < i; j++)
            if (ins[j] == ins[i]) {
                diag_error(s->diag, where[0]->loc, "input '%s' is given twice", ins[i]->name);
                return val_err(s);
            }
    }
    for (int i = 0; i < nout; i++) {
        if (!outs[i]->layer) {
            diag_error(s->diag, where[1]->loc, "output %d of Model is the Input '%s' itself; nnmc needs a layer's output",
                       i, outs[i]->name);
            return val_err(s);
        }
        for (int j = 0; j < i; j++)
            if (outs[j] == outs[i]) {
                diag_error(s->diag, where[1]->loc, "the output of '%s' is given twice", outs[i]->layer->d.name);
                return val_err(s);
            }
    }
    /* every tensor the outputs depend on, walked back to the Inputs */
    int walk = ++s->walk_count;
    int cap = 64, n = 0, top = 0;
    TensorV **nodes = malloc(sizeof *nodes * (size_t)cap), **stack = malloc(sizeof *stack * (size_t)cap);
    int scap = cap, ok = 1;
    for (int i = 0; i < nout; i++) {
        stack[top++] = outs[i];
        outs[i]->mark = walk;
    }
    while (top > 0 && ok) {
        TensorV *t = stack[--top];
        if (!t->layer) {
            int listed = 0;
            for (int i = 0; i < nin; i++)
                listed |= ins[i] == t;
            if (!listed) {
                diag_error(s->diag, where[1]->loc, "graph disconnected: the outputs need Input '%s', which is not "
                           "among the model's inputs", t->name);
                diag_note(s->diag, t->loc, "'%s' is made here", t->name);
                ok = 0;
            }
            continue;
        }
        if (n == GRAPH_MAX_NODES) {
            diag_error(s->diag, a->call->loc, "a model can have at most %d layer calls", GRAPH_MAX_NODES);
            ok = 0;
            break;
        }
        if (n == cap) {
            cap *= 2;
            nodes = realloc(nodes, sizeof *nodes * (size_t)cap);
        }
        nodes[n++] = t;
        for (int k = 0; k < t->nin; k++) {
            if (t->in[k]->mark == walk)
                continue;
            t->in[k]->mark = walk;
            if (top == scap) {
                scap *= 2;
                stack = realloc(stack, sizeof *stack * (size_t)scap);
            }
            stack[top++] = t->in[k];
        }
    }
    free(stack);
    for (int i = 0; i < nin && ok; i++)
        if (ins[i]->mark != walk) {
            diag_error(s->diag, where[0]->loc, "input '%s' is not connected to the model's outputs", ins[i]->name);
            diag_note(s->diag, ins[i]->loc, "'%s' is made here", ins[i]->name);
            ok = 0;
        }
    qsort(nodes, (size_t)n, sizeof *nodes, by_id);
    /* one name per layer, as Keras requires */
    for (int i = 0; i < n && ok; i++)
        for (int j = 0; j < i && ok; j++) {
            const char *ni = nodes[i]->layer->d.name, *nj = nodes[j]->layer->d.name;
            if (nodes[i]->layer != nodes[j]->layer && !strcmp(ni, nj)) {
                diag_error(s->diag, nodes[i]->loc, "the model already has a layer named '%s'", ni);
                diag_note(s->diag, nodes[j]->loc, "the other '%s'", nj);
                ok = 0;
            }
        }
    if (!ok) {
        free(nodes);
        return val_err(s);
    }
    ModelV *m = NEW(s->arena, ModelV);
    memset(m, 0, sizeof *m);
    m->id = -1;
    m->loc = a->call->loc;
    m->functional = 1;
    if (name)
        snprintf(m->name, sizeof m->name, "%s", name);
    else
        snprintf(m->name, sizeof m->name, "model_%d", ++s->functional_count);
    m->ninputs = nin;
    memcpy(m->inputs, ins, sizeof *ins * (size_t)nin);
    m->has_input = 1;
    m->input = ins[0]->d.out;
    m->cur = outs[0]->d.out;
    m->noutputs = nout;
    memcpy(m->outputs, outs, sizeof *outs * (size_t)nout);
    for (int k = 0; k < nout; k++)
        m->outs[k].node = node_index(nodes, n, outs[k]);
    m->n = m->cap = n;
    m->layers = arena_alloc(s->arena, sizeof *m->layers * (size_t)(n ? n : 1));
    m->nodes = arena_alloc(s->arena, sizeof *m->nodes * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        TensorV *t = nodes[i];
        LayerV *node = NEW(s->arena, LayerV);
        *node = *t->layer;
        node->d = t->d;
        node->loc = t->loc;
        node->owner = m;
        for (int k = 0; k < t->nin; k++) {
            int p = node_index(nodes, i, t->in[k]);
            if (p < 0)
                for (int j = 0; j < nin; j++)
                    if (ins[j] == t->in[k])
                        p = -1 - j;
            NNM_ASSERT(p != -1 || t->in[k] == ins[0]);
            node->d.inputs[k] = p;
        }
        /* the model's first call of a layer holds its weights */
        node->d.weights_of = 0;
        for (int j = 0; j < i; j++)
            if (nodes[j]->layer == t->layer) {
                node->d.weights_of = j + 1;
                break;
            }
        if (!node->d.weights_of) {
            /* its weights, as its first use made them (here, in another model or a Sequential one) */
            const NnmLayer *ref = &t->layer->first->d;
            node->d.nparams = ref->nparams;
            node->d.nfrozen = ref->nfrozen;
        } else {
            node->d.nparams = node->d.nfrozen = 0;
        }
        m->layers[i] = node;
        m->nodes[i] = t;
    }
    free(nodes);
    ModelLink *link = NEW(s->arena, ModelLink);
    link->m = m;
    link->next = s->models;
    s->models = link;
    Value *v = val_new(s, V_MODEL);
    v->model = m;
    return v;
}
