/* compiler/callbacks.c — keras.callbacks and the learning-rate schedules
 * (keras.optimizers.schedules, nnmc's StepDecay) as a .nnm file builds
 * them, with Keras 2.2's arguments and defaults, and what fit() checks
 * about them: that each monitor is a key this fit logs, that file names
 * format.  What they do while training is runtime/callbacks.c. */
#include "callbacks.h"
#include "sema_int.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

typedef enum {
    T_NUM,      /* double */
    T_POS,      /* double > 0 */
    T_INT,      /* int >= 0 */
    T_VERBOSE,  /* int 0, 1 or 2 */
    T_BOOL,     /* int */
    T_STR,      /* const char * */
    T_MONITOR,  /* char[NNM_NAME_MAX] */
    T_MODE,     /* 'auto' (0 here, resolved at fit), 'min' (-1), 'max' (+1) */
    T_BASELINE, /* None or a number: has_baseline, baseline */
    T_SCHED,    /* NnmSchedule */
    T_SEP,      /* one character */
    T_NUMS,     /* a list of numbers: PiecewiseConstantDecay */
    T_EPOCH,    /* save_freq: only 'epoch' */
    T_IGNORED,  /* name=: accepted, unused */
} CbArgType;

typedef struct {
    const char *name;
    CbArgType type;
    size_t off;
    int required;
} CbSpec;

#define CB(f) offsetof(NnmCallback, f)
#define SC(f) offsetof(NnmSchedule, f)
#define END {NULL, T_NUM, 0, 0}

/* Keras 2.2.4's positional order; Keras 3's extra names where they are harmless */
static const CbSpec early_stopping[] = {
    {"monitor", T_MONITOR, CB(monitor), 0}, {"min_delta", T_NUM, CB(min_delta), 0},
    {"patience", T_INT, CB(patience), 0},   {"verbose", T_VERBOSE, CB(verbose), 0},
    {"mode", T_MODE, CB(mode), 0},          {"baseline", T_BASELINE, CB(baseline), 0},
    {"restore_best_weights", T_BOOL, CB(restore_best), 0}, END};
static const CbSpec model_checkpoint[] = {
    {"filepath", T_STR, CB(path), 1},       {"monitor", T_MONITOR, CB(monitor), 0},
    {"verbose", T_VERBOSE, CB(verbose), 0}, {"save_best_only", T_BOOL, CB(save_best_only), 0},
    {"save_weights_only", T_BOOL, CB(save_weights_only), 0}, {"mode", T_MODE, CB(mode), 0},
    {"period", T_INT, CB(period), 0},       {"save_freq", T_EPOCH, 0, 0}, END};
static const CbSpec reduce_lr[] = {
    {"monitor", T_MONITOR, CB(monitor), 0}, {"factor", T_NUM, CB(factor), 0},
    {"patience", T_INT, CB(patience), 0},   {"verbose", T_VERBOSE, CB(verbose), 0},
    {"mode", T_MODE, CB(mode), 0},          {"min_delta", T_NUM, CB(min_delta), 0},
    {"cooldown", T_INT, CB(cooldown), 0},   {"min_lr", T_NUM, CB(min_lr), 0},
    {"epsilon", T_NUM, CB(min_delta), 0}, END};
static const CbSpec lr_scheduler[] = {
    {"schedule", T_SCHED, CB(schedule), 1}, {"verbose", T_VERBOSE, CB(verbose), 0}, END};
static const CbSpec csv_logger[] = {
    {"filename", T_STR, CB(path), 1}, {"separator", T_SEP, CB(separator), 0},
    {"append", T_BOOL, CB(append), 0}, END};
static const CbSpec terminate_on_nan[] = {END};
static const CbSpec *const callback_specs[CB_COUNT] = {
    [CB_EARLY_STOPPING] = early_stopping, [CB_MODEL_CHECKPOINT] = model_checkpoint,
    [CB_REDUCE_LR] = reduce_lr,           [CB_LR_SCHEDULER] = lr_scheduler,
    [CB_CSV_LOGGER] = csv_logger,         [CB_TERMINATE_ON_NAN] = terminate_on_nan};

static const CbSpec exponential[] = {
    {"initial_learning_rate", T_POS, SC(initial), 1}, {"decay_steps", T_POS, SC(steps), 1},
    {"decay_rate", T_NUM, SC(rate), 1}, {"staircase", T_BOOL, SC(staircase), 0},
    {"name", T_IGNORED, 0, 0}, END};
static const CbSpec piecewise[] = {
    {"boundaries", T_NUMS, SC(boundaries), 1}, {"values", T_NUMS, SC(values), 1},
    {"name", T_IGNORED, 0, 0}, END};
static const CbSpec polynomial[] = {
    {"initial_learning_rate", T_POS, SC(initial), 1}, {"decay_steps", T_POS, SC(steps), 1},
    {"end_learning_rate", T_NUM, SC(alpha), 0}, {"power", T_NUM, SC(power), 0},
    {"cycle", T_BOOL, SC(cycle), 0}, {"name", T_IGNORED, 0, 0}, END};
static const CbSpec cosine[] = {
    {"initial_learning_rate", T_POS, SC(initial), 1}, {"decay_steps", T_POS, SC(steps), 1},
    {"alpha", T_NUM, SC(alpha), 0}, {"name", T_IGNORED, 0, 0},
    {"warmup_target", T_NUM, SC(warmup_target), 0}, {"warmup_steps", T_NUM, SC(warmup_steps), 0}, END};
static const CbSpec step_decay[] = {
    {"initial_learning_rate", T_POS, SC(initial), 1}, {"drop", T_NUM, SC(rate), 0},
    {"epochs_drop", T_POS, SC(steps), 0}, END};
static const CbSpec *const schedule_specs[SCHED_COUNT] = {
    [SCHED_EXPONENTIAL] = exponential, [SCHED_INVERSE_TIME] = exponential,
    [SCHED_PIECEWISE] = piecewise,     [SCHED_POLYNOMIAL] = polynomial,
    [SCHED_COSINE] = cosine,           [SCHED_STEP] = step_decay,
    [SCHED_LINEAR] = piecewise};

/* Reads the arguments of a call into obj by the table; 0 or -1. */
static int read_args(Sema *s, const Args *a, const char *fname, const CbSpec *spec, void *obj)
{
    Param params[16];
    int np = 0;
    for (; spec[np].name; np++)
        params[np] = (Param){spec[np].name, 1, spec[np].required};
    params[np] = (Param){NULL, 0, 0};
    Value *val[16];
    const Ast *where[16];
    if (bind_args(s, a, fname, params, val, where))
        return -1;
    int ok = 1;
    char *o = obj;
    for (int i = 0; i < np; i++) {
        Value *v = val[i];
        if (!v)
            continue;
        char what[96];
        snprintf(what, sizeof what, "argument '%s' of %s", spec[i].name, fname);
        double d;
        int64_t k;
        int b;
        const char *str;
        void *field = o + spec[i].off;
        switch (spec[i].type) {
        case T_NUM:
        case T_POS:
            if (want_num(s, v, where[i], what, &d)) {
                ok = 0;
            } else if (spec[i].type == T_POS && d <= 0) {
                diag_error(s->diag, where[i]->loc, "%s must be positive, got %g", what, d);
                ok = 0;
            } else {
                memcpy(field, &d, sizeof d);
            }
            break;
        case T_INT:
        case T_VERBOSE:
            if (want_int(s, v, where[i], what, 0, &k)) {
                ok = 0;
            } else if (k > (spec[i].type == T_VERBOSE ? 2 : 1000000)) {
                diag_error(s->diag, where[i]->loc, "%s must be at most %d", what,
                           spec[i].type == T_VERBOSE ? 2 : 1000000);
                ok = 0;
            } else {
                int x = (int)k;
                memcpy(field, &x, sizeof x);
            }
            break;
        case T_BOOL:
            if (want_bool(s, v, where[i], what, &b))
                ok = 0;
            else
                memcpy(field, &b, sizeof b);
            break;
        case T_STR:
            if (want_str(s, v, where[i], what, &str)) {
                ok = 0;
            } else if (!*str || strlen(str) != v->slen) {
                diag_error(s->diag, where[i]->loc, "%s is not a valid file name", what);
                ok = 0;
            } else {
                memcpy(field, &str, sizeof str);
            }
            break;
        case T_MONITOR:
            if (want_str(s, v, where[i], what, &str)) {
                ok = 0;
            } else if (strlen(str) >= NNM_NAME_MAX || strlen(str) != v->slen || !*str) {
                diag_error(s->diag, where[i]->loc, "%s is not a log key", what);
                ok = 0;
            } else {
                memcpy(field, str, strlen(str) + 1);
            }
            break;
        case T_MODE:
            if (want_str(s, v, where[i], what, &str)) {
                ok = 0;
            } else if (strcmp(str, "auto") && strcmp(str, "min") && strcmp(str, "max")) {
                diag_error(s->diag, where[i]->loc, "%s must be 'auto', 'min' or 'max', got '%s'", what, str);
                ok = 0;
            } else {
                int m = !strcmp(str, "min") ? -1 : !strcmp(str, "max") ? 1 : 0;
                memcpy(field, &m, sizeof m);
            }
            break;
        case T_BASELINE:
            if (v->k == V_NONE)
                break;
            if (want_num(s, v, where[i], what, &d)) {
                ok = 0;
            } else {
                ((NnmCallback *)obj)->has_baseline = 1;
                ((NnmCallback *)obj)->baseline = d;
            }
            break;
        case T_SCHED:
            if (v->k != V_SCHEDULE) {
                diag_error(s->diag, where[i]->loc,
                           "%s must be a schedule such as ExponentialDecay(...) or StepDecay(...), got %s "
                           "(nnmc has no Python functions)",
                           what, val_kind_name(v));
                ok = 0;
            } else {
                memcpy(field, v->sched, sizeof *v->sched);
            }
            break;
        case T_SEP:
            if (want_str(s, v, where[i], what, &str)) {
                ok = 0;
            } else if (v->slen != 1 || str[0] == '\r' || str[0] == '\n' || str[0] == '"') {
                diag_error(s->diag, where[i]->loc, "%s must be one character", what);
                ok = 0;
            } else {
                *(char *)field = str[0];
            }
            break;
        case T_NUMS: {
            NnmSchedule *sc = obj;
            int is_values = spec[i].off == SC(values), max = NNM_MAX_PIECES + is_values;
            if ((v->k != V_LIST && v->k != V_TUPLE) || v->n < 1 || v->n > max) {
                diag_error(s->diag, where[i]->loc, "%s must be a list of 1 to %d numbers", what, max);
                ok = 0;
                break;
            }
            double *out = is_values ? sc->values : sc->boundaries;
            for (int j = 0; j < v->n && ok; j++)
                if (want_num(s, v->v[j], where[i], what, &out[j]))
                    ok = 0;
            if (!is_values)
                sc->npieces = v->n;
            else if (ok && sc->kind == SCHED_LINEAR && sc->npieces && v->n != sc->npieces) {
                diag_error(s->diag, where[i]->loc, "%s needs one value per boundary (%d), got %d", fname,
                           sc->npieces, v->n);
                ok = 0;
            } else if (ok && sc->kind != SCHED_LINEAR && sc->npieces && v->n != sc->npieces + 1) {
                diag_error(s->diag, where[i]->loc, "%s needs one value more than there are boundaries (%d), got %d",
                           fname, sc->npieces, v->n);
                ok = 0;
            }
            for (int j = 1; j < v->n && ok && !is_values; j++)
                if (!(out[j] > out[j - 1])) {
                    diag_error(s->diag, where[i]->loc, "the boundaries of %s must increase", fname);
                    ok = 0;
                }
            break;
        }
        case T_EPOCH:
            if (want_str(s, v, where[i], what, &str)) {
                ok = 0;
            } else if (strcmp(str, "epoch")) {
                diag_error(s->diag, where[i]->loc, "nnmc saves checkpoints at the end of epochs: %s must be 'epoch'",
                           what);
                ok = 0;
            }
            break;
        case T_IGNORED:
            break;
        }
    }
    return ok ? 0 : -1;
}

Value *make_schedule(Sema *s, int kind, const Args *a)
{
    NnmSchedule *sc = NEW(s->arena, NnmSchedule);
    memset(sc, 0, sizeof *sc);
    sc->kind = kind;
    sc->alpha = kind == SCHED_POLYNOMIAL ? 1e-4 : 0;
    sc->power = 1.0;
    sc->rate = kind == SCHED_STEP ? 0.5 : 0;
    sc->steps = kind == SCHED_STEP ? 10 : 0;
    if (read_args(s, a, nnm_schedule_names[kind], schedule_specs[kind], sc))
        return val_err(s);
    if ((kind == SCHED_PIECEWISE || kind == SCHED_LINEAR) && sc->npieces == 0)
        return val_err(s);
    if (kind == SCHED_LINEAR && sc->npieces < 2) {
        diag_error(s->diag, a->call->loc, "PiecewiseLinearDecay needs at least 2 boundaries");
        return val_err(s);
    }
    if (kind == SCHED_COSINE && sc->warmup_steps < 0) {
        diag_error(s->diag, a->call->loc, "warmup_steps of CosineDecay must be at least 0");
        return val_err(s);
    }
    if (kind == SCHED_COSINE && sc->warmup_target == 0)
        sc->warmup_steps = 0; /* warmup_target=None: no warm-up */
    Value *v = val_new(s, V_SCHEDULE);
    v->sched = sc;
    return v;
}

Value *make_callback(Sema *s, int kind, const Args *a)
{
    NnmCallback *cb = NEW(s->arena, NnmCallback);
    memset(cb, 0, sizeof *cb);
    cb->kind = kind;
    cb->line = sema_line(s, a->call->loc);
    if (kind == CB_EARLY_STOPPING || kind == CB_MODEL_CHECKPOINT || kind == CB_REDUCE_LR)
        snprintf(cb->monitor, sizeof cb->monitor, "val_loss");
    cb->period = 1;
    cb->separator = ',';
    if (kind == CB_REDUCE_LR) {
        cb->factor = 0.1;
        cb->patience = 10;
        cb->min_delta = 1e-4;
    }
    const char *fname = nnm_callback_names[kind];
    if (read_args(s, a, fname, callback_specs[kind], cb))
        return val_err(s);
    cb->min_delta = fabs(cb->min_delta);
    if (kind == CB_REDUCE_LR && (cb->factor >= 1.0 || cb->factor < 0)) {
        diag_error(s->diag, a->call->loc, "ReduceLROnPlateau does not support a factor >= 1.0 (or below 0), got %g",
                   cb->factor);
        return val_err(s);
    }
    if (kind == CB_MODEL_CHECKPOINT && cb->period < 1) {
        diag_error(s->diag, a->call->loc, "period of ModelCheckpoint must be at least 1");
        return val_err(s);
    }
    if (kind == CB_REDUCE_LR && cb->min_lr < 0) {
        diag_error(s->diag, a->call->loc, "min_lr of ReduceLROnPlateau must be at least 0");
        return val_err(s);
    }
    Value *v = val_new(s, V_CALLBACK);
    v->cb = cb;
    return v;
}

/* fit(callbacks=[...]): the list, checked against what this fit logs.
 * st has everything else of the fit already (validation, model). */
int fit_callbacks(Sema *s, const NnmModel *m, NnmStep *st, Value *list, const Ast *at)
{
    if (!list || list->k == V_NONE)
        return 0;
    if (list->k != V_LIST && list->k != V_TUPLE) {
        diag_error(s->diag, at->loc, "callbacks must be a list, as in callbacks=[EarlyStopping()]; got %s",
                   val_kind_name(list));
        return -1;
    }
    NnmCallback *cbs = arena_alloc(s->arena, sizeof *cbs * (size_t)(list->n + 1));
    const Ast **where = arena_alloc(s->arena, sizeof *where * (size_t)(list->n + 1));
    /* point at the list's elements when the file wrote the list right here */
    const Ast *lit = at->kind == AST_KWARG ? at->a : at;
    const Ast *el = lit && (lit->kind == AST_LIST || lit->kind == AST_TUPLE) ? lit->kids : NULL;
    for (int i = 0; i < list->n; i++) {
        where[i] = el ? el : at;
        el = el ? el->next : NULL;
    }
    int ok = 1, lr_cbs = 0;
    for (int i = 0; i < list->n; i++) {
        Value *v = list->v[i];
        if (v->k == V_ERR) {
            ok = 0;
            continue;
        }
        if (v->k != V_CALLBACK) {
            diag_error(s->diag, where[i]->loc, "callbacks[%d] is %s, not a callback", i, val_kind_name(v));
            ok = 0;
            continue;
        }
        cbs[i] = *v->cb;
        lr_cbs += cbs[i].kind == CB_REDUCE_LR || cbs[i].kind == CB_LR_SCHEDULER;
        if ((cbs[i].kind == CB_CSV_LOGGER || cbs[i].kind == CB_MODEL_CHECKPOINT) &&
            sema_file_use(s, cbs[i].path, cbs[i].kind == CB_CSV_LOGGER ? FU_LOG : FU_CHECKPOINT,
                          cbs[i].kind == CB_CSV_LOGGER ? -1 : st->model, where[i]))
            ok = 0;
    }
    if (!ok)
        return -1;
    st->callbacks = cbs;
    st->ncallbacks = list->n;
    const char *keys[NNM_MAX_KEYS];
    NnmKeyText *text = arena_alloc(s->arena, sizeof *text);
    int nk = nnm_fit_keys(m, st, keys, *text);
    char have[NNM_MAX_KEYS * (NNM_KEY_MAX + 8)];
    size_t hl = 0;
    for (int k = 0; k < nk && hl < sizeof have; k++)
        hl += (size_t)snprintf(have + hl, sizeof have - hl, "%s%s", k == 0 ? "" : k == nk - 1 ? " and " : ", ",
                               keys[k]);
    if (lr_cbs && m->optim.schedule.kind != SCHED_NONE) {
        diag_error(s->diag, at->loc, "the optimizer's learning rate is a schedule: a callback cannot set it too");
        return -1;
    }
    for (int i = 0; i < st->ncallbacks; i++) {
        NnmCallback *cb = &cbs[i];
        const char *name = nnm_callback_names[cb->kind];
        int needs_monitor = cb->kind == CB_EARLY_STOPPING || cb->kind == CB_REDUCE_LR ||
                            (cb->kind == CB_MODEL_CHECKPOINT && cb->save_best_only);
        if (needs_monitor && nnm_key_index(keys, nk, cb->monitor) < 0) {
            diag_error(s->diag, where[i]->loc, "%s monitors '%s', but this fit logs only %s%s", name,
                       cb->monitor, have,
                       !strncmp(cb->monitor, "val_", 4) && nnm_key_index(keys, nk, "val_loss") < 0
                           ? " (give validation_split= or validation_data=)"
                           : "");
            ok = 0;
        }
        if (cb->mode == 0)
            cb->mode = nnm_monitor_mode(cb->monitor);
        if (cb->kind == CB_MODEL_CHECKPOINT) {
            double zeros[NNM_MAX_KEYS] = {0};
            char path[4096], err[300];
            size_t n = strlen(cb->path);
            if (nnm_format_path(path, sizeof path, cb->path, 1, keys, zeros, nk, err, sizeof err)) {
                diag_error(s->diag, where[i]->loc, "ModelCheckpoint: %s", err);
                ok = 0;
            } else if (n < 4 || strcmp(cb->path + n - 4, ".npz")) {
                diag_error(s->diag, where[i]->loc, "ModelCheckpoint: nnmc saves weights as NumPy .npz; name the file '....npz'");
                ok = 0;
            }
        }
    }
    return ok ? 0 : -1;
}

/* class_weight={0: 1.0, 1: 5.0} of output k: a weight for every class of its labels. */
static int output_class_weight(Sema *s, NnmStep *st, int k, int nclasses, Value *d, const Ast *at, const char *cw)
{
    if (!d || d->k == V_NONE)
        return 0;
    if (d->k != V_DICT) {
        diag_error(s->diag, at->loc, "%s must be a dict {class: weight}, got %s", cw, val_kind_name(d));
        return -1;
    }
    double *w = arena_alloc(s->arena, sizeof *w * (size_t)(nclasses + 1));
    int *given = arena_alloc(s->arena, sizeof *given * (size_t)(nclasses + 1));
    memset(given, 0, sizeof *given * (size_t)(nclasses + 1));
    for (int i = 0; i < d->n; i++) {
        int64_t c;
        double x;
        if (want_int(s, d->v[2 * i], at, "a class of class_weight", 0, &c) ||
            want_num(s, d->v[2 * i + 1], at, "a weight of class_weight", &x))
            return -1;
        if (c >= nclasses) {
            diag_error(s->diag, at->loc, "%s names class %lld, but the labels have %d classes", cw, (long long)c,
                       nclasses);
            return -1;
        }
        if (x < 0) {
            diag_error(s->diag, at->loc, "%s: the weight of class %lld must be at least 0", cw, (long long)c);
            return -1;
        }
        w[c] = x;
        given[c] = 1;
    }
    for (int c = 0; c < nclasses; c++)
        if (!given[c]) {
            /* Keras 2.2 refuses this too (standardize_weights) */
            diag_error(s->diag, at->loc, "%s must give a weight for every class; class %d has none", cw, c);
            return -1;
        }
    st->class_weight[k] = w;
    st->nclass_weights[k] = nclasses;
    return 0;
}

/* fit(class_weight=...): a dict {class: weight} for a model with one
 * output; with several, as Keras 2.2 takes them, a dict by output name
 * ({'digit': {0: 1.0, ...}}, outputs left out are not weighed) or a list
 * with one dict (or None) per output.  nclasses[k]: the classes of output
 * k's labels; names[k]: its name. */
int fit_class_weight(Sema *s, NnmStep *st, int nout, const int *nclasses, const char *const *names, Value *d,
                     const Ast *at)
{
    if (!d || d->k == V_NONE)
        return 0;
    if (nout == 1)
        return output_class_weight(s, st, 0, nclasses[0], d, at, "class_weight");
    if (d->k == V_LIST) {
        if (d->n != nout) {
            diag_error(s->diag, at->loc, "class_weight has %d dicts, but the model has %d outputs", d->n, nout);
            return -1;
        }
        for (int k = 0; k < nout; k++) {
            char cw[NNM_NAME_MAX + 24];
            snprintf(cw, sizeof cw, "class_weight[%d] (of '%s')", k, names[k]);
            if (output_class_weight(s, st, k, nclasses[k], d->v[k], at, cw))
                return -1;
        }
        return 0;
    }
    if (d->k != V_DICT) {
        diag_error(s->diag, at->loc, "class_weight of a model with %d outputs is a dict by output name or a list of "
                   "dicts, got %s", nout, val_kind_name(d));
        return -1;
    }
    for (int i = 0; i < d->n; i++) {
        const Value *key = d->v[2 * i];
        int k = -1;
        for (int j = 0; key->k == V_STR && j < nout; j++)
            if (!strcmp(key->s, names[j]))
                k = j;
        if (k < 0) {
            if (key->k == V_STR)
                diag_error(s->diag, at->loc, "class_weight names output '%s', which the model does not have", key->s);
            else
                diag_error(s->diag, at->loc, "class_weight of a model with %d outputs is a dict by output name "
                           "({'%s': {0: 1.0, ...}, ...}), not by class", nout, names[0]);
            return -1;
        }
        char cw[NNM_NAME_MAX + 24];
        snprintf(cw, sizeof cw, "class_weight['%s']", names[k]);
        if (output_class_weight(s, st, k, nclasses[k], d->v[2 * i + 1], at, cw))
            return -1;
    }
    return 0;
}
