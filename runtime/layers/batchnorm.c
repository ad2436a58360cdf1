/* runtime/layers/batchnorm.c — BatchNormalization over the last axis
 * (channels), as Keras 2.2.4 with TensorFlow:
 *
 *   training:   mean, var = the batch's statistics per channel (over the batch
 *               and, for images, all pixels); y = gamma (x - mean) / sqrt(var + eps) + beta;
 *               moving_mean = m * moving_mean + (1 - m) * mean, and the same for
 *               moving_variance with var * n / (n - (1 + eps)) (Keras's unbiased form)
 *   inference:  y = gamma (x - moving_mean) / sqrt(moving_variance + eps) + beta
 *
 *   weights (save order): gamma [C] if scale, beta [C] if center,
 *   moving_mean [C], moving_variance [C]; the last two are not trainable
 *   (their gradient is always 0, so no optimizer moves them)
 *   scratch per sample: xhat [size], plus 2*C floats for the batch's mean and 1/std */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "layer.h"

static const ArgSpec args[] = {
    {.name = "axis", .type = ARG_INT, .off = offsetof(NnmLayer, units), .positional = 1, .min = -1, .max = -1},
    {.name = "momentum", .type = ARG_FLOAT, .off = offsetof(NnmLayer, momentum), .positional = 1, .max = 1},
    {.name = "epsilon", .type = ARG_FLOAT, .off = offsetof(NnmLayer, epsilon), .positional = 1, .min = 1e-30, .max = 1},
    {.name = "center", .type = ARG_BOOL, .off = offsetof(NnmLayer, center), .positional = 1},
    {.name = "scale", .type = ARG_BOOL, .off = offsetof(NnmLayer, scale), .positional = 1},
    {.name = "beta_initializer", .type = ARG_INIT, .off = offsetof(NnmLayer, binit), .positional = 1},
    {.name = "gamma_initializer", .type = ARG_INIT, .off = offsetof(NnmLayer, kinit), .positional = 1},
    {.name = "moving_mean_initializer", .type = ARG_NONE_ONLY, .positional = 1},
    {.name = "moving_variance_initializer", .type = ARG_NONE_ONLY, .positional = 1},
    {.name = "beta_regularizer", .type = ARG_NONE_ONLY, .positional = 1},
    {.name = "gamma_regularizer", .type = ARG_NONE_ONLY, .positional = 1},
    {.name = "beta_constraint", .type = ARG_NONE_ONLY, .positional = 1},
    {.name = "gamma_constraint", .type = ARG_NONE_ONLY, .positional = 1},
    {0},
};

static void defaults(NnmLayer *l)
{
    l->units = -1;
    l->momentum = 0.99;
    l->epsilon = 1e-3;
    l->center = l->scale = 1;
    l->binit = INIT_ZEROS;
    l->kinit = INIT_ONES;
}

static int64_t channels(const NnmLayer *l) { return l->in.dim[l->in.rank - 1]; }

static int infer(NnmLayer *l, char *err, size_t n)
{
    (void)err;
    (void)n;
    int64_t c = channels(l);
    l->out = l->in;
    l->nparams = c * (2 + l->scale + l->center);
    l->nfrozen = 2 * c;
    return 0;
}

static int64_t scratch(const NnmLayer *l) { return shape_size(&l->in) + 2 * channels(l); }

static int weights(const NnmLayer *l, WeightInfo out[LAYER_MAX_WEIGHTS])
{
    NnmShape c = {1, {channels(l), 0, 0, 0}};
    int k = 0;
    if (l->scale)
        out[k++] = (WeightInfo){"gamma", c};
    if (l->center)
        out[k++] = (WeightInfo){"beta", c};
    out[k++] = (WeightInfo){"moving_mean", c};
    out[k++] = (WeightInfo){"moving_variance", c};
    return k;
}

static void init(const NnmLayer *l, float *w, NnmRng *rng)
{
    int64_t c = channels(l);
    if (l->scale) {
        nnm_init_fill(l->kinit, w, c, c, c, rng);
        w += c;
    }
    if (l->center) {
        nnm_init_fill(l->binit, w, c, c, c, rng);
        w += c;
    }
    nnm_init_fill(INIT_ZEROS, w, c, c, c, rng);
    nnm_init_fill(INIT_ONES, w + c, c, c, c, rng);
}

/* where each weight vector is (NULL when absent) */
typedef struct {
    float *gamma, *beta, *mean, *var;
} Parts;

static Parts parts(const NnmLayer *l, float *w)
{
    int64_t c = channels(l);
    Parts p = {NULL, NULL, NULL, NULL};
    if (l->scale) {
        p.gamma = w;
        w += c;
    }
    if (l->center) {
        p.beta = w;
        w += c;
    }
    p.mean = w;
    p.var = w + c;
    return p;
}

static void forward(const LayerRun *r)
{
    const NnmLayer *l = r->l;
    const int64_t c = channels(l), rows = r->batch * shape_size(&l->in) / c;
    Parts p = parts(l, r->w);
    float *xhat = r->scratch, *bmean = r->scratch + r->batch * shape_size(&l->in), *binv = bmean + c;
    const float eps = (float)l->epsilon;
    if (r->training) {
        /* statistics in double: a batch of images sums many values */
        for (int64_t k = 0; k < c; k++) {
            double s = 0, s2 = 0;
            for (int64_t i = 0; i < rows; i++)
                s += r->x[i * c + k];
            double mu = s / (double)rows;
            for (int64_t i = 0; i < rows; i++) {
                double d = r->x[i * c + k] - mu;
                s2 += d * d;
            }
            double var = s2 / (double)rows;
            bmean[k] = (float)mu;
            binv[k] = (float)(1.0 / sqrt(var + l->epsilon));
            double unbiased = rows > 1 ? var * (double)rows / ((double)rows - (1.0 + l->epsilon)) : var;
            p.mean[k] = (float)(p.mean[k] * l->momentum + mu * (1.0 - l->momentum));
            p.var[k] = (float)(p.var[k] * l->momentum + unbiased * (1.0 - l->momentum));
        }
    } else {
        for (int64_t k = 0; k < c; k++) {
            bmean[k] = p.mean[k];
            binv[k] = 1.0f / sqrtf(p.var[k] + eps);
        }
    }
    for (int64_t i = 0; i < rows; i++)
        for (int64_t k = 0; k < c; k++) {
            float h = (r->x[i * c + k] - bmean[k]) * binv[k];
            xhat[i * c + k] = h;
            r->y[i * c + k] = (p.gamma ? p.gamma[k] : 1.0f) * h + (p.beta ? p.beta[k] : 0.0f);
        }
}

static void backward(const LayerRun *r)
{
    const NnmLayer *l = r->l;
    const int64_t c = channels(l), rows = r->batch * shape_size(&l->in) / c;
    Parts p = parts(l, r->w), g = parts(l, r->dw);
    const float *xhat = r->scratch, *binv = r->scratch + r->batch * shape_size(&l->in) + c;
    memset(g.mean, 0, (size_t)(2 * c) * sizeof(float)); /* moving statistics: no gradient */
    for (int64_t k = 0; k < c; k++) {
        double sdy = 0, sdyx = 0;
        for (int64_t i = 0; i < rows; i++) {
            sdy += r->dy[i * c + k];
            sdyx += (double)r->dy[i * c + k] * xhat[i * c + k];
        }
        if (g.gamma)
            g.gamma[k] = (float)sdyx;
        if (g.beta)
            g.beta[k] = (float)sdy;
        if (!r->dx)
            continue;
        const float gam = p.gamma ? p.gamma[k] : 1.0f;
        const float f = gam * binv[k] / (float)rows, a = (float)sdy, b = (float)sdyx;
        for (int64_t i = 0; i < rows; i++)
            r->dx[i * c + k] = f * ((float)rows * r->dy[i * c + k] - a - xhat[i * c + k] * b);
    }
}

const LayerKind layer_batchnorm = {
    .name = "BatchNormalization", .snake = "batch_normalization", .args = args, .defaults = defaults,
    .infer = infer, .scratch = scratch, .weights = weights, .init = init, .forward = forward,
    .backward = backward,
};
