/* compiler/diag.c — see diag.h. */
#include "diag.h"

#include <stdarg.h>
#include <string.h>

void diag_init(Diag *d, const SrcFile *src, FILE *out)
{
    memset(d, 0, sizeof *d);
    d->src = src;
    d->out = out;
    d->max_errors = 20;
}

void diag_linecol(const SrcFile *src, uint32_t off, int *line, int *col)
{
    if (off > src->size)
        off = src->size;
    int l = 1;
    uint32_t bol = 0;
    for (uint32_t i = 0; i < off; i++)
        if (src->text[i] == '\n') {
            l++;
            bol = i + 1;
        }
    *line = l;
    *col = (int)(off - bol) + 1;
}

static void show_line(Diag *d, Loc at, int line, int col)
{
    const char *t = d->src->text;
    uint32_t bol = at.off - (uint32_t)(col - 1), eol = bol;
    while (eol < d->src->size && t[eol] != '\n')
        eol++;
    /* Long lines (minified input, fuzzers) are cut around the caret so a
     * message stays readable. */
    uint32_t from = bol, to = eol;
    if (at.off - from > 100)
        from = at.off - 60;
    if (to - from > 160)
        to = from + 160;
    fprintf(d->out, "%5d | ", line);
    for (uint32_t i = from; i < to; i++) {
        unsigned char c = (unsigned char)t[i];
        fputc(c == '\t' || c == '\r' || c < 32 ? ' ' : c, d->out);
    }
    fprintf(d->out, "\n      | ");
    for (uint32_t i = from; i < at.off; i++)
        fputc(t[i] == '\t' ? '\t' : ' ', d->out);
    fputc('^', d->out);
    uint32_t len = at.len;
    if (at.off + len > to)
        len = to > at.off ? to - at.off : 0;
    for (uint32_t i = 1; i < len; i++)
        fputc('~', d->out);
    fputc('\n', d->out);
}

static void report(Diag *d, const char *kind, Loc at, const char *fmt, va_list ap)
{
    int line, col;
    diag_linecol(d->src, at.off, &line, &col);
    fprintf(d->out, "%s:%d:%d: %s: ", d->src->name, line, col, kind);
    vfprintf(d->out, fmt, ap);
    fputc('\n', d->out);
    show_line(d, at, line, col);
}

void diag_error(Diag *d, Loc at, const char *fmt, ...)
{
    d->n_errors++;
    if (d->n_errors > d->max_errors) {
        if (d->n_errors == d->max_errors + 1)
            fprintf(d->out, "%s: note: too many errors, stopping here\n", d->src->name);
        d->fatal = 1;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    report(d, "error", at, fmt, ap);
    va_end(ap);
}

void diag_note(Diag *d, Loc at, const char *fmt, ...)
{
    if (d->n_errors > d->max_errors)
        return;
    va_list ap;
    va_start(ap, fmt);
    report(d, "note", at, fmt, ap);
    va_end(ap);
}

int diag_finish(Diag *d)
{
    if (d->n_errors)
        fprintf(d->out, "%d error%s generated.\n", d->n_errors, d->n_errors == 1 ? "" : "s");
    return d->n_errors;
}

static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40)
        return 99;
    int row[41];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int prev = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int cur = row[j];
            int ca = a[i - 1] | 32, cb = b[j - 1] | 32; /* case-insensitive */
            int sub = prev + (ca != cb);
            int best = NNM_MIN(row[j] + 1, row[j - 1] + 1);
            row[j] = NNM_MIN(best, sub);
            prev = cur;
        }
    }
    return row[lb];
}

const char *diag_suggest(const char *word, const char *const *cands)
{
    const char *best = NULL;
    int bestd = 99;
    size_t wl = strlen(word);
    for (; *cands; cands++) {
        int dist = edit_distance(word, *cands);
        if (dist < bestd) {
            bestd = dist;
            best = *cands;
        }
    }
    int limit = wl <= 3 ? 1 : wl <= 6 ? 2 : 3;
    return bestd <= limit ? best : NULL;
}
