/* compiler/optimizers.c — the optimizers at compile time: Keras 2.2's
 * defaults and the checks of SGD(...), Adam(...), ... and their
 * learning-rate schedules. */
#include "sema_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

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
