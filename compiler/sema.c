/* compiler/sema.c — the abstract interpreter of .nnm scripts: statements,
 * names and expressions, evaluated in order.  It stands above everything
 * else in the compiler: the Keras names and calls are keras.c's, the values
 * and argument checks values.c's; nothing below calls back into it. */
#include "sema_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- names -------------------------------------------------------------- */

static unsigned hash_name(const char *name)
{
    unsigned h = 2166136261u; /* FNV-1a */
    for (; *name; name++)
        h = (h ^ (unsigned char)*name) * 16777619u;
    return h % ENV_BUCKETS;
}

static Binding *lookup(Sema *s, const char *name)
{
    for (Binding *b = s->buckets[hash_name(name)]; b; b = b->chain)
        if (strcmp(b->name, name) == 0)
            return b;
    return NULL;
}

static void bind_name(Sema *s, const char *name, Value *v)
{
    Binding *b = lookup(s, name);
    if (!b) {
        unsigned h = hash_name(name);
        b = NEW(s->arena, Binding);
        b->name = name;
        b->next = s->env;
        s->env = b;
        b->chain = s->buckets[h];
        s->buckets[h] = b;
    }
    b->v = v;
}

static Value *eval_name(Sema *s, const Ast *n)
{
    Binding *b = lookup(s, n->str);
    if (b)
        return b->v;
    Value *v = keras_global(s, n->str);
    if (v)
        return v;
    const char *cands[256];
    int k = 0;
    for (Binding *e = s->env; e && k < 120; e = e->next)
        cands[k++] = e->name;
    k += keras_global_names(cands + k, 250 - k);
    cands[k] = NULL;
    diag_error(s->diag, n->loc, "name '%s' is not defined", n->str);
    const char *m = diag_suggest(n->str, cands);
    if (m)
        diag_note(s->diag, n->loc, "did you mean '%s'?", m);
    return val_err(s);
}


/* ---- expressions ----------------------------------------------------------- */

static Value *eval_binop(Sema *s, const Ast *n, Value *a, Value *b)
{
    if (a->k == V_ERR || b->k == V_ERR)
        return val_err(s);
    if (a->k == V_ARRAY && a->arr->isx)
        return keras_array_arith(s, n, a, 1, b, n->b);
    if (b->k == V_ARRAY && b->arr->isx && a->k != V_ARRAY)
        return keras_array_arith(s, n, b, 0, a, n->a);
    if (a->k == V_ARRAY && !a->arr->isx)
        return array_label_op(s, n, a, b, n->b);
    if (a->k == V_STR && b->k == V_STR && n->op == '+') {
        /* strings are built in the compiler's memory: one may be as long as
         * a source file, all of them together 16 times that */
        uint64_t len = (uint64_t)a->slen + b->slen;
        if (len > NNM_STR_MAX || s->str_bytes + len > 16 * (uint64_t)NNM_STR_MAX) {
            diag_error(s->diag, n->loc, "%s: more than %u MiB of text",
                       len > NNM_STR_MAX ? "string too long" : "too many long strings",
                       (len > NNM_STR_MAX ? NNM_STR_MAX : 16 * NNM_STR_MAX) >> 20);
            s->diag->fatal = 1;
            return val_err(s);
        }
        s->str_bytes += len;
        Value *v = val_new(s, V_STR);
        char *t = arena_alloc(s->arena, (size_t)a->slen + b->slen + 1);
        memcpy(t, a->s, a->slen);
        memcpy(t + a->slen, b->s, b->slen);
        v->s = t;
        v->slen = a->slen + b->slen;
        return v;
    }
    int ai = a->k == V_INT || a->k == V_BOOL, bi = b->k == V_INT || b->k == V_BOOL;
    int af = ai || a->k == V_FLOAT, bf = bi || b->k == V_FLOAT;
    const char *opname = op_spelling(n->op);
    if (!af || !bf || a->sym || b->sym) {
        const Value *bad = !af || a->sym ? a : b;
        diag_error(s->diag, n->loc, "operator '%s' is not supported on %s", opname,
                   bad->sym ? "a sample count known only when the data is read" : val_kind_name(bad));
        return val_err(s);
    }
    if (ai && bi && n->op != '/') {
        int64_t x = a->i, y = b->i, r;
        if ((n->op == '%' || n->op == 'f') && y == 0) {
            diag_error(s->diag, n->loc, "integer division or modulo by zero");
            return val_err(s);
        }
        if (n->op == '%' || n->op == 'f') {
            /* Python's: the quotient floored, the remainder of the divisor's sign */
            if (x == INT64_MIN && y == -1) {
                diag_error(s->diag, n->loc, "integer overflow");
                return val_err(s);
            }
            int64_t q = x / y, m = x % y;
            if (m != 0 && ((m < 0) != (y < 0))) {
                q -= 1;
                m += y;
            }
            return val_int(s, n->op == '%' ? m : q);
        }
        int ovf = n->op == '+' ? __builtin_add_overflow(x, y, &r)
                : n->op == '-' ? __builtin_sub_overflow(x, y, &r)
                               : __builtin_mul_overflow(x, y, &r);
        if (ovf) {
            diag_error(s->diag, n->loc, "integer overflow");
            return val_err(s);
        }
        return val_int(s, r);
    }
    double x = a->k == V_FLOAT ? a->f : (double)a->i, y = b->k == V_FLOAT ? b->f : (double)b->i;
    if ((n->op == '/' || n->op == '%' || n->op == 'f') && y == 0) {
        diag_error(s->diag, n->loc, "float division by zero");
        return val_err(s);
    }
    Value *v = val_new(s, V_FLOAT);
    double fl = floor(x / y);
    v->f = n->op == '+' ? x + y : n->op == '-' ? x - y : n->op == '*' ? x * y : n->op == 'f' ? fl
         : n->op == '%' ? x - fl * y : x / y;
    return v;
}

static Value *eval_index(Sema *s, const Ast *n)
{
    Value *a = sema_eval(s, n->a);
    if (a->k == V_ERR)
        return a;
    const Ast *ix = n->b;
    if (a->k == V_ARRAY)
        return keras_array_index(s, n, a, ix, ix->kind == AST_SLICE && ix->a ? sema_eval(s, ix->a) : NULL,
                                 ix->kind == AST_SLICE && ix->b ? sema_eval(s, ix->b) : NULL);
    if (a->k == V_HISTDICT)
        return keras_history_key(s, a, sema_eval(s, ix), ix);
    if (ix->kind == AST_SLICE && (a->k == V_TUPLE || a->k == V_LIST)) {
        /* x_train.shape[1:] and the like: Python's clamped slice */
        int64_t lo = 0, hi = a->n;
        if (ix->a && want_int(s, sema_eval(s, ix->a), ix->a, "a slice start", INT64_MIN, &lo))
            return val_err(s);
        if (ix->b && want_int(s, sema_eval(s, ix->b), ix->b, "a slice end", INT64_MIN, &hi))
            return val_err(s);
        if (lo < 0)
            lo += a->n;
        if (hi < 0)
            hi += a->n;
        lo = lo < 0 ? 0 : lo > a->n ? a->n : lo;
        hi = hi < lo ? lo : hi > a->n ? a->n : hi;
        Value *v = val_new(s, a->k);
        v->n = (int)(hi - lo);
        v->v = arena_alloc(s->arena, sizeof(Value *) * (size_t)(v->n + 1));
        for (int i = 0; i < v->n; i++)
            v->v[i] = a->v[lo + i];
        return v;
    }
    if (ix->kind == AST_SLICE || ix->kind == AST_TUPLE) {
        diag_error(s->diag, ix->loc, "slicing %s is not supported", val_kind_name(a));
        return val_err(s);
    }
    Value *i = sema_eval(s, ix);
    int64_t k;
    if (i->k == V_ERR)
        return i;
    if (a->k == V_RESULT && a->index < 0 && a->i) {
        if (want_int(s, i, ix, "an index", INT64_MIN, &k))
            return val_err(s);
        Value *r = val_new(s, V_RESULT);
        r->slot = a->slot;
        r->index = (int)k;
        if (k < 0 || k >= a->n) {
            diag_error(s->diag, ix->loc, "index %lld is out of range: the list has %d element%s",
                       (long long)k, a->n, a->n == 1 ? "" : "s");
            return val_err(s);
        }
        return r;
    }
    if (a->k != V_TUPLE && a->k != V_LIST) {
        diag_error(s->diag, n->a->loc, "%s cannot be indexed", val_kind_name(a));
        return val_err(s);
    }
    if (want_int(s, i, ix, "an index", INT64_MIN, &k))
        return val_err(s);
    if (k < 0)
        k += a->n;
    if (k < 0 || k >= a->n) {
        diag_error(s->diag, ix->loc, "index %lld is out of range: the %s has %d element%s",
                   (long long)i->i, a->k == V_TUPLE ? "tuple" : "list", a->n, a->n == 1 ? "" : "s");
        return val_err(s);
    }
    return a->v[k];
}

static Value *eval_call(Sema *s, const Ast *n)
{
    Value *f = sema_eval(s, n->a);
    Args a;
    memset(&a, 0, sizeof a);
    a.call = n;
    int bad = f->k == V_ERR;
    for (const Ast *k = n->kids; k; k = k->next) {
        if (k->kind == AST_KWARG) {
            if (a.nkw == ARGS_MAX) {
                diag_error(s->diag, k->loc, "too many arguments");
                return val_err(s);
            }
            a.kw[a.nkw++] = (Arg){k->str, sema_eval(s, k->a), k};
        } else {
            if (a.nkw) {
                diag_error(s->diag, k->loc, "positional argument follows keyword argument");
                bad = 1;
            }
            if (a.npos == ARGS_MAX) {
                diag_error(s->diag, k->loc, "too many arguments");
                return val_err(s);
            }
            a.pos[a.npos++] = (Arg){NULL, sema_eval(s, k), k};
        }
    }
    if (bad)
        return val_err(s);
    if (f->k == V_LAYER)
        return graph_call(s, f, &a);
    if (f->k == V_MODEL)
        return graph_call_model(s, f, &a);
    if (f->k != V_FUNC && f->k != V_METHOD) {
        diag_error(s->diag, n->a->loc, "%s is not callable", val_kind_name(f));
        return val_err(s);
    }
    return keras_call(s, f, &a);
}

Value *sema_eval(Sema *s, const Ast *n)
{
    switch (n->kind) {
    case AST_NAME: return eval_name(s, n);
    case AST_INT: return val_int(s, n->ival);
    case AST_FLOAT: {
        Value *v = val_new(s, V_FLOAT);
        v->f = n->fval;
        return v;
    }
    case AST_STR: {
        Value *v = val_new(s, V_STR);
        v->s = n->str;
        v->slen = n->slen;
        return v;
    }
    case AST_BOOL: {
        Value *v = val_new(s, V_BOOL);
        v->i = n->ival;
        return v;
    }
    case AST_NONE: return val_new(s, V_NONE);
    case AST_TUPLE:
    case AST_LIST: {
        Value *v = val_new(s, n->kind == AST_TUPLE ? V_TUPLE : V_LIST);
        v->n = ast_count(n->kids);
        v->v = arena_alloc(s->arena, sizeof(Value *) * (size_t)(v->n + 1));
        int i = 0;
        for (const Ast *k = n->kids; k; k = k->next)
            v->v[i++] = sema_eval(s, k);
        return v;
    }
    case AST_DICT: {
        Value *v = val_new(s, V_DICT);
        v->n = ast_count(n->kids);
        v->v = arena_alloc(s->arena, sizeof(Value *) * (size_t)(2 * v->n + 1));
        int i = 0;
        for (const Ast *k = n->kids; k; k = k->next) {
            v->v[i++] = sema_eval(s, k->a);
            v->v[i++] = sema_eval(s, k->b);
        }
        return v;
    }
    case AST_ATTR: {
        Value *o = sema_eval(s, n->a);
        if (o->k == V_ERR)
            return o;
        return keras_attr(s, n, o);
    }
    case AST_INDEX: return eval_index(s, n);
    case AST_CALL: return eval_call(s, n);
    case AST_UNARY: {
        Value *a = sema_eval(s, n->a);
        if (a->k == V_ERR)
            return a;
        if ((a->k != V_INT && a->k != V_FLOAT && a->k != V_BOOL) || a->sym) {
            diag_error(s->diag, n->loc, "unary '%c' is not supported on %s", n->op, val_kind_name(a));
            return val_err(s);
        }
        if (n->op == '+')
            return a;
        if (a->k == V_FLOAT) {
            Value *v = val_new(s, V_FLOAT);
            v->f = -a->f;
            return v;
        }
        if (a->i == INT64_MIN) {
            diag_error(s->diag, n->loc, "integer overflow");
            return val_err(s);
        }
        return val_int(s, -a->i);
    }
    case AST_BINOP: {
        Value *a = sema_eval(s, n->a), *b = sema_eval(s, n->b);
        return eval_binop(s, n, a, b);
    }
    case AST_SLICE:
        diag_error(s->diag, n->loc, "a slice is only allowed inside [ ]");
        return val_err(s);
    case AST_PAIR:
    case AST_KWARG:
    case AST_ASSIGN:
    case AST_AUGASSIGN:
    case AST_EXPR:
    case AST_IMPORT:
        break;
    }
    NNM_UNREACHABLE();
}

/* ---- statements -------------------------------------------------------------- */

static void assign(Sema *s, const Ast *target, Value *v)
{
    switch (target->kind) {
    case AST_NAME:
        bind_name(s, target->str, v);
        return;
    case AST_TUPLE:
    case AST_LIST: {
        int n = ast_count(target->kids);
        if (v->k == V_ERR) {
            for (const Ast *k = target->kids; k; k = k->next)
                assign(s, k, v);
            return;
        }
        if (v->k == V_RESULT && v->index < 0 && v->i && v->n == n) {
            /* loss, acc = model.evaluate(...) */
            int i = 0;
            for (const Ast *k = target->kids; k; k = k->next, i++) {
                Value *e = val_new(s, V_RESULT);
                e->slot = v->slot;
                e->index = i;
                assign(s, k, e);
            }
            return;
        }
        if (v->k != V_TUPLE && v->k != V_LIST) {
            diag_error(s->diag, target->loc, "cannot unpack %s into %d names", val_kind_name(v), n);
            for (const Ast *k = target->kids; k; k = k->next)
                assign(s, k, val_err(s));
            return;
        }
        if (v->n != n) {
            diag_error(s->diag, target->loc, "cannot unpack %d values into %d names", v->n, n);
            for (const Ast *k = target->kids; k; k = k->next)
                assign(s, k, val_err(s));
            return;
        }
        int i = 0;
        for (const Ast *k = target->kids; k; k = k->next)
            assign(s, k, v->v[i++]);
        return;
    }
    default:
        diag_error(s->diag, target->loc, "only names can be assigned to in .nnm files");
        return;
    }
}

static void stmt(Sema *s, const Ast *st)
{
    switch (st->kind) {
    case AST_IMPORT:
        return;
    case AST_EXPR:
        sema_eval(s, st->a);
        return;
    case AST_ASSIGN:
        assign(s, st->a, sema_eval(s, st->b));
        return;
    case AST_AUGASSIGN: {
        if (st->a->kind != AST_NAME) {
            diag_error(s->diag, st->a->loc, "only names can be assigned to in .nnm files");
            return;
        }
        Value *cur = eval_name(s, st->a), *rhs = sema_eval(s, st->b);
        Ast op = *st;
        op.kind = AST_BINOP;
        op.a = st->a;
        op.b = st->b;
        assign(s, st->a, eval_binop(s, &op, cur, rhs));
        return;
    }
    default:
        NNM_UNREACHABLE();
    }
}

NnmProgram *sema_run(const Ast *stmts, const SrcFile *src, Arena *arena, Diag *diag)
{
    Sema s;
    memset(&s, 0, sizeof s);
    s.arena = arena;
    s.diag = diag;
    s.src = src;
    s.prog = NEW(arena, NnmProgram);
    s.prog->file = src->name;
    sema_file_use(&s, src->name, FU_SOURCE, -1, NULL);
    for (const Ast *st = stmts; st && !diag->fatal; st = st->next)
        stmt(&s, st);
    keras_finish(&s);
    if (diag->n_errors)
        return NULL;
    return s.prog;
}

