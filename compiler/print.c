/* compiler/print.c — print(): renders what is known at compile time into
 * text now, and leaves references to results (scores, histories) for the
 * runtime to fill in. */
#include "callbacks.h"
#include "sema_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

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
    case V_HISTDICT: {
        /* Keras 2.2's History gets the validation figures first, then the
         * training ones (BaseLogger adds them), then lr */
        const NnmStep *st = &s->prog->steps[v->index];
        const char *keys[NNM_MAX_KEYS];
        NnmKeyText *text = arena_alloc(s->arena, sizeof *text); /* the keys are printed from the IR */
        int nk = nnm_fit_keys(&s->prog->models[st->model], st, keys, *text), order[NNM_MAX_KEYS], no = 0;
        for (int pass = 0; pass < 3; pass++)
            for (int k = 0; k < nk; k++)
                if ((pass == 0) == !strncmp(keys[k], "val_", 4) && (pass == 2) == !strcmp(keys[k], "lr"))
                    order[no++] = k;
        pb_text(s, b, "{", 1);
        for (int i = 0; i < no; i++) {
            snprintf(tmp, sizeof tmp, "%s'%s': ", i ? ", " : "", keys[order[i]]);
            pb_text(s, b, tmp, strlen(tmp));
            pb_flush(s, b);
            if (b->n < 256)
                b->items[b->n++] = (NnmPrintItem){NULL, v->slot + order[i], -1};
        }
        pb_text(s, b, "}", 1);
        return 0;
    }
    case V_MODEL:
    case V_LAYER:
    case V_OPTIM:
    case V_MODULE:
    case V_FUNC:
    case V_METHOD:
    case V_INPUT:
    case V_TENSOR:
    case V_ARRAY:
    case V_HISTORY:
    case V_PRED:
    case V_DICT:
    case V_CALLBACK:
    case V_SCHEDULE:
    case V_REGULARIZER:
    case V_METRIC:
    case V_DATAGEN:
    case V_FLOW:
    case V_LOSS:
        diag_error(s->diag, at->loc, "nnmc cannot print %s", val_kind_name(v));
        return -1;
    }
    NNM_UNREACHABLE();
}

Value *do_print(Sema *s, const Args *a)
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

