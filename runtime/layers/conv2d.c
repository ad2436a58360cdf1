/* runtime/layers/conv2d.c — Conv2D: 2-D convolution (cross-correlation) on
 * channels-last images, with an activation; and Conv1D, the same on
 * sequences (steps, channels) seen as images of height 1.
 *
 *   in  x [B, H, W, C]        weights  kernel [KH, KW, C, F] (Keras layout), bias [F]
 *   out y [B, OH, OW, F]      sizes and padding by TensorFlow's rules
 *   scratch per sample: col [OH*OW, KH*KW*C], then z [OH*OW, F] when the
 *   activation is not linear
 *
 * Forward lowers the batch to columns (im2col) and makes one GEMM with the
 * kernel seen as a (KH*KW*C, F) matrix: z = col W + b.  Backward:
 *   dz = dy * act'(z);  dW = colᵀ dz;  db = Σ dz;  dcol = dz Wᵀ;  dx = col2im(dcol)
 * and reuses col's memory for dcol once dW is done. */
#include <stddef.h>
#include <stdio.h>
#include "blas.h"
#include "kernels.h"
#include "layer.h"
#include "parallel.h"
#include "util.h"

static const ArgSpec conv2d_args[] = {
    {.name = "filters", .type = ARG_INT, .off = offsetof(NnmLayer, units), .positional = 1, .required = 1, .min = 1, .max = 1e9},
    {.name = "kernel_size", .type = ARG_PAIR, .off = offsetof(NnmLayer, kernel), .positional = 1, .required = 1, .min = 1},
    {.name = "strides", .type = ARG_PAIR, .off = offsetof(NnmLayer, strides), .positional = 1, .min = 1},
    {.name = "padding", .type = ARG_PADDING, .off = offsetof(NnmLayer, padding), .positional = 1},
    {.name = "data_format", .type = ARG_FORMAT, .positional = 1},
    {.name = "dilation_rate", .type = ARG_PAIR, .off = offsetof(NnmLayer, dilation), .positional = 1, .min = 1},
    LAYER_ACT_BIAS_ARGS("kernel"),
    {0},
};

static const char *const pads1d[] = {"valid", "same", "causal", NULL};
static const ArgSpec conv2d_args1d[] = {
    {.name = "filters", .type = ARG_INT, .off = offsetof(NnmLayer, units), .positional = 1, .required = 1, .min = 1, .max = 1e9},
    {.name = "kernel_size", .type = ARG_INT, .off = offsetof(NnmLayer, kernel) + sizeof(int64_t), .positional = 1, .required = 1, .min = 1, .max = 1e6},
    {.name = "strides", .type = ARG_INT, .off = offsetof(NnmLayer, strides) + sizeof(int64_t), .positional = 1, .min = 1, .max = 1e6},
    {.name = "padding", .type = ARG_CHOICE, .off = offsetof(NnmLayer, padding), .positional = 1, .choices = pads1d},
    {.name = "data_format", .type = ARG_FORMAT, .positional = 1},
    {.name = "dilation_rate", .type = ARG_INT, .off = offsetof(NnmLayer, dilation) + sizeof(int64_t), .positional = 1, .min = 1, .max = 1e6},
    LAYER_ACT_BIAS_ARGS("kernel"),
    {0},
};

static int infer1d(NnmLayer *l, char *err, size_t n)
{
    char s[96];
    shape_str(&l->in, s, sizeof s);
    if (l->in.rank != 2) {
        snprintf(err, n, "Conv1D expects sequences (None, steps, channels) but gets %s", s);
        return -1;
    }
    if (l->strides[1] > 1 && l->dilation[1] > 1) {
        snprintf(err, n, "Conv1D cannot combine strides > 1 with dilation_rate > 1 (as in Keras)");
        return -1;
    }
    int64_t out = conv_out_size(l->in.dim[0], l->kernel[1], l->strides[1], l->dilation[1], l->padding, &l->pad[1]);
    if (out < 1) {
        snprintf(err, n, "Conv1D: a kernel of %lld does not fit the input %s with padding 'valid'",
                 (long long)l->kernel[1], s);
        return -1;
    }
    int64_t k = l->kernel[1] * l->in.dim[1];
    if (k > ((int64_t)1 << 40) / l->units || out * k > ((int64_t)1 << 40)) {
        snprintf(err, n, "Conv1D is too large");
        return -1;
    }
    l->out = (NnmShape){2, {out, l->units, 0, 0}};
    l->nparams = k * l->units + (l->use_bias ? l->units : 0);
    return 0;
}

static int conv2d_infer(NnmLayer *l, char *err, size_t n)
{
    char s[96];
    shape_str(&l->in, s, sizeof s);
    if (layer_need_images(l, err, n))
        return -1;
    if ((l->strides[0] > 1 || l->strides[1] > 1) && (l->dilation[0] > 1 || l->dilation[1] > 1)) {
        snprintf(err, n, "Conv2D cannot combine strides > 1 with dilation_rate > 1 (as in Keras)");
        return -1;
    }
    int64_t out[2];
    for (int a = 0; a < 2; a++) {
        out[a] = conv_out_size(l->in.dim[a], l->kernel[a], l->strides[a], l->dilation[a], l->padding, &l->pad[a]);
        if (out[a] < 1) {
            snprintf(err, n, "Conv2D: a %lldx%lld kernel%s does not fit the %lldx%lld input %s with padding 'valid'",
                     (long long)l->kernel[0], (long long)l->kernel[1],
                     l->dilation[a] > 1 ? " (dilated)" : "", (long long)l->in.dim[0],
                     (long long)l->in.dim[1], s);
            return -1;
        }
    }
    int64_t k = l->kernel[0] * l->kernel[1] * l->in.dim[2];
    if (k > ((int64_t)1 << 40) / l->units || out[0] * out[1] * l->units > ((int64_t)1 << 40) ||
        out[0] * out[1] * k > ((int64_t)1 << 40)) {
        snprintf(err, n, "Conv2D is too large");
        return -1;
    }
    l->out = (NnmShape){3, {out[0], out[1], l->units, 0}};
    l->nparams = k * l->units + (l->use_bias ? l->units : 0);
    return 0;
}

static int64_t conv2d_col_size(const NnmLayer *l)
{
    NnmWindow g = layer_window(l);
    return g.oh * g.ow * g.kh * g.kw * g.c;
}

/* Weight gradients are summed in fixed groups of images, in parallel, then
 * the groups' partial sums are added in order: the figures do not depend on
 * the number of threads.  Room for one partial per image is planned (the
 * worst case, a batch of one group per image). */
#define GRAD_GROUP 8

static int64_t partial_size(const NnmLayer *l)
{
    NnmWindow g = layer_window(l);
    return g.kh * g.kw * g.c * l->units + l->units;
}

static int64_t conv2d_scratch(const NnmLayer *l)
{
    return conv2d_col_size(l) + (l->act == ACT_LINEAR ? 0 : shape_size(&l->out)) + partial_size(l);
}

static int conv2d_weights(const NnmLayer *l, WeightInfo out[LAYER_MAX_WEIGHTS])
{
    if (l->in.rank == 2) /* Conv1D: (k, C, F) */
        return layer_kernel_bias(l, (NnmShape){3, {l->kernel[1], l->in.dim[1], l->units, 0}}, out);
    return layer_kernel_bias(l, (NnmShape){4, {l->kernel[0], l->kernel[1], l->in.dim[2], l->units}}, out);
}

static void conv2d_init(const NnmLayer *l, float *w, NnmRng *rng)
{
    NnmWindow g = layer_window(l);
    int64_t rf = g.kh * g.kw, k = rf * g.c, f = l->units;
    /* fans of a convolution kernel: receptive field times channels */
    nnm_init_fill(l->kinit, w, k * f, k, rf * f, rng);
    if (l->use_bias)
        nnm_init_fill(l->binit, w + k * f, f, f, f, rng);
}

/* One image at a time, the images shared between the threads: the columns
 * of an image are multiplied while they are still in cache, and each GEMM
 * runs on one thread (no splitting of small products). */
typedef struct {
    const LayerRun *r;
    NnmWindow g;
    int64_t pix, k, f;      /* output pixels per image, K*K*C, filters */
    float *z;
} ConvJob;

static void forward_images(void *p, int64_t b0, int64_t b1)
{
    const ConvJob *j = p;
    const LayerRun *r = j->r;
    const NnmLayer *l = r->l;
    const int64_t isz = j->g.h * j->g.w * j->g.c;
    for (int64_t b = b0; b < b1; b++) {
        float *col = r->scratch + b * j->pix * j->k, *z = j->z + b * j->pix * j->f;
        nnm_im2col(&j->g, 1, r->x + b * isz, col);
        nnm_sgemm(0, 0, j->pix, j->f, j->k, 1.0f, col, j->k, r->w, j->f, 0.0f, z, j->f);
        if (l->use_bias)
            nnm_add_bias(j->pix, j->f, r->w + j->k * j->f, z);
        if (l->act != ACT_LINEAR)
            nnm_act_forward(l->act, (float)l->alpha, j->pix, j->f, z, r->y + b * j->pix * j->f);
    }
}

static void conv2d_forward(const LayerRun *r)
{
    const NnmLayer *l = r->l;
    ConvJob j = {r, layer_window(l), 0, 0, l->units, NULL};
    j.pix = j.g.oh * j.g.ow;
    j.k = j.g.kh * j.g.kw * j.g.c;
    j.z = l->act == ACT_LINEAR ? r->y : r->scratch + r->batch * conv2d_col_size(l);
    nnm_par_for(r->batch, 1, 2, forward_images, &j);
}

/* the input gradient, image by image: dcol = dz Wᵀ over the image's columns, then col2im */
static void input_grad_images(void *p, int64_t b0, int64_t b1)
{
    const ConvJob *j = p;
    const LayerRun *r = j->r;
    const int64_t isz = j->g.h * j->g.w * j->g.c;
    for (int64_t b = b0; b < b1; b++) {
        float *col = r->scratch + b * j->pix * j->k;
        nnm_sgemm(0, 1, j->pix, j->k, j->f, 1.0f, r->dy + b * j->pix * j->f, j->f, r->w, j->f, 0.0f, col, j->k);
        nnm_col2im(&j->g, 1, col, r->dx + b * isz);
    }
}

/* partial dW and db of the images [g*GRAD_GROUP, ...) for groups [g0, g1) */
static void weight_grad_groups(void *p, int64_t g0, int64_t g1)
{
    const ConvJob *j = p;
    const LayerRun *r = j->r;
    const int64_t psz = j->k * j->f + j->f;
    for (int64_t grp = g0; grp < g1; grp++) {
        int64_t b0 = grp * GRAD_GROUP, nb = NNM_MIN(GRAD_GROUP, r->batch - b0), rows = nb * j->pix;
        float *part = j->z + grp * psz;
        const float *col = r->scratch + b0 * j->pix * j->k, *dz = r->dy + b0 * j->pix * j->f;
        nnm_sgemm(1, 0, j->k, j->f, rows, 1.0f, col, j->k, dz, j->f, 0.0f, part, j->f);
        nnm_col_sums(rows, j->f, dz, part + j->k * j->f);
    }
}

typedef struct {
    const float *parts;
    float *out;
    int64_t n, size; /* groups, floats per partial */
} SumJob;

static void sum_partials(void *p, int64_t i0, int64_t i1)
{
    const SumJob *j = p;
    for (int64_t i = i0; i < i1; i++) {
        float acc = j->parts[i];
        for (int64_t grp = 1; grp < j->n; grp++)
            acc += j->parts[grp * j->size + i];
        j->out[i] = acc;
    }
}

static void conv2d_backward(const LayerRun *r)
{
    const NnmLayer *l = r->l;
    ConvJob j = {r, layer_window(l), 0, 0, l->units, NULL};
    j.pix = j.g.oh * j.g.ow;
    j.k = j.g.kh * j.g.kw * j.g.c;
    int64_t m = r->batch * j.pix;
    float *dz = r->dy, *zbuf = r->scratch + r->batch * conv2d_col_size(l);
    if (!r->fused && l->act != ACT_LINEAR)
        nnm_act_backward(l->act, (float)l->alpha, m, j.f, zbuf, r->y, dz);
    /* partials live after col and z in scratch */
    j.z = zbuf + (l->act == ACT_LINEAR ? 0 : r->batch * shape_size(&l->out));
    int64_t groups = (r->batch + GRAD_GROUP - 1) / GRAD_GROUP, psz = j.k * j.f + j.f;
    nnm_par_for(groups, 1, 2, weight_grad_groups, &j);
    SumJob sj = {j.z, r->dw, groups, psz};
    if (!l->use_bias)
        sj.size = psz, sj.out = r->dw;
    nnm_par_for(l->use_bias ? psz : j.k * j.f, 16, 4096, sum_partials, &sj);
    if (r->dx)
        nnm_par_for(r->batch, 1, 2, input_grad_images, &j);
}

const LayerKind layer_conv2d = {
    .name = "Conv2D", .snake = "conv2d", .args = conv2d_args, .defaults = layer_conv_defaults, .infer = conv2d_infer,
    .scratch = conv2d_scratch, .weights = conv2d_weights, .init = conv2d_init, .forward = conv2d_forward,
    .backward = conv2d_backward, .has_act = 1,
};

const LayerKind layer_conv1d = {
    .name = "Conv1D", .snake = "conv1d", .args = conv2d_args1d, .defaults = layer_conv_defaults, .infer = infer1d,
    .scratch = conv2d_scratch, .weights = conv2d_weights, .init = conv2d_init, .forward = conv2d_forward,
    .backward = conv2d_backward, .has_act = 1,
};
