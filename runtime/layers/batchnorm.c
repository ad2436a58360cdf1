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
#include "parallel.h"

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

/* The passes over the batch.  A row is one pixel's channels.  Sums run over
 * a range of channels, every row in order, each channel's sum kept in
 * double; the element-wise passes run over a range of rows.  Either split
 * leaves each value's operations and their order as one thread has them:
 * the figures do not depend on the number of threads. */
typedef struct {
    const LayerRun *r;
    const BatchNormAttr *bn;
    int64_t c, rows;
    Parts p, g; /* the weights, and (backward) their gradients */
    Scratch sc;
} BnJob;

static BnJob bn_job(const LayerRun *r)
{
    const NnmLayer *l = r->l;
    BnJob j = {r, l->attr, channels(l), 0, batchnorm_parts(l, r->w), {0}, scratch_parts(l, r->scratch)};
    j.rows = r->batch * shape_size(&l->in) / j.c;
    if (r->dw)
        j.g = batchnorm_parts(l, r->dw);
    return j;
}

/* channels [k0, k1): the batch's mean and 1/sqrt(var + eps), and the moving
 * statistics (training) */
NNM_ISA_KERNEL(bn_stats, (void *arg, int64_t k0, int64_t k1), (arg, k0, k1))
{
    const BnJob *j = arg;
    const float *x = j->r->x;
    const int64_t c = j->c, rows = j->rows;
    double *sum = j->sc.acc, *sq = sum + c;
    for (int64_t k = k0; k < k1; k++)
        sum[k] = sq[k] = 0;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t k = k0; k < k1; k++)
            sum[k] += x[i * c + k];
    for (int64_t k = k0; k < k1; k++)
        sum[k] /= (double)rows;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t k = k0; k < k1; k++) {
            double d = x[i * c + k] - sum[k];
            sq[k] += d * d;
        }
    for (int64_t k = k0; k < k1; k++) {
        double mu = sum[k], var = sq[k] / (double)rows, eps = j->bn->epsilon, mom = j->bn->momentum;
        j->sc.mean[k] = (float)mu;
        j->sc.inv[k] = (float)(1.0 / sqrt(var + eps));
        double unbiased = rows > 1 ? var * (double)rows / ((double)rows - (1.0 + eps)) : var;
        j->p.mean[k] = (float)(j->p.mean[k] * mom + mu * (1.0 - mom));
        j->p.var[k] = (float)(j->p.var[k] * mom + unbiased * (1.0 - mom));
    }
}

/* rows [i0, i1): xhat and y */
NNM_ISA_KERNEL(bn_normalize, (void *arg, int64_t i0, int64_t i1), (arg, i0, i1))
{
    const BnJob *j = arg;
    const int64_t c = j->c;
    const float *x = j->r->x, *bmean = j->sc.mean, *binv = j->sc.inv, *gamma = j->p.gamma, *beta = j->p.beta;
    float *xhat = j->sc.xhat, *y = j->r->y;
    for (int64_t i = i0; i < i1; i++)
        for (int64_t k = 0; k < c; k++) {
            float h = (x[i * c + k] - bmean[k]) * binv[k];
            xhat[i * c + k] = h;
            y[i * c + k] = (gamma ? gamma[k] : 1.0f) * h + (beta ? beta[k] : 0.0f);
        }
}

/* Work split by nnm_par_for: channels in whole cache lines, rows in blocks;
 * small batches stay on one thread. */
#define BN_ALIGN 16
#define BN_MIN_VALUES 32768

static void batchnorm_forward(const LayerRun *r)
{
    BnJob j = bn_job(r);
    const int big = j.rows * j.c >= BN_MIN_VALUES;
    if (r->training) {
        nnm_par_for(j.c, BN_ALIGN, big ? 2 * BN_ALIGN : j.c + 1, bn_stats, &j);
    } else {
        for (int64_t k = 0; k < j.c; k++) {
            j.sc.mean[k] = j.p.mean[k];
            j.sc.inv[k] = 1.0f / sqrtf(j.p.var[k] + (float)j.bn->epsilon);
        }
    }
    nnm_par_for(j.rows, 1, big ? 2 : j.rows + 1, bn_normalize, &j);
}

/* channels [k0, k1): Σ dy and Σ dy·xhat, which are also d beta and d gamma */
NNM_ISA_KERNEL(bn_grad_sums, (void *arg, int64_t k0, int64_t k1), (arg, k0, k1))
{
    const BnJob *j = arg;
    const int64_t c = j->c, rows = j->rows;
    const float *dy = j->r->dy, *xhat = j->sc.xhat;
    double *sdy = j->sc.acc, *sdyx = sdy + c;
    for (int64_t k = k0; k < k1; k++)
        sdy[k] = sdyx[k] = 0;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t k = k0; k < k1; k++) {
            sdy[k] += dy[i * c + k];
            sdyx[k] += (double)dy[i * c + k] * xhat[i * c + k];
        }
    for (int64_t k = k0; k < k1; k++) {
        if (j->g.gamma)
            j->g.gamma[k] = (float)sdyx[k];
        if (j->g.beta)
            j->g.beta[k] = (float)sdy[k];
    }
}

/* rows [i0, i1): dx */
NNM_ISA_KERNEL(bn_dx, (void *arg, int64_t i0, int64_t i1), (arg, i0, i1))
{
    const BnJob *j = arg;
    const int64_t c = j->c, rows = j->rows;
    const float *dy = j->r->dy, *xhat = j->sc.xhat, *binv = j->sc.inv, *gamma = j->p.gamma;
    const double *sdy = j->sc.acc, *sdyx = sdy + c;
    float *dx = j->r->dx;
    for (int64_t i = i0; i < i1; i++)
        for (int64_t k = 0; k < c; k++) {
            const float f = (gamma ? gamma[k] : 1.0f) * binv[k] / (float)rows;
            dx[i * c + k] = f * ((float)rows * dy[i * c + k] - (float)sdy[k] - xhat[i * c + k] * (float)sdyx[k]);
        }
}

static void batchnorm_backward(const LayerRun *r)
{
    BnJob j = bn_job(r);
    const int big = j.rows * j.c >= BN_MIN_VALUES;
    memset(j.g.mean, 0, (size_t)(2 * j.c) * sizeof(float)); /* moving statistics: no gradient */
    nnm_par_for(j.c, BN_ALIGN, big ? 2 * BN_ALIGN : j.c + 1, bn_grad_sums, &j);
    if (r->dx)
        nnm_par_for(j.rows, 1, big ? 2 : j.rows + 1, bn_dx, &j);
}

const LayerKind layer_batchnorm = {
    .name = "BatchNormalization", .snake = "batch_normalization", .args = batchnorm_args, LAYER_ATTR(BatchNormAttr), .defaults = batchnorm_defaults,
    .infer = batchnorm_infer, .scratch = batchnorm_scratch, .weights = batchnorm_weights, .init = batchnorm_init, .forward = batchnorm_forward,
    .backward = batchnorm_backward,
};
