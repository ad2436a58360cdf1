/* runtime/layers/dropout.c — Dropout (inverted): while training, each value
 * is zeroed with probability `rate` and the rest are scaled by 1/(1-rate);
 * at inference it is the identity.  scratch holds the per-value factor. */
#include <stddef.h>
#include <string.h>
#include "layer.h"
#include "parallel.h"

typedef struct {
    double rate; /* in [0, 1) */
} DropoutAttr;

static const ArgSpec dropout_args[] = {
    {.name = "rate", .type = ARG_FLOAT, ATTR(DropoutAttr, rate), .positional = 1, .required = 1, .max = 1, .max_open = 1},
    {0},
};

static void dropout_defaults(NnmLayer *l) { (void)l; }

/* Each sample draws its mask from its own stream, seeded from one draw of
 * the run's dropout stream per batch: the samples can be done in parallel
 * and the masks do not depend on the number of threads. */
typedef struct {
    const LayerRun *r;
    uint64_t base;
    int64_t size;
    float keep, scale;
} DropJob;

static void drop_rows(void *p, int64_t b0, int64_t b1)
{
    const DropJob *j = p;
    for (int64_t b = b0; b < b1; b++) {
        NnmRng g;
        nnm_rng_seed(&g, j->base, (uint64_t)b + 1);
        const float *x = j->r->x + b * j->size;
        float *y = j->r->y + b * j->size, *m = j->r->scratch + b * j->size;
        nnm_rng_uniforms(&g, m, j->size);
        for (int64_t i = 0; i < j->size; i++) {
            m[i] = m[i] < j->keep ? j->scale : 0.0f;
            y[i] = x[i] * m[i];
        }
    }
}

static void dropout_forward(const LayerRun *r)
{
    int64_t size = shape_size(&r->l->in);
    if (!r->training || ((const DropoutAttr *)r->l->attr)->rate == 0) {
        layer_copy_forward(r);
        return;
    }
    float keep = (float)(1.0 - ((const DropoutAttr *)r->l->attr)->rate);
    DropJob j = {r, nnm_rng_next(r->rng), size, keep, 1.0f / keep};
    nnm_par_for(r->batch, 1, size * r->batch >= 32768 ? 2 : r->batch + 1, drop_rows, &j);
}

/* dx = dy times the forward pass's factors, over values [i0, i1) */
static void drop_back(void *p, int64_t i0, int64_t i1)
{
    const LayerRun *r = p;
    for (int64_t i = i0; i < i1; i++)
        r->dx[i] = r->dy[i] * r->scratch[i];
}

static void dropout_backward(const LayerRun *r)
{
    if (!r->dx)
        return;
    int64_t n = r->batch * shape_size(&r->l->in);
    if (((const DropoutAttr *)r->l->attr)->rate == 0) {
        layer_copy_backward(r);
        return;
    }
    nnm_par_for(n, 16, 32768, drop_back, (void *)r);
}

const LayerKind layer_dropout = {
    .name = "Dropout", .snake = "dropout", .args = dropout_args, LAYER_ATTR(DropoutAttr), .defaults = dropout_defaults,
    .infer = layer_infer_same, .scratch = layer_scratch_input, .weights = layer_no_weights,
    .init = layer_no_init, .forward = dropout_forward, .backward = dropout_backward,
};
