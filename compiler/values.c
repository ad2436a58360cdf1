/* compiler/values.c — the compile-time values every part of the compiler
 * builds and checks: their constructors and names, the binding of a call's
 * arguments to parameters, the want_*() checks that report a wrong value at
 * its argument, and source lines.  Nothing here evaluates or builds IR, so
 * every other file may use it (sema.c evaluates; keras.c and the files below
 * it build the program). */
#include "sema_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- values ------------------------------------------------------------ */

Value *val_new(Sema *s, VKind k)
{
    Value *v = NEW(s->arena, Value);
    v->k = k;
    v->index = -1;
    return v;
}

Value *val_int(Sema *s, int64_t i)
{
    Value *v = val_new(s, V_INT);
    v->i = i;
    return v;
}

Value *val_err(Sema *s) { return val_new(s, V_ERR); }

const char *val_kind_name(const Value *v)
{
    switch (v->k) {
    case V_ERR: return "an error";
    case V_NONE: return "None";
    case V_BOOL: return "a boolean";
    case V_INT: return "an integer";
    case V_FLOAT: return "a float";
    case V_STR: return "a string";
    case V_TUPLE: return "a tuple";
    case V_LIST: return "a list";
    case V_MODULE: return "a module";
    case V_FUNC: return "a function";
    case V_METHOD: return "a method";
    case V_LAYER: return "a layer";
    case V_INPUT: return "an Input";
    case V_TENSOR: return "a tensor";
    case V_OPTIM: return "an optimizer";
    case V_MODEL: return "a model";
    case V_ARRAY: return "an array";
    case V_RESULT: return "a result";
    case V_HISTORY: return "a History";
    case V_HISTDICT: return "a dict";
    case V_DICT: return "a dict";
    case V_CALLBACK: return "a callback";
    case V_SCHEDULE: return "a learning-rate schedule";
    case V_REGULARIZER: return "a regularizer";
    case V_METRIC: return "a metric";
    case V_DATAGEN: return "an ImageDataGenerator";
    case V_FLOW: return "a generator";
    case V_LOSS: return "a loss";
    case V_PRED: return "predictions";
    }
    NNM_UNREACHABLE();
}

/* ---- arguments ------------------------------------------------------------ */

int bind_args(Sema *s, const Args *a, const char *fname, const Param *params, Value **out,
              const Ast **where)
{
    int np = 0, npos = 0, ok = 1;
    while (params[np].name) {
        if (params[np].positional)
            npos++;
        out[np] = NULL;
        where[np] = a->call;
        np++;
    }
    if (a->npos > npos) {
        diag_error(s->diag, a->pos[npos].node->loc, "%s takes at most %d positional argument%s, got %d",
                   fname, npos, npos == 1 ? "" : "s", a->npos);
        ok = 0;
    }
    for (int i = 0, p = 0; i < a->npos && i < npos; i++, p++) {
        while (!params[p].positional)
            p++;
        out[p] = a->pos[i].v;
        where[p] = a->pos[i].node;
    }
    for (int i = 0; i < a->nkw; i++) {
        int p;
        for (p = 0; p < np; p++)
            if (strcmp(params[p].name, a->kw[i].name) == 0)
                break;
        Loc at = a->kw[i].node->loc;
        at.len = (uint32_t)strlen(a->kw[i].name);
        if (p == np) {
            diag_error(s->diag, at, "%s has no argument '%s'", fname, a->kw[i].name);
            const char *cands[64];
            int k = 0;
            for (int q = 0; q < np && k < 63; q++)
                cands[k++] = params[q].name;
            cands[k] = NULL;
            const char *m = diag_suggest(a->kw[i].name, cands);
            if (m)
                diag_note(s->diag, at, "did you mean '%s'?", m);
            ok = 0;
            continue;
        }
        if (out[p]) {
            diag_error(s->diag, at, "%s got argument '%s' twice", fname, a->kw[i].name);
            ok = 0;
            continue;
        }
        out[p] = a->kw[i].v;
        where[p] = a->kw[i].node;
    }
    for (int p = 0; p < np; p++)
        if (params[p].required && !out[p]) {
            Loc at = a->call->loc;
            diag_error(s->diag, at, "%s needs argument '%s'", fname, params[p].name);
            ok = 0;
        }
    for (int p = 0; p < np; p++)
        if (out[p] && out[p]->k == V_ERR)
            ok = 0; /* already reported */
    return ok ? 0 : -1;
}

int want_int(Sema *s, const Value *v, const Ast *at, const char *what, int64_t min, int64_t *out)
{
    if (v->k == V_ERR)
        return -1;
    if (v->k == V_FLOAT && v->f == floor(v->f) && fabs(v->f) < 1e15) {
        /* Keras accepts 128.0 where an int is meant only sometimes; be strict */
    }
    if (v->k != V_INT || v->sym) {
        diag_error(s->diag, at->loc, "%s must be an integer, got %s", what,
                   v->sym ? "a sample count known only when the data is read" : val_kind_name(v));
        return -1;
    }
    if (v->i < min) {
        diag_error(s->diag, at->loc, "%s must be at least %lld, got %lld", what, (long long)min,
                   (long long)v->i);
        return -1;
    }
    *out = v->i;
    return 0;
}

int want_num(Sema *s, const Value *v, const Ast *at, const char *what, double *out)
{
    if (v->k == V_ERR)
        return -1;
    if (v->k == V_INT && !v->sym)
        *out = (double)v->i;
    else if (v->k == V_FLOAT)
        *out = v->f;
    else {
        diag_error(s->diag, at->loc, "%s must be a number, got %s", what, val_kind_name(v));
        return -1;
    }
    if (!isfinite(*out)) {
        diag_error(s->diag, at->loc, "%s must be finite", what);
        return -1;
    }
    return 0;
}

int want_bool(Sema *s, const Value *v, const Ast *at, const char *what, int *out)
{
    if (v->k == V_ERR)
        return -1;
    if (v->k == V_BOOL || (v->k == V_INT && !v->sym && (v->i == 0 || v->i == 1))) {
        *out = (int)v->i;
        return 0;
    }
    diag_error(s->diag, at->loc, "%s must be True or False, got %s", what, val_kind_name(v));
    return -1;
}

int want_str(Sema *s, const Value *v, const Ast *at, const char *what, const char **out)
{
    if (v->k == V_ERR)
        return -1;
    if (v->k != V_STR) {
        diag_error(s->diag, at->loc, "%s must be a string, got %s", what, val_kind_name(v));
        return -1;
    }
    *out = v->s;
    return 0;
}

const char *op_spelling(int op)
{
    return op == 'f' ? "//" : op == '%' ? "%" : op == '+' ? "+" : op == '-' ? "-" : op == '*' ? "*" : "/";
}

int sema_line(const Sema *s, Loc at)
{
    int line, col;
    diag_linecol(s->src, at.off, &line, &col);
    return line;
}
