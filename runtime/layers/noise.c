/* runtime/layers/noise.c — training-time noise, identity at inference:
 *   SpatialDropout2D(rate)   drops whole channels of each image (a mask per
 *                            sample and channel), scaling the rest by 1/(1-rate)
 *   GaussianNoise(stddev)    adds N(0, stddev^2) noise; the gradient passes unchanged
 * Both draw from the run's dropout stream, so --seed fixes them. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "layer.h"

typedef struct {
    double rate; /* in [0, 1) */
} SpatialDropoutAttr;
typedef struct {
    double stddev;
} GaussianNoiseAttr;

static const ArgSpec sdrop_args[] = {
    {.name = "rate", .type = ARG_FLOAT, ATTR(SpatialDropoutAttr, rate), .positional = 1, .required = 1, .max = 1, .max_open = 1},
    {.name = "data_format", .type = ARG_FORMAT, .positional = 1},
    {0},
};
static const ArgSpec noise_args[] = {
    {.name = "stddev", .type = ARG_FLOAT, ATTR(GaussianNoiseAttr, stddev), .positional = 1, .required = 1, .max = 1e30},
    {0},
};

static void noise_defaults(NnmLayer *l) { (void)l; }

static int sdrop_infer(NnmLayer *l, char *err, size_t n)
{
    if (layer_need_images(l, err, n))
        return -1;
    return layer_infer_same(l, err, n);
}

static int64_t channel_scratch(const NnmLayer *l) { return l->in.dim[2]; }
static int64_t noise_no_scratch(const NnmLayer *l) { (void)l; return 0; }

static void sdrop_forward(const LayerRun *r)
{
    const NnmLayer *l = r->l;
    int64_t hw = l->in.dim[0] * l->in.dim[1], c = l->in.dim[2];
    if (!r->training || ((const SpatialDropoutAttr *)l->attr)->rate == 0) {
        layer_copy_forward(r);
        return;
    }
    float keep = (float)(1.0 - ((const SpatialDropoutAttr *)l->attr)->rate), scale = 1.0f / keep;
    for (int64_t b = 0; b < r->batch; b++) {
        float *m = r->scratch + b * c;
        for (int64_t k = 0; k < c; k++)
            m[k] = nnm_rng_uniform(r->rng) < keep ? scale : 0.0f;
        for (int64_t p = 0; p < hw; p++)
            for (int64_t k = 0; k < c; k++)
                r->y[(b * hw + p) * c + k] = r->x[(b * hw + p) * c + k] * m[k];
    }
}

static void sdrop_backward(const LayerRun *r)
{
    const NnmLayer *l = r->l;
    if (!r->dx)
        return;
    int64_t hw = l->in.dim[0] * l->in.dim[1], c = l->in.dim[2];
    if (((const SpatialDropoutAttr *)l->attr)->rate == 0) {
        layer_copy_backward(r);
        return;
    }
    for (int64_t b = 0; b < r->batch; b++)
        for (int64_t p = 0; p < hw; p++)
            for (int64_t k = 0; k < c; k++)
                r->dx[(b * hw + p) * c + k] = r->dy[(b * hw + p) * c + k] * r->scratch[b * c + k];
}

static void noise_forward(const LayerRun *r)
{
    int64_t n = r->batch * shape_size(&r->l->in);
    if (!r->training || ((const GaussianNoiseAttr *)r->l->attr)->stddev == 0) {
        layer_copy_forward(r);
        return;
    }
    for (int64_t i = 0; i < n; i++)
        r->y[i] = r->x[i] + (float)(nnm_rng_normal(r->rng) * ((const GaussianNoiseAttr *)r->l->attr)->stddev);
}

static void noise_backward(const LayerRun *r)
{
    layer_copy_backward(r);
}

const LayerKind layer_spatial_dropout2d = {
    .name = "SpatialDropout2D", .snake = "spatial_dropout2d", .args = sdrop_args, LAYER_ATTR(SpatialDropoutAttr), .defaults = noise_defaults,
    .infer = sdrop_infer, .scratch = channel_scratch, .weights = layer_no_weights, .init = layer_no_init,
    .forward = sdrop_forward, .backward = sdrop_backward,
};

const LayerKind layer_gaussian_noise = {
    .name = "GaussianNoise", .snake = "gaussian_noise", .args = noise_args, LAYER_ATTR(GaussianNoiseAttr), .defaults = noise_defaults,
    .infer = layer_infer_same, .scratch = noise_no_scratch, .weights = layer_no_weights, .init = layer_no_init,
    .forward = noise_forward, .backward = noise_backward,
};
