/* runtime/layers/merge.c — the merge layers of the functional API: one
 * output from several tensors (keras.layers.merge in Keras 2.2).
 *
 *   Add, Subtract, Multiply, Average, Maximum, Minimum
 *       element-wise over inputs of one shape (Subtract: exactly two);
 *       Maximum and Minimum send the gradient to the first input that holds
 *       the extreme, as TensorFlow's maximum/minimum do pairwise
 *   Concatenate(axis=-1)
 *       inputs equal but along axis; in_axis[k] is input k's size there
 *   Dot(axes, normalize=False)
 *       two inputs of rank 1 or 2 per sample: Keras's batch_dot contracting
 *       input 0's axis in_axis[0] with input 1's in_axis[1]; rank 1 gives
 *       (1,), rank 2 gives (input 0's other size, input 1's other size);
 *       normalize: each contracted vector divided by its l2 norm first
 *       (K.l2_normalize: sqrt(max(Σx², 1e-12)))
 *
 * None has weights.  Every input gradient is written (overwritten) when
 * asked for; net.c adds up the gradients of tensors used more than once. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "layer.h"

typedef struct {
    int64_t axis;              /* Keras's (-1: the last); once inferred, the per-sample axis */
    int64_t in_axis[NNM_MAX_IN]; /* each input's size along it (inferred) */
} ConcatAttr;
typedef struct {
    int64_t axes[2];           /* Keras's axes of the two inputs; once inferred, 0-based per sample */
    int normalize;             /* the l2-normalised inputs' dot product (cosine) */
} DotAttr;

static const ArgSpec no_args[] = {{0}};
static const ArgSpec concat_args[] = {
    {.name = "axis", .type = ARG_INT, ATTR(ConcatAttr, axis), .positional = 1, .min = -5, .max = 5},
    {.name = "in_axis", .type = ARG_INTS, ATTR(ConcatAttr, in_axis), .derived = 1, .count = NNM_MAX_IN},
    {0},
};
static const ArgSpec dot_args[] = {
    {.name = "axes", .type = ARG_PAIR, ATTR(DotAttr, axes), .positional = 1, .required = 1, .min = -3},
    {.name = "normalize", .type = ARG_BOOL, ATTR(DotAttr, normalize), .positional = 1},
    {0},
};

static void merge_defaults(NnmLayer *l) { (void)l; }
static void concat_defaults(NnmLayer *l)
{
    ConcatAttr *ca = l->attr;
    ca->axis = -1;
}

static int64_t no_scratch(const NnmLayer *l) { (void)l; return 0; }

/* infer() of one input: a merge needs a list (Sequential.add of one) */
static int merge_single(NnmLayer *l, char *err, size_t n)
{
    const char *name = layer_kinds[l->kind]->name;
    snprintf(err, n, "%s merges a list of tensors: call it on them in a functional model, e.g. %s()([a, b])",
             name, name);
    return -1;
}

static int too_few(NnmLayer *l, int want, int exact, char *err, size_t n)
{
    const char *name = layer_kinds[l->kind]->name;
    if (exact && l->nin != want) {
        snprintf(err, n, "%s takes exactly %d tensors, got %d", name, want, l->nin);
        return -1;
    }
    if (l->nin < want) {
        snprintf(err, n, "%s takes a list of at least %d tensors, got %d", name, want, l->nin);
        return -1;
    }
    return 0;
}

static int same_shapes(NnmLayer *l, const NnmShape *ins, char *err, size_t n)
{
    if (too_few(l, 2, l->kind == LK_SUBTRACT, err, n))
        return -1;
    for (int k = 1; k < l->nin; k++) {
        int same = ins[k].rank == ins[0].rank;
        for (int d = 0; same && d < ins[0].rank; d++)
            same = ins[k].dim[d] == ins[0].dim[d];
        if (!same) {
            char a[96], b[96];
            shape_str(&ins[0], a, sizeof a);
            shape_str(&ins[k], b, sizeof b);
            snprintf(err, n, "%s needs inputs of one shape, but input 0 is %s and input %d is %s",
                     layer_kinds[l->kind]->name, a, k, b);
            return -1;
        }
    }
    l->in = ins[0];
    l->out = ins[0];
    l->nparams = 0;
    return 0;
}

static int64_t values(const LayerRun *r) { return r->batch * shape_size(&r->l->out); }

/* ---- element-wise --------------------------------------------------------------------- */

static void sum_forward(const LayerRun *r)
{
    const int64_t len = values(r);
    const int k = r->l->nin;
    memcpy(r->y, r->xs[0], (size_t)len * sizeof *r->y);
    for (int j = 1; j < k; j++)
        for (int64_t i = 0; i < len; i++)
            r->y[i] += r->xs[j][i];
    if (r->l->kind == LK_AVERAGE)
        for (int64_t i = 0; i < len; i++)
            r->y[i] /= (float)k;
}

static void sum_backward(const LayerRun *r)
{
    const int64_t len = values(r);
    for (int j = 0; j < r->l->nin; j++) {
        if (!r->dxs[j])
            continue;
        if (r->l->kind == LK_AVERAGE)
            for (int64_t i = 0; i < len; i++)
                r->dxs[j][i] = r->dy[i] / (float)r->l->nin;
        else
            memcpy(r->dxs[j], r->dy, (size_t)len * sizeof *r->dy);
    }
}

static void subtract_forward(const LayerRun *r)
{
    for (int64_t i = 0, len = values(r); i < len; i++)
        r->y[i] = r->xs[0][i] - r->xs[1][i];
}

static void subtract_backward(const LayerRun *r)
{
    const int64_t len = values(r);
    if (r->dxs[0])
        memcpy(r->dxs[0], r->dy, (size_t)len * sizeof *r->dy);
    if (r->dxs[1])
        for (int64_t i = 0; i < len; i++)
            r->dxs[1][i] = -r->dy[i];
}

static void multiply_forward(const LayerRun *r)
{
    const int64_t len = values(r);
    memcpy(r->y, r->xs[0], (size_t)len * sizeof *r->y);
    for (int j = 1; j < r->l->nin; j++)
        for (int64_t i = 0; i < len; i++)
            r->y[i] *= r->xs[j][i];
}

/* d/dx_j of x_0 ... x_{k-1}: the product of the others, multiplied in
 * input order (not y / x_j, which a zero input would break) */
static void multiply_backward(const LayerRun *r)
{
    const int64_t len = values(r);
    const int k = r->l->nin;
    for (int j = 0; j < k; j++) {
        float *dx = r->dxs[j];
        if (!dx)
            continue;
        for (int64_t i = 0; i < len; i++) {
            float p = r->dy[i];
            for (int q = 0; q < k; q++)
                if (q != j)
                    p *= r->xs[q][i];
            dx[i] = p;
        }
    }
}

/* the first input holding the extreme at i */
static int extreme_at(const LayerRun *r, int64_t i)
{
    int best = 0;
    float v = r->xs[0][i];
    for (int j = 1; j < r->l->nin; j++) {
        float x = r->xs[j][i];
        if (r->l->kind == LK_MAXIMUM ? x > v : x < v) {
            v = x;
            best = j;
        }
    }
    return best;
}

static void extreme_forward(const LayerRun *r)
{
    for (int64_t i = 0, len = values(r); i < len; i++)
        r->y[i] = r->xs[extreme_at(r, i)][i];
}

static void extreme_backward(const LayerRun *r)
{
    for (int64_t i = 0, len = values(r); i < len; i++) {
        int best = extreme_at(r, i);
        for (int j = 0; j < r->l->nin; j++)
            if (r->dxs[j])
                r->dxs[j][i] = j == best ? r->dy[i] : 0.0f;
    }
}

/* ---- Concatenate ----------------------------------------------------------------------- */

static int concat_infer(NnmLayer *l, const NnmShape *ins, char *err, size_t n)
{
    ConcatAttr *ca = l->attr;
    if (too_few(l, 2, 0, err, n))
        return -1;
    const int rank = ins[0].rank;
    int64_t a = ca->axis < 0 ? ca->axis + rank + 1 : ca->axis; /* Keras counts the batch axis */
    if (a < 1 || a > rank) {
        snprintf(err, n, "Concatenate: axis %lld is not an axis of the inputs (1 to %d, or -1 for the last; "
                 "axis 0 is the batch)", (long long)ca->axis, rank);
        return -1;
    }
    a -= 1;
    int64_t total = 0;
    for (int k = 0; k < l->nin; k++) {
        int fits = ins[k].rank == rank;
        for (int d = 0; fits && d < rank; d++)
            fits = d == a || ins[k].dim[d] == ins[0].dim[d];
        if (!fits) {
            char s0[96], sk[96];
            shape_str(&ins[0], s0, sizeof s0);
            shape_str(&ins[k], sk, sizeof sk);
            snprintf(err, n, "Concatenate(axis=%lld) needs inputs equal but along that axis, but input 0 is %s "
                     "and input %d is %s", (long long)ca->axis, s0, k, sk);
            return -1;
        }
        ca->in_axis[k] = ins[k].dim[a];
        total += ins[k].dim[a];
    }
    ca->axis = a;
    l->in = ins[0];
    l->out = ins[0];
    l->out.dim[a] = total;
    l->nparams = 0;
    return 0;
}

/* the samples' values split as [outer][axis][inner] */
static void concat_split(const NnmLayer *l, int64_t *outer, int64_t *inner)
{
    const ConcatAttr *ca = l->attr;
    *outer = *inner = 1;
    for (int d = 0; d < l->out.rank; d++) {
        if (d < ca->axis)
            *outer *= l->out.dim[d];
        if (d > ca->axis)
            *inner *= l->out.dim[d];
    }
}

static void concat_move(const LayerRun *r, int back)
{
    const NnmLayer *l = r->l;
    const ConcatAttr *ca = l->attr;
    int64_t outer, inner;
    concat_split(l, &outer, &inner);
    const int64_t rows = r->batch * outer, row = l->out.dim[ca->axis] * inner;
    int64_t at = 0;
    for (int k = 0; k < l->nin; k++) {
        const int64_t part = ca->in_axis[k] * inner;
        if (!back || r->dxs[k])
            for (int64_t o = 0; o < rows; o++) {
                if (back)
                    memcpy(r->dxs[k] + o * part, r->dy + o * row + at, (size_t)part * sizeof(float));
                else
                    memcpy(r->y + o * row + at, r->xs[k] + o * part, (size_t)part * sizeof(float));
            }
        at += part;
    }
}

static void concat_forward(const LayerRun *r) { concat_move(r, 0); }
static void concat_backward(const LayerRun *r) { concat_move(r, 1); }

/* ---- Dot ------------------------------------------------------------------------------ */

/* Input j of a sample as a matrix V_j(m, k): k runs along the contracted
 * axis, m along the other one (size 1 for rank 1). */
typedef struct {
    int64_t m, k;          /* sizes */
    int64_t sm, sk;        /* strides */
} DotView;

static DotView dot_view(const NnmShape *s, int64_t axis)
{
    if (s->rank == 1)
        return (DotView){1, s->dim[0], 0, 1};
    if (axis == 1)
        return (DotView){s->dim[0], s->dim[1], s->dim[1], 1};
    return (DotView){s->dim[1], s->dim[0], 1, s->dim[1]};
}

/* the second input's shape, which out and the first input determine */
static NnmShape dot_in1(const NnmLayer *l)
{
    const DotAttr *da = l->attr;
    if (l->in.rank == 1)
        return l->in;
    int64_t n = l->out.dim[1], k = dot_view(&l->in, da->axes[0]).k;
    return da->axes[1] == 0 ? (NnmShape){2, {k, n, 0, 0}} : (NnmShape){2, {n, k, 0, 0}};
}

static int dot_infer(NnmLayer *l, const NnmShape *ins, char *err, size_t n)
{
    DotAttr *da = l->attr;
    if (too_few(l, 2, 1, err, n))
        return -1;
    char s0[96], s1[96];
    shape_str(&ins[0], s0, sizeof s0);
    shape_str(&ins[1], s1, sizeof s1);
    if (ins[0].rank != ins[1].rank || ins[0].rank > 2) {
        snprintf(err, n, "nnmc's Dot takes two inputs of one rank, (None, n) or (None, a, b), but gets %s and %s",
                 s0, s1);
        return -1;
    }
    const int rank = ins[0].rank;
    for (int j = 0; j < 2; j++) {
        int64_t a = da->axes[j] < 0 ? da->axes[j] + rank + 1 : da->axes[j];
        if (a < 1 || a > rank) {
            snprintf(err, n, "Dot: axes (%lld, %lld) are not axes of %s and %s (1 to %d, or -1; 0 is the batch)",
                     (long long)da->axes[0], (long long)da->axes[1], s0, s1, rank);
            return -1;
        }
        da->axes[j] = a - 1;
    }
    DotView a = dot_view(&ins[0], da->axes[0]), b = dot_view(&ins[1], da->axes[1]);
    if (a.k != b.k) {
        snprintf(err, n, "Dot: the contracted axes of %s and %s differ in size (%lld and %lld)", s0, s1,
                 (long long)a.k, (long long)b.k);
        return -1;
    }
    l->in = ins[0];
    l->out = rank == 1 ? (NnmShape){1, {1, 0, 0, 0}} : (NnmShape){2, {a.m, b.m, 0, 0}};
    l->nparams = 0;
    return 0;
}

/* normalize: the two inputs normalised, then their vectors' norms */
static int64_t dot_scratch(const NnmLayer *l)
{
    const DotAttr *da = l->attr;
    if (!da->normalize)
        return 0;
    NnmShape s1 = dot_in1(l);
    DotView a = dot_view(&l->in, da->axes[0]), b = dot_view(&s1, da->axes[1]);
    return shape_size(&l->in) + shape_size(&s1) + a.m + b.m;
}

/* u = x / |x| per vector; norm[m] is |x|, or -1e-6 where Σx² <= 1e-12 and
 * the floor sqrt(1e-12) divides instead */
static void l2_normalize(const DotView *v, const float *x, float *u, float *norm)
{
    for (int64_t m = 0; m < v->m; m++) {
        double s = 0;
        for (int64_t k = 0; k < v->k; k++) {
            float e = x[m * v->sm + k * v->sk];
            s += (double)e * e;
        }
        norm[m] = s > 1e-12 ? (float)sqrt(s) : -1e-6f;
        for (int64_t k = 0; k < v->k; k++)
            u[m * v->sm + k * v->sk] = x[m * v->sm + k * v->sk] / fabsf(norm[m]);
    }
}

/* d: dL/du in, dL/dx out: (du - u (u·du)) / |x|, or du / 1e-6 at the floor
 * (where the divisor does not depend on x) */
static void l2_normalize_back(const DotView *v, const float *u, const float *norm, float *d)
{
    for (int64_t m = 0; m < v->m; m++) {
        double ud = 0;
        for (int64_t k = 0; k < v->k; k++) {
            int64_t i = m * v->sm + k * v->sk;
            ud += (double)u[i] * d[i];
        }
        for (int64_t k = 0; k < v->k; k++) {
            int64_t i = m * v->sm + k * v->sk;
            d[i] = norm[m] < 0 ? d[i] / -norm[m] : (float)((d[i] - u[i] * ud) / norm[m]);
        }
    }
}

typedef struct {
    DotView a, b;
    int64_t sa, sb, so;    /* values per sample of the inputs and the output */
    const float *x0, *x1;  /* the (normalised) inputs */
    float *n0, *n1;        /* their norms, or NULL */
} DotJob;

static DotJob dot_job(const LayerRun *r)
{
    const NnmLayer *l = r->l;
    const DotAttr *da = l->attr;
    NnmShape s1 = dot_in1(l);
    DotJob j = {dot_view(&l->in, da->axes[0]), dot_view(&s1, da->axes[1]), shape_size(&l->in),
                shape_size(&s1), shape_size(&l->out), r->xs[0], r->xs[1], NULL, NULL};
    if (da->normalize) {
        float *u0 = r->scratch, *u1 = u0 + r->batch * j.sa;
        j.n0 = u1 + r->batch * j.sb;
        j.n1 = j.n0 + r->batch * j.a.m;
        j.x0 = u0;
        j.x1 = u1;
    }
    return j;
}

static void dot_forward(const LayerRun *r)
{
    DotJob j = dot_job(r);
    for (int64_t s = 0; s < r->batch; s++) {
        if (((const DotAttr *)r->l->attr)->normalize) {
            l2_normalize(&j.a, r->xs[0] + s * j.sa, (float *)j.x0 + s * j.sa, j.n0 + s * j.a.m);
            l2_normalize(&j.b, r->xs[1] + s * j.sb, (float *)j.x1 + s * j.sb, j.n1 + s * j.b.m);
        }
        const float *a = j.x0 + s * j.sa, *b = j.x1 + s * j.sb;
        float *y = r->y + s * j.so;
        for (int64_t m = 0; m < j.a.m; m++)
            for (int64_t n = 0; n < j.b.m; n++) {
                float acc = 0;
                for (int64_t k = 0; k < j.a.k; k++)
                    acc += a[m * j.a.sm + k * j.a.sk] * b[n * j.b.sm + k * j.b.sk];
                y[m * j.b.m + n] = acc;
            }
    }
}

static void dot_backward(const LayerRun *r)
{
    DotJob j = dot_job(r);
    for (int64_t s = 0; s < r->batch; s++) {
        const float *a = j.x0 + s * j.sa, *b = j.x1 + s * j.sb, *dy = r->dy + s * j.so;
        float *da = r->dxs[0] ? r->dxs[0] + s * j.sa : NULL, *db = r->dxs[1] ? r->dxs[1] + s * j.sb : NULL;
        if (da) {
            for (int64_t m = 0; m < j.a.m; m++)
                for (int64_t k = 0; k < j.a.k; k++) {
                    float acc = 0;
                    for (int64_t n = 0; n < j.b.m; n++)
                        acc += dy[m * j.b.m + n] * b[n * j.b.sm + k * j.b.sk];
                    da[m * j.a.sm + k * j.a.sk] = acc;
                }
            if (((const DotAttr *)r->l->attr)->normalize)
                l2_normalize_back(&j.a, a, j.n0 + s * j.a.m, da);
        }
        if (db) {
            for (int64_t n = 0; n < j.b.m; n++)
                for (int64_t k = 0; k < j.b.k; k++) {
                    float acc = 0;
                    for (int64_t m = 0; m < j.a.m; m++)
                        acc += dy[m * j.b.m + n] * a[m * j.a.sm + k * j.a.sk];
                    db[n * j.b.sm + k * j.b.sk] = acc;
                }
            if (((const DotAttr *)r->l->attr)->normalize)
                l2_normalize_back(&j.b, b, j.n1 + s * j.b.m, db);
        }
    }
}

/* (each LayerKind spelled out: `nnmc emit --inference` finds the forward
 * function of a kind by reading its definition) */
const LayerKind layer_add = {
    .name = "Add", .snake = "add", .args = no_args, .defaults = merge_defaults, .infer = merge_single,
    .infer_inputs = same_shapes, .scratch = no_scratch, .weights = layer_no_weights, .init = layer_no_init,
    .forward = sum_forward, .backward = sum_backward,
};

const LayerKind layer_subtract = {
    .name = "Subtract", .snake = "subtract", .args = no_args, .defaults = merge_defaults, .infer = merge_single,
    .infer_inputs = same_shapes, .scratch = no_scratch, .weights = layer_no_weights, .init = layer_no_init,
    .forward = subtract_forward, .backward = subtract_backward,
};

const LayerKind layer_multiply = {
    .name = "Multiply", .snake = "multiply", .args = no_args, .defaults = merge_defaults, .infer = merge_single,
    .infer_inputs = same_shapes, .scratch = no_scratch, .weights = layer_no_weights, .init = layer_no_init,
    .forward = multiply_forward, .backward = multiply_backward,
};

const LayerKind layer_average = {
    .name = "Average", .snake = "average", .args = no_args, .defaults = merge_defaults, .infer = merge_single,
    .infer_inputs = same_shapes, .scratch = no_scratch, .weights = layer_no_weights, .init = layer_no_init,
    .forward = sum_forward, .backward = sum_backward,
};

const LayerKind layer_maximum = {
    .name = "Maximum", .snake = "maximum", .args = no_args, .defaults = merge_defaults, .infer = merge_single,
    .infer_inputs = same_shapes, .scratch = no_scratch, .weights = layer_no_weights, .init = layer_no_init,
    .forward = extreme_forward, .backward = extreme_backward,
};

const LayerKind layer_minimum = {
    .name = "Minimum", .snake = "minimum", .args = no_args, .defaults = merge_defaults, .infer = merge_single,
    .infer_inputs = same_shapes, .scratch = no_scratch, .weights = layer_no_weights, .init = layer_no_init,
    .forward = extreme_forward, .backward = extreme_backward,
};

const LayerKind layer_concatenate = {
    .name = "Concatenate", .snake = "concatenate", .args = concat_args, LAYER_ATTR(ConcatAttr), .defaults = concat_defaults, .infer = merge_single,
    .infer_inputs = concat_infer, .scratch = no_scratch, .weights = layer_no_weights, .init = layer_no_init,
    .forward = concat_forward, .backward = concat_backward,
};

const LayerKind layer_dot = {
    .name = "Dot", .snake = "dot", .args = dot_args, LAYER_ATTR(DotAttr), .defaults = merge_defaults, .infer = merge_single,
    .infer_inputs = dot_infer, .scratch = dot_scratch, .weights = layer_no_weights, .init = layer_no_init,
    .forward = dot_forward, .backward = dot_backward,
};
