/* compiler/ast.c — AST constructors and the parse-tree dump used by tests. */
#include "ast.h"

#include <string.h>

Loc loc_span(Loc a, Loc b)
{
    Loc r = a;
    uint32_t end = NNM_MAX(a.off + a.len, b.off + b.len);
    if (b.off < r.off)
        r.off = b.off;
    r.len = end - r.off;
    return r;
}

static void check_depth(ParseCtx *c, Ast *n)
{
    if (n->depth > AST_MAX_DEPTH && !c->too_deep) {
        c->too_deep = 1;
        diag_error(c->diag, n->loc, "expression nested too deeply (more than %d levels)",
                   AST_MAX_DEPTH);
        c->diag->fatal = 1;
    }
}

Ast *ast_new(ParseCtx *c, AstKind kind, Loc loc)
{
    Ast *n = NEW(c->arena, Ast);
    n->kind = kind;
    n->loc = loc;
    n->depth = 1;
    return n;
}

Ast *ast_op(ParseCtx *c, AstKind kind, Loc loc, int op, Ast *a, Ast *b)
{
    Ast *n = ast_new(c, kind, loc);
    n->op = op;
    n->a = a;
    n->b = b;
    int d = 0;
    if (a)
        d = a->depth;
    if (b && b->depth > d)
        d = b->depth;
    n->depth = d + 1;
    check_depth(c, n);
    return n;
}

Ast *ast_list(ParseCtx *c, AstKind kind, Loc loc, Ast *first)
{
    Ast *n = ast_new(c, kind, loc);
    n->kids = first;
    int d = 0;
    for (Ast *k = first; k; k = k->next)
        if (k->depth > d)
            d = k->depth;
    n->depth = d + 1;
    check_depth(c, n);
    return n;
}

void ast_add_stmt(ParseCtx *c, Ast *s)
{
    if (!s)
        return;
    *c->tail = s;
    c->tail = &s->next;
}

int ast_count(const Ast *first)
{
    int n = 0;
    for (; first; first = first->next)
        n++;
    return n;
}

static void dump_str(const char *s, uint32_t n, FILE *out)
{
    fputc('\'', out);
    for (uint32_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\n')
            fputs("\\n", out);
        else if (ch == '\t')
            fputs("\\t", out);
        else if (ch == '\\' || ch == '\'')
            fprintf(out, "\\%c", ch);
        else if (ch < 32 || ch >= 127)
            fprintf(out, "\\x%02x", ch);
        else
            fputc(ch, out);
    }
    fputc('\'', out);
}

static void dump(const Ast *n, FILE *out)
{
    if (!n) {
        fputs("_", out);
        return;
    }
    switch (n->kind) {
    case AST_NAME: fputs(n->str, out); return;
    case AST_INT: fprintf(out, "%lld", (long long)n->ival); return;
    case AST_FLOAT: {
        char buf[40];
        nnm_pyfloat(buf, sizeof buf, n->fval);
        fputs(buf, out);
        return;
    }
    case AST_STR: dump_str(n->str, n->slen, out); return;
    case AST_BOOL: fputs(n->ival ? "True" : "False", out); return;
    case AST_NONE: fputs("None", out); return;
    case AST_TUPLE:
    case AST_LIST:
    case AST_CALL:
        fputs(n->kind == AST_TUPLE ? "(tuple" : n->kind == AST_LIST ? "(list" : "(call ", out);
        if (n->kind == AST_CALL)
            dump(n->a, out);
        for (const Ast *k = n->kids; k; k = k->next) {
            fputc(' ', out);
            dump(k, out);
        }
        fputc(')', out);
        return;
    case AST_ATTR: fputs("(. ", out); dump(n->a, out); fprintf(out, " %s)", n->str); return;
    case AST_INDEX: fputs("(index ", out); dump(n->a, out); fputc(' ', out); dump(n->b, out); fputc(')', out); return;
    case AST_DICT:
        fputs("(dict", out);
        for (const Ast *k = n->kids; k; k = k->next) {
            fputc(' ', out);
            dump(k, out);
        }
        fputc(')', out);
        return;
    case AST_PAIR: fputs("(: ", out); dump(n->a, out); fputc(' ', out); dump(n->b, out); fputc(')', out); return;
    case AST_SLICE: fputs("(slice ", out); dump(n->a, out); fputc(' ', out); dump(n->b, out); fputc(')', out); return;
    case AST_KWARG: fprintf(out, "(kw %s ", n->str); dump(n->a, out); fputc(')', out); return;
    case AST_UNARY: fprintf(out, "(%c ", n->op); dump(n->a, out); fputc(')', out); return;
    case AST_BINOP:
        if (n->op == 'f')
            fputs("(// ", out);
        else
            fprintf(out, "(%c ", n->op);
        dump(n->a, out);
        fputc(' ', out);
        dump(n->b, out);
        fputc(')', out);
        return;
    case AST_ASSIGN: fputs("(= ", out); dump(n->a, out); fputc(' ', out); dump(n->b, out); fputc(')', out); return;
    case AST_AUGASSIGN: fprintf(out, "(%c= ", n->op); dump(n->a, out); fputc(' ', out); dump(n->b, out); fputc(')', out); return;
    case AST_EXPR: fputs("(expr ", out); dump(n->a, out); fputc(')', out); return;
    case AST_IMPORT: fputs("(import)", out); return;
    }
    NNM_UNREACHABLE();
}

void ast_dump(const Ast *stmts, FILE *out)
{
    for (const Ast *s = stmts; s; s = s->next) {
        int line, col;
        (void)line;
        (void)col;
        dump(s, out);
        fputc('\n', out);
    }
}
