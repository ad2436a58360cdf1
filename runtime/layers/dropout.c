/* runtime/layers/dropout.c — Dropout (inverted): while training, each value
 * is zeroed with probability `rate` and the rest are scaled by 1/(1-rate);
 * at inference it is the identity.  scratch holds the per-value factor. */
#include <stddef.h>
#include <string.h>
#include "layer.h"

static const ArgSpec args[] = {
    {.name = "rate", .type = ARG_FLOAT, .off = offsetof(NnmLayer, rate), .positional = 1, .required = 1, .max = 1, .max_open = 1},
    {0},
};

static void defaults(NnmLayer *l) { (void)l; }

static void forward(const LayerRun *r)
{
    int64_t n = r->batch * shape_size(&r->l->in);
    if (!r->training || r->l->rate == 0) {
        memcpy(r->y, r->x, (size_t)n * sizeof(float));
        return;
    }
    float keep = (float)(1.0 - r->l->rate), scale = 1.0f / keep;
    for (int64_t i = 0; i < n; i++) {
        float f = nnm_rng_uniform(r->rng) < keep ? scale : 0.0f;
        r->scratch[i] = f;
        r->y[i] = r->x[i] * f;
    }
}

static void backward(const LayerRun *r)
{
    if (!r->dx)
        return;
    int64_t n = r->batch * shape_size(&r->l->in);
    if (r->l->rate == 0) {
        memcpy(r->dx, r->dy, (size_t)n * sizeof(float));
        return;
    }
    for (int64_t i = 0; i < n; i++)
        r->dx[i] = r->dy[i] * r->scratch[i];
}

const LayerKind layer_dropout = {
    .name = "Dropout", .snake = "dropout", .args = args, .defaults = defaults,
    .infer = layer_infer_same, .scratch = layer_scratch_input, .weights = layer_no_weights,
    .init = layer_no_init, .forward = forward, .backward = backward,
};
