/* compiler/layers.c — the layer constructors at compile time: Dense(...),
 * Conv2D(...), ... checked against each kind's argument schema (ArgSpec,
 * runtime/layers/), Keras 1's argument names, and the regularizers l1(),
 * l2(), ... that layers take.  (Input() is graph.c's.) */
#include "sema_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const act_alias_from[] = {"silu", "identity", NULL};
static const char *const act_alias_to[] = {"swish", "linear", NULL};
static const char *const init_alias_from[] = {"zero", "one", "normal", "uniform", "Zeros", "Ones",
                                              "GlorotUniform", "GlorotNormal", "HeNormal",
                                              "HeUniform", "LecunNormal", "LecunUniform",
                                              "RandomNormal", "RandomUniform", "TruncatedNormal", NULL};
static const char *const init_alias_to[] = {"zeros", "ones", "random_normal", "random_uniform",
                                            "zeros", "ones", "glorot_uniform", "glorot_normal",
                                            "he_normal", "he_uniform", "lecun_normal",
                                            "lecun_uniform", "random_normal", "random_uniform",
                                            "truncated_normal", NULL};

static int want_act(Sema *s, const Value *v, const Ast *at, int *out)
{
    if (v->k == V_NONE) {
        *out = ACT_LINEAR;
        return 0;
    }
    return name_lookup(s, v, at, "activation", nnm_act_names, ACT_COUNT, act_alias_from,
                       act_alias_to, out);
}

/* Padding or cropping amounts: n, (h, w) or ((top, bottom), (left, right)). */
static int want_edges(Sema *s, const Value *v, const Ast *at, const char *what, int64_t *out)
{
    const Value *part[2] = {v, v};
    if (v->k == V_TUPLE || v->k == V_LIST) {
        if (v->n != 2) {
            diag_error(s->diag, at->loc, "%s must be n, (h, w) or ((top, bottom), (left, right))", what);
            return -1;
        }
        part[0] = v->v[0];
        part[1] = v->v[1];
    }
    for (int a = 0; a < 2; a++) {
        const Value *e[2] = {part[a], part[a]};
        if (part[a]->k == V_TUPLE || part[a]->k == V_LIST) {
            if (part[a]->n != 2) {
                diag_error(s->diag, at->loc, "%s must be n, (h, w) or ((top, bottom), (left, right))", what);
                return -1;
            }
            e[0] = part[a]->v[0];
            e[1] = part[a]->v[1];
        }
        for (int k = 0; k < 2; k++) {
            if (want_int(s, e[k], at, what, 0, &out[2 * a + k]))
                return -1;
            if (out[2 * a + k] > 1000000) {
                diag_error(s->diag, at->loc, "%s is too large", what);
                return -1;
            }
        }
    }
    return 0;
}

/* A target shape such as (7, 7, 64) or (-1,): sizes >= 1, at most one -1. */
static int want_target(Sema *s, const Value *v, const Ast *at, const char *what, NnmShape *out)
{
    if (v->k != V_TUPLE && v->k != V_LIST) {
        diag_error(s->diag, at->loc, "%s must be a tuple of sizes, got %s", what, val_kind_name(v));
        return -1;
    }
    if (v->n < 1 || v->n > NNM_MAX_RANK) {
        diag_error(s->diag, at->loc, "%s must have 1 to %d sizes", what, NNM_MAX_RANK);
        return -1;
    }
    int minus = 0;
    out->rank = v->n;
    for (int i = 0; i < v->n; i++) {
        int64_t d;
        if (want_int(s, v->v[i], at, what, -1, &d))
            return -1;
        if (d == 0 || d > ((int64_t)1 << 40) || (d == -1 && minus++)) {
            diag_error(s->diag, at->loc, "%s: sizes must be positive, with at most one -1", what);
            return -1;
        }
        out->dim[i] = d;
    }
    return 0;
}

/* An int n (meaning (n, n)) or a pair of ints, each at least as->min. */
static int want_pair(Sema *s, const Value *v, const Ast *at, const char *what, const ArgSpec *as, int64_t *out)
{
    if (v->k == V_NONE && as->none_ok) {
        out[0] = out[1] = 0;
        return 0;
    }
    const Value *e[2] = {v, v};
    if (v->k == V_TUPLE || v->k == V_LIST) {
        if (v->n != 2) {
            diag_error(s->diag, at->loc, "%s must be an integer or a pair of integers, got %d values", what, v->n);
            return -1;
        }
        e[0] = v->v[0];
        e[1] = v->v[1];
    }
    for (int i = 0; i < 2; i++) {
        if (want_int(s, e[i], at, what, (int64_t)as->min, &out[i]))
            return -1;
        if (out[i] > 1000000) {
            diag_error(s->diag, at->loc, "%s is too large", what);
            return -1;
        }
    }
    return 0;
}

/* Keras 1 argument names, accepted for every layer as Keras 2.2 did (with
 * a warning there); Convolution2D(nb_filter, nb_row, nb_col, ...) also
 * gives its kernel size as two positional numbers. */
static const char *const keras1_from[] = {"border_mode", "subsample", "nb_filter", "init",
                                          "output_dim", "W_regularizer", "b_regularizer", "dim_ordering", NULL};
static const char *const keras1_to[] = {"padding", "strides", "filters", "kernel_initializer",
                                        "units", "kernel_regularizer", "bias_regularizer", "data_format", NULL};

static void keras1_args(Sema *s, Args *a, int conv_positional)
{
    for (int i = 0; i < a->nkw; i++)
        for (int k = 0; keras1_from[k]; k++)
            if (strcmp(a->kw[i].name, keras1_from[k]) == 0) {
                a->kw[i].name = keras1_to[k];
                /* dim_ordering='tf' is channels_last */
                if (k == 7 && a->kw[i].v->k == V_STR && strcmp(a->kw[i].v->s, "tf") == 0) {
                    Value *v = val_new(s, V_STR);
                    v->s = "channels_last";
                    v->slen = 13;
                    a->kw[i].v = v;
                }
            }
    if (conv_positional && a->npos >= 3 && a->pos[1].v->k == V_INT && a->pos[2].v->k == V_INT) {
        Value *t = val_new(s, V_TUPLE);
        t->n = 2;
        t->v = arena_alloc(s->arena, 2 * sizeof(Value *));
        t->v[0] = a->pos[1].v;
        t->v[1] = a->pos[2].v;
        a->pos[1].v = t;
        for (int i = 2; i + 1 < a->npos; i++)
            a->pos[i] = a->pos[i + 1];
        a->npos--;
    }
}

/* ---- regularizers ----------------------------------------------------------------- */

/* which: 0 l1 (L1), 1 l2 (L2), 2 l1_l2 (both 0.01 by default), 3 L1L2 (both 0). */
Value *make_regularizer(Sema *s, int which, const char *fname, const Args *a)
{
    static const Param one[3][3] = {{{"l1", 1, 0}, {"l", 0, 0}, {NULL, 0, 0}},
                                    {{"l2", 1, 0}, {"l", 0, 0}, {NULL, 0, 0}},
                                    {{"l1", 1, 0}, {"l2", 1, 0}, {NULL, 0, 0}}};
    const Param *params = one[which == 3 ? 2 : which];
    Value *val[2];
    const Ast *where[2];
    if (bind_args(s, a, fname, params, val, where))
        return val_err(s);
    if (which < 2 && val[0] && val[1]) {
        diag_error(s->diag, where[1]->loc, "%s got its factor twice", fname);
        return val_err(s);
    }
    Value *v = val_new(s, V_REGULARIZER);
    double def = which == 3 ? 0.0 : 0.01;
    v->reg[0] = which == 1 ? 0 : def;
    v->reg[1] = which == 0 ? 0 : def;
    for (int i = 0; i < 2; i++) {
        if (!val[i])
            continue;
        double d;
        char what[64];
        snprintf(what, sizeof what, "the factor of %s", fname);
        if (want_num(s, val[i], where[i], what, &d))
            return val_err(s);
        if (d < 0 || !isfinite(d)) {
            diag_error(s->diag, where[i]->loc, "%s must be at least 0, got %g", what, d);
            return val_err(s);
        }
        int slot = which >= 2 ? i : which;
        v->reg[slot] = d;
    }
    return v;
}

/* A layer's *_regularizer argument: None, a name ('l1', 'l2', 'l1_l2':
 * factors 0.01) or a regularizer value. */
static int want_regularizer(Sema *s, const Value *v, const Ast *at, const char *what, double reg[2])
{
    if (v->k == V_NONE) {
        reg[0] = reg[1] = 0;
        return 0;
    }
    if (v->k == V_REGULARIZER) {
        reg[0] = v->reg[0];
        reg[1] = v->reg[1];
        return 0;
    }
    if (v->k == V_STR) {
        static const char *const names[] = {"l1", "l2", "l1_l2"};
        for (int i = 0; i < 3; i++)
            if (!strcmp(v->s, names[i])) {
                reg[0] = i != 1 ? 0.01 : 0;
                reg[1] = i != 0 ? 0.01 : 0;
                return 0;
            }
    }
    diag_error(s->diag, at->loc, "%s must be None, 'l1', 'l2', 'l1_l2' or a regularizer such as l2(0.01)", what);
    return -1;
}

Value *make_layer(Sema *s, int kind, const Args *args_in, int keras1)
{
    const LayerKind *lk = layer_kinds[kind];
    Args *a = arena_alloc(s->arena, sizeof *a);
    *a = *args_in;
    keras1_args(s, a, keras1 && kind == LK_CONV2D);
    Param params[24];
    const ArgSpec *spec[24];     /* the schema entry of each argument */
    int np = 0;
    for (const ArgSpec *as = lk->args; as->name; as++)
        if (!as->derived) {
            NNM_ASSERT(np < 20);
            spec[np] = as;
            params[np++] = (Param){as->name, as->positional, as->required};
        }
    int common = np;
    params[np++] = (Param){"name", 0, 0};
    params[np++] = (Param){"input_shape", 0, 0};
    params[np++] = (Param){"input_dim", 0, 0};
    params[np++] = (Param){"trainable", 0, 0};
    params[np] = (Param){NULL, 0, 0};
    Value *val[24];
    const Ast *where[24];
    LayerV *l = NEW(s->arena, LayerV);
    l->loc = a->call->loc;
    l->d.kind = kind;
    l->d.alpha = -1; /* not given by the kind or the file: set from the activation below */
    l->d.attr = lk->attr_size ? arena_alloc(s->arena, lk->attr_size) : NULL;
    lk->defaults(&l->d);
    if (bind_args(s, a, lk->name, params, val, where))
        return val_err(s);
    int ok = 1;
    for (int i = 0; i < common; i++) {
        if (!val[i])
            continue;
        const ArgSpec *as = spec[i];
        char what[96];
        snprintf(what, sizeof what, "argument '%s' of %s", as->name, lk->name);
        /* an argument that stores nothing (Softmax's axis) is checked alone */
        union {
            int64_t i[4];
            double d[4];
            NnmShape shape;
        } unused;
        void *field = layer_arg_ptr(&l->d, as);
        if (!field)
            field = &unused;
        switch (as->type) {
        case ARG_INT: {
            int64_t v;
            if (want_int(s, val[i], where[i], what, INT64_MIN, &v)) {
                ok = 0;
                break;
            }
            if (v < as->min || v > as->max) {
                diag_error(s->diag, where[i]->loc, "%s must be at least %g, got %lld", what, as->min,
                           (long long)v);
                ok = 0;
                break;
            }
            *(int64_t *)field = v;
            break;
        }
        case ARG_FLOAT: {
            double v;
            if (as->none_ok && val[i]->k == V_NONE) {
                *(double *)field = -1;
                break;
            }
            if (want_num(s, val[i], where[i], what, &v)) {
                ok = 0;
                break;
            }
            if (v < as->min || v > as->max || (as->max_open && v >= as->max)) {
                diag_error(s->diag, where[i]->loc, "%s must be in [%g, %g%c, got %g", what, as->min,
                           as->max, as->max_open ? ')' : ']', v);
                ok = 0;
                break;
            }
            *(double *)field = v;
            break;
        }
        case ARG_BOOL:
            if (want_bool(s, val[i], where[i], what, (int *)field))
                ok = 0;
            break;
        case ARG_ACT:
            if (want_act(s, val[i], where[i], (int *)field))
                ok = 0;
            break;
        case ARG_INIT:
            if (name_lookup(s, val[i], where[i], "initializer", nnm_init_names, INIT_COUNT,
                            init_alias_from, init_alias_to, (int *)field))
                ok = 0;
            break;
        case ARG_PAIR:
            if (want_pair(s, val[i], where[i], what, as, (int64_t *)field))
                ok = 0;
            break;
        case ARG_PADDING: {
            static const char *const pads[] = {"valid", "same"};
            if (name_lookup(s, val[i], where[i], "padding", pads, 2, NULL, NULL, (int *)field))
                ok = 0;
            break;
        }
        case ARG_FORMAT: {
            const char *f;
            if (val[i]->k == V_NONE)
                break;
            if (want_str(s, val[i], where[i], what, &f))
                ok = 0;
            else if (strcmp(f, "channels_last") != 0) {
                diag_error(s->diag, where[i]->loc, "nnmc supports data_format='channels_last' only, got '%s'", f);
                ok = 0;
            }
            break;
        }
        case ARG_NONE_ONLY:
            if (val[i]->k != V_NONE && val[i]->k != V_ERR) {
                diag_error(s->diag, where[i]->loc, "%s is not supported yet (only None)", what);
                ok = 0;
            }
            break;
        case ARG_REGULARIZER:
            if (want_regularizer(s, val[i], where[i], what, (double *)field))
                ok = 0;
            break;
        case ARG_EDGES:
            if (want_edges(s, val[i], where[i], what, (int64_t *)field))
                ok = 0;
            break;
        case ARG_SHAPE:
            if (want_target(s, val[i], where[i], what, (NnmShape *)field))
                ok = 0;
            break;
        case ARG_CHOICE: {
            int n = 0;
            while (as->choices[n])
                n++;
            int pick;
            if (name_lookup(s, val[i], where[i], as->name, as->choices, n, NULL, NULL, &pick))
                ok = 0;
            else
                *(int *)field = pick;
            break;
        }
        case ARG_RANGE: {
            double *r = field, lo, hi;
            if ((val[i]->k == V_TUPLE || val[i]->k == V_LIST) && val[i]->n == 2) {
                if (want_num(s, val[i]->v[0], where[i], what, &lo) || want_num(s, val[i]->v[1], where[i], what, &hi)) {
                    ok = 0;
                    break;
                }
            } else if (want_num(s, val[i], where[i], what, &hi)) {
                ok = 0;
                break;
            } else {
                hi = fabs(hi);
                lo = -hi;
            }
            if (!(lo <= hi) || lo < as->min || hi > as->max) {
                diag_error(s->diag, where[i]->loc, "%s must be a number or (lower, upper) within [%g, %g]", what,
                           as->min, as->max);
                ok = 0;
                break;
            }
            r[0] = lo;
            r[1] = hi;
            break;
        }
        case ARG_IGNORED:
            break;
        case ARG_INTS: /* derived: never an argument */
            NNM_UNREACHABLE();
        }
    }
    if (val[common]) {
        const char *nm;
        if (want_str(s, val[common], where[common], "a layer name", &nm))
            ok = 0;
        else if (!*nm || strlen(nm) >= NNM_NAME_MAX || strpbrk(nm, "/:")) {
            diag_error(s->diag, where[common]->loc,
                       "a layer name must be 1 to %d characters without '/' or ':'", NNM_NAME_MAX - 1);
            ok = 0;
        } else
            snprintf(l->d.name, sizeof l->d.name, "%s", nm);
    }
    if (val[common + 1] && val[common + 2]) {
        diag_error(s->diag, where[common + 2]->loc, "give input_shape or input_dim, not both");
        ok = 0;
    } else if (val[common + 1]) {
        if (shape_from(s, val[common + 1], where[common + 1], "input_shape", &l->input))
            ok = 0;
        l->has_input = 1;
    } else if (val[common + 2]) {
        int64_t d;
        if (want_int(s, val[common + 2], where[common + 2], "input_dim", 1, &d))
            ok = 0;
        l->input = (NnmShape){1, {d, 0, 0, 0}};
        l->has_input = 1;
    }
    if (val[common + 3]) {
        int t;
        if (want_bool(s, val[common + 3], where[common + 3], "trainable", &t))
            ok = 0;
        else if (!t) {
            diag_error(s->diag, where[common + 3]->loc, "frozen layers (trainable=False) are not supported yet");
            ok = 0;
        }
    }
    /* the activations' own parameters, unless the layer gave them */
    if (l->d.alpha < 0)
        l->d.alpha = l->d.act == ACT_ELU ? 1.0 : 0.2;
    /* Keras 2.2 numbers unnamed layers per class from 1, at construction */
    if (!l->d.name[0])
        snprintf(l->d.name, sizeof l->d.name, "%s_%d", lk->snake, ++s->name_count[kind]);
    if (!ok)
        return val_err(s);
    Value *v = val_new(s, V_LAYER);
    v->layer = l;
    return v;
}
