/* compiler/model.c — Sequential models at compile time: add() with shape
 * inference, summary(), compile(), and the fit/evaluate/predict/
 * save_weights/load_weights calls that become runtime steps of the IR. */
#include "callbacks.h"
#include "metrics.h"
#include "sema_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MODEL_MAX_LAYERS 1000 /* far beyond MLPs and CNNs; keeps name checks cheap */

/* ---- models ---------------------------------------------------------------------------- */

void model_add(Sema *s, ModelV *m, Value *lv, const Ast *at)
{
    if (lv->k == V_ERR || m->broken) {
        /* the mistake was reported; later layers cannot be checked */
        m->broken = 1;
        return;
    }
    if (m->functional) {
        diag_error(s->diag, at->loc, "'%s' is a functional Model: it has no add(); call layers on tensors instead", m->name);
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
    if (l->owner || l->ncalls) {
        if (l->owner)
            diag_error(s->diag, at->loc, "layer '%s' is already part of model '%s'", l->d.name, l->owner->name);
        else
            diag_error(s->diag, at->loc, "layer '%s' was called on a tensor already; nnmc does not share layers "
                       "between models yet", l->d.name);
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
    if (m->n >= MODEL_MAX_LAYERS) {
        diag_error(s->diag, at->loc, "a model can have at most %d layers", MODEL_MAX_LAYERS);
        m->broken = 1;
        return;
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
    l->d.nin = 1;
    l->d.inputs[0] = m->n - 1; /* the chain: the previous layer, or the model's input */
    char err[320];
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

Value *make_sequential(Sema *s, const Args *a)
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


/* Makes the IR model (once); from then on the layer list is fixed. */
int freeze(Sema *s, ModelV *m, const Ast *at)
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
    /* the IR is const to its readers; the compiler owns these arena arrays */
    NnmModel *models = arena_grow(s->arena, (void *)p->models, p->nmodels, &s->cap_models, sizeof *models);
    p->models = models;
    m->id = p->nmodels++;
    NnmModel *im = &models[m->id];
    snprintf(im->name, sizeof im->name, "%s", m->name);
    im->nlayers = m->n;
    NnmLayer *layers = arena_alloc(s->arena, sizeof *layers * (size_t)m->n);
    for (int i = 0; i < m->n; i++) {
        layers[i] = m->layers[i]->d;
        layers[i].line = sema_line(s, m->layers[i]->loc);
        /* the layer object, whichever models hold it */
        LayerV *obj = m->functional ? m->nodes[i]->layer : m->layers[i];
        if (!obj->gid)
            obj->gid = ++s->layer_ids;
        layers[i].layer_id = layers[i].nparams ? obj->gid : 0;
    }
    im->layers = layers;
    if (m->functional) {
        im->ninputs = m->ninputs;
        for (int k = 0; k < m->ninputs; k++) {
            im->inputs[k] = m->inputs[k]->d.out;
            snprintf(im->input_names[k], NNM_NAME_MAX, "%s", m->inputs[k]->name);
        }
    } else {
        /* Sequential's own InputLayer is named after its first layer */
        im->ninputs = 1;
        im->inputs[0] = m->input;
        snprintf(im->input_names[0], NNM_NAME_MAX, "%.*s_input", NNM_NAME_MAX - 7, m->layers[0]->d.name);
        m->noutputs = 1;
        m->outs[0].node = m->n - 1;
    }
    im->noutputs = m->noutputs;
    for (int k = 0; k < m->noutputs; k++) {
        m->outs[k].weight = 1;
        im->outputs[k].node = m->outs[k].node;
        im->outputs[k].weight = 1;
    }
    m->frozen = 1;
    return 0;
}

/* (before freeze too: a Sequential model's output is its last layer) */
static const char *output_name(const ModelV *m, int k)
{
    return m->functional ? m->outputs[k]->layer->d.name : m->n ? m->layers[m->n - 1]->d.name : "output";
}

/* The per-output (or per-input) values of a compile() or fit() argument:
 * a dict by name; a list in order (but for IO_ALL_LISTS, where a list is
 * one value: metrics=['accuracy']); or one value for all (IO_ONE_FOR_ALL,
 * IO_ALL_LISTS) or for the only one.  0, or -1 after an error at at. */
enum { IO_EACH, IO_ONE_FOR_ALL, IO_ALL_LISTS };
static int per_io(Sema *s, const ModelV *m, int inputs, Value *v, const Ast *at, const char *what, int mode,
                  Value **out)
{
    int n = m->functional ? (inputs ? m->ninputs : m->noutputs) : 1;
    const char *names[NNM_MAX_IO];
    for (int k = 0; k < n; k++)
        names[k] = inputs ? (m->functional ? m->inputs[k]->name : "the input") : output_name(m, k);
    if (v->k == V_DICT) {
        for (int k = 0; k < n; k++)
            out[k] = NULL;
        for (int i = 0; i < v->n; i++) {
            const Value *key = v->v[2 * i];
            int found = -1;
            for (int k = 0; k < n && key->k == V_STR; k++)
                if (!strcmp(key->s, names[k]))
                    found = k;
            if (found < 0) {
                diag_error(s->diag, at->loc, "%s: model '%s' has no %s named '%s'", what, m->name,
                           inputs ? "input" : "output", key->k == V_STR ? key->s : "?");
                return -1;
            }
            out[found] = v->v[2 * i + 1];
        }
        for (int k = 0; k < n; k++)
            if (!out[k]) {
                diag_error(s->diag, at->loc, "%s has no entry for %s '%s'", what, inputs ? "input" : "output", names[k]);
                return -1;
            }
        return 0;
    }
    if ((v->k == V_LIST || v->k == V_TUPLE) && mode != IO_ALL_LISTS) {
        if (v->n != n) {
            diag_error(s->diag, at->loc, "%s: a list of %d for the %d %s of model '%s'", what, v->n, n,
                       inputs ? "inputs" : "outputs", m->name);
            return -1;
        }
        for (int k = 0; k < n; k++)
            out[k] = v->v[k];
        return 0;
    }
    if (mode == IO_EACH && n > 1) {
        diag_error(s->diag, at->loc, "%s: model '%s' has %d %s: give a list or a dict by name", what, m->name, n,
                   inputs ? "inputs" : "outputs");
        return -1;
    }
    for (int k = 0; k < n; k++)
        out[k] = v;
    return 0;
}

int want_compiled(Sema *s, ModelV *m, const Ast *at, const char *what)
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

/* keras.losses classes (Keras 2.3+): label_smoothing for the
 * cross-entropies that have it; from_logits only False (end the model with
 * its softmax or sigmoid, which nnmc fuses with the loss as stably). */
Value *make_loss(Sema *s, int loss, const char *fname, const Args *a)
{
    static const Param params[] = {{"from_logits", 1, 0}, {"label_smoothing", 1, 0}, {"reduction", 1, 0},
                                   {"name", 1, 0}, {"axis", 1, 0}, {NULL, 0, 0}};
    Value *val[5];
    const Ast *where[5];
    if (bind_args(s, a, fname, params, val, where))
        return val_err(s);
    Value *r = val_new(s, V_LOSS);
    r->i = loss;
    r->f = 0;
    int b;
    if (val[0] && (want_bool(s, val[0], where[0], "from_logits", &b) || b)) {
        if (val[0]->k == V_BOOL)
            diag_error(s->diag, where[0]->loc, "nnmc does not support from_logits=True yet: end the model with "
                       "its softmax (or sigmoid) and keep from_logits=False");
        return val_err(s);
    }
    if (val[1] && val[1]->k != V_NONE) {
        if (loss != LOSS_CCE && loss != LOSS_BCE) {
            diag_error(s->diag, where[1]->loc, "%s has no label_smoothing", fname);
            return val_err(s);
        }
        if (want_num(s, val[1], where[1], "label_smoothing", &r->f))
            return val_err(s);
        if (!(r->f >= 0 && r->f <= 1)) {
            diag_error(s->diag, where[1]->loc, "label_smoothing must be in [0, 1], got %g", r->f);
            return val_err(s);
        }
    }
    if (val[2] && val[2]->k != V_NONE) {
        const char *red;
        if (want_str(s, val[2], where[2], "reduction", &red))
            return val_err(s);
        if (strcmp(red, "auto") && strcmp(red, "sum_over_batch_size")) {
            diag_error(s->diag, where[2]->loc, "nnmc supports reduction='sum_over_batch_size' (the mean) only");
            return val_err(s);
        }
    }
    if (val[4] && val[4]->k != V_NONE) {
        int64_t ax;
        if (want_int(s, val[4], where[4], "axis", INT64_MIN, &ax))
            return val_err(s);
        if (ax != -1) {
            diag_error(s->diag, where[4]->loc, "nnmc supports axis=-1 only");
            return val_err(s);
        }
    }
    return r;
}

/* keras.metrics classes, with the arguments nnmc implements. */
Value *make_metric(Sema *s, int kind, const char *fname, const Args *a)
{
    static const Param topk[] = {{"k", 1, 0}, {"name", 1, 0}, {"dtype", 1, 0}, {NULL, 0, 0}};
    static const Param pr[] = {{"thresholds", 1, 0}, {"top_k", 1, 0}, {"class_id", 1, 0}, {"name", 1, 0},
                               {"dtype", 1, 0}, {NULL, 0, 0}};
    static const Param auc[] = {{"num_thresholds", 1, 0}, {"curve", 1, 0}, {"summation_method", 1, 0},
                                {"name", 1, 0}, {NULL, 0, 0}};
    static const Param f1[] = {{"average", 1, 0}, {"threshold", 1, 0}, {"name", 1, 0}, {NULL, 0, 0}};
    const Param *params = kind == MET_TOP_K || kind == MET_SPARSE_TOP_K ? topk
                        : kind == MET_AUC                                ? auc
                        : kind == MET_F1                                 ? f1
                                                                         : pr;
    Value *val[6];
    const Ast *where[6];
    if (bind_args(s, a, fname, params, val, where))
        return val_err(s);
    NnmMetric *mt = NEW(s->arena, NnmMetric);
    memset(mt, 0, sizeof *mt);
    mt->kind = kind;
    mt->k = 5;
    mt->threshold = 0.5;
    int ok = 1;
    for (int i = 0; params[i].name; i++) {
        Value *v = val[i];
        const char *pn = params[i].name;
        if (!v || v->k == V_NONE || !strcmp(pn, "name") || !strcmp(pn, "dtype"))
            continue;
        char what[96];
        snprintf(what, sizeof what, "argument '%s' of %s", pn, fname);
        int64_t k;
        const char *str;
        if (!strcmp(pn, "k")) {
            if (want_int(s, v, where[i], what, 1, &k))
                ok = 0;
            else
                mt->k = k > 1000000 ? 1000000 : (int)k;
        } else if (!strcmp(pn, "thresholds")) {
            if (want_num(s, v, where[i], what, &mt->threshold))
                ok = 0;
            else if (mt->threshold < 0 || mt->threshold > 1) {
                diag_error(s->diag, where[i]->loc, "%s must be in [0, 1], got %g", what, mt->threshold);
                ok = 0;
            }
        } else if (!strcmp(pn, "average")) {
            static const char *const avg[] = {"macro", "micro", "weighted"};
            if (want_str(s, v, where[i], what, &str)) {
                ok = 0;
                continue;
            }
            mt->average = -1;
            for (int j = 0; j < 3; j++)
                if (!strcmp(str, avg[j]))
                    mt->average = j;
            if (mt->average < 0) {
                diag_error(s->diag, where[i]->loc, "%s must be 'macro', 'micro' or 'weighted', got '%s'", what, str);
                ok = 0;
            }
        } else if (!strcmp(pn, "num_thresholds") || !strcmp(pn, "curve") || !strcmp(pn, "summation_method")) {
            int good = !strcmp(pn, "num_thresholds") ? v->k == V_INT && v->i == NNM_AUC_THRESHOLDS
                     : !strcmp(pn, "curve")          ? v->k == V_STR && !strcmp(v->s, "ROC")
                                                     : v->k == V_STR && !strcmp(v->s, "interpolation");
            if (!good) {
                diag_error(s->diag, where[i]->loc, "nnmc computes AUC with its defaults only (num_thresholds=200, curve='ROC', summation_method='interpolation')");
                ok = 0;
            }
        } else {
            diag_error(s->diag, where[i]->loc, "nnmc does not support %s (only None)", what);
            ok = 0;
        }
    }
    if (kind == MET_F1 && (!val[0] || val[0]->k == V_NONE) && ok) {
        diag_error(s->diag, a->call->loc,
                   "F1Score needs average='macro', 'micro' or 'weighted' (per-class F1 is in the report of nnmc run --report)");
        ok = 0;
    }
    if (!ok)
        return val_err(s);
    Value *v = val_new(s, V_METRIC);
    v->met = mt;
    return v;
}

/* One entry of compile(metrics=[...]): a name ('accuracy', 'mse', ...) or
 * a metric object (Precision(), TopKCategoricalAccuracy(k=3), ...). */
static int metric_from(Sema *s, const Value *v, const Ast *at, NnmMetric *out)
{
    memset(out, 0, sizeof *out);
    out->threshold = 0.5;
    out->k = 5;
    if (v->k == V_METRIC) {
        *out = *v->met;
        return 0;
    }
    static const struct {
        const char *name;
        int kind;
    } names[] = {{"accuracy", MET_ACC}, {"acc", MET_ACC},
                 {"top_k_categorical_accuracy", MET_TOP_K}, {"sparse_top_k_categorical_accuracy", MET_SPARSE_TOP_K},
                 {"mse", MET_MSE}, {"MSE", MET_MSE}, {"mean_squared_error", MET_MSE},
                 {"mae", MET_MAE}, {"MAE", MET_MAE}, {"mean_absolute_error", MET_MAE},
                 {"precision", MET_PRECISION}, {"recall", MET_RECALL}, {"auc", MET_AUC}, {"AUC", MET_AUC},
                 {"f1_score", MET_F1}};
    if (v->k == V_STR) {
        for (size_t i = 0; i < NNM_COUNTOF(names); i++)
            if (!strcmp(v->s, names[i].name)) {
                out->kind = names[i].kind;
                return 0;
            }
        const char *cands[NNM_COUNTOF(names) + 1];
        for (size_t i = 0; i < NNM_COUNTOF(names); i++)
            cands[i] = names[i].name;
        cands[NNM_COUNTOF(names)] = NULL;
        diag_error(s->diag, at->loc, "nnmc does not know the metric '%s'", v->s);
        const char *m = diag_suggest(v->s, cands);
        if (m)
            diag_note(s->diag, at->loc, "did you mean '%s'?", m);
        return -1;
    }
    if (v->k != V_ERR)
        diag_error(s->diag, at->loc, "a metric must be a name such as 'accuracy' or a metric such as Precision(), got %s",
                   val_kind_name(v));
    return -1;
}

/* metrics=[...] for one output: a list of names or metric objects */
static int metric_list(Sema *s, const Value *v, const Ast *at, NnmOutput *o)
{
    o->nmetrics = 0;
    if (v->k == V_NONE)
        return 0;
    const Value *one[1] = {v};
    const Value *const *items = v->k == V_LIST || v->k == V_TUPLE ? (const Value *const *)v->v : one;
    int n = v->k == V_LIST || v->k == V_TUPLE ? v->n : 1;
    const Ast *lit = at->kind == AST_KWARG ? at->a : at;
    const Ast *el = lit && (lit->kind == AST_LIST || lit->kind == AST_TUPLE) && n == v->n ? lit->kids : NULL;
    int ok = 1;
    for (int i = 0; i < n; i++, el = el ? el->next : NULL) {
        const Ast *where = el ? el : at;
        NnmMetric mt;
        if (metric_from(s, items[i], where, &mt)) {
            ok = 0;
            continue;
        }
        int dup = 0;
        for (int j = 0; j < o->nmetrics; j++)
            dup |= o->metrics[j].kind == mt.kind;
        if (dup || o->nmetrics == NNM_MAX_METRICS) {
            if (dup)
                diag_error(s->diag, where->loc, "metric '%s' is given twice", nnm_metric_names[mt.kind]);
            else
                diag_error(s->diag, where->loc, "nnmc takes at most %d metrics", NNM_MAX_METRICS);
            ok = 0;
            continue;
        }
        o->metrics[o->nmetrics++] = mt;
    }
    return ok ? 0 : -1;
}

void model_compile(Sema *s, ModelV *m, const Args *a)
{
    static const Param params[] = {{"optimizer", 1, 0}, {"loss", 1, 1}, {"metrics", 1, 0}, {"loss_weights", 1, 0},
                                   {NULL, 0, 0}};
    Value *val[4];
    const Ast *where[4];
    if (bind_args(s, a, "compile", params, val, where)) {
        m->broken = 1;
        return;
    }
    if (m->trained) {
        /* the IR keeps one loss, optimizer and metrics per model: a second
         * compile would change what the earlier fit and evaluate ran with */
        diag_error(s->diag, a->call->loc,
                   "nnmc does not support compiling '%s' again after it was trained or evaluated (yet)", m->name);
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
    /* per output: the loss (one for all, a list, or a dict by output name),
     * its weight, its metrics (a list for all, or a dict) */
    NnmOutput outs[NNM_MAX_IO];
    memcpy(outs, m->outs, sizeof outs);
    Value *losses[NNM_MAX_IO], *weights[NNM_MAX_IO], *mets[NNM_MAX_IO];
    int args_ok = per_io(s, m, 0, val[1], where[1], "loss", IO_ONE_FOR_ALL, losses) == 0;
    if (args_ok && val[3] && val[3]->k != V_NONE &&
        per_io(s, m, 0, val[3], where[3], "loss_weights", IO_EACH, weights))
        args_ok = 0;
    if (args_ok && val[2] && val[2]->k != V_NONE && per_io(s, m, 0, val[2], where[2], "metrics", IO_ALL_LISTS, mets))
        args_ok = 0;
    ok &= args_ok;
    for (int k = 0; k < (m->functional ? m->noutputs : 1) && args_ok; k++) {
        NnmOutput *o = &outs[k];
        o->loss = LOSS_CCE;
        o->label_smoothing = 0;
        if (losses[k]->k == V_LOSS) {
            o->loss = (int)losses[k]->i;
            o->label_smoothing = losses[k]->f;
        } else if (name_lookup(s, losses[k], where[1], "loss", nnm_loss_names, LOSS_COUNT, loss_alias_from,
                               loss_alias_to, &o->loss)) {
            ok = args_ok = 0;
            break;
        }
        o->weight = 1;
        if (val[3] && val[3]->k != V_NONE) {
            if (want_num(s, weights[k], where[3], "a loss weight", &o->weight)) {
                ok = 0;
                break;
            }
            if (!(o->weight >= 0) || o->weight > 1e6) {
                diag_error(s->diag, where[3]->loc, "a loss weight must be in [0, 1e6], got %g", o->weight);
                ok = 0;
                break;
            }
        }
        if (val[2] && val[2]->k != V_NONE) {
            if (val[2]->k != V_LIST && val[2]->k != V_TUPLE && val[2]->k != V_DICT) {
                diag_error(s->diag, where[2]->loc, "metrics must be a list such as ['accuracy']");
                ok = 0;
                break;
            }
            if (metric_list(s, mets[k], where[2], o))
                ok = 0;
        }
    }
    if (!ok || freeze(s, m, a->call)) {
        m->broken = 1;
        return;
    }
    for (int k = 0; k < m->noutputs && ok; k++) {
        NnmOutput *o = &outs[k];
        o->node = m->outs[k].node; /* known once frozen */
        /* the output must suit its loss */
        const LayerV *ol = m->layers[o->node];
        const NnmShape *out = &ol->d.out;
        char sh[96], which[NNM_NAME_MAX + 16] = "";
        shape_str(out, sh, sizeof sh);
        if (m->noutputs > 1)
            snprintf(which, sizeof which, " '%s'", output_name(m, k));
        if (out->rank != 1) {
            diag_error(s->diag, a->call->loc, "loss '%s' needs a flat output (None, n), but the model's output%s is %s",
                       nnm_loss_names[o->loss], which, sh);
            ok = 0;
        } else if ((o->loss == LOSS_CCE || o->loss == LOSS_SPARSE_CCE) && out->dim[0] < 2) {
            diag_error(s->diag, where[1]->loc,
                       "'%s' needs one output per class, but the model's output%s is %s; use 'binary_crossentropy' for one sigmoid output",
                       nnm_loss_names[o->loss], which, sh);
            ok = 0;
        } else {
            int act = layer_kinds[ol->d.kind]->has_act ? ol->d.act : ACT_LINEAR;
            if ((ol->d.reg[REG_ACTIVITY][0] > 0 || ol->d.reg[REG_ACTIVITY][1] > 0) && nnm_loss_fuses(o->loss, act)) {
                diag_error(s->diag, ol->loc, "nnmc does not support an activity_regularizer on a %s output trained with '%s'",
                           nnm_act_names[act], nnm_loss_names[o->loss]);
                ok = 0;
            }
        }
    }
    if (!ok) {
        m->broken = 1;
        return;
    }
    m->compiled = 1;
    m->optim = opt;
    memcpy(m->outs, outs, sizeof outs);
    NnmModel *im = (NnmModel *)&s->prog->models[m->id]; /* the compiler owns the IR it builds */
    im->compiled = 1;
    im->optim = opt;
    memcpy(im->outputs, outs, sizeof outs);
}

static NnmShape input_shape(const ModelV *m, int k) { return m->functional ? m->inputs[k]->d.out : m->input; }

/* x of input k: the samples of a data set, as many values each as the
 * input has; rx0, when given, is input 0's (the same number of samples). */
static int x_ref(Sema *s, const ModelV *m, int k, const Value *x, const Ast *at, const NnmArrayRef *rx0,
                 NnmArrayRef *rx, const char *what)
{
    if (x->k == V_ERR)
        return -1;
    if (x->k != V_ARRAY || !x->arr->isx) {
        diag_error(s->diag, at->loc, "%s: x must be the images of a data set (e.g. x_train), got %s", what,
                   x->k == V_ARRAY ? "labels" : val_kind_name(x));
        return -1;
    }
    const ArrayV *xa = x->arr;
    NnmShape in = input_shape(m, k);
    int64_t per = shape_size(&xa->sample), want = shape_size(&in);
    if (per != want) {
        char sh[96], which[NNM_NAME_MAX + 16] = "";
        shape_str(&in, sh, sizeof sh);
        if (m->functional && m->ninputs > 1)
            snprintf(which, sizeof which, " '%s'", m->inputs[k]->name);
        diag_error(s->diag, at->loc, "%s: samples have %lld values but the model's input%s %s needs %lld",
                   what, (long long)per, which, sh, (long long)want);
        return -1;
    }
    if (xa->n == 0 || (xa->end >= 0 && xa->end <= xa->begin && xa->begin >= 0)) {
        diag_error(s->diag, at->loc, "%s: the array has no samples", what);
        return -1;
    }
    if (rx0 && (xa->begin != rx0->begin || xa->end != rx0->end)) {
        diag_error(s->diag, at->loc, "%s: the inputs' arrays are not the same slice of samples", what);
        return -1;
    }
    *rx = (NnmArrayRef){xa->dataset, xa->test, xa->begin, xa->end, xa->expect_n, xa->line, 0, {0}, 0, {0}, {0}};
    int identity = 1;
    for (int c = 0; c < xa->nchan; c++) {
        rx->mul[c] = (float)xa->mul[c];
        rx->add[c] = (float)xa->add[c];
        identity &= rx->mul[c] == 1 && rx->add[c] == 0;
    }
    rx->nchan = xa->cooked && !identity ? xa->nchan : 0;
    if (!rx->nchan) {
        memset(rx->mul, 0, sizeof rx->mul);
        memset(rx->add, 0, sizeof rx->add);
    }
    return 0;
}

/* y of output k: labels of the samples of x (input 0's), fit for the
 * output and its loss. */
static int y_ref(Sema *s, const ModelV *m, int k, const Value *y, const Ast *at, const NnmArrayRef *rx,
                 NnmArrayRef *ry, const char *what)
{
    if (y->k == V_ERR)
        return -1;
    if (y->k != V_ARRAY || y->arr->isx) {
        diag_error(s->diag, at->loc, "%s: y must be the labels of a data set (e.g. y_train), got %s", what,
                   y->k == V_ARRAY ? "images" : val_kind_name(y));
        return -1;
    }
    const ArrayV *ya = y->arr;
    if (ya->dataset != rx->dataset || ya->test != rx->test || ya->begin != rx->begin || ya->end != rx->end) {
        diag_error(s->diag, at->loc, "%s: y is not the labels of the same samples as x", what);
        return -1;
    }
    *ry = (NnmArrayRef){ya->dataset, ya->test, ya->begin, ya->end, ya->expect_n, ya->line, ya->mapped, {0}, 0, {0}, {0}};
    memcpy(ry->map, ya->map, sizeof ry->map);
    /* the labels must fit the output the loss compares them with */
    const NnmOutput *o = &m->outs[k];
    int64_t units = m->layers[o->node]->d.out.dim[0], C = ya->onehot ? ya->onehot : ya->nclasses;
    const char *ln = nnm_loss_names[o->loss];
    char which[NNM_NAME_MAX + 32] = "the model has";
    if (m->noutputs > 1)
        snprintf(which, sizeof which, "output '%s' has", output_name(m, k));
    if (ya->onehot && units != ya->onehot) {
        diag_error(s->diag, at->loc, "%s: labels are one-hot with %d classes but %s %lld outputs",
                   what, ya->onehot, which, (long long)units);
        return -1;
    }
    if (units == 1 && !ya->onehot) {
        if (o->loss == LOSS_BCE && ya->nclasses != 2) {
            diag_error(s->diag, at->loc, "%s: '%s' with one output needs 2 classes, but the labels have %d (use load_data(classes=[a, b]))",
                       what, ln, ya->nclasses);
            return -1;
        }
    } else if (units < C) {
        diag_error(s->diag, at->loc, "%s: the labels have %lld classes but %s only %lld outputs",
                   what, (long long)C, which, (long long)units);
        return -1;
    }
    return 0;
}

int array_ref(Sema *s, ModelV *m, const Value *x, const Ast *xat, const Value *y, const Ast *yat, NnmArrayRef *rx,
              NnmArrayRef *ry, const char *what)
{
    Value *xs[NNM_MAX_IO], *ys[NNM_MAX_IO];
    if (x->k == V_ERR || (y && y->k == V_ERR))
        return -1;
    if (per_io(s, m, 1, (Value *)x, xat, what, IO_EACH, xs))
        return -1;
    int nin = m->functional ? m->ninputs : 1;
    for (int k = 0; k < nin; k++)
        if (x_ref(s, m, k, xs[k], xat, k ? &rx[0] : NULL, &rx[k], what))
            return -1;
    if (!y)
        return 0;
    if (per_io(s, m, 0, (Value *)y, yat, what, IO_EACH, ys))
        return -1;
    for (int k = 0; k < m->noutputs; k++)
        if (y_ref(s, m, k, ys[k], yat, &rx[0], &ry[k], what))
            return -1;
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

/* fit(class_weight=): the classes each output's labels in y can take (y
 * checked already), then the weights of those classes (callbacks.c) */
static int fit_class_weight_of(Sema *s, ModelV *m, NnmStep *st, Value *y, Value *cw, const Ast *at)
{
    if (!cw || cw->k == V_NONE)
        return 0;
    Value *ys[NNM_MAX_IO];
    int nclasses[NNM_MAX_IO] = {0};
    const char *names[NNM_MAX_IO];
    if (y && per_io(s, m, 0, y, at, "fit", IO_EACH, ys))
        return -1;
    for (int k = 0; k < m->noutputs; k++) {
        const Value *v = y ? ys[k] : NULL;
        nclasses[k] = v && v->k == V_ARRAY ? (v->arr->onehot ? v->arr->onehot : v->arr->nclasses) : 0;
        names[k] = output_name(m, k);
    }
    return fit_class_weight(s, st, m->noutputs, nclasses, names, cw, at);
}

/* fit() and fit_generator(): their arguments bound to one set of slots. */
enum { F_X, F_Y, F_BATCH, F_EPOCHS, F_VERBOSE, F_CALLBACKS, F_VSPLIT, F_VDATA, F_SHUFFLE, F_CLASS_WEIGHT,
       F_SAMPLE_WEIGHT, F_INITIAL_EPOCH, F_STEPS, F_VSTEPS, F_QUEUE, F_WORKERS, F_MULTI, F_VFREQ, F_NB_EPOCH,
       F_SLOTS };

Value *model_fit(Sema *s, ModelV *m, const Args *a, int generator)
{
    static const Param fit[] = {{"x", 1, 1}, {"y", 1, 0}, {"batch_size", 1, 0}, {"epochs", 1, 0},
        {"verbose", 1, 0}, {"callbacks", 1, 0}, {"validation_split", 1, 0}, {"validation_data", 1, 0},
        {"shuffle", 1, 0}, {"class_weight", 1, 0}, {"sample_weight", 1, 0}, {"initial_epoch", 1, 0},
        {"steps_per_epoch", 1, 0}, {"validation_steps", 1, 0}, {"max_queue_size", 0, 0}, {"workers", 0, 0},
        {"use_multiprocessing", 0, 0}, {"validation_freq", 0, 0}, {"nb_epoch", 0, 0}, {NULL, 0, 0}};
    static const int fit_slot[] = {F_X, F_Y, F_BATCH, F_EPOCHS, F_VERBOSE, F_CALLBACKS, F_VSPLIT, F_VDATA,
        F_SHUFFLE, F_CLASS_WEIGHT, F_SAMPLE_WEIGHT, F_INITIAL_EPOCH, F_STEPS, F_VSTEPS, F_QUEUE, F_WORKERS,
        F_MULTI, F_VFREQ, F_NB_EPOCH};
    /* Keras 2.2's fit_generator(generator, steps_per_epoch, epochs, ...) */
    static const Param gen[] = {{"generator", 1, 1}, {"steps_per_epoch", 1, 0}, {"epochs", 1, 0},
        {"verbose", 1, 0}, {"callbacks", 1, 0}, {"validation_data", 1, 0}, {"validation_steps", 1, 0},
        {"class_weight", 1, 0}, {"max_queue_size", 1, 0}, {"workers", 1, 0}, {"use_multiprocessing", 1, 0},
        {"shuffle", 1, 0}, {"initial_epoch", 1, 0}, {"validation_freq", 0, 0}, {NULL, 0, 0}};
    static const int gen_slot[] = {F_X, F_STEPS, F_EPOCHS, F_VERBOSE, F_CALLBACKS, F_VDATA, F_VSTEPS,
        F_CLASS_WEIGHT, F_QUEUE, F_WORKERS, F_MULTI, F_SHUFFLE, F_INITIAL_EPOCH, F_VFREQ};
    const Param *params = generator ? gen : fit;
    const int *slot = generator ? gen_slot : fit_slot;
    const char *fname = generator ? "fit_generator" : "fit";
    Value *bound[F_SLOTS];
    const Ast *bwhere[F_SLOTS];
    if (bind_args(s, a, fname, params, bound, bwhere))
        return val_err(s);
    Value *val[F_SLOTS] = {0};
    const Ast *where[F_SLOTS];
    for (int i = 0; i < F_SLOTS; i++)
        where[i] = a->call;
    for (int i = 0; params[i].name; i++) {
        val[slot[i]] = bound[i];
        where[slot[i]] = bwhere[i];
    }
    NnmStep st;
    memset(&st, 0, sizeof st);
    int ok = 1;
    /* a generator: ImageDataGenerator.flow(x, y, batch_size=...) */
    const Value *flow = val[F_X] && val[F_X]->k == V_FLOW ? val[F_X] : NULL;
    if (generator && val[F_X] && val[F_X]->k != V_FLOW && val[F_X]->k != V_ERR) {
        diag_error(s->diag, where[F_X]->loc, "fit_generator needs a generator such as datagen.flow(x, y), got %s",
                   val_kind_name(val[F_X]));
        return val_err(s);
    }
    if (flow) {
        if (val[F_Y] || val[F_BATCH] || val[F_VSPLIT]) {
            int k = val[F_Y] ? F_Y : val[F_BATCH] ? F_BATCH : F_VSPLIT;
            diag_error(s->diag, where[k]->loc, "with a generator, give %s to flow() or leave it out",
                       k == F_Y ? "y" : k == F_BATCH ? "batch_size" : "the validation data");
            return val_err(s);
        }
        val[F_Y] = flow->flow_y;
        where[F_X] = where[F_Y] = flow->flow_at;
        val[F_X] = flow->flow_x;
        st.aug = *flow->aug;
        st.batch_size = flow->flow_batch;
        st.steps = -1;
        st.shuffle = flow->flow_shuffle;
        int64_t steps;
        if (val[F_STEPS] && val[F_STEPS]->k != V_NONE) {
            if (want_int(s, val[F_STEPS], where[F_STEPS], "steps_per_epoch", 1, &steps))
                ok = 0;
            else
                st.steps = steps > 1000000000 ? 1000000000 : (int)steps;
        }
    } else {
        if (!val[F_Y]) {
            diag_error(s->diag, a->call->loc, "fit needs argument 'y' (or a generator such as datagen.flow(x, y))");
            return val_err(s);
        }
        if (val[F_STEPS] && val[F_STEPS]->k != V_NONE) {
            diag_error(s->diag, where[F_STEPS]->loc, "steps_per_epoch is for generators; with arrays give batch_size");
            ok = 0;
        }
        st.batch_size = opt_batch(s, val[F_BATCH], where[F_BATCH]);
        st.shuffle = 1;
    }
    if (val[F_VSTEPS] && val[F_VSTEPS]->k != V_NONE) {
        diag_error(s->diag, where[F_VSTEPS]->loc, "nnmc validates on all of validation_data: leave validation_steps out");
        ok = 0;
    }
    if (val[F_VFREQ]) {
        int64_t vf;
        if (want_int(s, val[F_VFREQ], where[F_VFREQ], "validation_freq", 1, &vf))
            ok = 0;
        else if (vf != 1) {
            diag_error(s->diag, where[F_VFREQ]->loc, "nnmc validates after every epoch: validation_freq must be 1");
            ok = 0;
        }
    }
    int64_t ep = 1;
    if (val[F_NB_EPOCH] && !val[F_EPOCHS]) {
        val[F_EPOCHS] = val[F_NB_EPOCH];
        where[F_EPOCHS] = where[F_NB_EPOCH];
    }
    if (val[F_EPOCHS] && want_int(s, val[F_EPOCHS], where[F_EPOCHS], "epochs", 0, &ep))
        ok = 0;
    if (ep > 1000000) {
        diag_error(s->diag, where[F_EPOCHS]->loc, "epochs %lld is too large", (long long)ep);
        ok = 0;
    }
    st.epochs = (int)ep;
    st.verbose = opt_verbose(s, val[F_VERBOSE], where[F_VERBOSE], 1);
    if (val[F_SAMPLE_WEIGHT] && val[F_SAMPLE_WEIGHT]->k != V_NONE) {
        diag_error(s->diag, where[F_SAMPLE_WEIGHT]->loc, "nnmc does not support sample_weight; class_weight= weighs classes");
        ok = 0;
    }
    int64_t ie = 0;
    if (val[F_INITIAL_EPOCH] && want_int(s, val[F_INITIAL_EPOCH], where[F_INITIAL_EPOCH], "initial_epoch", 0, &ie))
        ok = 0;
    st.initial_epoch = ie > 1000000 ? 1000000 : (int)ie;
    if (val[F_VSPLIT]) {
        if (want_num(s, val[F_VSPLIT], where[F_VSPLIT], "validation_split", &st.val_split))
            ok = 0;
        else if (st.val_split < 0 || st.val_split >= 1) {
            diag_error(s->diag, where[F_VSPLIT]->loc, "validation_split must be in [0, 1), got %g", st.val_split);
            ok = 0;
        }
    }
    if (val[F_VDATA] && val[F_VDATA]->k != V_NONE) {
        Value *vd = val[F_VDATA];
        if ((vd->k != V_TUPLE && vd->k != V_LIST) || vd->n != 2) {
            if (vd->k != V_ERR)
                diag_error(s->diag, where[F_VDATA]->loc, "validation_data must be a pair (x_val, y_val)");
            ok = 0;
        } else if (m->compiled && array_ref(s, m, vd->v[0], where[F_VDATA], vd->v[1], where[F_VDATA], st.vx, st.vy,
                                            "validation_data"))
            ok = 0;
        st.has_val_data = 1;
    }
    if (val[F_SHUFFLE] && want_bool(s, val[F_SHUFFLE], where[F_SHUFFLE], "shuffle", &st.shuffle))
        ok = 0;
    if (want_compiled(s, m, a->call, fname))
        return val_err(s);
    if (flow && (m->functional && (m->ninputs > 1 || m->noutputs > 1))) {
        diag_error(s->diag, where[F_X]->loc, "nnmc's generators feed models with one input and one output");
        return val_err(s);
    }
    if (array_ref(s, m, val[F_X], where[F_X], val[F_Y], where[F_Y], st.x, st.y, fname))
        ok = 0;

    if (ok && st.batch_size > 0 && memory_check(s, m, st.batch_size, a->call))
        ok = 0;
    /* the IR model exists once compiled; callbacks check monitors against its keys */
    const NnmModel *im = &s->prog->models[m->id];
    st.model = m->id; /* whose weights ModelCheckpoint writes */
    if (val[F_CALLBACKS] && fit_callbacks(s, im, &st, val[F_CALLBACKS], where[F_CALLBACKS]))
        ok = 0;
    if (ok && val[F_CLASS_WEIGHT] && fit_class_weight_of(s, m, &st, val[F_Y], val[F_CLASS_WEIGHT], where[F_CLASS_WEIGHT]))
        ok = 0;
    if (!ok || st.batch_size < 0 || st.verbose < 0)
        return val_err(s);
    NnmStep *p = add_step(s, STEP_FIT, a->call);
    int line = p->line;
    *p = st;
    p->kind = STEP_FIT;
    p->line = line;
    p->model = m->id;
    m->trained = 1;
    const char *keys[NNM_MAX_KEYS];
    NnmKeyText *text = arena_alloc(s->arena, sizeof *text);
    p->result = new_results(s, nnm_fit_keys(im, p, keys, *text));
    Value *h = val_new(s, V_HISTORY);
    h->slot = p->result;
    h->index = (int)(p - s->prog->steps);
    h->n = st.epochs;
    return h;
}

Value *model_evaluate(Sema *s, ModelV *m, const Args *a, int predict)
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
    if (array_ref(s, m, val[0], where[0], predict ? NULL : val[1], where[1], st.x, st.y, fname))
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
    m->trained |= !predict;
    if (predict) {
        Value *v = val_new(s, V_PRED);
        v->slot = (int)(p - s->prog->steps); /* np.save() gives the step a path */
        return v;
    }
    p->result = new_results(s, 1);
    Value *r = val_new(s, V_RESULT);
    r->slot = p->result;
    r->n = nnm_eval_count(&s->prog->models[m->id]);
    r->i = r->n > 1;            /* a list [loss, metrics...] or a scalar loss */
    return r;
}

void model_weights(Sema *s, ModelV *m, const Args *a, int load)
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
    if (sema_file_use(s, path, load ? FU_LOAD : FU_SAVE, m->id, where[0]))
        return;
    NnmStep *p = add_step(s, load ? STEP_LOAD : STEP_SAVE, a->call);
    p->model = m->id;
    p->path = path;
}

