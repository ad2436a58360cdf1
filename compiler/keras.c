/* compiler/keras.c — the Keras 2.2 names a .nnm file can use (keras,
 * keras.layers.Dense, mnist, ...) and the dispatch of every call and
 * attribute to the file that handles it: layers.c, optimizers.c, model.c,
 * graph.c, arrays.c, augment.c, callbacks.c, print.c. */
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
       F_CALLBACK, F_SCHEDULE, F_REGULARIZER, F_METRIC, F_DATAGEN, F_LOAD_CSV, F_MODEL, F_MERGE, F_LOSS };
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
    /* the loss classes (Keras 2.3+), for their arguments */
    {-1, "CategoricalCrossentropy", V_FUNC, F_LOSS, LOSS_CCE},
    {M_LOSSES, "CategoricalCrossentropy", V_FUNC, F_LOSS, LOSS_CCE},
    {-1, "SparseCategoricalCrossentropy", V_FUNC, F_LOSS, LOSS_SPARSE_CCE},
    {M_LOSSES, "SparseCategoricalCrossentropy", V_FUNC, F_LOSS, LOSS_SPARSE_CCE},
    {-1, "BinaryCrossentropy", V_FUNC, F_LOSS, LOSS_BCE}, {M_LOSSES, "BinaryCrossentropy", V_FUNC, F_LOSS, LOSS_BCE},
    {-1, "MeanSquaredError", V_FUNC, F_LOSS, LOSS_MSE}, {M_LOSSES, "MeanSquaredError", V_FUNC, F_LOSS, LOSS_MSE},
    {-1, "MeanAbsoluteError", V_FUNC, F_LOSS, LOSS_MAE}, {M_LOSSES, "MeanAbsoluteError", V_FUNC, F_LOSS, LOSS_MAE},
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

Value *keras_history_key(Sema *s, Value *d, Value *k, const Ast *key)
{
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
        case F_LOSS: return make_loss(s, f->sub, f->s, a);
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

