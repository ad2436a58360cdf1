/* compiler/arrays.c — data sets at compile time: load_data(), and the numpy
 * idioms of data preparation (reshape, astype, / 255, slices,
 * to_categorical), tracked as views of a data set with a per-sample shape. */
#include "csv.h"
#include "sema_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- data arrays ------------------------------------------------------------------- */

Value *array_copy(Sema *s, const Value *a)
{
    Value *v = val_new(s, V_ARRAY);
    v->arr = NEW(s->arena, ArrayV);
    *v->arr = *a->arr;
    return v;
}

static Value *dataset_value(Sema *s, const NnmDataset *dp, const NnmShape *xs, const NnmShape *ys,
                            const int64_t n[2], const Args *a);

Value *load_data(Sema *s, int source, const Args *a)
{
    static const Param params[] = {{"path", 1, 0}, {"classes", 0, 0}, {NULL, 0, 0}};
    Value *val[2];
    const Ast *where[2];
    if (bind_args(s, a, "load_data", params, val, where))
        return val_err(s);
    NnmDataset d = {.source = source, .nclasses = 10};
    for (int i = 0; i < 10; i++)
        d.classes[i] = i;
    if (val[1] && val[1]->k != V_NONE) {
        Value *c = val[1];
        if (c->k != V_LIST && c->k != V_TUPLE) {
            diag_error(s->diag, where[1]->loc, "classes must be a list of labels such as [2, 3]");
            return val_err(s);
        }
        if (c->n < 2 || c->n > 10) {
            diag_error(s->diag, where[1]->loc, "classes must list 2 to 10 labels, got %d", c->n);
            return val_err(s);
        }
        int seen[10] = {0};
        for (int i = 0; i < c->n; i++) {
            int64_t k;
            if (want_int(s, c->v[i], where[1], "a class label", 0, &k))
                return val_err(s);
            if (k > 9) {
                diag_error(s->diag, where[1]->loc, "class %lld does not exist: labels are 0 to 9", (long long)k);
                return val_err(s);
            }
            if (seen[k]++) {
                diag_error(s->diag, where[1]->loc, "class %lld is listed twice", (long long)k);
                return val_err(s);
            }
            d.classes[i] = (int)k;
        }
        d.nclasses = c->n;
        d.filtered = 1;
    }
    int cifar = source == DS_CIFAR10;
    /* as Keras returns them: MNIST (N, 28, 28) and (N,); CIFAR-10 (N, 32, 32, 3) and (N, 1) */
    NnmShape xs = cifar ? (NnmShape){3, {32, 32, 3, 0}} : (NnmShape){2, {28, 28, 0, 0}};
    NnmShape ys = cifar ? (NnmShape){1, {1, 0, 0, 0}} : (NnmShape){0, {0}};
    int64_t n[2] = {d.filtered ? -1 : cifar ? 50000 : 60000, d.filtered ? -1 : 10000};
    return dataset_value(s, &d, &xs, &ys, n, a);
}

/* The data set d in the program, as Keras's ((x_train, y_train), (x_test,
 * y_test)) with these per-sample shapes and counts (-1: known when run). */
static Value *dataset_value(Sema *s, const NnmDataset *dp, const NnmShape *xs, const NnmShape *ys,
                            const int64_t n[2], const Args *a)
{
    NnmDataset d = *dp;
    NnmProgram *p = s->prog;
    /* a float per value and a label byte per sample, for the whole set
     * (before classes= filtering, which happens after it is read) */
    int64_t count = n[0] < 0 || n[1] < 0 ? (d.source == DS_CIFAR10 ? 60000 : 70000) : n[0] + n[1];
    s->mem_data += (double)count * (4.0 * (double)shape_size(xs) + 1.0);
    if (program_memory(s, a->call))
        return val_err(s);
    /* the IR is const to its readers; the compiler owns these arena arrays */
    NnmDataset *ds = arena_grow(s->arena, (void *)p->datasets, p->ndatasets, &s->cap_data, sizeof *ds);
    int id = p->ndatasets++;
    ds[id] = d;
    p->datasets = ds;
    Value *halves[2];
    for (int t = 0; t < 2; t++) {
        Value *pair = val_new(s, V_TUPLE);
        pair->n = 2;
        pair->v = arena_alloc(s->arena, 2 * sizeof(Value *));
        for (int isx = 1; isx >= 0; isx--) {
            Value *v = val_new(s, V_ARRAY);
            ArrayV *arr = v->arr = NEW(s->arena, ArrayV);
            arr->dataset = id;
            arr->test = t;
            arr->isx = isx;
            arr->n = n[t];
            arr->sample = isx ? *xs : *ys;
            arr->end = -1;
            arr->expect_n = -1;
            arr->nclasses = d.nclasses;
            arr->line = sema_line(s, a->call->loc);
            pair->v[1 - isx] = v;
        }
        halves[t] = pair;
    }
    Value *r = val_new(s, V_TUPLE);
    r->n = 2;
    r->v = arena_alloc(s->arena, 2 * sizeof(Value *));
    r->v[0] = halves[0];
    r->v[1] = halves[1];
    return r;
}

Value *sample_count(Sema *s, const ArrayV *a)
{
    Value *v = val_int(s, a->n);
    if (a->n < 0)
        v->sym = 1;
    return v;
}

Value *array_reshape(Sema *s, Value *av, const Args *a)
{
    ArrayV *arr = av->arr;
    if (a->nkw) {
        diag_error(s->diag, a->kw[0].node->loc, "reshape() takes the new shape only");
        return val_err(s);
    }
    const Value *const *dims = (const Value *const *)&a->pos[0].v;
    Value *tmp[ARGS_MAX];
    int nd = a->npos;
    for (int i = 0; i < nd; i++)
        tmp[i] = a->pos[i].v;
    dims = (const Value *const *)tmp;
    const Ast *at = a->call;
    if (nd == 1 && (tmp[0]->k == V_TUPLE || tmp[0]->k == V_LIST)) {
        nd = tmp[0]->n;
        dims = (const Value *const *)tmp[0]->v;
        at = a->pos[0].node;
    }
    if (nd < 1 || nd > NNM_MAX_RANK + 1) {
        diag_error(s->diag, at->loc, "reshape() needs 1 to %d sizes", NNM_MAX_RANK + 1);
        return val_err(s);
    }
    int64_t per = shape_size(&arr->sample);
    int64_t n = arr->n, d[NNM_MAX_RANK + 1];
    int infer = -1, first_sym = 0;
    int64_t known = 1;
    for (int i = 0; i < nd; i++) {
        const Value *v = dims[i];
        if (v->k == V_ERR)
            return val_err(s);
        if (v->k == V_INT && v->sym && i == 0) {
            first_sym = 1;
            d[0] = -2;
            continue;
        }
        if (v->k != V_INT || v->sym) {
            diag_error(s->diag, at->loc, "reshape() sizes must be integers, got %s", val_kind_name(v));
            return val_err(s);
        }
        if (v->i == -1) {
            if (infer >= 0) {
                diag_error(s->diag, at->loc, "reshape() can infer only one size (-1)");
                return val_err(s);
            }
            infer = i;
            d[i] = -1;
            continue;
        }
        if (v->i < 1 || v->i > ((int64_t)1 << 40)) {
            diag_error(s->diag, at->loc, "reshape() size %lld is not valid", (long long)v->i);
            return val_err(s);
        }
        d[i] = v->i;
        if (i > 0) {
            if (known > ((int64_t)1 << 40) / d[i]) {
                diag_error(s->diag, at->loc, "reshape() sizes are too large");
                return val_err(s);
            }
            known *= d[i];
        }
    }
    char have[128];
    {
        int o = snprintf(have, sizeof have, "(");
        o += n < 0 ? snprintf(have + o, sizeof have - (size_t)o, "N") : snprintf(have + o, sizeof have - (size_t)o, "%lld", (long long)n);
        for (int i = 0; i < arr->sample.rank; i++)
            o += snprintf(have + o, sizeof have - (size_t)o, ", %lld", (long long)arr->sample.dim[i]);
        snprintf(have + o, sizeof have - (size_t)o, "%s)", arr->sample.rank ? "" : ",");
    }
    /* the first size is the number of samples: nnmc keeps samples whole */
    if (infer == 0) {
        if (known == 0 || per % known != 0) {
            diag_error(s->diag, at->loc, "cannot reshape an array of shape %s: the sample size %lld is not a multiple of %lld",
                       have, (long long)per, (long long)known);
            return val_err(s);
        }
        if (known != per) {
            diag_error(s->diag, at->loc, "nnmc keeps samples whole: reshape of %s must keep %lld values per sample",
                       have, (long long)per);
            return val_err(s);
        }
    } else if (infer > 0) {
        if (per % known != 0) {
            diag_error(s->diag, at->loc, "cannot reshape an array of shape %s: %lld values per sample do not divide by %lld",
                       have, (long long)per, (long long)known);
            return val_err(s);
        }
        d[infer] = per / known;
        known = per;
    }
    if (known != per || (nd == 1 && per != 1)) {
        diag_error(s->diag, at->loc, "cannot reshape an array of shape %s into a shape with %lld value%s per sample",
                   have, (long long)(nd == 1 ? 1 : known), known == 1 ? "" : "s");
        return val_err(s);
    }
    Value *r = array_copy(s, av);
    ArrayV *ra = r->arr;
    if (!first_sym && infer != 0) {
        if (n >= 0 && d[0] != n) {
            diag_error(s->diag, at->loc, "cannot reshape an array of shape %s: it has %lld samples, not %lld",
                       have, (long long)n, (long long)d[0]);
            return val_err(s);
        }
        if (n < 0) {
            ra->expect_n = d[0];
            ra->line = sema_line(s, at->loc);
        }
    }
    ra->sample.rank = nd - 1;
    for (int i = 1; i < nd; i++)
        ra->sample.dim[i - 1] = d[i];
    return r;
}

/* The per-channel constants of image arithmetic: a number, or a tuple,
 * list or np.array of numbers broadcast over the last axis (numpy's rule),
 * as (x - mean) / std with CIFAR-10's three channel means. */
static int affine_operand(Sema *s, const ArrayV *a, Value *b, const Ast *at, int *n, double c[NNM_AFFINE_MAX])
{
    if (b->k != V_TUPLE && b->k != V_LIST) {
        *n = 1;
        return want_num(s, b, at, "the number", &c[0]) ? -1 : 0;
    }
    int64_t last = a->sample.rank > 0 ? a->sample.dim[a->sample.rank - 1] : 1;
    if (b->n != last || b->n > NNM_AFFINE_MAX) {
        if (b->n != last)
            diag_error(s->diag, at->loc, "%d constants do not broadcast over samples of %lld values on the last axis",
                       b->n, (long long)last);
        else
            diag_error(s->diag, at->loc, "per-channel constants: at most %d channels, got %d", NNM_AFFINE_MAX, b->n);
        return -1;
    }
    for (int i = 0; i < b->n; i++)
        if (want_num(s, b->v[i], at, "a per-channel constant", &c[i]))
            return -1;
    *n = b->n;
    return 0;
}

/* Arithmetic on images: x / 255 on a raw array is a no-op (nnmc's pixels
 * are in [0, 1] already, with or without it); anything else makes the
 * array's values exact in Keras's units (a raw array holding 0 .. 255),
 * composed into one affine map per channel that the runtime applies when it
 * copies a batch.  arr_left: the array is the left operand. */
Value *keras_array_arith(Sema *s, const Ast *n, Value *arr, int arr_left, Value *by, const Ast *by_node)
{
    const ArrayV *a = arr->arr;
    const char *opname = op_spelling(n->op);
    if (n->op != '+' && n->op != '-' && n->op != '*' && n->op != '/') {
        diag_error(s->diag, n->loc, "operator '%s' is not supported on images (only + - * / by numbers)", opname);
        return val_err(s);
    }
    if (!arr_left && n->op == '/') {
        diag_error(s->diag, n->loc, "a number divided by images is not supported (only x / c, x * c, x + c, x - c)");
        return val_err(s);
    }
    int nb;
    double c[NNM_AFFINE_MAX];
    if (affine_operand(s, a, by, by_node, &nb, c))
        return val_err(s);
    for (int i = 0; i < nb; i++)
        if (n->op == '/' && c[i] == 0) {
            diag_error(s->diag, by_node->loc, "division by zero");
            return val_err(s);
        }
    Value *r = array_copy(s, arr);
    ArrayV *ra = r->arr;
    if (!ra->cooked) {
        ra->cooked = 1;
        ra->nchan = 1;
        ra->add[0] = 0;
        if (n->op == '/' && arr_left && nb == 1 && c[0] == 255.0) {
            ra->mul[0] = 1; /* what nnmc's pixels are already */
            return r;
        }
        ra->mul[0] = 255; /* the raw array's Keras value */
    }
    /* the composed map has as many channels as its widest operand */
    int nc = nb > ra->nchan ? nb : ra->nchan;
    if (nc != ra->nchan) {
        for (int i = 1; i < nc; i++) {
            ra->mul[i] = ra->mul[0];
            ra->add[i] = ra->add[0];
        }
        ra->nchan = nc;
    }
    for (int i = 0; i < nc; i++) {
        double k = c[nb == 1 ? 0 : i];
        double *m = &ra->mul[i], *d = &ra->add[i];
        switch (n->op) {
        case '+': *d += k; break;
        case '-': if (arr_left) { *d -= k; } else { *m = -*m; *d = k - *d; } break;
        case '*': *m *= k; *d *= k; break;
        default: *m /= k; *d /= k; break;
        }
        if (!(fabs(*m) < 1e30 && fabs(*d) < 1e30)) {
            diag_error(s->diag, n->loc, "the images' values would overflow float32");
            return val_err(s);
        }
    }
    return r;
}

/* Labels are classes 0 .. nclasses-1, so any element-wise integer function
 * of them is a table: the array keeps its samples and gets a new map. */
Value *array_label_op(Sema *s, const Ast *n, Value *arr, Value *by, const Ast *by_node)
{
    const char *opname = op_spelling(n->op);
    int64_t k;
    if (n->op == '*' || n->op == '/') {
        diag_error(s->diag, n->loc, "labels take %%, //, + and - with an integer (y %% 2, y // 5); not '%s'", opname);
        return val_err(s);
    }
    if (want_int(s, by, by_node, "the number", INT64_MIN, &k))
        return val_err(s);
    const ArrayV *a = arr->arr;
    if (a->onehot) {
        diag_error(s->diag, n->loc, "'%s' on one-hot labels: apply it to the class numbers, before to_categorical()",
                   opname);
        return val_err(s);
    }
    if ((n->op == '%' || n->op == 'f') && k <= 0) {
        diag_error(s->diag, n->loc, "labels %s %lld: the number must be positive", opname, (long long)k);
        return val_err(s);
    }
    Value *r = array_copy(s, arr);
    ArrayV *ra = r->arr;
    int most = 0;
    for (int c = 0; c < a->nclasses && c < NNM_MAX_CLASSES; c++) {
        int64_t v = a->mapped ? a->map[c] : c;
        v = n->op == '%' ? v % k : n->op == 'f' ? v / k : n->op == '+' ? v + k : v - k; /* v >= 0, k > 0 for % and // */
        if (v < 0 || v >= NNM_MAX_CLASSES) {
            diag_error(s->diag, n->loc, "labels %s %lld make class %d into %lld; labels must stay in 0 .. %d", opname,
                       (long long)k, c, (long long)v, NNM_MAX_CLASSES - 1);
            return val_err(s);
        }
        ra->map[c] = (signed char)v;
        most = v > most ? (int)v : most;
    }
    ra->mapped = 1;
    ra->nclasses = most + 1;
    return r;
}

Value *keras_array_index(Sema *s, const Ast *n, Value *av, const Ast *ix, Value *lov, Value *hiv)
{
    if (ix->kind != AST_SLICE) {
        diag_error(s->diag, ix->loc, "an array can only be sliced by samples, as in x[:1000]");
        return val_err(s);
    }
    (void)n;
    int64_t lo = 0, hi = -1;
    ArrayV *a = av->arr;
    int64_t cnt = a->end < 0 ? -1 : a->end - a->begin; /* current view length if bounded */
    if (lov && want_int(s, lov, ix->a, "a slice start", 0, &lo))
        return val_err(s);
    if (hiv && want_int(s, hiv, ix->b, "a slice end", 0, &hi))
        return val_err(s);
    Value *r = array_copy(s, av);
    ArrayV *ra = r->arr;
    int64_t total = a->n;
    /* compose with an earlier slice; numpy clamps, and so does the runtime */
    int64_t nb = a->begin + lo;
    int64_t ne = hi < 0 ? a->end : a->begin + hi;
    if (cnt >= 0 && hi >= 0 && hi > cnt)
        ne = a->end;
    if (ne >= 0 && ne < nb)
        ne = nb;
    ra->begin = nb;
    ra->end = ne;
    if (total >= 0) {
        int64_t b = NNM_MIN(nb, total), e = ne < 0 ? total : NNM_MIN(ne, total);
        ra->n = e > b ? e - b : 0;
        ra->begin = b;
        ra->end = e;
    }
    ra->expect_n = -1;
    return r;
}

Value *to_categorical(Sema *s, const Args *a)
{
    static const Param params[] = {{"y", 1, 1}, {"num_classes", 1, 0}, {"dtype", 0, 0}, {NULL, 0, 0}};
    Value *val[3];
    const Ast *where[3];
    if (bind_args(s, a, "to_categorical", params, val, where))
        return val_err(s);
    if (val[0]->k != V_ARRAY || val[0]->arr->isx) {
        diag_error(s->diag, where[0]->loc, "to_categorical() expects the labels of a data set, got %s",
                   val[0]->k == V_ARRAY ? "pixels" : val_kind_name(val[0]));
        return val_err(s);
    }
    int64_t c = val[0]->arr->nclasses;
    if (val[1] && val[1]->k != V_NONE) {
        if (want_int(s, val[1], where[1], "num_classes", 1, &c))
            return val_err(s);
        if (c < val[0]->arr->nclasses) {
            diag_error(s->diag, where[1]->loc, "num_classes is %lld but the labels go up to %d",
                       (long long)c, val[0]->arr->nclasses - 1);
            return val_err(s);
        }
        if (c > 1000000) {
            diag_error(s->diag, where[1]->loc, "num_classes %lld is too large", (long long)c);
            return val_err(s);
        }
    }
    Value *r = array_copy(s, val[0]);
    r->arr->onehot = (int)c;
    r->arr->sample = (NnmShape){1, {c, 0, 0, 0}};
    return r;
}


/* load_csv(path, label_column=-1, test_split=0.2, seed=113, standardize=False):
 * ((x_train, y_train), (x_test, y_test)) from a CSV file read now, so that
 * its shapes are known (runtime/csv.c). */
Value *load_csv(Sema *s, const Args *a)
{
    static const Param params[] = {{"path", 1, 1}, {"label_column", 1, 0}, {"test_split", 1, 0}, {"seed", 1, 0},
                                   {"standardize", 1, 0}, {NULL, 0, 0}};
    Value *val[5];
    const Ast *where[5];
    if (bind_args(s, a, "load_csv", params, val, where))
        return val_err(s);
    NnmDataset d = {.source = DS_CSV, .test_split = 0.2, .split_seed = 113};
    const char *path, *label_name = NULL;
    int64_t label_col = -1, seed = 113;
    if (want_str(s, val[0], where[0], "the CSV file name", &path))
        return val_err(s);
    if (!*path || strlen(path) != val[0]->slen) {
        diag_error(s->diag, where[0]->loc, "the CSV file name is not valid");
        return val_err(s);
    }
    if (val[1] && val[1]->k == V_STR)
        label_name = val[1]->s;
    else if (val[1] && want_int(s, val[1], where[1], "label_column", -1000000, &label_col))
        return val_err(s);
    if (val[2] && want_num(s, val[2], where[2], "test_split", &d.test_split))
        return val_err(s);
    if (d.test_split < 0 || d.test_split >= 1) {
        diag_error(s->diag, where[2]->loc, "test_split must be in [0, 1), got %g", d.test_split);
        return val_err(s);
    }
    if (val[3] && want_int(s, val[3], where[3], "seed", 0, &seed))
        return val_err(s);
    d.split_seed = (uint64_t)seed;
    if (val[4] && want_bool(s, val[4], where[4], "standardize", &d.standardize))
        return val_err(s);
    if (sema_file_use(s, path, FU_CSV, -1, where[0]))
        return val_err(s);
    NnmCsvInfo info;
    char err[512];
    if (nnm_csv_probe(path, label_name, (int)(label_col < INT32_MIN ? INT32_MIN : label_col), &info, err, sizeof err)) {
        diag_error(s->diag, where[val[1] && strstr(err, "column") ? 1 : 0]->loc, "%s", err);
        return val_err(s);
    }
    d.path = path;
    d.label_column = info.label_column;
    d.nclasses = info.nclasses;
    d.features = info.features;
    d.rows = info.rows;
    int64_t ntrain = (int64_t)((double)info.rows * (1.0 - d.test_split));
    int64_t n[2] = {ntrain, info.rows - ntrain};
    NnmShape xs = {1, {info.features, 0, 0, 0}}, ys = {0, {0}};
    return dataset_value(s, &d, &xs, &ys, n, a);
}
