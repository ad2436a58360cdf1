/* runtime/layers/dense.c — Dense: fully connected layer with an activation.
 *
 *   in  x [B, K]     weights  kernel W [K, N] (Keras layout), bias b [N]
 *   out y [B, N]     y = act(z),  z = x W + b
 *   scratch: z [B, N] when the activation is not linear
 *   backward: dz = dy * act'(z);  dW = xᵀ dz;  db = Σ_B dz;  dx = dz Wᵀ
 *   the products: nnm_matmul, nnmc's own GEMM (the figures depend on no BLAS
 *   library's choice of kernel); its blocks of B in the thread workspace */
#include <stddef.h>
#include <stdio.h>
#include "gemm.h"
#include "kernels.h"
#include "layer.h"
#include "util.h"

typedef struct {
    int64_t units;
    int use_bias;
    int kinit, binit; /* NnmInit */
} DenseAttr;

static const ArgSpec dense_args[] = {
    {.name = "units", .type = ARG_INT, ATTR(DenseAttr, units), .positional = 1, .required = 1, .min = 1, .max = 1e12},
    LAYER_ACT_BIAS_ARGS(DenseAttr, "kernel"),
    {0},
};

static void dense_defaults(NnmLayer *l)
{
    DenseAttr *d = l->attr;
    l->act = ACT_LINEAR;
    d->use_bias = 1;
    d->kinit = INIT_GLOROT_UNIFORM;
    d->binit = INIT_ZEROS;
}

static int dense_infer(NnmLayer *l, char *err, size_t n)
{
    DenseAttr *d = l->attr;
    if (l->in.rank != 1) {
        char s[96];
        shape_str(&l->in, s, sizeof s);
        snprintf(err, n, "Dense expects a flat input (None, features) but gets %s; add Flatten() before it", s);
        return -1;
    }
    int64_t k = l->in.dim[0];
    if (k > ((int64_t)1 << 40) / d->units) {
        snprintf(err, n, "Dense(%lld) on %lld inputs needs too many weights", (long long)d->units,
                 (long long)k);
        return -1;
    }
    l->out.rank = 1;
    l->out.dim[0] = d->units;
    l->nparams = k * d->units + (d->use_bias ? d->units : 0);
    return 0;
}

static int64_t dense_scratch(const NnmLayer *l)
{
    const DenseAttr *d = l->attr;
    return layer_keeps_z(l) ? d->units : 0;
}

/* per thread: the blocks of B of the products (nnm_matmul); per call: x
 * transposed for dW */
static int64_t dense_workspace(const NnmLayer *l)
{
    const DenseAttr *d = l->attr;
    int64_t k = l->in.dim[0], n = d->units;
    /* m is the batch: it does not change the blocks */
    return NNM_MAX(nnm_matmul_workspace(1, n, k), NNM_MAX(nnm_matmul_workspace(k, n, 1 << 30), nnm_matmul_workspace(1, k, n)));
}

static int64_t dense_batch_work(const NnmLayer *l, int64_t b) { return nnm_matmul_shared_size(1, l->in.dim[0], b); }

static int dense_weights(const NnmLayer *l, WeightInfo out[LAYER_MAX_WEIGHTS])
{
    const DenseAttr *d = l->attr;
    return layer_kernel_bias((NnmShape){2, {l->in.dim[0], d->units, 0, 0}}, d->units, d->use_bias, out);
}

static void dense_init(const NnmLayer *l, float *w, NnmRng *rng)
{
    const DenseAttr *d = l->attr;
    int64_t k = l->in.dim[0], n = d->units;
    nnm_init_fill(d->kinit, w, k * n, k, n, rng);
    if (d->use_bias)
        nnm_init_fill(d->binit, w + k * n, n, n, n, rng);
}

static void dense_forward(const LayerRun *r)
{
    const NnmLayer *l = r->l;
    const DenseAttr *d = l->attr;
    int64_t b = r->batch, k = l->in.dim[0], n = d->units;
    float *z = layer_keeps_z(l) ? r->scratch : r->y; /* else activated in place */
    nnm_matmul(0, 0, b, n, k, r->x, k, r->w, n, 0, z, n, NULL, r->work, layer_work_stride(dense_workspace(l)));
    if (d->use_bias)
        nnm_add_bias(b, n, r->w + k * n, z);
    if (l->act != ACT_LINEAR)
        nnm_act_forward(l->act, (float)l->alpha, b, n, z, r->y);
}

static void dense_backward(const LayerRun *r)
{
    const NnmLayer *l = r->l;
    const DenseAttr *d = l->attr;
    int64_t b = r->batch, k = l->in.dim[0], n = d->units;
    float *dz = r->dy;
    if (!r->fused && l->act != ACT_LINEAR)
        nnm_act_backward(l->act, (float)l->alpha, b, n, layer_keeps_z(l) ? r->scratch : r->y, r->y, dz);
    nnm_matmul(1, 0, k, n, b, r->x, k, dz, n, 0, r->dw, n, r->bwork, r->work, layer_work_stride(dense_workspace(l)));
    if (d->use_bias)
        nnm_col_sums(b, n, dz, r->dw + k * n);
    if (r->dx)
        nnm_matmul(0, 1, b, k, n, dz, n, r->w, n, 0, r->dx, k, NULL, r->work, layer_work_stride(dense_workspace(l)));
}

const LayerKind layer_dense = {
    .name = "Dense", .snake = "dense", .args = dense_args, LAYER_ATTR(DenseAttr), .defaults = dense_defaults, .infer = dense_infer,
    .scratch = dense_scratch, .workspace = dense_workspace, .batch_work = dense_batch_work, .weights = dense_weights, .init = dense_init, .forward = dense_forward,
    .backward = dense_backward, .has_act = 1,
};
