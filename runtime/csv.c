/* runtime/csv.c — tabular data from a CSV file (load_csv): numeric feature
 * columns and one label column of class names or numbers.
 *
 * The first line is a header when one of its fields is not a number.
 * Fields are separated by commas; a field may be quoted ("a, b"), with ""
 * for a quote inside.  The classes are the label column's distinct values,
 * sorted (as numbers when they all are, else as strings), numbered from 0.
 * The compiler reads the file too (nnm_csv_probe) so that shapes and class
 * counts are known before anything runs; the run checks that the file has
 * not changed shape since. */
#include "csv.h"
#include "files.h"
#include "rng.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CLASSES 256 /* labels are stored in a byte */

typedef struct {
    int64_t rows, cols;
    char **cells;        /* [rows * cols], into text */
    int header;          /* the first row is a header (not counted in rows) */
    char **names;        /* [cols] header names, or NULL */
    unsigned char *text; /* the file, its fields unquoted in place */
} Table;

static void table_free(Table *t)
{
    free(t->cells);
    free(t->names);
    free(t->text);
    memset(t, 0, sizeof *t);
}

/* A decimal number as Python's float() reads one, with blanks around it:
 * [+-] digits [. digits] [e [+-] digits]; not hexadecimal, inf or nan. */
static int number(const char *s, double *out)
{
    while (*s == ' ' || *s == '\t')
        s++;
    const char *p = s;
    int digits = 0;
    if (*p == '+' || *p == '-')
        p++;
    for (; *p >= '0' && *p <= '9'; p++)
        digits++;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            digits++;
    if (!digits)
        return 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (*p < '0' || *p > '9')
            return 0;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    const char *end = p;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p)
        return 0;
    char *stop;
    errno = 0;
    double v = strtod(s, &stop);
    if (stop != end || errno == ERANGE || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

/* The file's records: fields separated by commas, records by newlines
 * (\n, \r\n or \r); a quoted field ("a, b", "" for a quote) may hold
 * commas and newlines.  Each field is unquoted in place and ended by a NUL,
 * so the whole table costs the file and a pointer per field: the file may
 * take an eighth of what this process may allocate. */
static int read_table(const char *path, Table *t, char *err, size_t errsize)
{
    memset(t, 0, sizeof *t);
    size_t len;
    double limit = nnm_memory_limit() / 8;
    char what[64];
    snprintf(what, sizeof what, "%.0f MiB, an eighth of this process's memory", limit / (1 << 20));
    if (nnm_read_file_msg(path, (int64_t)limit, what, &t->text, &len, err, errsize))
        return -1;
    unsigned char *b = t->text, *nul = memchr(b, 0, len);
    if (nul) {
        int64_t line = 1;
        for (unsigned char *c = b; c < nul; c++)
            line += *c == '\n';
        snprintf(err, errsize, "%s:%lld: a NUL byte: not a text file", path, (long long)line);
        table_free(t);
        return -1;
    }
    char **row = NULL;
    int64_t ncap = 0, n = 0, cap = 0, line = 1;
    size_t p = 0;
    int rc = 0;
    while (p < len && rc == 0) {
        if (b[p] == '\n' || b[p] == '\r') { /* blank lines, e.g. at the end */
            line += b[p] == '\n' || (b[p] == '\r' && (p + 1 >= len || b[p + 1] != '\n'));
            p++;
            continue;
        }
        int64_t rline = line;
        n = 0;
        for (;;) { /* one field */
            size_t w = p;
            char *cell = (char *)b + p;
            if (b[p] == '"') {
                int64_t qline = line;
                for (p++;; p++) {
                    if (p >= len) {
                        snprintf(err, errsize, "%s:%lld: a quote is never closed", path, (long long)qline);
                        rc = -1;
                        break;
                    }
                    if (b[p] == '"' && p + 1 < len && b[p + 1] == '"')
                        b[w++] = '"', p++;
                    else if (b[p] == '"')
                        break;
                    else
                        line += b[p] == '\n', b[w++] = b[p];
                }
                if (rc)
                    break;
                p++;
                while (p < len && b[p] != ',' && b[p] != '\n' && b[p] != '\r')
                    p++; /* after the closing quote: ignored */
            } else {
                while (p < len && b[p] != ',' && b[p] != '\n' && b[p] != '\r')
                    p++;
                w = p;
            }
            int comma = p < len && b[p] == ',';
            int cr_lf = p + 1 < len && b[p] == '\r' && b[p + 1] == '\n';
            if (p < len)
                line += b[p] == '\n' || (b[p] == '\r' && !cr_lf);
            b[w] = 0; /* w <= p: the field's end or its delimiter */
            p += p < len ? 1 + cr_lf : 0;
            if (n == ncap)
                row = nnm_xrealloc(row, sizeof *row * (size_t)(ncap = ncap ? 2 * ncap : 64));
            row[n++] = cell;
            if (!comma)
                break;
        }
        if (rc)
            break;
        if (!t->cols && !t->names) {
            /* the first line: a header when some field is not a number */
            double v;
            int header = 0;
            for (int64_t i = 0; i < n; i++)
                header |= !number(row[i], &v);
            t->cols = n;
            if (header) {
                t->names = nnm_xmalloc(sizeof *t->names * (size_t)n);
                memcpy(t->names, row, sizeof *row * (size_t)n);
                t->header = 1;
                continue;
            }
        }
        if (n != t->cols) {
            snprintf(err, errsize, "%s:%lld: %lld fields, but the first line has %lld", path, (long long)rline,
                     (long long)n, (long long)t->cols);
            rc = -1;
            break;
        }
        if ((t->rows + 1) * t->cols > cap) {
            cap = cap ? 2 * cap : 1024 + t->cols;
            t->cells = nnm_xrealloc(t->cells, sizeof *t->cells * (size_t)cap);
        }
        memcpy(t->cells + t->rows * t->cols, row, sizeof *row * (size_t)n);
        t->rows++;
    }
    free(row);
    if (rc == 0 && t->rows == 0) {
        snprintf(err, errsize, "%s: no data rows", path);
        rc = -1;
    }
    if (rc == 0 && t->cols < 2) {
        snprintf(err, errsize, "%s: needs a label column and at least one feature column", path);
        rc = -1;
    }
    if (rc)
        table_free(t);
    return rc;
}

typedef struct {
    const char *s;
    double v;
} Label;

/* how compare_labels sorts (qsort passes no context): as numbers when every
 * label is one; set by classes_of just before its qsort */
static int numeric_labels;
static int compare_labels(const void *a, const void *b)
{
    const Label *x = a, *y = b;
    if (numeric_labels)
        return x->v < y->v ? -1 : x->v > y->v;
    return strcmp(x->s, y->s);
}

/* The distinct labels of column lc, sorted; their count, or -1 (err). */
static int classes_of(const Table *t, int64_t lc, Label *out, char *err, size_t errsize, const char *path)
{
    int n = 0, numeric = 1;
    for (int64_t r = 0; r < t->rows; r++) {
        const char *s = t->cells[r * t->cols + lc];
        int seen = 0;
        for (int i = 0; i < n && !seen; i++)
            seen = !strcmp(out[i].s, s);
        if (seen)
            continue;
        if (n == MAX_CLASSES) {
            snprintf(err, errsize, "%s: the label column has more than %d classes", path, MAX_CLASSES);
            return -1;
        }
        out[n].s = s;
        numeric &= number(s, &out[n].v);
        n++;
    }
    numeric_labels = numeric;
    qsort(out, (size_t)n, sizeof *out, compare_labels);
    return n;
}

static int label_index(const Table *t, const char *name, int index, int64_t *lc, char *err, size_t errsize,
                       const char *path)
{
    if (name) {
        for (int64_t c = 0; t->names && c < t->cols; c++)
            if (!strcmp(t->names[c], name)) {
                *lc = c;
                return 0;
            }
        snprintf(err, errsize, "%s: %s column '%s'", path, t->names ? "no" : "no header line, so no", name);
        return -1;
    }
    int64_t c = index < 0 ? t->cols + index : index;
    if (c < 0 || c >= t->cols) {
        snprintf(err, errsize, "%s: has %lld columns, so there is no column %d", path, (long long)t->cols, index);
        return -1;
    }
    *lc = c;
    return 0;
}

/* the features of row r (every column but lc) into x; -1 (err) for a non-number */
static int features_of(const Table *t, int64_t r, int64_t lc, float *x, char *err, size_t errsize, const char *path)
{
    int64_t k = 0;
    for (int64_t c = 0; c < t->cols; c++) {
        if (c == lc)
            continue;
        double v;
        if (!number(t->cells[r * t->cols + c], &v)) {
            snprintf(err, errsize, "%s:%lld: field %lld ('%.40s') is not a number", path,
                     (long long)(r + 1 + t->header), (long long)(c + 1), t->cells[r * t->cols + c]);
            return -1;
        }
        x[k++] = (float)v;
    }
    return 0;
}

int nnm_csv_probe(const char *path, const char *label_name, int label_col, NnmCsvInfo *info, char *err,
                  size_t errsize)
{
    Table t;
    if (read_table(path, &t, err, errsize))
        return -1;
    int64_t lc;
    Label *labels = nnm_xmalloc(sizeof *labels * MAX_CLASSES);
    float *x = nnm_xmalloc(sizeof *x * (size_t)t.cols);
    int rc = label_index(&t, label_name, label_col, &lc, err, errsize, path);
    int n = rc ? -1 : classes_of(&t, lc, labels, err, errsize, path);
    for (int64_t r = 0; r < t.rows && n >= 0 && rc == 0; r++)
        rc = features_of(&t, r, lc, x, err, errsize, path);
    if (n < 2 && n >= 0 && rc == 0) {
        snprintf(err, errsize, "%s: the label column has only one class", path);
        rc = -1;
    }
    if (n < 0)
        rc = -1;
    if (rc == 0)
        *info = (NnmCsvInfo){t.rows, t.cols - 1, n, (int)lc};
    free(labels);
    free(x);
    table_free(&t);
    return rc;
}

int nnm_csv_load(const NnmDataset *d, NnmData *out)
{
    char err[512];
    Table t;
    memset(out, 0, sizeof *out);
    if (read_table(d->path, &t, err, sizeof err)) {
        fprintf(stderr, "nnmc: error: %s\n", err);
        return -1;
    }
    int64_t lc = d->label_column, F = t.cols - 1;
    Label *labels = nnm_xmalloc(sizeof *labels * MAX_CLASSES);
    int n = lc < t.cols ? classes_of(&t, lc, labels, err, sizeof err, d->path) : -1;
    int rc = 0;
    if (n != d->nclasses || t.rows != d->rows || F != d->features) {
        if (n >= 0)
            snprintf(err, sizeof err, "%s: has changed since the program was compiled (%lld rows, %lld features, %d classes then; %lld, %lld, %d now)",
                     d->path, (long long)d->rows, (long long)d->features, d->nclasses, (long long)t.rows,
                     (long long)F, n);
        rc = -1;
    }
    /* the order of the rows: shuffled with split_seed, then the last
     * test_split of them is the test part (as Keras's boston_housing) */
    int64_t *order = nnm_xmalloc(sizeof *order * (size_t)(t.rows + 1));
    for (int64_t i = 0; i < t.rows; i++)
        order[i] = i;
    NnmRng rng;
    nnm_rng_seed(&rng, d->split_seed, RNG_CSV);
    for (int64_t i = t.rows - 1; i > 0; i--) {
        int64_t j = (int64_t)nnm_rng_below(&rng, (uint64_t)i + 1), k = order[i];
        order[i] = order[j];
        order[j] = k;
    }
    int64_t ntrain = (int64_t)((double)t.rows * (1.0 - d->test_split));
    for (int part = 0; part < 2 && rc == 0; part++) {
        NnmSplit *s = part ? &out->test : &out->train;
        int64_t from = part ? ntrain : 0, to = part ? t.rows : ntrain;
        s->n = to - from;
        s->rows = 1, s->cols = F, s->chans = 1;
        s->x = nnm_alloc_floats(s->n * F + 1);
        s->label = nnm_xcalloc((size_t)s->n + 1, 1);
        s->label_file = nnm_xstrdup(d->path);
        s->x_file = nnm_xstrdup(d->path);
        for (int64_t i = 0; i < s->n && rc == 0; i++) {
            int64_t r = order[from + i];
            rc = features_of(&t, r, lc, s->x + i * F, err, sizeof err, d->path);
            const char *key = t.cells[r * t.cols + lc];
            for (int c = 0; c < n; c++)
                if (!strcmp(labels[c].s, key))
                    s->label[i] = (uint8_t)c;
        }
    }
    if (rc == 0 && d->standardize) {
        /* mean 0 and standard deviation 1 per feature, by the training part */
        for (int64_t f = 0; f < F; f++) {
            double sum = 0, sq = 0;
            for (int64_t i = 0; i < out->train.n; i++) {
                double v = out->train.x[i * F + f];
                sum += v;
                sq += v * v;
            }
            double mean = out->train.n ? sum / (double)out->train.n : 0;
            double var = out->train.n ? sq / (double)out->train.n - mean * mean : 0;
            double sd = var > 1e-24 ? sqrt(var) : 1.0;
            for (int part = 0; part < 2; part++) {
                NnmSplit *s = part ? &out->test : &out->train;
                for (int64_t i = 0; i < s->n; i++)
                    s->x[i * F + f] = (float)(((double)s->x[i * F + f] - mean) / sd);
            }
        }
    }
    free(order);
    free(labels);
    table_free(&t);
    if (rc) {
        fprintf(stderr, "nnmc: error: %s\n", err);
        nnm_split_free(&out->train);
        nnm_split_free(&out->test);
        return -1;
    }
    out->nclasses = d->nclasses;
    return 0;
}
