/* compiler/ir.c — building the program's IR: steps and printed text, and
 * the checks of values that become IR fields (shapes, names from a list
 * such as losses or initializers).  Used by every file that builds a part
 * of the program; it uses only values.c. */
#include "sema_int.h"

#include <stdio.h>
#include <string.h>

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

int shape_same(const NnmShape *a, const NnmShape *b)
{
    if (a->rank != b->rank)
        return 0;
    for (int d = 0; d < a->rank; d++)
        if (a->dim[d] != b->dim[d])
            return 0;
    return 1;
}
