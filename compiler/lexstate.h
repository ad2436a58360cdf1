/* compiler/lexstate.h — state shared by the flex scanner and the parser.
 *
 * Python's line structure: a NEWLINE token ends a statement only at bracket
 * depth 0 and only after a token on that line; blank and comment-only lines
 * produce nothing; leading whitespace on a statement line is an INDENT token,
 * which the grammar never accepts (.nnm files have no blocks). */
#ifndef NNM_LEXSTATE_H
#define NNM_LEXSTATE_H
#include "ast.h"

#define LEX_MAX_NESTING 100 /* brackets; deeper input is refused, not recursed */

typedef struct {
    ParseCtx *ctx;
    uint32_t off;                       /* byte offset of the next match */
    int depth;                          /* open brackets */
    Loc open[LEX_MAX_NESTING + 1];      /* where each open bracket is */
    char open_ch[LEX_MAX_NESTING + 1];
    int need_newline;                   /* a token was returned on this logical line */
    int at_start;                       /* first call: begin in line-start state */
    int fatal;                          /* stop: return end of file from now on */
} LexState;

LexState *nnm_yyget_extra(void *scanner);
/* Decodes a Python string literal (quotes and optional r/u prefix included)
 * into the arena; returns the decoded length in *len, and in *why and *at
 * (offset in text) an escape Python refuses or a NUL, when there is one. */
char *lex_decode_string(Arena *a, const char *text, size_t n, uint32_t *len, const char **why, size_t *at);
#endif
