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
 *   scratch: 2*C doubles of per-channel sums, the batch's mean [C] and
 *   1/std [C], then xhat [batch, size] (planned as size + 6*C per sample) */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "isa.h"
#include "layer.h"

typedef struct {
    double momentum, epsilon;
    int center, scale; /* beta, gamma present */
    int binit, kinit;  /* NnmInit of beta and gamma */
} BatchNormAttr;

static const ArgSpec batchnorm_args[] = {
    {.name = "axis", .type = ARG_INT, .positional = 1, .min = -1, .max = -1}, /* checked: the channels only */
    {.name = "momentum", .type = ARG_FLOAT, ATTR(BatchNormAttr, momentum), .positional = 1, .max = 1},
    {.name = "epsilon", .type = ARG_FLOAT, ATTR(BatchNormAttr, epsilon), .positional = 1, .min = 1e-30, .max = 1},
    {.name = "center", .type = ARG_BOOL, ATTR(BatchNormAttr, center), .positional = 1},
    {.name = "scale", .type = ARG_BOOL, ATTR(BatchNormAttr, scale), .positional = 1},
    {.name = "beta_initializer", .type = ARG_INIT, ATTR(BatchNormAttr, binit), .positional = 1},
    {.name = "gamma_initializer", .type = ARG_INIT, ATTR(BatchNormAttr, kinit), .positional = 1},
    {.name = "moving_mean_initializer", .type = ARG_NONE_ONLY, .positional = 1},
    {.name = "moving_variance_initializer", .type = ARG_NONE_ONLY, .positional = 1},
    {.name = "beta_regularizer", .type = ARG_NONE_ONLY, .positional = 1},
    {.name = "gamma_regularizer", .type = ARG_NONE_ONLY, .positional = 1},
    {.name = "beta_constraint", .type = ARG_NONE_ONLY, .positional = 1},
    {.name = "gamma_constraint", .type = ARG_NONE_ONLY, .positional = 1},
    {0},
};

static void batchnorm_defaults(NnmLayer *l)
{
    BatchNormAttr *bn = l->attr;
    bn->momentum = 0.99;
    bn->epsilon = 1e-3;
    bn->center = bn->scale = 1;
    bn->binit = INIT_ZEROS;
    bn->kinit = INIT_ONES;
}

static int64_t channels(const NnmLayer *l) { return l->in.dim[l->in.rank - 1]; }

static int batchnorm_infer(NnmLayer *l, char *err, size_t n)
{
    BatchNormAttr *bn = l->attr;
    (void)err;
    (void)n;
    int64_t c = channels(l);
    l->out = l->in;
    l->nparams = c * (2 + bn->scale + bn->center);
    l->nfrozen = 2 * c;
    return 0;
}

static int64_t batchnorm_scratch(const NnmLayer *l) { return shape_size(&l->in) + 6 * channels(l); }

/* the parts of scratch; the doubles come first, where alignment is known */
typedef struct {
    double *acc;        /* [2C] */
    float *mean, *inv;  /* [C] each */
    float *xhat;        /* [rows*C] */
} Scratch;

static Scratch scratch_parts(const NnmLayer *l, float *s)
{
    int64_t c = channels(l);
    Scratch p = {(double *)(void *)s, s + 4 * c, s + 5 * c, s + 6 * c};
    return p;
}

static int batchnorm_weights(const NnmLayer *l, WeightInfo out[LAYER_MAX_WEIGHTS])
{
    const BatchNormAttr *bn = l->attr;
    NnmShape c = {1, {channels(l), 0, 0, 0}};
    int k = 0;
    if (bn->scale)
        out[k++] = (WeightInfo){"gamma", c};
    if (bn->center)
        out[k++] = (WeightInfo){"beta", c};
    out[k++] = (WeightInfo){"moving_mean", c};
    out[k++] = (WeightInfo){"moving_variance", c};
    return k;
}

static void batchnorm_init(const NnmLayer *l, float *w, NnmRng *rng)
{
    const BatchNormAttr *bn = l->attr;
    int64_t c = channels(l);
    if (bn->scale) {
        nnm_init_fill(bn->kinit, w, c, c, c, rng);
        w += c;
    }
    if (bn->center) {
        nnm_init_fill(bn->binit, w, c, c, c, rng);
        w += c;
    }
    nnm_init_fill(INIT_ZEROS, w, c, c, c, rng);
    nnm_init_fill(INIT_ONES, w + c, c, c, c, rng);
}

/* where each weight vector is (NULL when absent) */
typedef struct {
    float *gamma, *beta, *mean, *var;
} Parts;

static Parts batchnorm_parts(const NnmLayer *l, float *w)
{
    const BatchNormAttr *bn = l->attr;
    int64_t c = channels(l);
    Parts p = {NULL, NULL, NULL, NULL};
    if (bn->scale) {
        p.gamma = w;
        w += c;
    }
    if (bn->center) {
        p.beta = w;
        w += c;
    }
    p.mean = w;
    p.var = w + c;
    return p;
}

/* The batch is walked row by row (a row = one pixel's channels), so every
 * pass reads memory in order; per-channel sums are kept in double. */
NNM_ISA_KERNEL(batchnorm_forward, (const LayerRun *r), (r))
{
    const NnmLayer *l = r->l;
    const BatchNormAttr *bn = l->attr;
    const int64_t c = channels(l), rows = r->batch * shape_size(&l->in) / c;
    Parts p = batchnorm_parts(l, r->w);
    Scratch sc = scratch_parts(l, r->scratch);
    float *xhat = sc.xhat, *bmean = sc.mean, *binv = sc.inv;
    if (r->training) {
        double *sum = sc.acc, *sq = sum + c;
        memset(sum, 0, (size_t)(2 * c) * sizeof *sum);
        for (int64_t i = 0; i < rows; i++)
            for (int64_t k = 0; k < c; k++)
                sum[k] += r->x[i * c + k];
        for (int64_t k = 0; k < c; k++)
            sum[k] /= (double)rows;
        for (int64_t i = 0; i < rows; i++)
            for (int64_t k = 0; k < c; k++) {
                double d = r->x[i * c + k] - sum[k];
                sq[k] += d * d;
            }
        for (int64_t k = 0; k < c; k++) {
            double mu = sum[k], var = sq[k] / (double)rows;
            bmean[k] = (float)mu;
            binv[k] = (float)(1.0 / sqrt(var + bn->epsilon));
            double unbiased = rows > 1 ? var * (double)rows / ((double)rows - (1.0 + bn->epsilon)) : var;
            p.mean[k] = (float)(p.mean[k] * bn->momentum + mu * (1.0 - bn->momentum));
            p.var[k] = (float)(p.var[k] * bn->momentum + unbiased * (1.0 - bn->momentum));
        }
    } else {
        for (int64_t k = 0; k < c; k++) {
            bmean[k] = p.mean[k];
            binv[k] = 1.0f / sqrtf(p.var[k] + (float)bn->epsilon);
        }
    }
    for (int64_t i = 0; i < rows; i++)
        for (int64_t k = 0; k < c; k++) {
            float h = (r->x[i * c + k] - bmean[k]) * binv[k];
            xhat[i * c + k] = h;
            r->y[i * c + k] = (p.gamma ? p.gamma[k] : 1.0f) * h + (p.beta ? p.beta[k] : 0.0f);
        }
}

NNM_ISA_KERNEL(batchnorm_backward, (const LayerRun *r), (r))
{
    const NnmLayer *l = r->l;
    const int64_t c = channels(l), rows = r->batch * shape_size(&l->in) / c;
    Parts p = batchnorm_parts(l, r->w), g = batchnorm_parts(l, r->dw);
    Scratch sc = scratch_parts(l, r->scratch);
    const float *xhat = sc.xhat, *binv = sc.inv;
    memset(g.mean, 0, (size_t)(2 * c) * sizeof(float)); /* moving statistics: no gradient */
    double *sdy = sc.acc, *sdyx = sdy + c;
    memset(sdy, 0, (size_t)(2 * c) * sizeof *sdy);
    for (int64_t i = 0; i < rows; i++)
        for (int64_t k = 0; k < c; k++) {
            sdy[k] += r->dy[i * c + k];
            sdyx[k] += (double)r->dy[i * c + k] * xhat[i * c + k];
        }
    for (int64_t k = 0; k < c; k++) {
        if (g.gamma)
            g.gamma[k] = (float)sdyx[k];
        if (g.beta)
            g.beta[k] = (float)sdy[k];
    }
    if (r->dx)
        for (int64_t i = 0; i < rows; i++)
            for (int64_t k = 0; k < c; k++) {
                const float f = (p.gamma ? p.gamma[k] : 1.0f) * binv[k] / (float)rows;
                r->dx[i * c + k] = f * ((float)rows * r->dy[i * c + k] - (float)sdy[k] - xhat[i * c + k] * (float)sdyx[k]);
            }
}

const LayerKind layer_batchnorm = {
    .name = "BatchNormalization", .snake = "batch_normalization", .args = batchnorm_args, LAYER_ATTR(BatchNormAttr), .defaults = batchnorm_defaults,
    .infer = batchnorm_infer, .scratch = batchnorm_scratch, .weights = batchnorm_weights, .init = batchnorm_init, .forward = batchnorm_forward,
    .backward = batchnorm_backward,
};
