/* runtime/layers/prelu.c — PReLU: y = x for x > 0, alpha * x otherwise, with
 * a learned alpha per value of the input shape, or shared along the axes
 * listed in shared_axes (1-based, e.g. [1, 2] shares over height and width).
 *   weights: alpha, of the input shape with the shared axes set to 1
 *   dalpha = sum of dy * x over the batch and shared positions where x <= 0 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "layer.h"

typedef struct {
    int kinit;           /* NnmInit of alpha */
    NnmShape shared_axes; /* 1-based axes along which alpha is shared */
} PReLUAttr;

static const ArgSpec prelu_args[] = {
    {.name = "alpha_initializer", .type = ARG_INIT, ATTR(PReLUAttr, kinit), .positional = 1},
    {.name = "alpha_regularizer", .type = ARG_NONE_ONLY, .positional = 1},
    {.name = "alpha_constraint", .type = ARG_NONE_ONLY, .positional = 1},
    {.name = "shared_axes", .type = ARG_SHAPE, ATTR(PReLUAttr, shared_axes), .positional = 1},
    {0},
};

static void prelu_defaults(NnmLayer *l)
{
    PReLUAttr *a = l->attr;
    a->kinit = INIT_ZEROS;
}

/* alpha's shape: the input's, with every shared axis of size 1 */
static NnmShape alpha_shape(const NnmLayer *l)
{
    NnmShape a = l->in;
    for (int i = 0; i < ((const PReLUAttr *)l->attr)->shared_axes.rank; i++)
        a.dim[((const PReLUAttr *)l->attr)->shared_axes.dim[i] - 1] = 1;
    return a;
}

static int prelu_infer(NnmLayer *l, char *err, size_t n)
{
    for (int i = 0; i < ((const PReLUAttr *)l->attr)->shared_axes.rank; i++)
        if (((const PReLUAttr *)l->attr)->shared_axes.dim[i] < 1 || ((const PReLUAttr *)l->attr)->shared_axes.dim[i] > l->in.rank) {
            snprintf(err, n, "PReLU shared_axes must be axes 1..%d of its input", l->in.rank);
            return -1;
        }
    l->out = l->in;
    NnmShape a = alpha_shape(l);
    l->nparams = shape_size(&a);
    return 0;
}

static int64_t prelu_scratch(const NnmLayer *l) { (void)l; return 0; }

static int prelu_weights(const NnmLayer *l, WeightInfo out[LAYER_MAX_WEIGHTS])
{
    out[0] = (WeightInfo){"alpha", alpha_shape(l)};
    return 1;
}

static void prelu_init(const NnmLayer *l, float *w, NnmRng *rng)
{
    nnm_init_fill(((const PReLUAttr *)l->attr)->kinit, w, l->nparams, l->nparams, l->nparams, rng);
}

/* index into alpha of each input position: strides of alpha with 0 on shared axes */
static int64_t alpha_index(const NnmLayer *l, int64_t i)
{
    NnmShape a = alpha_shape(l);
    int64_t idx = 0, stride = 1;
    for (int d = l->in.rank - 1; d >= 0; d--) {
        int64_t coord = i % l->in.dim[d];
        i /= l->in.dim[d];
        if (a.dim[d] > 1)
            idx += coord * stride;
        stride *= a.dim[d];
    }
    return idx;
}

static void prelu_forward(const LayerRun *r)
{
    int64_t size = shape_size(&r->l->in);
    for (int64_t i = 0; i < size; i++) {
        float al = r->w[alpha_index(r->l, i)];
        for (int64_t b = 0; b < r->batch; b++) {
            float x = r->x[b * size + i];
            r->y[b * size + i] = x > 0 ? x : al * x;
        }
    }
}

static void prelu_backward(const LayerRun *r)
{
    int64_t size = shape_size(&r->l->in);
    memset(r->dw, 0, (size_t)r->l->nparams * sizeof(float));
    for (int64_t i = 0; i < size; i++) {
        int64_t ai = alpha_index(r->l, i);
        float al = r->w[ai];
        for (int64_t b = 0; b < r->batch; b++) {
            float x = r->x[b * size + i], dy = r->dy[b * size + i];
            if (x <= 0)
                r->dw[ai] += dy * x;
            if (r->dx)
                r->dx[b * size + i] = x > 0 ? dy : al * dy;
        }
    }
}

const LayerKind layer_prelu = {
    .name = "PReLU", .snake = "p_re_lu", .args = prelu_args, LAYER_ATTR(PReLUAttr), .defaults = prelu_defaults, .infer = prelu_infer,
    .scratch = prelu_scratch, .weights = prelu_weights, .init = prelu_init, .forward = prelu_forward, .backward = prelu_backward,
};
