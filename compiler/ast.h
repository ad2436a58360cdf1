/* compiler/ast.h — the syntax tree of a .nnm file (a subset of Python).
 *
 * Nodes live in the compilation's arena.  Lists (statements, call
 * arguments, tuple/list elements) are singly linked through `next`.
 * Every node carries its source span; `depth` bounds recursion in later
 * passes (the parser refuses trees deeper than AST_MAX_DEPTH). */
#ifndef NNM_AST_H
#define NNM_AST_H
#include <stdint.h>
#include "arena.h"
#include "diag.h"

#define AST_MAX_DEPTH 200

typedef enum {
    /* expressions */
    AST_NAME,   /* str */
    AST_INT,    /* ival */
    AST_FLOAT,  /* fval */
    AST_STR,    /* str, slen (escapes already decoded) */
    AST_BOOL,   /* ival */
    AST_NONE,
    AST_TUPLE,  /* kids */
    AST_LIST,   /* kids */
    AST_DICT,   /* kids, each an AST_PAIR */
    AST_PAIR,   /* a : b, inside a dict */
    AST_ATTR,   /* a . str */
    AST_INDEX,  /* a [ b ] */
    AST_SLICE,  /* a : b, either may be NULL */
    AST_CALL,   /* a ( kids ), keyword arguments are AST_KWARG */
    AST_KWARG,  /* str = a */
    AST_UNARY,  /* op a, op is '-' or '+' */
    AST_BINOP,  /* a op b, op is one of + - * / %, or 'f' for // */
    /* statements */
    AST_ASSIGN, /* a = b */
    AST_AUGASSIGN, /* a op= b */
    AST_EXPR,   /* a */
    AST_IMPORT, /* accepted and ignored */
} AstKind;

typedef struct Ast Ast;
struct Ast {
    AstKind kind;
    Loc loc;
    int op;
    int depth;
    const char *str;
    uint32_t slen;
    int64_t ival;
    double fval;
    Ast *a, *b;
    Ast *kids; /* first element of a list */
    Ast *next; /* next sibling in the list this node belongs to */
};

typedef struct {
    Arena *arena;
    Diag *diag;
    void *scanner;
    Ast *stmts, **tail; /* the file's statements, in order */
    int too_deep;       /* reported once */
} ParseCtx;

Ast *ast_new(ParseCtx *c, AstKind kind, Loc loc);
Ast *ast_op(ParseCtx *c, AstKind kind, Loc loc, int op, Ast *a, Ast *b);
Ast *ast_list(ParseCtx *c, AstKind kind, Loc loc, Ast *first);
void ast_add_stmt(ParseCtx *c, Ast *s);
Loc loc_span(Loc a, Loc b);
int ast_count(const Ast *first);

/* Parses src; statements are left in ctx->stmts.  Errors go to diag. */
void nnm_parse(ParseCtx *ctx, const SrcFile *src);
/* Debug dumps used by the tests: one token per line, and an S-expression per statement. */
void nnm_dump_tokens(const SrcFile *src, Arena *arena, Diag *diag, FILE *out);
void ast_dump(const Ast *stmts, FILE *out);
#endif
