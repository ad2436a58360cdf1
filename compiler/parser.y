/* compiler/parser.y — grammar of .nnm files: the statement and expression
 * subset of Python that Keras scripts use.  Actions only build the AST;
 * all meaning is given in sema.c.  Errors are rendered by
 * yyreport_syntax_error below, and recovery resumes at the next line. */
%require "3.6"
%define api.pure full
%define api.prefix {nnm_yy}
%define api.token.prefix {TOK_}
%define api.value.type {Ast *}
%define api.location.type {Loc}
%define parse.error custom
%define parse.lac full
%locations
%expect 0
%param {void *scanner} {ParseCtx *ctx}

%code requires {
#include "ast.h"
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                          \
    do {                                                                     \
        if (N) {                                                             \
            (Cur).off = YYRHSLOC(Rhs, 1).off;                                \
            (Cur).len = YYRHSLOC(Rhs, N).off + YYRHSLOC(Rhs, N).len          \
                        - YYRHSLOC(Rhs, 1).off;                              \
        } else {                                                             \
            (Cur).off = YYRHSLOC(Rhs, 0).off + YYRHSLOC(Rhs, 0).len;         \
            (Cur).len = 0;                                                   \
        }                                                                    \
    } while (0)
}

%code {
#include <string.h>
#include "lexstate.h"
int nnm_yylex(NNM_YYSTYPE *lval, NNM_YYLTYPE *lloc, void *scanner, ParseCtx *ctx);
static void nnm_yyerror(NNM_YYLTYPE *loc, void *scanner, ParseCtx *ctx, const char *msg);

/* Lists are built by prepending (O(1) each, so long lists stay linear) and
 * reversed once when the enclosing node is made. */
static Ast *rev(Ast *l)
{
    Ast *r = NULL;
    while (l) {
        Ast *n = l->next;
        l->next = r;
        r = l;
        l = n;
    }
    return r;
}
static Ast *push(Ast *list, Ast *item) { item->next = list; return item; }
}

%token NAME "name" INT "integer" FLOAT "number" STRING "string"
%token TRUE "'True'" FALSE "'False'" NONE "'None'"
%token IMPORT "'import'" FROM "'from'" AS "'as'"
%token NEWLINE "end of line" INDENT "indentation"
%token AUGASSIGN "augmented assignment"
%token KEYWORD "keyword" OPERATOR "operator" BADSTR "unterminated string" FLOORDIV "'//'"
%token PREFIXSTR "string prefix" BIGINT "large integer" INVALID "invalid character"
%token END 0 "end of file"

%%

file
  : %empty
  | file line
  ;

line
  : stmts NEWLINE
  | error NEWLINE                   { yyerrok; }
  ;

stmts
  : stmt
  | stmts ';' stmt
  | stmts ';'
  ;

stmt
  : exprs                           { ast_add_stmt(ctx, ast_op(ctx, AST_EXPR, @$, 0, $1, NULL)); }
  | exprs '=' exprs                 { ast_add_stmt(ctx, ast_op(ctx, AST_ASSIGN, @$, 0, $1, $3)); }
  | exprs AUGASSIGN expr            { ast_add_stmt(ctx, ast_op(ctx, AST_AUGASSIGN, @$, $2->op, $1, $3)); }
  | IMPORT dotted_as_names          { ast_add_stmt(ctx, ast_new(ctx, AST_IMPORT, @$)); }
  | FROM dotted IMPORT import_names { ast_add_stmt(ctx, ast_new(ctx, AST_IMPORT, @$)); }
  ;

dotted
  : NAME
  | dotted '.' NAME
  ;
dotted_as
  : dotted
  | dotted AS NAME
  ;
dotted_as_names
  : dotted_as
  | dotted_as_names ',' dotted_as
  ;
name_as
  : NAME
  | NAME AS NAME
  ;
name_as_list
  : name_as
  | name_as_list ',' name_as
  ;
import_names
  : name_as_list
  | '(' name_as_list ')'
  | '(' name_as_list ',' ')'
  | '*'
  ;

/* a bare comma list is a tuple: `(a, b), (c, d) = ...`, `x = 1, 2` */
exprs
  : seq                             { $$ = $1->next ? ast_list(ctx, AST_TUPLE, @$, rev($1)) : $1; }
  | seq ','                         { $$ = ast_list(ctx, AST_TUPLE, @$, rev($1)); }
  ;
seq
  : expr                            { $$ = $1; }
  | seq ',' expr                    { $$ = push($1, $3); }
  ;

expr
  : term
  | expr '+' term                   { $$ = ast_op(ctx, AST_BINOP, @$, '+', $1, $3); }
  | expr '-' term                   { $$ = ast_op(ctx, AST_BINOP, @$, '-', $1, $3); }
  ;
term
  : factor
  | term '*' factor                 { $$ = ast_op(ctx, AST_BINOP, @$, '*', $1, $3); }
  | term '/' factor                 { $$ = ast_op(ctx, AST_BINOP, @$, '/', $1, $3); }
  | term '%' factor                 { $$ = ast_op(ctx, AST_BINOP, @$, '%', $1, $3); }
  | term FLOORDIV factor            { $$ = ast_op(ctx, AST_BINOP, @$, 'f', $1, $3); }
  ;
factor
  : primary
  | '-' factor                      { $$ = ast_op(ctx, AST_UNARY, @$, '-', $2, NULL); }
  | '+' factor                      { $$ = ast_op(ctx, AST_UNARY, @$, '+', $2, NULL); }
  ;
primary
  : atom
  | primary '.' NAME                { $$ = ast_op(ctx, AST_ATTR, @$, 0, $1, NULL); $$->str = $3->str; }
  | primary '(' args ')'            { $$ = ast_list(ctx, AST_CALL, @$, $3); $$->a = $1;
                                      if ($1->depth >= $$->depth) $$->depth = $1->depth + 1; }
  | primary '[' subscript ']'       { $$ = ast_op(ctx, AST_INDEX, @$, 0, $1, $3); }
  ;
atom
  : NAME
  | INT
  | FLOAT
  | strings
  | TRUE
  | FALSE
  | NONE
  | '(' ')'                         { $$ = ast_list(ctx, AST_TUPLE, @$, NULL); }
  | '(' exprs ')'                   { $$ = $2; }
  | '[' ']'                         { $$ = ast_list(ctx, AST_LIST, @$, NULL); }
  | '[' seq ']'                     { $$ = ast_list(ctx, AST_LIST, @$, rev($2)); }
  | '[' seq ',' ']'                 { $$ = ast_list(ctx, AST_LIST, @$, rev($2)); }
  | '{' '}'                         { $$ = ast_list(ctx, AST_DICT, @$, NULL); }
  | '{' pairs '}'                   { $$ = ast_list(ctx, AST_DICT, @$, rev($2)); }
  | '{' pairs ',' '}'               { $$ = ast_list(ctx, AST_DICT, @$, rev($2)); }
  ;
/* {key: value, ...}: class_weight= */
pairs
  : pair
  | pairs ',' pair                  { $$ = push($1, $3); }
  ;
pair
  : expr ':' expr                   { $$ = ast_op(ctx, AST_PAIR, @$, 0, $1, $3); }
  ;
strings
  : STRING
  | strings STRING                  {
        /* adjacent literals concatenate, as in Python */
        char *s = arena_alloc(ctx->arena, (size_t)$1->slen + $2->slen + 1);
        memcpy(s, $1->str, $1->slen);
        memcpy(s + $1->slen, $2->str, $2->slen);
        $$ = ast_new(ctx, AST_STR, @$);
        $$->str = s;
        $$->slen = $1->slen + $2->slen;
    }
  ;

args
  : %empty                          { $$ = NULL; }
  | arglist                         { $$ = rev($1); }
  | arglist ','                     { $$ = rev($1); }
  ;
arglist
  : arg                             { $$ = $1; }
  | arglist ',' arg                 { $$ = push($1, $3); }
  ;
arg
  : expr
  | NAME '=' expr                   { $$ = ast_op(ctx, AST_KWARG, @$, 0, $3, NULL); $$->str = $1->str; }
  ;

subscript
  : sub                             { $$ = $1; }
  | subseq ',' sub                  { $$ = ast_list(ctx, AST_TUPLE, @$, rev(push($1, $3))); }
  ;
subseq
  : sub
  | subseq ',' sub                  { $$ = push($1, $3); }
  ;
sub
  : expr
  | opt_expr ':' opt_expr           { $$ = ast_op(ctx, AST_SLICE, @$, 0, $1, $3); }
  ;
opt_expr
  : %empty                          { $$ = NULL; }
  | expr
  ;

%%

static const char *token_phrase(yysymbol_kind_t k)
{
    return yysymbol_name(k);
}

static int yyreport_syntax_error(const yypcontext_t *yyctx, void *scanner, ParseCtx *ctx)
{
    LexState *ls = nnm_yyget_extra(scanner);
    if (ls->fatal || ctx->diag->fatal)
        return 0;
    if (ctx->diag->n_errors >= ctx->diag->max_errors) {
        /* counted, not shown: skip the work of composing the message */
        diag_error(ctx->diag, *yypcontext_location(yyctx), "syntax error");
        return 0;
    }
    Loc at = *yypcontext_location(yyctx);
    yysymbol_kind_t tok = yypcontext_token(yyctx);
    const char *text = ctx->diag->src->text + at.off;
    int len = (int)at.len;
    Diag *d = ctx->diag;
    switch ((int)tok) {
    case YYSYMBOL_INDENT:
        diag_error(d, at, "unexpected indentation (a .nnm statement starts in column 1)");
        return 0;
    case YYSYMBOL_KEYWORD:
        diag_error(d, at, "'%.*s' is not supported in .nnm files", len, text);
        return 0;
    case YYSYMBOL_OPERATOR:
        diag_error(d, at, "operator '%.*s' is not supported in .nnm files", len, text);
        return 0;
    case YYSYMBOL_BADSTR:
        at.len = 1;
        diag_error(d, at, "unterminated string");
        return 0;
    case YYSYMBOL_PREFIXSTR:
        diag_error(d, at, "f-strings and byte strings are not supported in .nnm files");
        return 0;
    case YYSYMBOL_BIGINT:
        diag_error(d, at, "integer '%.*s' is too large", len, text);
        return 0;
    case YYSYMBOL_INVALID: {
        unsigned char c = (unsigned char)text[0];
        if (c >= 33 && c < 127)
            diag_error(d, at, "invalid character '%c'", c);
        else
            diag_error(d, at, "invalid byte 0x%02x", c);
        return 0;
    }
    default:
        break;
    }
    if (ls->depth > 0) {
        /* A bracket left open swallows the following lines; say so, and
         * forget the brackets so that recovery can resume at a line end. */
        Loc o = ls->open[ls->depth - 1];
        int oline, ocol, tline, tcol;
        diag_linecol(d->src, o.off, &oline, &ocol);
        diag_linecol(d->src, at.off, &tline, &tcol);
        if (tok == YYSYMBOL_YYEOF || tline > oline) {
            diag_error(d, o, "'%c' was never closed", ls->open_ch[ls->depth - 1]);
            ls->depth = 0;
            return 0;
        }
        ls->depth = 0;
    }
    yysymbol_kind_t exp[6];
    int n = yypcontext_expected_tokens(yyctx, exp, 6);
    char what[64];
    if (tok == YYSYMBOL_NEWLINE || tok == YYSYMBOL_YYEOF)
        snprintf(what, sizeof what, "%s", token_phrase(tok));
    else
        snprintf(what, sizeof what, "'%.*s'", len > 40 ? 40 : len, text);
    if (n > 0 && n <= 4) {
        char list[200] = "";
        for (int i = 0; i < n; i++) {
            const char *name = token_phrase(exp[i]);
            size_t l = strlen(list);
            snprintf(list + l, sizeof list - l, "%s%s", i == 0 ? "" : i == n - 1 ? " or " : ", ", name);
        }
        diag_error(d, at, "unexpected %s, expected %s", what, list);
    } else {
        diag_error(d, at, "unexpected %s", what);
    }
    return 0;
}

static void nnm_yyerror(NNM_YYLTYPE *loc, void *scanner, ParseCtx *ctx, const char *msg)
{
    (void)scanner;
    if (ctx->diag->fatal)
        return;
    if (strstr(msg, "exhausted")) {
        diag_error(ctx->diag, *loc, "expression nested too deeply");
        ctx->diag->fatal = 1;
    } else {
        diag_error(ctx->diag, *loc, "%s", msg);
    }
}
