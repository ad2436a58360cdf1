/* compiler/keras.c — the Keras 2.2 names a .nnm file can use (keras,
 * keras.layers.Dense, mnist, ...), the layer and optimizer constructors
 * with their argument checks, and the dispatch of every call and attribute
 * to model.c, arrays.c and print.c. */
#include "callbacks.h"
#include "sema_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { M_KERAS, M_LAYERS, M_OPTIMIZERS, M_MODELS, M_UTILS, M_NP_UTILS, M_DATASETS, M_MNIST,
       M_FASHION, M_CIFAR10, M_TF, M_NP, M_LOSSES, M_NP_RANDOM, M_TF_RANDOM, M_CALLBACKS, M_SCHEDULES,
       M_REGULARIZERS, M_METRICS, M_PREPROCESSING, M_PREP_IMAGE, M_COUNT };
static const char *const module_names[M_COUNT] = {
    "keras", "keras.layers", "keras.optimizers", "keras.models", "keras.utils",
    "keras.utils.np_utils", "keras.datasets", "keras.datasets.mnist",
    "keras.datasets.fashion_mnist", "keras.datasets.cifar10", "tensorflow", "numpy",
    "keras.losses", "numpy.random", "tensorflow.random", "keras.callbacks",
    "keras.optimizers.schedules", "keras.regularizers", "keras.metrics", "keras.preprocessing",
    "keras.preprocessing.image"};

enum { F_LAYER, F_INPUT, F_OPTIM, F_SEQUENTIAL, F_LOAD_DATA, F_TO_CATEGORICAL, F_PRINT, F_LEN, F_SEED, F_NP_SAVE,
       F_CALLBACK, F_SCHEDULE, F_REGULARIZER, F_METRIC, F_DATAGEN, F_LOAD_CSV, F_MODEL, F_MERGE };
enum { MM_ADD, MM_SUMMARY, MM_COMPILE, MM_FIT, MM_EVALUATE, MM_PREDICT, MM_SAVE_WEIGHTS,
       MM_LOAD_WEIGHTS, MM_COUNT_PARAMS, MM_FIT_GENERATOR, AM_RESHAPE, AM_ASTYPE, GM_FLOW, GM_FIT };

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
    ALLM("Model", V_FUNC, F_MODEL, 0),
    {M_MODELS, "Model", V_FUNC, F_MODEL, 0},
    /* the merge layers' functional forms: add([x, y]) is Add()([x, y]) */
    {-1, "add", V_FUNC, F_MERGE, LK_ADD}, {M_LAYERS, "add", V_FUNC, F_MERGE, LK_ADD},
    {-1, "subtract", V_FUNC, F_MERGE, LK_SUBTRACT}, {M_LAYERS, "subtract", V_FUNC, F_MERGE, LK_SUBTRACT},
    {-1, "multiply", V_FUNC, F_MERGE, LK_MULTIPLY}, {M_LAYERS, "multiply", V_FUNC, F_MERGE, LK_MULTIPLY},
    {-1, "average", V_FUNC, F_MERGE, LK_AVERAGE}, {M_LAYERS, "average", V_FUNC, F_MERGE, LK_AVERAGE},
    {-1, "maximum", V_FUNC, F_MERGE, LK_MAXIMUM}, {M_LAYERS, "maximum", V_FUNC, F_MERGE, LK_MAXIMUM},
    {-1, "minimum", V_FUNC, F_MERGE, LK_MINIMUM}, {M_LAYERS, "minimum", V_FUNC, F_MERGE, LK_MINIMUM},
    {-1, "concatenate", V_FUNC, F_MERGE, LK_CONCATENATE},
    {M_LAYERS, "concatenate", V_FUNC, F_MERGE, LK_CONCATENATE},
    {-1, "dot", V_FUNC, F_MERGE, LK_DOT}, {M_LAYERS, "dot", V_FUNC, F_MERGE, LK_DOT},
    {M_LAYERS, "merge", V_MODULE, M_LAYERS, 0},
    /* Keras 2's layer submodules: keras.layers.core.Dense is keras.layers.Dense */
    {M_LAYERS, "core", V_MODULE, M_LAYERS, 0},
    {M_LAYERS, "convolutional", V_MODULE, M_LAYERS, 0},
    {M_LAYERS, "pooling", V_MODULE, M_LAYERS, 0},
    {M_LAYERS, "normalization", V_MODULE, M_LAYERS, 0},
    {M_LAYERS, "advanced_activations", V_MODULE, M_LAYERS, 0},
    {M_LAYERS, "noise", V_MODULE, M_LAYERS, 0},
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
    {-1, "cifar10", V_MODULE, M_CIFAR10, 0},
    {M_DATASETS, "cifar10", V_MODULE, M_CIFAR10, 0},
    {M_CIFAR10, "load_data", V_FUNC, F_LOAD_DATA, DS_CIFAR10},
    {-1, "print", V_FUNC, F_PRINT, 0},
    {-1, "len", V_FUNC, F_LEN, 0},
    {M_NP, "float32", V_STR, 0, 0},
    {M_NP, "save", V_FUNC, F_NP_SAVE, 0},
    /* np.random.seed(7), tf.random.set_seed(7), tf.set_random_seed(7): the run's seed */
    {M_NP, "random", V_MODULE, M_NP_RANDOM, 0},
    {M_NP_RANDOM, "seed", V_FUNC, F_SEED, 0},
    {M_TF, "random", V_MODULE, M_TF_RANDOM, 0},
    {M_TF_RANDOM, "set_seed", V_FUNC, F_SEED, 0},
    {M_TF, "set_random_seed", V_FUNC, F_SEED, 0},
    ALLM("losses", V_MODULE, M_LOSSES, 0),
    ALLM("callbacks", V_MODULE, M_CALLBACKS, 0),
    ALLM("regularizers", V_MODULE, M_REGULARIZERS, 0),
    ALLM("metrics", V_MODULE, M_METRICS, 0),
    ALLM("preprocessing", V_MODULE, M_PREPROCESSING, 0),
    {M_PREPROCESSING, "image", V_MODULE, M_PREP_IMAGE, 0},
    {-1, "ImageDataGenerator", V_FUNC, F_DATAGEN, 0},
    {-1, "load_csv", V_FUNC, F_LOAD_CSV, 0},
    {M_PREP_IMAGE, "ImageDataGenerator", V_FUNC, F_DATAGEN, 0},
    /* metric functions stand for their names; metric classes are objects */
    {M_METRICS, "top_k_categorical_accuracy", V_STR, 0, 0},
    {M_METRICS, "sparse_top_k_categorical_accuracy", V_STR, 0, 0},
    {M_METRICS, "mean_squared_error", V_STR, 0, 0},
    {M_METRICS, "mean_absolute_error", V_STR, 0, 0},
    {M_METRICS, "mse", V_STR, 0, 0},
    {M_METRICS, "mae", V_STR, 0, 0},
    {-1, "Precision", V_FUNC, F_METRIC, MET_PRECISION}, {M_METRICS, "Precision", V_FUNC, F_METRIC, MET_PRECISION},
    {-1, "Recall", V_FUNC, F_METRIC, MET_RECALL}, {M_METRICS, "Recall", V_FUNC, F_METRIC, MET_RECALL},
    {-1, "AUC", V_FUNC, F_METRIC, MET_AUC}, {M_METRICS, "AUC", V_FUNC, F_METRIC, MET_AUC},
    {-1, "F1Score", V_FUNC, F_METRIC, MET_F1}, {M_METRICS, "F1Score", V_FUNC, F_METRIC, MET_F1},
    {-1, "TopKCategoricalAccuracy", V_FUNC, F_METRIC, MET_TOP_K},
    {M_METRICS, "TopKCategoricalAccuracy", V_FUNC, F_METRIC, MET_TOP_K},
    {-1, "SparseTopKCategoricalAccuracy", V_FUNC, F_METRIC, MET_SPARSE_TOP_K},
    {M_METRICS, "SparseTopKCategoricalAccuracy", V_FUNC, F_METRIC, MET_SPARSE_TOP_K},
    /* Keras 2.2's functions l1(0.01), l2(0.01), l1_l2(l1=0.01, l2=0.01); Keras 3's classes */
    {-1, "l1", V_FUNC, F_REGULARIZER, 0}, {M_REGULARIZERS, "l1", V_FUNC, F_REGULARIZER, 0},
    {-1, "l2", V_FUNC, F_REGULARIZER, 1}, {M_REGULARIZERS, "l2", V_FUNC, F_REGULARIZER, 1},
    {-1, "l1_l2", V_FUNC, F_REGULARIZER, 2}, {M_REGULARIZERS, "l1_l2", V_FUNC, F_REGULARIZER, 2},
    {-1, "L1", V_FUNC, F_REGULARIZER, 0}, {M_REGULARIZERS, "L1", V_FUNC, F_REGULARIZER, 0},
    {-1, "L2", V_FUNC, F_REGULARIZER, 1}, {M_REGULARIZERS, "L2", V_FUNC, F_REGULARIZER, 1},
    {-1, "L1L2", V_FUNC, F_REGULARIZER, 3}, {M_REGULARIZERS, "L1L2", V_FUNC, F_REGULARIZER, 3},
    {M_OPTIMIZERS, "schedules", V_MODULE, M_SCHEDULES, 0},
    /* keras.losses.categorical_crossentropy etc. stand for their names */
    {M_LOSSES, "categorical_crossentropy", V_STR, 0, 0},
    {M_LOSSES, "sparse_categorical_crossentropy", V_STR, 0, 0},
    {M_LOSSES, "binary_crossentropy", V_STR, 0, 0},
    {M_LOSSES, "mean_squared_error", V_STR, 0, 0},
    {M_LOSSES, "mean_absolute_error", V_STR, 0, 0},
    {M_LOSSES, "mse", V_STR, 0, 0},
    {M_LOSSES, "mae", V_STR, 0, 0},
};

static Value *entry_value(Sema *s, const Entry *e)
{
    Value *v = val_new(s, e->k);
    v->i = e->id;
    v->sub = e->sub;
    v->s = e->name;
    if (e->k == V_STR) {
        v->s = e->module == M_NP ? "float32" : e->name;
        v->slen = (uint32_t)strlen(v->s);
    }
    return v;
}

/* Layer and optimizer classes are found in the global scope and in their module. */
/* Other class names for the same kinds: Keras 2 short forms and the
 * Keras 1 names that old course code uses.  sub = 1 marks Keras 1. */
static const struct {
    const char *name;
    int kind, keras1;
} layer_aliases[] = {
    {"MaxPool2D", LK_MAXPOOL2D, 0},
    {"AvgPool2D", LK_AVGPOOL2D, 0},
    {"GlobalAvgPool2D", LK_GLOBAL_AVGPOOL2D, 0},
    {"GlobalMaxPool2D", LK_GLOBAL_MAXPOOL2D, 0},
    {"Convolution2D", LK_CONV2D, 1},
};

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
        for (size_t i = 0; i < NNM_COUNTOF(layer_aliases); i++)
            if (strcmp(layer_aliases[i].name, name) == 0) {
                Value *v = val_new(s, V_FUNC);
                v->i = F_LAYER;
                v->sub = layer_aliases[i].kind;
                v->sym = layer_aliases[i].keras1;
                v->s = layer_aliases[i].name;
                return v;
            }
    }
    static const struct {
        int module, fn, count;
        const char *const *names;
    } classes[] = {{M_CALLBACKS, F_CALLBACK, CB_COUNT, nnm_callback_names},
                   {M_SCHEDULES, F_SCHEDULE, SCHED_COUNT, nnm_schedule_names}};
    for (size_t c = 0; c < NNM_COUNTOF(classes); c++)
        for (int k = 0; k < classes[c].count && (module == -1 || module == classes[c].module); k++)
            if (classes[c].names[k][0] && strcmp(classes[c].names[k], name) == 0) {
                Value *v = val_new(s, V_FUNC);
                v->i = classes[c].fn;
                v->sub = k;
                v->s = classes[c].names[k];
                return v;
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
    if (module == -1 || module == M_CALLBACKS)
        for (int i = 0; i < CB_COUNT && k < max; i++)
            out[k++] = nnm_callback_names[i];
    if (module == -1 || module == M_SCHEDULES)
        for (int i = 1; i < SCHED_COUNT && k < max; i++)
            out[k++] = nnm_schedule_names[i];
    return k;
}

int keras_global_names(const char **out, int max) { return names_in(-1, out, max); }

/* ---- program building ------------------------------------------------------ */

NnmStep *add_step(Sema *s, NnmStepKind kind, const Ast *at)
{
    NnmProgram *p = s->prog;
    /* the IR is const to its readers; the compiler owns these arena arrays */
    NnmStep *steps = arena_grow(s->arena, (void *)p->steps, p->nsteps, &s->cap_steps, sizeof *steps);
    p->steps = steps;
    NnmStep *st = &steps[p->nsteps++];
    memset(st, 0, sizeof *st);
    st->kind = kind;
    st->line = sema_line(s, at->loc);
    st->model = -1;
    st->result = -1;
    return st;
}

void print_text(Sema *s, const Ast *at, const char *text, int chatter)
{
    NnmStep *st = add_step(s, STEP_PRINT, at);
    NnmPrintItem *it = arena_alloc(s->arena, sizeof *it);
    it->text = text;
    st->items = it;
    st->nitems = 1;
    st->chatter = chatter;
}

/* ---- layers --------------------------------------------------------------------- */

int shape_from(Sema *s, const Value *v, const Ast *at, const char *what, NnmShape *out)
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

int name_lookup(Sema *s, const Value *v, const Ast *at, const char *what,
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
    l->d.alpha = -1; /* not given by the kind or the file: set from the activation below */
    lk->defaults(&l->d);
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
            else if (as->off)
                *(int *)field = pick; /* off 0: checked, nothing to store */
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
    v->tensor = graph_input(s, &l->input, name, a->call->loc);
    return v;
}

/* ---- optimizers ------------------------------------------------------------------- */

void optim_defaults(NnmOptim *o, int kind)
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

Value *make_optim(Sema *s, int kind, const Args *a)
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
        if (i == 0 && val[i]->k == V_SCHEDULE) {
            v->opt->schedule = *val[i]->sched;
            v->opt->lr = val[i]->sched->initial;
            continue;
        }
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
                                            "save_weights", "load_weights", "count_params", "fit_generator", NULL};
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
    if (o->k == V_DATAGEN) {
        if (!strcmp(name, "flow"))
            return method(s, o, GM_FLOW);
        if (!strcmp(name, "fit"))
            return method(s, o, GM_FIT);
        diag_error(s->diag, at, "an ImageDataGenerator has no method '%s' that nnmc supports (flow, fit)", name);
        return val_err(s);
    }
    if (o->k == V_HISTORY && strcmp(name, "history") == 0) {
        Value *d = val_new(s, V_HISTDICT);
        d->slot = o->slot;
        d->index = o->index;
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
    const NnmStep *st = &s->prog->steps[d->index];
    const char *keys[NNM_MAX_KEYS];
    NnmKeyText *text = arena_alloc(s->arena, sizeof *text);
    int nk = nnm_fit_keys(&s->prog->models[st->model], st, keys, *text);
    int idx = nnm_key_index(keys, nk, str);
    if (idx < 0) {
        diag_error(s->diag, key->loc, "history has no key '%s'", str);
        const char *cands[NNM_MAX_KEYS + 1];
        memcpy(cands, keys, sizeof *keys * (size_t)nk);
        cands[nk] = NULL;
        const char *m = diag_suggest(str, cands);
        if (m)
            diag_note(s->diag, key->loc, "did you mean '%s'?", m);
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
        case F_LAYER: return make_layer(s, f->sub, a, f->sym);
        case F_INPUT: return make_input(s, a);
        case F_OPTIM: return make_optim(s, f->sub, a);
        case F_CALLBACK: return make_callback(s, f->sub, a);
        case F_SCHEDULE: return make_schedule(s, f->sub, a);
        case F_REGULARIZER: return make_regularizer(s, f->sub, f->s, a);
        case F_METRIC: return make_metric(s, f->sub, f->s, a);
        case F_DATAGEN: return make_datagen(s, a);
        case F_LOAD_CSV: return load_csv(s, a);
        case F_SEQUENTIAL: return make_sequential(s, a);
        case F_MODEL: return make_model(s, a);
        case F_MERGE: return graph_merge(s, f->sub, a);
        case F_LOAD_DATA: return load_data(s, f->sub, a);
        case F_TO_CATEGORICAL: return to_categorical(s, a);
        case F_PRINT: return do_print(s, a);
        case F_SEED: {
            static const Param params[] = {{"seed", 1, 1}, {NULL, 0, 0}};
            Value *val[1];
            const Ast *where[1];
            int64_t seed;
            if (bind_args(s, a, "seed", params, val, where) || want_int(s, val[0], where[0], "the seed", 0, &seed))
                return val_err(s);
            /* the whole run has one seed; --seed on the command line wins */
            s->prog->seed = (uint64_t)seed;
            s->prog->has_seed = 1;
            return val_new(s, V_NONE);
        }
        case F_NP_SAVE: {
            /* np.save(path, model.predict(x)): the predictions as a float32 .npy */
            static const Param params[] = {{"file", 1, 1}, {"arr", 1, 1}, {NULL, 0, 0}};
            Value *val[2];
            const Ast *where[2];
            const char *path;
            if (bind_args(s, a, "np.save", params, val, where) || want_str(s, val[0], where[0], "a file name", &path))
                return val_err(s);
            if (val[1]->k != V_PRED) {
                if (val[1]->k != V_ERR)
                    diag_error(s->diag, where[1]->loc, "np.save() saves the result of model.predict(), not %s",
                               val_kind_name(val[1]));
                return val_err(s);
            }
            NnmStep *st = (NnmStep *)&s->prog->steps[val[1]->slot]; /* the compiler owns the IR it builds */
            if (st->path) {
                diag_error(s->diag, a->call->loc, "these predictions are saved already, to '%s'", st->path);
                return val_err(s);
            }
            size_t n = strlen(path);
            if (n == 0) {
                diag_error(s->diag, where[0]->loc, "the file name is empty");
                return val_err(s);
            }
            /* as numpy does, add .npy unless the name ends with it */
            int ext = n >= 4 && !strcmp(path + n - 4, ".npy");
            char *p = arena_alloc(s->arena, n + 5);
            snprintf(p, n + 5, "%s%s", path, ext ? "" : ".npy");
            if (sema_file_use(s, p, FU_NPY, -1, where[0]))
                return val_err(s);
            st->path = p;
            return val_new(s, V_NONE);
        }
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
    if (self->k == V_DATAGEN)
        return datagen_method(s, self, f->i == GM_FLOW, a);
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
    case MM_FIT: return model_fit(s, m, a, 0);
    case MM_FIT_GENERATOR: return model_fit(s, m, a, 1);
    case MM_EVALUATE: return model_evaluate(s, m, a, 0);
    case MM_PREDICT: return model_evaluate(s, m, a, 1);
    case MM_SAVE_WEIGHTS: model_weights(s, m, a, 0); return val_new(s, V_NONE);
    case MM_LOAD_WEIGHTS: model_weights(s, m, a, 1); return val_new(s, V_NONE);
    case MM_COUNT_PARAMS: return val_int(s, model_params(m));
    }
    NNM_UNREACHABLE();
}

