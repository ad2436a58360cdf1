/* compiler/keras.c — the Keras 2.2 API as seen by .nnm files: the names
 * (keras.layers.Dense, mnist, ...), layer and optimizer constructors,
 * Sequential models and their methods, data arrays and print().  Calls
 * check their arguments, infer shapes, and append steps to the Program. */
#include "sema_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { M_KERAS, M_LAYERS, M_OPTIMIZERS, M_MODELS, M_UTILS, M_NP_UTILS, M_DATASETS, M_MNIST,
       M_FASHION, M_TF, M_NP, M_COUNT };
static const char *const module_names[M_COUNT] = {
    "keras", "keras.layers", "keras.optimizers", "keras.models", "keras.utils",
    "keras.utils.np_utils", "keras.datasets", "keras.datasets.mnist",
    "keras.datasets.fashion_mnist", "tensorflow", "numpy"};

enum { F_LAYER, F_INPUT, F_OPTIM, F_SEQUENTIAL, F_LOAD_DATA, F_TO_CATEGORICAL, F_PRINT, F_LEN };
enum { MM_ADD, MM_SUMMARY, MM_COMPILE, MM_FIT, MM_EVALUATE, MM_PREDICT, MM_SAVE_WEIGHTS,
       MM_LOAD_WEIGHTS, MM_COUNT_PARAMS, AM_RESHAPE, AM_ASTYPE };

/* Where each name can be found: module (-1 = global scope), what it is. */
typedef struct {
    int module;
    const char *name;
    VKind k;
    int id, sub;
} Entry;

#define ALLM(name, k, id, sub) {-1, name, k, id, sub}, {M_KERAS, name, k, id, sub}
static const Entry entries[] = {
    {-1, "keras", V_MODULE, M_KERAS, 0},
    {-1, "tf", V_MODULE, M_TF, 0},
    {-1, "tensorflow", V_MODULE, M_TF, 0},
    {-1, "np", V_MODULE, M_NP, 0},
    {-1, "numpy", V_MODULE, M_NP, 0},
    {M_TF, "keras", V_MODULE, M_KERAS, 0},
    ALLM("layers", V_MODULE, M_LAYERS, 0),
    ALLM("optimizers", V_MODULE, M_OPTIMIZERS, 0),
    ALLM("models", V_MODULE, M_MODELS, 0),
    ALLM("utils", V_MODULE, M_UTILS, 0),
    ALLM("datasets", V_MODULE, M_DATASETS, 0),
    ALLM("Sequential", V_FUNC, F_SEQUENTIAL, 0),
    ALLM("Input", V_FUNC, F_INPUT, 0),
    {M_MODELS, "Sequential", V_FUNC, F_SEQUENTIAL, 0},
    {M_LAYERS, "Input", V_FUNC, F_INPUT, 0},
    {M_LAYERS, "InputLayer", V_FUNC, F_INPUT, 0},
    {-1, "np_utils", V_MODULE, M_NP_UTILS, 0},
    {M_UTILS, "np_utils", V_MODULE, M_NP_UTILS, 0},
    {-1, "to_categorical", V_FUNC, F_TO_CATEGORICAL, 0},
    {M_UTILS, "to_categorical", V_FUNC, F_TO_CATEGORICAL, 0},
    {M_NP_UTILS, "to_categorical", V_FUNC, F_TO_CATEGORICAL, 0},
    {-1, "mnist", V_MODULE, M_MNIST, 0},
    {-1, "fashion_mnist", V_MODULE, M_FASHION, 0},
    {M_DATASETS, "mnist", V_MODULE, M_MNIST, 0},
    {M_DATASETS, "fashion_mnist", V_MODULE, M_FASHION, 0},
    {M_MNIST, "load_data", V_FUNC, F_LOAD_DATA, DS_MNIST},
    {M_FASHION, "load_data", V_FUNC, F_LOAD_DATA, DS_FASHION_MNIST},
    {-1, "print", V_FUNC, F_PRINT, 0},
    {-1, "len", V_FUNC, F_LEN, 0},
    {M_NP, "float32", V_STR, 0, 0},
};

static Value *entry_value(Sema *s, const Entry *e)
{
    Value *v = val_new(s, e->k);
    v->i = e->id;
    v->sub = e->sub;
    v->s = e->name;
    if (e->k == V_STR) {
        v->s = "float32";
        v->slen = 7;
    }
    return v;
}

/* Layer and optimizer classes are found in the global scope and in their module. */
static Value *class_value(Sema *s, int module, const char *name)
{
    if (module == -1 || module == M_LAYERS) {
        for (int k = 0; k < LK_COUNT; k++)
            if (strcmp(layer_kinds[k]->name, name) == 0) {
                Value *v = val_new(s, V_FUNC);
                v->i = F_LAYER;
                v->sub = k;
                v->s = layer_kinds[k]->name;
                return v;
            }
    }
    if (module == -1 || module == M_OPTIMIZERS) {
        for (int k = 0; k < OPT_COUNT; k++) {
            char lower[32];
            size_t i;
            for (i = 0; nnm_optim_names[k][i] && i < sizeof lower - 1; i++)
                lower[i] = (char)(nnm_optim_names[k][i] | 32);
            lower[i] = 0;
            /* keras.optimizers.rmsprop(...) is Keras 2's lower-case alias */
            if (strcmp(nnm_optim_names[k], name) == 0 || (module == M_OPTIMIZERS && strcmp(lower, name) == 0)) {
                Value *v = val_new(s, V_FUNC);
                v->i = F_OPTIM;
                v->sub = k;
                v->s = nnm_optim_names[k];
                return v;
            }
        }
    }
    return NULL;
}

Value *keras_global(Sema *s, const char *name)
{
    for (size_t i = 0; i < NNM_COUNTOF(entries); i++)
        if (entries[i].module == -1 && strcmp(entries[i].name, name) == 0)
            return entry_value(s, &entries[i]);
    return class_value(s, -1, name);
}

static int names_in(int module, const char **out, int max)
{
    int k = 0;
    for (size_t i = 0; i < NNM_COUNTOF(entries) && k < max; i++)
        if (entries[i].module == module)
            out[k++] = entries[i].name;
    if (module == -1 || module == M_LAYERS)
        for (int i = 0; i < LK_COUNT && k < max; i++)
            out[k++] = layer_kinds[i]->name;
    if (module == -1 || module == M_OPTIMIZERS)
        for (int i = 0; i < OPT_COUNT && k < max; i++)
            out[k++] = nnm_optim_names[i];
    return k;
}

int keras_global_names(const char **out, int max) { return names_in(-1, out, max); }

/* ---- program building ------------------------------------------------------ */

static NnmStep *add_step(Sema *s, NnmStepKind kind, const Ast *at)
{
    NnmProgram *p = s->prog;
    if (p->nsteps == s->cap_steps) {
        s->cap_steps = s->cap_steps ? 2 * s->cap_steps : 16;
        NnmStep *n = arena_alloc(s->arena, sizeof *n * (size_t)s->cap_steps);
        if (p->nsteps)
            memcpy(n, p->steps, sizeof *n * (size_t)p->nsteps);
        p->steps = n;
    }
    NnmStep *st = &p->steps[p->nsteps++];
    memset(st, 0, sizeof *st);
    st->kind = kind;
    st->line = sema_line(s, at->loc);
    st->model = -1;
    st->result = -1;
    return st;
}

static void print_text(Sema *s, const Ast *at, const char *text, int chatter)
{
    NnmStep *st = add_step(s, STEP_PRINT, at);
    NnmPrintItem *it = arena_alloc(s->arena, sizeof *it);
    it->text = text;
    st->items = it;
    st->nitems = 1;
    st->chatter = chatter;
}

/* ---- layers --------------------------------------------------------------------- */

static int shape_from(Sema *s, const Value *v, const Ast *at, const char *what, NnmShape *out)
{
    if (v->k == V_ERR)
        return -1;
    if (v->k != V_TUPLE && v->k != V_LIST) {
        diag_error(s->diag, at->loc, "%s must be a tuple of sizes such as (784,), got %s", what,
                   val_kind_name(v));
        return -1;
    }
    if (v->n < 1 || v->n > NNM_MAX_RANK) {
        diag_error(s->diag, at->loc, "%s must have 1 to %d sizes, got %d", what, NNM_MAX_RANK, v->n);
        return -1;
    }
    out->rank = v->n;
    int64_t total = 1;
    for (int i = 0; i < v->n; i++) {
        int64_t d;
        if (want_int(s, v->v[i], at, "a size in the shape", 1, &d))
            return -1;
        if (d > ((int64_t)1 << 40) / total) {
            diag_error(s->diag, at->loc, "%s is too large", what);
            return -1;
        }
        total *= d;
        out->dim[i] = d;
    }
    return 0;
}

static int name_lookup(Sema *s, const Value *v, const Ast *at, const char *what,
                       const char *const *names, int n, const char *const *alias_from,
                       const char *const *alias_to, int *out)
{
    const char *str;
    if (want_str(s, v, at, what, &str))
        return -1;
    for (int i = 0; alias_from && alias_from[i]; i++)
        if (strcmp(str, alias_from[i]) == 0)
            str = alias_to[i];
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], str) == 0) {
            *out = i;
            return 0;
        }
    diag_error(s->diag, at->loc, "unknown %s '%s'", what, str);
    const char *cands[40];
    int k = 0;
    for (int i = 0; i < n && k < 39; i++)
        cands[k++] = names[i];
    cands[k] = NULL;
    const char *m = diag_suggest(str, cands);
    if (m)
        diag_note(s->diag, at->loc, "did you mean '%s'?", m);
    return -1;
}

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

static Value *make_layer(Sema *s, int kind, const Args *a)
{
    const LayerKind *lk = layer_kinds[kind];
    Param params[24];
    int np = 0;
    for (const ArgSpec *as = lk->args; as->name; as++)
        params[np++] = (Param){as->name, as->positional, as->required};
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
    lk->defaults(&l->d);
    l->d.alpha = 0.2f;
    if (bind_args(s, a, lk->name, params, val, where))
        return val_err(s);
    int ok = 1;
    for (int i = 0; i < common; i++) {
        if (!val[i])
            continue;
        const ArgSpec *as = &lk->args[i];
        char what[96];
        snprintf(what, sizeof what, "argument '%s' of %s", as->name, lk->name);
        void *field = (char *)&l->d + as->off;
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
    /* Keras 2.2 numbers unnamed layers per class from 1, at construction */
    if (!l->d.name[0])
        snprintf(l->d.name, sizeof l->d.name, "%s_%d", lk->snake, ++s->name_count[kind]);
    if (!ok)
        return val_err(s);
    Value *v = val_new(s, V_LAYER);
    v->layer = l;
    return v;
}

static Value *make_input(Sema *s, const Args *a)
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
    Value *v = val_new(s, V_INPUT);
    v->layer = l;
    return v;
}

/* ---- optimizers ------------------------------------------------------------------- */

static void optim_defaults(NnmOptim *o, int kind)
{
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->epsilon = 1e-7;
    o->beta_1 = 0.9;
    o->beta_2 = 0.999;
    switch ((NnmOptKind)kind) {
    case OPT_SGD: o->lr = 0.01; break;
    case OPT_RMSPROP: o->lr = 0.001; o->rho = 0.9; break;
    case OPT_ADAGRAD: o->lr = 0.01; break;
    case OPT_ADADELTA: o->lr = 1.0; o->rho = 0.95; break;
    case OPT_ADAM: o->lr = 0.001; break;
    case OPT_ADAMAX: o->lr = 0.002; break;
    case OPT_NADAM: o->lr = 0.002; o->schedule_decay = 0.004; break;
    case OPT_COUNT: NNM_UNREACHABLE();
    }
}

static Value *make_optim(Sema *s, int kind, const Args *a)
{
    /* which hyper-parameters each optimizer takes, in Keras 2.2's positional order */
    static const char *const names[OPT_COUNT][6] = {
        [OPT_SGD] = {"lr", "momentum", "decay", "nesterov", NULL},
        [OPT_RMSPROP] = {"lr", "rho", "epsilon", "decay", NULL},
        [OPT_ADAGRAD] = {"lr", "epsilon", "decay", NULL},
        [OPT_ADADELTA] = {"lr", "rho", "epsilon", "decay", NULL},
        [OPT_ADAM] = {"lr", "beta_1", "beta_2", "epsilon", "decay", "amsgrad"},
        [OPT_ADAMAX] = {"lr", "beta_1", "beta_2", "epsilon", "decay", NULL},
        [OPT_NADAM] = {"lr", "beta_1", "beta_2", "epsilon", "schedule_decay", NULL},
    };
    Param params[10];
    int np = 0;
    for (int i = 0; i < 6 && names[kind][i]; i++)
        params[np++] = (Param){names[kind][i], 1, 0};
    params[np++] = (Param){"learning_rate", 0, 0};
    params[np] = (Param){NULL, 0, 0};
    Value *val[10];
    const Ast *where[10];
    const char *fname = nnm_optim_names[kind];
    Value *v = val_new(s, V_OPTIM);
    v->opt = NEW(s->arena, NnmOptim);
    optim_defaults(v->opt, kind);
    if (bind_args(s, a, fname, params, val, where))
        return val_err(s);
    int ok = 1;
    if (val[0] && val[np - 1]) {
        diag_error(s->diag, where[np - 1]->loc, "give lr or learning_rate, not both");
        return val_err(s);
    }
    if (val[np - 1]) {
        val[0] = val[np - 1];
        where[0] = where[np - 1];
    }
    for (int i = 0; i < np - 1; i++) {
        if (!val[i])
            continue;
        const char *n = params[i].name;
        char what[80];
        snprintf(what, sizeof what, "argument '%s' of %s", i == 0 && val[np - 1] ? "learning_rate" : n, fname);
        if (strcmp(n, "nesterov") == 0 || strcmp(n, "amsgrad") == 0) {
            int b;
            if (want_bool(s, val[i], where[i], what, &b)) {
                ok = 0;
                continue;
            }
            *(n[0] == 'n' ? &v->opt->nesterov : &v->opt->amsgrad) = b;
            continue;
        }
        if (strcmp(n, "epsilon") == 0 && val[i]->k == V_NONE)
            continue; /* None means K.epsilon() = 1e-7 */
        double d;
        if (want_num(s, val[i], where[i], what, &d)) {
            ok = 0;
            continue;
        }
        double *field = strcmp(n, "lr") == 0 ? &v->opt->lr
                      : strcmp(n, "momentum") == 0 ? &v->opt->momentum
                      : strcmp(n, "decay") == 0 ? &v->opt->decay
                      : strcmp(n, "rho") == 0 ? &v->opt->rho
                      : strcmp(n, "epsilon") == 0 ? &v->opt->epsilon
                      : strcmp(n, "beta_1") == 0 ? &v->opt->beta_1
                      : strcmp(n, "beta_2") == 0 ? &v->opt->beta_2
                                                 : &v->opt->schedule_decay;
        int in01 = field == &v->opt->rho || field == &v->opt->beta_1 || field == &v->opt->beta_2;
        if (d < 0 || (field == &v->opt->lr && d == 0) || (in01 && d >= 1) ||
            (field == &v->opt->epsilon && d == 0)) {
            diag_error(s->diag, where[i]->loc, "%s must be %s, got %g", what,
                       in01 ? "in [0, 1)" : field == &v->opt->lr || field == &v->opt->epsilon ? "positive" : "at least 0", d);
            ok = 0;
            continue;
        }
        *field = d;
    }
    return ok ? v : val_err(s);
}

/* ---- models ---------------------------------------------------------------------------- */

static void model_add(Sema *s, ModelV *m, Value *lv, const Ast *at)
{
    if (lv->k == V_ERR) {
        m->broken = 1;
        return;
    }
    if (m->frozen) {
        diag_error(s->diag, at->loc, "layers cannot be added to '%s' after compile() or use", m->name);
        m->broken = 1;
        return;
    }
    if (lv->k == V_INPUT) {
        if (m->n || m->has_input) {
            diag_error(s->diag, at->loc, "Input() must come first in a Sequential model");
            m->broken = 1;
            return;
        }
        m->has_input = 1;
        m->input = m->cur = lv->layer->input;
        return;
    }
    if (lv->k != V_LAYER) {
        diag_error(s->diag, at->loc, "add() expects a layer, got %s", val_kind_name(lv));
        m->broken = 1;
        return;
    }
    LayerV *l = lv->layer;
    if (l->owner) {
        diag_error(s->diag, at->loc, "layer '%s' is already part of model '%s'", l->d.name, l->owner->name);
        m->broken = 1;
        return;
    }
    if (l->has_input) {
        if (m->n || m->has_input) {
            diag_error(s->diag, at->loc, "only the first layer of a model takes input_shape or input_dim");
            m->broken = 1;
            return;
        }
        m->has_input = 1;
        m->input = m->cur = l->input;
    }
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->layers[i]->d.name, l->d.name) == 0) {
            diag_error(s->diag, at->loc, "the model already has a layer named '%s'", l->d.name);
            m->broken = 1;
            return;
        }
    if (!m->has_input) {
        diag_error(s->diag, at->loc, "the first layer needs input_shape=... (e.g. input_shape=(784,))");
        m->broken = 1;
        return;
    }
    if (m->broken)
        return;
    l->d.in = m->cur;
    char err[256];
    if (layer_kinds[l->d.kind]->infer(&l->d, err, sizeof err)) {
        diag_error(s->diag, at->loc, "%s", err);
        m->broken = 1;
        return;
    }
    l->owner = m;
    m->cur = l->d.out;
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 8;
        LayerV **n = arena_alloc(s->arena, sizeof *n * (size_t)m->cap);
        if (m->n)
            memcpy(n, m->layers, sizeof *n * (size_t)m->n);
        m->layers = n;
    }
    m->layers[m->n++] = l;
}

static Value *make_sequential(Sema *s, const Args *a)
{
    static const Param params[] = {{"layers", 1, 0}, {"name", 1, 0}, {NULL, 0, 0}};
    Value *val[2];
    const Ast *where[2];
    ModelV *m = NEW(s->arena, ModelV);
    m->id = -1;
    m->loc = a->call->loc;
    snprintf(m->name, sizeof m->name, "sequential_%d", ++s->model_count);
    ModelLink *link = NEW(s->arena, ModelLink);
    link->m = m;
    link->next = s->models;
    s->models = link;
    if (bind_args(s, a, "Sequential", params, val, where))
        m->broken = 1;
    else {
        if (val[1]) {
            const char *nm;
            if (want_str(s, val[1], where[1], "a model name", &nm) == 0)
                snprintf(m->name, sizeof m->name, "%s", nm);
        }
        if (val[0] && val[0]->k != V_NONE) {
            if (val[0]->k != V_LIST && val[0]->k != V_TUPLE) {
                diag_error(s->diag, where[0]->loc, "Sequential() expects a list of layers, got %s",
                           val_kind_name(val[0]));
                m->broken = 1;
            } else {
                /* point at each element when it is a literal list */
                const Ast *el = where[0]->kind == AST_LIST ? where[0]->kids : NULL;
                for (int i = 0; i < val[0]->n; i++) {
                    model_add(s, m, val[0]->v[i], el ? el : where[0]);
                    if (el)
                        el = el->next;
                }
            }
        }
    }
    Value *v = val_new(s, V_MODEL);
    v->model = m;
    return v;
}

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

/* Keras 2.2.4 print_summary for sequential models: 65 columns, fields cut at
 * 29 and 55; every row is padded to the full width. */
static void summary_row(char *out, size_t *o, size_t cap, const char *f0, const char *f1, const char *f2)
{
    static const int pos[3] = {29, 55, 65};
    const char *f[3] = {f0, f1, f2};
    char line[80];
    int len = 0;
    for (int i = 0; i < 3; i++) {
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

static int64_t model_params(const ModelV *m)
{
    int64_t t = 0;
    for (int i = 0; i < m->n; i++)
        t += m->layers[i]->d.nparams;
    return t;
}

static const char *summary_text(Sema *s, const ModelV *m)
{
    size_t cap = 400 + (size_t)m->n * 200, o = 0;
    char *out = arena_alloc(s->arena, cap);
    char rule[70], dbl[70];
    memset(rule, '_', 65);
    rule[65] = 0;
    memset(dbl, '=', 65);
    dbl[65] = 0;
    o += (size_t)snprintf(out + o, cap - o, "%s\n", rule);
    summary_row(out, &o, cap, "Layer (type)", "Output Shape", "Param #");
    o += (size_t)snprintf(out + o, cap - o, "%s\n", dbl);
    for (int i = 0; i < m->n; i++) {
        const NnmLayer *l = &m->layers[i]->d;
        char f0[160], f1[120], f2[32];
        snprintf(f0, sizeof f0, "%s (%s)", l->name, layer_kinds[l->kind]->name);
        shape_str(&l->out, f1, sizeof f1);
        snprintf(f2, sizeof f2, "%lld", (long long)l->nparams);
        summary_row(out, &o, cap, f0, f1, f2);
        o += (size_t)snprintf(out + o, cap - o, "%s\n", i == m->n - 1 ? dbl : rule);
    }
    if (m->n == 0)
        o += (size_t)snprintf(out + o, cap - o, "%s\n", dbl);
    char t[40];
    fmt_thousands(t, sizeof t, model_params(m));
    o += (size_t)snprintf(out + o, cap - o, "Total params: %s\nTrainable params: %s\nNon-trainable params: 0\n%s\n",
                          t, t, rule);
    return out;
}

static int memory_check(Sema *s, const ModelV *m, int64_t batch, const Ast *at);

/* Makes the IR model (once); from then on the layer list is fixed. */
static int freeze(Sema *s, ModelV *m, const Ast *at)
{
    if (m->broken)
        return -1;
    if (m->frozen)
        return 0;
    if (!m->has_input || m->n == 0) {
        diag_error(s->diag, at->loc, "model '%s' has no layers with a known input shape yet", m->name);
        m->broken = 1;
        return -1;
    }
    if (memory_check(s, m, 0, at)) {
        m->broken = 1;
        return -1;
    }
    NnmProgram *p = s->prog;
    if (p->nmodels == s->cap_models) {
        s->cap_models = s->cap_models ? 2 * s->cap_models : 4;
        NnmModel *n = arena_alloc(s->arena, sizeof *n * (size_t)s->cap_models);
        if (p->nmodels)
            memcpy(n, p->models, sizeof *n * (size_t)p->nmodels);
        p->models = n;
    }
    m->id = p->nmodels++;
    NnmModel *im = &p->models[m->id];
    snprintf(im->name, sizeof im->name, "%s", m->name);
    im->nlayers = m->n;
    im->layers = arena_alloc(s->arena, sizeof *im->layers * (size_t)m->n);
    for (int i = 0; i < m->n; i++)
        im->layers[i] = m->layers[i]->d;
    im->input = m->input;
    m->frozen = 1;
    return 0;
}

static int want_compiled(Sema *s, ModelV *m, const Ast *at, const char *what)
{
    if (freeze(s, m, at))
        return -1;
    if (!m->compiled) {
        diag_error(s->diag, at->loc, "call compile() before %s()", what);
        m->broken = 1;
        return -1;
    }
    return 0;
}

static const char *const loss_alias_from[] = {"mse", "MSE", "mae", "MAE", "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy", "BinaryCrossentropy", "MeanSquaredError", "MeanAbsoluteError", "bce", NULL};
static const char *const loss_alias_to[] = {"mean_squared_error", "mean_squared_error",
    "mean_absolute_error", "mean_absolute_error", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "binary_crossentropy", "mean_squared_error",
    "mean_absolute_error", "binary_crossentropy", NULL};

static void model_compile(Sema *s, ModelV *m, const Args *a)
{
    static const Param params[] = {{"optimizer", 1, 0}, {"loss", 1, 1}, {"metrics", 1, 0}, {NULL, 0, 0}};
    Value *val[3];
    const Ast *where[3];
    if (bind_args(s, a, "compile", params, val, where)) {
        m->broken = 1;
        return;
    }
    NnmOptim opt;
    optim_defaults(&opt, OPT_RMSPROP);
    int ok = 1;
    if (val[0]) {
        if (val[0]->k == V_OPTIM) {
            opt = *val[0]->opt;
        } else if (val[0]->k == V_STR) {
            static const char *const lower[] = {"sgd", "rmsprop", "adagrad", "adadelta", "adam", "adamax", "nadam"};
            int k;
            if (name_lookup(s, val[0], where[0], "optimizer", lower, OPT_COUNT, NULL, NULL, &k))
                ok = 0;
            else
                optim_defaults(&opt, k);
        } else {
            if (val[0]->k != V_ERR)
                diag_error(s->diag, where[0]->loc, "optimizer must be a name such as 'rmsprop' or an optimizer such as RMSprop(), got %s",
                           val_kind_name(val[0]));
            ok = 0;
        }
    }
    int loss = LOSS_CCE;
    if (name_lookup(s, val[1], where[1], "loss", nnm_loss_names, LOSS_COUNT, loss_alias_from, loss_alias_to, &loss))
        ok = 0;
    int acc = 0;
    if (val[2] && val[2]->k != V_NONE) {
        if (val[2]->k != V_LIST && val[2]->k != V_TUPLE) {
            diag_error(s->diag, where[2]->loc, "metrics must be a list such as ['accuracy']");
            ok = 0;
        } else
            for (int i = 0; i < val[2]->n; i++) {
                const char *mn;
                if (want_str(s, val[2]->v[i], where[2], "a metric", &mn)) {
                    ok = 0;
                    continue;
                }
                if (strcmp(mn, "accuracy") == 0 || strcmp(mn, "acc") == 0)
                    acc = 1;
                else {
                    diag_error(s->diag, where[2]->loc, "metric '%s' is not supported; nnmc knows 'accuracy'", mn);
                    ok = 0;
                }
            }
    }
    if (!ok) {
        m->broken = 1;
        return;
    }
    if (freeze(s, m, a->call))
        return;
    const NnmShape *out = &m->cur;
    char sh[96];
    shape_str(out, sh, sizeof sh);
    if (out->rank != 1) {
        diag_error(s->diag, a->call->loc, "loss '%s' needs a flat output (None, n), but the model's output is %s",
                   nnm_loss_names[loss], sh);
        m->broken = 1;
        return;
    }
    if ((loss == LOSS_CCE || loss == LOSS_SPARSE_CCE) && out->dim[0] < 2) {
        diag_error(s->diag, where[1]->loc,
                   "'%s' needs one output per class, but the model's output is %s; use 'binary_crossentropy' for one sigmoid output",
                   nnm_loss_names[loss], sh);
        m->broken = 1;
        return;
    }
    m->compiled = 1;
    m->loss = loss;
    m->optim = opt;
    m->metric_acc = acc;
    NnmModel *im = &s->prog->models[m->id];
    im->compiled = 1;
    im->loss = loss;
    im->optim = opt;
    im->metric_acc = acc;
}

/* ---- data arrays ------------------------------------------------------------------- */

static Value *array_copy(Sema *s, const Value *a)
{
    Value *v = val_new(s, V_ARRAY);
    v->arr = NEW(s->arena, ArrayV);
    *v->arr = *a->arr;
    return v;
}

static Value *load_data(Sema *s, int source, const Args *a)
{
    static const Param params[] = {{"path", 1, 0}, {"classes", 0, 0}, {NULL, 0, 0}};
    Value *val[2];
    const Ast *where[2];
    if (bind_args(s, a, "load_data", params, val, where))
        return val_err(s);
    NnmDataset d = {source, 10, 0, {0}};
    for (int i = 0; i < 10; i++)
        d.classes[i] = i;
    if (val[1] && val[1]->k != V_NONE) {
        Value *c = val[1];
        if (c->k != V_LIST && c->k != V_TUPLE) {
            diag_error(s->diag, where[1]->loc, "classes must be a list of labels such as [2, 3]");
            return val_err(s);
        }
        if (c->n < 2 || c->n > 10) {
            diag_error(s->diag, where[1]->loc, "classes must list 2 to 10 labels, got %d", c->n);
            return val_err(s);
        }
        int seen[10] = {0};
        for (int i = 0; i < c->n; i++) {
            int64_t k;
            if (want_int(s, c->v[i], where[1], "a class label", 0, &k))
                return val_err(s);
            if (k > 9) {
                diag_error(s->diag, where[1]->loc, "class %lld does not exist: labels are 0 to 9", (long long)k);
                return val_err(s);
            }
            if (seen[k]++) {
                diag_error(s->diag, where[1]->loc, "class %lld is listed twice", (long long)k);
                return val_err(s);
            }
            d.classes[i] = (int)k;
        }
        d.nclasses = c->n;
        d.filtered = 1;
    }
    NnmProgram *p = s->prog;
    if (p->ndatasets == s->cap_data) {
        s->cap_data = s->cap_data ? 2 * s->cap_data : 4;
        NnmDataset *n = arena_alloc(s->arena, sizeof *n * (size_t)s->cap_data);
        if (p->ndatasets)
            memcpy(n, p->datasets, sizeof *n * (size_t)p->ndatasets);
        p->datasets = n;
    }
    int id = p->ndatasets++;
    p->datasets[id] = d;
    Value *halves[2];
    for (int t = 0; t < 2; t++) {
        Value *pair = val_new(s, V_TUPLE);
        pair->n = 2;
        pair->v = arena_alloc(s->arena, 2 * sizeof(Value *));
        for (int isx = 1; isx >= 0; isx--) {
            Value *v = val_new(s, V_ARRAY);
            ArrayV *arr = v->arr = NEW(s->arena, ArrayV);
            arr->dataset = id;
            arr->test = t;
            arr->isx = isx;
            arr->n = d.filtered ? -1 : t ? 10000 : 60000;
            arr->sample = isx ? (NnmShape){2, {28, 28, 0, 0}} : (NnmShape){0, {0}};
            arr->end = -1;
            arr->expect_n = -1;
            arr->nclasses = d.nclasses;
            arr->line = sema_line(s, a->call->loc);
            pair->v[1 - isx] = v;
        }
        halves[t] = pair;
    }
    Value *r = val_new(s, V_TUPLE);
    r->n = 2;
    r->v = arena_alloc(s->arena, 2 * sizeof(Value *));
    r->v[0] = halves[0];
    r->v[1] = halves[1];
    return r;
}

static Value *sample_count(Sema *s, const ArrayV *a)
{
    Value *v = val_int(s, a->n);
    if (a->n < 0)
        v->sym = 1;
    return v;
}

static Value *array_reshape(Sema *s, Value *av, const Args *a)
{
    ArrayV *arr = av->arr;
    if (a->nkw) {
        diag_error(s->diag, a->kw[0].node->loc, "reshape() takes the new shape only");
        return val_err(s);
    }
    const Value *const *dims = (const Value *const *)&a->pos[0].v;
    Value *tmp[ARGS_MAX];
    int nd = a->npos;
    for (int i = 0; i < nd; i++)
        tmp[i] = a->pos[i].v;
    dims = (const Value *const *)tmp;
    const Ast *at = a->call;
    if (nd == 1 && (tmp[0]->k == V_TUPLE || tmp[0]->k == V_LIST)) {
        nd = tmp[0]->n;
        dims = (const Value *const *)tmp[0]->v;
        at = a->pos[0].node;
    }
    if (nd < 1 || nd > NNM_MAX_RANK + 1) {
        diag_error(s->diag, at->loc, "reshape() needs 1 to %d sizes", NNM_MAX_RANK + 1);
        return val_err(s);
    }
    int64_t per = shape_size(&arr->sample);
    int64_t n = arr->n, d[NNM_MAX_RANK + 1];
    int infer = -1, first_sym = 0;
    int64_t known = 1;
    for (int i = 0; i < nd; i++) {
        const Value *v = dims[i];
        if (v->k == V_ERR)
            return val_err(s);
        if (v->k == V_INT && v->sym && i == 0) {
            first_sym = 1;
            d[0] = -2;
            continue;
        }
        if (v->k != V_INT || v->sym) {
            diag_error(s->diag, at->loc, "reshape() sizes must be integers, got %s", val_kind_name(v));
            return val_err(s);
        }
        if (v->i == -1) {
            if (infer >= 0) {
                diag_error(s->diag, at->loc, "reshape() can infer only one size (-1)");
                return val_err(s);
            }
            infer = i;
            d[i] = -1;
            continue;
        }
        if (v->i < 1 || v->i > ((int64_t)1 << 40)) {
            diag_error(s->diag, at->loc, "reshape() size %lld is not valid", (long long)v->i);
            return val_err(s);
        }
        d[i] = v->i;
        if (i > 0) {
            if (known > ((int64_t)1 << 40) / d[i]) {
                diag_error(s->diag, at->loc, "reshape() sizes are too large");
                return val_err(s);
            }
            known *= d[i];
        }
    }
    char have[128];
    {
        int o = snprintf(have, sizeof have, "(");
        o += n < 0 ? snprintf(have + o, sizeof have - (size_t)o, "N") : snprintf(have + o, sizeof have - (size_t)o, "%lld", (long long)n);
        for (int i = 0; i < arr->sample.rank; i++)
            o += snprintf(have + o, sizeof have - (size_t)o, ", %lld", (long long)arr->sample.dim[i]);
        snprintf(have + o, sizeof have - (size_t)o, "%s)", arr->sample.rank ? "" : ",");
    }
    /* the first size is the number of samples: nnmc keeps samples whole */
    if (infer == 0) {
        if (known == 0 || per % known != 0) {
            diag_error(s->diag, at->loc, "cannot reshape an array of shape %s: the sample size %lld is not a multiple of %lld",
                       have, (long long)per, (long long)known);
            return val_err(s);
        }
        if (known != per) {
            diag_error(s->diag, at->loc, "nnmc keeps samples whole: reshape of %s must keep %lld values per sample",
                       have, (long long)per);
            return val_err(s);
        }
    } else if (infer > 0) {
        if (per % known != 0) {
            diag_error(s->diag, at->loc, "cannot reshape an array of shape %s: %lld values per sample do not divide by %lld",
                       have, (long long)per, (long long)known);
            return val_err(s);
        }
        d[infer] = per / known;
        known = per;
    }
    if (known != per || (nd == 1 && per != 1)) {
        diag_error(s->diag, at->loc, "cannot reshape an array of shape %s into a shape with %lld value%s per sample",
                   have, (long long)(nd == 1 ? 1 : known), known == 1 ? "" : "s");
        return val_err(s);
    }
    Value *r = array_copy(s, av);
    ArrayV *ra = r->arr;
    if (!first_sym && infer != 0) {
        if (n >= 0 && d[0] != n) {
            diag_error(s->diag, at->loc, "cannot reshape an array of shape %s: it has %lld samples, not %lld",
                       have, (long long)n, (long long)d[0]);
            return val_err(s);
        }
        if (n < 0) {
            ra->expect_n = d[0];
            ra->line = sema_line(s, at->loc);
        }
    }
    ra->sample.rank = nd - 1;
    for (int i = 1; i < nd; i++)
        ra->sample.dim[i - 1] = d[i];
    return r;
}

Value *keras_array_scale(Sema *s, const Ast *n, Value *arr, Value *by, const Ast *by_node)
{
    double d;
    if (want_num(s, by, by_node, "the divisor", &d))
        return val_err(s);
    if (!arr->arr->isx || d != 255.0) {
        diag_error(s->diag, n->loc, "only pixel arrays can be divided, and only by 255 (nnmc scales pixels to [0, 1])");
        return val_err(s);
    }
    return array_copy(s, arr);
}

Value *keras_array_index(Sema *s, const Ast *n, Value *av, const Ast *ix)
{
    if (ix->kind != AST_SLICE) {
        diag_error(s->diag, ix->loc, "an array can only be sliced by samples, as in x[:1000]");
        return val_err(s);
    }
    (void)n;
    int64_t lo = 0, hi = -1;
    ArrayV *a = av->arr;
    int64_t cnt = a->end < 0 ? -1 : a->end - a->begin; /* current view length if bounded */
    if (ix->a) {
        Value *v = sema_eval(s, ix->a);
        if (want_int(s, v, ix->a, "a slice start", 0, &lo))
            return val_err(s);
    }
    if (ix->b) {
        Value *v = sema_eval(s, ix->b);
        if (want_int(s, v, ix->b, "a slice end", 0, &hi))
            return val_err(s);
    }
    Value *r = array_copy(s, av);
    ArrayV *ra = r->arr;
    int64_t total = a->n;
    /* compose with an earlier slice; numpy clamps, and so does the runtime */
    int64_t nb = a->begin + lo;
    int64_t ne = hi < 0 ? a->end : a->begin + hi;
    if (cnt >= 0 && hi >= 0 && hi > cnt)
        ne = a->end;
    if (ne >= 0 && ne < nb)
        ne = nb;
    ra->begin = nb;
    ra->end = ne;
    if (total >= 0) {
        int64_t b = NNM_MIN(nb, total), e = ne < 0 ? total : NNM_MIN(ne, total);
        ra->n = e > b ? e - b : 0;
        ra->begin = b;
        ra->end = e;
    }
    ra->expect_n = -1;
    return r;
}

static Value *to_categorical(Sema *s, const Args *a)
{
    static const Param params[] = {{"y", 1, 1}, {"num_classes", 1, 0}, {"dtype", 0, 0}, {NULL, 0, 0}};
    Value *val[3];
    const Ast *where[3];
    if (bind_args(s, a, "to_categorical", params, val, where))
        return val_err(s);
    if (val[0]->k != V_ARRAY || val[0]->arr->isx) {
        diag_error(s->diag, where[0]->loc, "to_categorical() expects the labels of a data set, got %s",
                   val[0]->k == V_ARRAY ? "pixels" : val_kind_name(val[0]));
        return val_err(s);
    }
    int64_t c = val[0]->arr->nclasses;
    if (val[1] && val[1]->k != V_NONE) {
        if (want_int(s, val[1], where[1], "num_classes", 1, &c))
            return val_err(s);
        if (c < val[0]->arr->nclasses) {
            diag_error(s->diag, where[1]->loc, "num_classes is %lld but the labels go up to %d",
                       (long long)c, val[0]->arr->nclasses - 1);
            return val_err(s);
        }
        if (c > 1000000) {
            diag_error(s->diag, where[1]->loc, "num_classes %lld is too large", (long long)c);
            return val_err(s);
        }
    }
    Value *r = array_copy(s, val[0]);
    r->arr->onehot = (int)c;
    r->arr->sample = (NnmShape){1, {c, 0, 0, 0}};
    return r;
}

/* Checks x (and y) against the model and fills an array reference. */
static int array_ref(Sema *s, ModelV *m, const Value *x, const Ast *xat, const Value *y,
                     const Ast *yat, NnmArrayRef *rx, NnmArrayRef *ry, const char *what)
{
    if (x->k == V_ERR || (y && y->k == V_ERR))
        return -1;
    if (x->k != V_ARRAY || !x->arr->isx) {
        diag_error(s->diag, xat->loc, "%s: x must be the images of a data set (e.g. x_train), got %s", what,
                   x->k == V_ARRAY ? "labels" : val_kind_name(x));
        return -1;
    }
    const ArrayV *xa = x->arr;
    int64_t per = shape_size(&xa->sample), want = shape_size(&m->input);
    if (per != want) {
        char sh[96];
        shape_str(&m->input, sh, sizeof sh);
        diag_error(s->diag, xat->loc, "%s: samples have %lld values but the model's input %s needs %lld",
                   what, (long long)per, sh, (long long)want);
        return -1;
    }
    *rx = (NnmArrayRef){xa->dataset, xa->test, xa->begin, xa->end, xa->expect_n, xa->line};
    if (!y)
        return 0;
    if (y->k != V_ARRAY || y->arr->isx) {
        diag_error(s->diag, yat->loc, "%s: y must be the labels of a data set (e.g. y_train), got %s", what,
                   y->k == V_ARRAY ? "images" : val_kind_name(y));
        return -1;
    }
    const ArrayV *ya = y->arr;
    if (ya->dataset != xa->dataset || ya->test != xa->test || ya->begin != xa->begin || ya->end != xa->end) {
        diag_error(s->diag, yat->loc, "%s: y is not the labels of the same samples as x", what);
        return -1;
    }
    *ry = (NnmArrayRef){ya->dataset, ya->test, ya->begin, ya->end, ya->expect_n, ya->line};
    /* the labels must fit the output the loss compares them with */
    int64_t units = m->cur.dim[0], C = ya->onehot ? ya->onehot : ya->nclasses;
    int loss = m->loss;
    const char *ln = nnm_loss_names[loss];
    if (ya->onehot && units != ya->onehot) {
        diag_error(s->diag, yat->loc, "%s: labels are one-hot with %d classes but the model has %lld outputs",
                   what, ya->onehot, (long long)units);
        return -1;
    }
    if (units == 1 && !ya->onehot) {
        if (loss == LOSS_BCE && ya->nclasses != 2) {
            diag_error(s->diag, yat->loc, "%s: '%s' with one output needs 2 classes, but the labels have %d (use load_data(classes=[a, b]))",
                       what, ln, ya->nclasses);
            return -1;
        }
    } else if (units < C) {
        diag_error(s->diag, yat->loc, "%s: the labels have %lld classes but the model has only %lld outputs",
                   what, (long long)C, (long long)units);
        return -1;
    }
    return 0;
}

/* Refuses a fit whose buffers cannot fit in this machine's memory:
 * weights, gradients and up to 3 optimizer slots, plus per-sample
 * activations, gradients and scratch for every layer. */
static int memory_check(Sema *s, const ModelV *m, int64_t batch, const Ast *at)
{
    double floats = 5.0 * (double)model_params(m) + (double)batch * (double)shape_size(&m->input);
    for (int i = 0; i < m->n; i++)
        floats += 3.0 * (double)batch * (double)shape_size(&m->layers[i]->d.out);
    double bytes = 4 * floats;
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    double phys = pages > 0 && psize > 0 ? (double)pages * (double)psize : 64.0 * (1 << 30);
    if (bytes > phys) {
        if (batch)
            diag_error(s->diag, at->loc, "training '%s' with batch_size %lld needs %.0f GiB, more than this machine's memory",
                       m->name, (long long)batch, bytes / (1 << 30));
        else
            diag_error(s->diag, at->loc, "the %.0f weights of '%s' need %.0f GiB, more than this machine's memory",
                       (double)model_params(m), m->name, bytes / (1 << 30));
        return -1;
    }
    return 0;
}

static int64_t opt_batch(Sema *s, Value *v, const Ast *at)
{
    int64_t b = 32;
    if (v && v->k != V_NONE) {
        if (want_int(s, v, at, "batch_size", 1, &b))
            return -1;
        if (b > 1000000) {
            diag_error(s->diag, at->loc, "batch_size %lld is too large", (long long)b);
            return -1;
        }
    }
    return b;
}

static int opt_verbose(Sema *s, Value *v, const Ast *at, int def)
{
    int64_t x = def;
    if (v && want_int(s, v, at, "verbose", 0, &x))
        return -1;
    if (x > 2) {
        diag_error(s->diag, at->loc, "verbose must be 0, 1 or 2");
        return -1;
    }
    return (int)x;
}

static int new_results(Sema *s, int n)
{
    int r = s->prog->nresults;
    s->prog->nresults += n;
    return r;
}

static Value *model_fit(Sema *s, ModelV *m, const Args *a)
{
    static const Param params[] = {{"x", 1, 1}, {"y", 1, 1}, {"batch_size", 1, 0}, {"epochs", 1, 0},
        {"verbose", 1, 0}, {"callbacks", 1, 0}, {"validation_split", 1, 0}, {"validation_data", 1, 0},
        {"shuffle", 1, 0}, {"nb_epoch", 0, 0}, {NULL, 0, 0}};
    Value *val[10];
    const Ast *where[10];
    if (bind_args(s, a, "fit", params, val, where))
        return val_err(s);
    NnmStep st;
    memset(&st, 0, sizeof st);
    int ok = 1;
    st.batch_size = opt_batch(s, val[2], where[2]);
    int64_t ep = 1;
    if (val[9] && !val[3]) {
        val[3] = val[9];
        where[3] = where[9];
    }
    if (val[3] && want_int(s, val[3], where[3], "epochs", 0, &ep))
        ok = 0;
    if (ep > 1000000) {
        diag_error(s->diag, where[3]->loc, "epochs %lld is too large", (long long)ep);
        ok = 0;
    }
    st.epochs = (int)ep;
    st.verbose = opt_verbose(s, val[4], where[4], 1);
    if (val[5] && val[5]->k != V_NONE && !(val[5]->k == V_LIST && val[5]->n == 0)) {
        diag_error(s->diag, where[5]->loc, "callbacks are not supported yet");
        ok = 0;
    }
    if (val[6]) {
        if (want_num(s, val[6], where[6], "validation_split", &st.val_split))
            ok = 0;
        else if (st.val_split < 0 || st.val_split >= 1) {
            diag_error(s->diag, where[6]->loc, "validation_split must be in [0, 1), got %g", st.val_split);
            ok = 0;
        }
    }
    if (val[7] && val[7]->k != V_NONE) {
        Value *vd = val[7];
        if ((vd->k != V_TUPLE && vd->k != V_LIST) || vd->n != 2) {
            if (vd->k != V_ERR)
                diag_error(s->diag, where[7]->loc, "validation_data must be a pair (x_val, y_val)");
            ok = 0;
        } else if (m->compiled && array_ref(s, m, vd->v[0], where[7], vd->v[1], where[7], &st.vx, &st.vy, "validation_data"))
            ok = 0;
        st.has_val_data = 1;
    }
    st.shuffle = 1;
    if (val[8] && want_bool(s, val[8], where[8], "shuffle", &st.shuffle))
        ok = 0;
    if (want_compiled(s, m, a->call, "fit"))
        return val_err(s);
    if (array_ref(s, m, val[0], where[0], val[1], where[1], &st.x, &st.y, "fit"))
        ok = 0;
    if (ok && st.batch_size > 0 && memory_check(s, m, st.batch_size, a->call))
        ok = 0;
    if (!ok || st.batch_size < 0 || st.verbose < 0)
        return val_err(s);
    NnmStep *p = add_step(s, STEP_FIT, a->call);
    int line = p->line;
    *p = st;
    p->kind = STEP_FIT;
    p->line = line;
    p->model = m->id;
    p->result = new_results(s, 4);
    Value *h = val_new(s, V_HISTORY);
    h->slot = p->result;
    h->i = m->metric_acc;
    h->sub = st.has_val_data || st.val_split > 0;
    h->n = st.epochs;
    return h;
}

static Value *model_evaluate(Sema *s, ModelV *m, const Args *a, int predict)
{
    static const Param params[] = {{"x", 1, 1}, {"y", 1, 1}, {"batch_size", 1, 0}, {"verbose", 1, 0},
                                   {NULL, 0, 0}};
    static const Param pparams[] = {{"x", 1, 1}, {"batch_size", 1, 0}, {"verbose", 1, 0}, {NULL, 0, 0}};
    Value *val[4];
    const Ast *where[4];
    const char *fname = predict ? "predict" : "evaluate";
    if (bind_args(s, a, fname, predict ? pparams : params, val, where))
        return val_err(s);
    if (predict ? freeze(s, m, a->call) : want_compiled(s, m, a->call, fname))
        return val_err(s);
    NnmStep st;
    memset(&st, 0, sizeof st);
    int o = predict ? 0 : 1;
    if (array_ref(s, m, val[0], where[0], predict ? NULL : val[1], where[1], &st.x, &st.y, fname))
        return val_err(s);
    st.batch_size = opt_batch(s, val[1 + o], where[1 + o]);
    st.verbose = opt_verbose(s, val[2 + o], where[2 + o], predict ? 0 : 1);
    if (st.batch_size < 0 || st.verbose < 0)
        return val_err(s);
    NnmStep *p = add_step(s, predict ? STEP_PREDICT : STEP_EVALUATE, a->call);
    int line = p->line;
    *p = st;
    p->kind = predict ? STEP_PREDICT : STEP_EVALUATE;
    p->line = line;
    p->model = m->id;
    if (predict)
        return val_new(s, V_PRED);
    p->result = new_results(s, 1);
    Value *r = val_new(s, V_RESULT);
    r->slot = p->result;
    r->i = m->metric_acc;       /* a list [loss, acc] or a scalar loss */
    r->n = m->metric_acc ? 2 : 1;
    return r;
}

static void model_weights(Sema *s, ModelV *m, const Args *a, int load)
{
    static const Param params[] = {{"filepath", 1, 1}, {"overwrite", 0, 0}, {NULL, 0, 0}};
    Value *val[2];
    const Ast *where[2];
    const char *fname = load ? "load_weights" : "save_weights";
    if (bind_args(s, a, fname, params, val, where) || freeze(s, m, a->call))
        return;
    const char *path;
    if (want_str(s, val[0], where[0], "the weights file name", &path))
        return;
    size_t n = strlen(path);
    if (n == 0 || strlen(path) != val[0]->slen) {
        diag_error(s->diag, where[0]->loc, "the weights file name is not valid");
        return;
    }
    if (n < 4 || strcmp(path + n - 4, ".npz") != 0) {
        diag_error(s->diag, where[0]->loc, "nnmc saves weights as NumPy .npz; name the file '....npz'");
        return;
    }
    NnmStep *p = add_step(s, load ? STEP_LOAD : STEP_SAVE, a->call);
    p->model = m->id;
    p->path = path;
}

/* ---- print ------------------------------------------------------------------------------ */

typedef struct {
    NnmPrintItem items[256];
    int n;
    char buf[4096];
    size_t len;
} PrintBuf;

static void pb_flush(Sema *s, PrintBuf *b)
{
    if (!b->len)
        return;
    if (b->n < 256)
        b->items[b->n++] = (NnmPrintItem){arena_strndup(s->arena, b->buf, b->len), 0, 0};
    b->len = 0;
}

static void pb_text(Sema *s, PrintBuf *b, const char *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (b->len == sizeof b->buf)
            pb_flush(s, b);
        b->buf[b->len++] = t[i];
    }
}

static int pb_value(Sema *s, PrintBuf *b, const Value *v, int repr, const Ast *at, int depth)
{
    char tmp[64];
    switch (v->k) {
    case V_ERR: return -1;
    case V_NONE: pb_text(s, b, "None", 4); return 0;
    case V_BOOL: pb_text(s, b, v->i ? "True" : "False", v->i ? 4 : 5); return 0;
    case V_INT:
        if (v->sym) {
            diag_error(s->diag, at->loc, "printing a sample count of a filtered data set is not supported");
            return -1;
        }
        snprintf(tmp, sizeof tmp, "%lld", (long long)v->i);
        pb_text(s, b, tmp, strlen(tmp));
        return 0;
    case V_FLOAT:
        nnm_pyfloat(tmp, sizeof tmp, v->f);
        pb_text(s, b, tmp, strlen(tmp));
        return 0;
    case V_STR:
        if (!repr) {
            pb_text(s, b, v->s, v->slen);
            return 0;
        }
        pb_text(s, b, memchr(v->s, '\'', v->slen) && !memchr(v->s, '"', v->slen) ? "\"" : "'", 1);
        pb_text(s, b, v->s, v->slen);
        pb_text(s, b, memchr(v->s, '\'', v->slen) && !memchr(v->s, '"', v->slen) ? "\"" : "'", 1);
        return 0;
    case V_TUPLE:
    case V_LIST:
        if (depth > 20)
            return -1;
        pb_text(s, b, v->k == V_TUPLE ? "(" : "[", 1);
        for (int i = 0; i < v->n; i++) {
            if (i)
                pb_text(s, b, ", ", 2);
            if (pb_value(s, b, v->v[i], 1, at, depth + 1))
                return -1;
        }
        if (v->k == V_TUPLE && v->n == 1)
            pb_text(s, b, ",", 1);
        pb_text(s, b, v->k == V_TUPLE ? ")" : "]", 1);
        return 0;
    case V_RESULT:
        pb_flush(s, b);
        if (b->n < 256)
            b->items[b->n++] = (NnmPrintItem){NULL, v->slot, v->index};
        return 0;
    case V_MODEL:
    case V_LAYER:
    case V_OPTIM:
    case V_MODULE:
    case V_FUNC:
    case V_METHOD:
    case V_INPUT:
    case V_ARRAY:
    case V_HISTORY:
    case V_HISTDICT:
    case V_PRED:
        diag_error(s->diag, at->loc, "nnmc cannot print %s", val_kind_name(v));
        return -1;
    }
    NNM_UNREACHABLE();
}

static Value *do_print(Sema *s, const Args *a)
{
    PrintBuf *b = arena_alloc(s->arena, sizeof *b);
    const char *sep = " ", *end = "\n";
    size_t seplen = 1, endlen = 1;
    for (int i = 0; i < a->nkw; i++) {
        const char *k = a->kw[i].name;
        const Value *v = a->kw[i].v;
        if (strcmp(k, "sep") == 0 || strcmp(k, "end") == 0) {
            if (v->k != V_STR) {
                diag_error(s->diag, a->kw[i].node->loc, "print() argument '%s' must be a string", k);
                return val_err(s);
            }
            if (k[0] == 's') {
                sep = v->s;
                seplen = v->slen;
            } else {
                end = v->s;
                endlen = v->slen;
            }
        } else if (strcmp(k, "flush") != 0) {
            diag_error(s->diag, a->kw[i].node->loc, "print() has no argument '%s'", k);
            return val_err(s);
        }
    }
    int ok = 1;
    for (int i = 0; i < a->npos; i++) {
        if (i)
            pb_text(s, b, sep, seplen);
        if (pb_value(s, b, a->pos[i].v, 0, a->pos[i].node, 0))
            ok = 0;
    }
    pb_text(s, b, end, endlen);
    pb_flush(s, b);
    if (!ok)
        return val_err(s);
    NnmStep *st = add_step(s, STEP_PRINT, a->call);
    NnmPrintItem *items = arena_alloc(s->arena, sizeof *items * (size_t)(b->n + 1));
    memcpy(items, b->items, sizeof *items * (size_t)b->n);
    st->items = items;
    st->nitems = b->n;
    return val_new(s, V_NONE);
}

/* ---- attribute access and calls ---------------------------------------------------------- */

static Value *method(Sema *s, Value *self, int id)
{
    Value *v = val_new(s, V_METHOD);
    v->self = self;
    v->i = id;
    return v;
}

Value *keras_attr(Sema *s, const Ast *n, Value *o)
{
    const char *name = n->str;
    Loc at = n->loc;
    if (o->k == V_MODULE) {
        for (size_t i = 0; i < NNM_COUNTOF(entries); i++)
            if (entries[i].module == o->i && strcmp(entries[i].name, name) == 0)
                return entry_value(s, &entries[i]);
        Value *c = class_value(s, (int)o->i, name);
        if (c)
            return c;
        const char *cands[128];
        int k = names_in((int)o->i, cands, 127);
        cands[k] = NULL;
        diag_error(s->diag, at, "module '%s' has no attribute '%s' that nnmc supports", module_names[o->i], name);
        const char *m = diag_suggest(name, cands);
        if (m)
            diag_note(s->diag, at, "did you mean '%s'?", m);
        return val_err(s);
    }
    if (o->k == V_MODEL) {
        static const char *const names[] = {"add", "summary", "compile", "fit", "evaluate", "predict",
                                            "save_weights", "load_weights", "count_params", NULL};
        for (int i = 0; names[i]; i++)
            if (strcmp(names[i], name) == 0)
                return method(s, o, i);
        diag_error(s->diag, at, "a Sequential model has no method '%s' that nnmc supports", name);
        const char *m = diag_suggest(name, names);
        if (m)
            diag_note(s->diag, at, "did you mean '%s'?", m);
        return val_err(s);
    }
    if (o->k == V_ARRAY) {
        if (strcmp(name, "reshape") == 0)
            return method(s, o, AM_RESHAPE);
        if (strcmp(name, "astype") == 0)
            return method(s, o, AM_ASTYPE);
        if (strcmp(name, "shape") == 0) {
            Value *t = val_new(s, V_TUPLE);
            const ArrayV *a = o->arr;
            t->n = 1 + a->sample.rank;
            t->v = arena_alloc(s->arena, sizeof(Value *) * (size_t)t->n);
            t->v[0] = sample_count(s, a);
            for (int i = 0; i < a->sample.rank; i++)
                t->v[i + 1] = val_int(s, a->sample.dim[i]);
            return t;
        }
        diag_error(s->diag, at, "nnmc supports only reshape(), astype() and shape on data arrays, not '%s'", name);
        return val_err(s);
    }
    if (o->k == V_HISTORY && strcmp(name, "history") == 0) {
        Value *d = val_new(s, V_HISTDICT);
        d->slot = o->slot;
        d->i = o->i;
        d->sub = o->sub;
        d->n = o->n;
        return d;
    }
    diag_error(s->diag, at, "%s has no attribute '%s' that nnmc supports", val_kind_name(o), name);
    return val_err(s);
}

Value *keras_history_key(Sema *s, Value *d, const Ast *key)
{
    Value *k = sema_eval(s, key);
    const char *str;
    if (want_str(s, k, key, "a history key", &str))
        return val_err(s);
    static const char *const keys[] = {"loss", "acc", "val_loss", "val_acc", NULL};
    int idx = -1;
    for (int i = 0; keys[i]; i++)
        if (strcmp(keys[i], str) == 0 || (strcmp(str, "accuracy") == 0 && i == 1) ||
            (strcmp(str, "val_accuracy") == 0 && i == 3))
            idx = i;
    if (idx < 0 || ((idx & 1) && !d->i) || (idx >= 2 && !d->sub)) {
        diag_error(s->diag, key->loc, "history has no key '%s'", str);
        return val_err(s);
    }
    Value *r = val_new(s, V_RESULT);
    r->slot = d->slot + idx;
    r->i = 1;
    r->n = d->n;
    return r;
}

Value *keras_call(Sema *s, Value *f, const Args *a)
{
    if (f->k == V_FUNC) {
        switch (f->i) {
        case F_LAYER: return make_layer(s, f->sub, a);
        case F_INPUT: return make_input(s, a);
        case F_OPTIM: return make_optim(s, f->sub, a);
        case F_SEQUENTIAL: return make_sequential(s, a);
        case F_LOAD_DATA: return load_data(s, f->sub, a);
        case F_TO_CATEGORICAL: return to_categorical(s, a);
        case F_PRINT: return do_print(s, a);
        case F_LEN: {
            static const Param params[] = {{"obj", 1, 1}, {NULL, 0, 0}};
            Value *val[1];
            const Ast *where[1];
            if (bind_args(s, a, "len", params, val, where))
                return val_err(s);
            if (val[0]->k == V_ARRAY)
                return sample_count(s, val[0]->arr);
            if (val[0]->k == V_TUPLE || val[0]->k == V_LIST)
                return val_int(s, val[0]->n);
            if (val[0]->k == V_STR)
                return val_int(s, val[0]->slen);
            diag_error(s->diag, where[0]->loc, "len() of %s is not supported", val_kind_name(val[0]));
            return val_err(s);
        }
        }
        NNM_UNREACHABLE();
    }
    Value *self = f->self;
    if (self->k == V_ARRAY) {
        if (f->i == AM_RESHAPE)
            return array_reshape(s, self, a);
        static const Param params[] = {{"dtype", 1, 1}, {NULL, 0, 0}};
        Value *val[1];
        const Ast *where[1];
        if (bind_args(s, a, "astype", params, val, where))
            return val_err(s);
        const char *dt;
        if (want_str(s, val[0], where[0], "dtype", &dt))
            return val_err(s);
        if (strcmp(dt, "float32") && strcmp(dt, "float64") && strcmp(dt, "int") && strcmp(dt, "int32") &&
            strcmp(dt, "int64") && strcmp(dt, "uint8")) {
            diag_error(s->diag, where[0]->loc, "unknown dtype '%s'", dt);
            return val_err(s);
        }
        return array_copy(s, self);
    }
    ModelV *m = self->model;
    switch (f->i) {
    case MM_ADD: {
        static const Param params[] = {{"layer", 1, 1}, {NULL, 0, 0}};
        Value *val[1];
        const Ast *where[1];
        if (bind_args(s, a, "add", params, val, where)) {
            m->broken = 1;
            return val_err(s);
        }
        model_add(s, m, val[0], where[0]);
        return val_new(s, V_NONE);
    }
    case MM_SUMMARY: {
        if (a->npos || a->nkw) {
            diag_error(s->diag, a->call->loc, "summary() takes no arguments in nnmc");
            return val_err(s);
        }
        if (!m->has_input || m->n == 0) {
            diag_error(s->diag, a->call->loc, "model '%s' has no layers with a known input shape yet", m->name);
            return val_err(s);
        }
        print_text(s, a->call, summary_text(s, m), 1);
        return val_new(s, V_NONE);
    }
    case MM_COMPILE: model_compile(s, m, a); return val_new(s, V_NONE);
    case MM_FIT: return model_fit(s, m, a);
    case MM_EVALUATE: return model_evaluate(s, m, a, 0);
    case MM_PREDICT: return model_evaluate(s, m, a, 1);
    case MM_SAVE_WEIGHTS: model_weights(s, m, a, 0); return val_new(s, V_NONE);
    case MM_LOAD_WEIGHTS: model_weights(s, m, a, 1); return val_new(s, V_NONE);
    case MM_COUNT_PARAMS: return val_int(s, model_params(m));
    }
    NNM_UNREACHABLE();
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
