/* runtime/layers/conv2d.c — Conv2D: 2-D convolution (cross-correlation) on
 * channels-last images, with an activation; and Conv1D, the same on
 * sequences (steps, channels) seen as images of height 1.
 *
 *   in  x [B, H, W, C]        weights  kernel [KH, KW, C, F] (Keras layout), bias [F]
 *   out y [B, OH, OW, F]      sizes and padding by TensorFlow's rules
 *   scratch per sample: z [OH*OW, F] unless the activation is linear or ReLU;
 *   workspace per thread: the columns col [OH*OW, KH*KW*C] of a chunk of
 *   images, and as much for their gradient; the call's batch_work: one partial
 *   weight gradient per group of GRAD_GROUP images
 *
 * Forward is one GEMM (runtime/gemm.c) with the kernel seen as a (KH*KW*C,
 * F) matrix, z = col W + b, where the columns col are not built: the GEMM
 * reads each output pixel's window a kernel row at a time, straight from x
 * (conv_rows); the bias and the activation are applied to rows of z as the
 * GEMM finishes them, while they are in cache.  Backward builds the columns
 * of a chunk of images (im2col):
 *   dz = dy * act'(z);  dWᵀ = dzᵀ col;  db = Σ dz;  dcol = dz Wᵀ;  dx = col2im(dcol) */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "gemm.h"
#include "isa.h"
#include "kernels.h"
#include "layer.h"
#include "parallel.h"
#include "util.h"

static const ArgSpec conv2d_args[] = {
    {.name = "filters", .type = ARG_INT, ATTR(ConvAttr, filters), .positional = 1, .required = 1, .min = 1, .max = 1e9},
    {.name = "kernel_size", .type = ARG_PAIR, ATTR(ConvAttr, window.kernel), .positional = 1, .required = 1, .min = 1},
    {.name = "strides", .type = ARG_PAIR, ATTR(ConvAttr, window.strides), .positional = 1, .min = 1},
    {.name = "padding", .type = ARG_PADDING, ATTR(ConvAttr, window.padding), .positional = 1},
    {.name = "data_format", .type = ARG_FORMAT, .positional = 1},
    {.name = "dilation_rate", .type = ARG_PAIR, ATTR(ConvAttr, window.dilation), .positional = 1, .min = 1},
    LAYER_ACT_BIAS_ARGS(ConvAttr, "kernel"),
    LAYER_WINDOW_FIELDS(ConvAttr),
    {0},
};

static const char *const pads1d[] = {"valid", "same", "causal", NULL};
static const ArgSpec conv2d_args1d[] = {
    {.name = "filters", .type = ARG_INT, ATTR(ConvAttr, filters), .positional = 1, .required = 1, .min = 1, .max = 1e9},
    {.name = "kernel_size", .type = ARG_INT, ATTR(ConvAttr, window.kernel[1]), .positional = 1, .required = 1, .min = 1, .max = 1e6},
    {.name = "strides", .type = ARG_INT, ATTR(ConvAttr, window.strides[1]), .positional = 1, .min = 1, .max = 1e6},
    {.name = "padding", .type = ARG_CHOICE, ATTR(ConvAttr, window.padding), .positional = 1, .choices = pads1d},
    {.name = "data_format", .type = ARG_FORMAT, .positional = 1},
    {.name = "dilation_rate", .type = ARG_INT, ATTR(ConvAttr, window.dilation[1]), .positional = 1, .min = 1, .max = 1e6},
    LAYER_ACT_BIAS_ARGS(ConvAttr, "kernel"),
    LAYER_WINDOW_FIELDS(ConvAttr),
    {0},
};

static int infer1d(NnmLayer *l, char *err, size_t n)
{
    ConvAttr *cv = l->attr;
    char s[96];
    shape_str(&l->in, s, sizeof s);
    if (l->in.rank != 2) {
        snprintf(err, n, "Conv1D expects sequences (None, steps, channels) but gets %s", s);
        return -1;
    }
    if (cv->window.strides[1] > 1 && cv->window.dilation[1] > 1) {
        snprintf(err, n, "Conv1D cannot combine strides > 1 with dilation_rate > 1 (as in Keras)");
        return -1;
    }
    int64_t out = conv_out_size(l->in.dim[0], cv->window.kernel[1], cv->window.strides[1], cv->window.dilation[1], cv->window.padding, &cv->window.pad[1]);
    if (out < 1) {
        snprintf(err, n, "Conv1D: a kernel of %lld does not fit the input %s with padding 'valid'",
                 (long long)cv->window.kernel[1], s);
        return -1;
    }
    int64_t k = cv->window.kernel[1] * l->in.dim[1];
    if (k > ((int64_t)1 << 40) / cv->filters || out * k > ((int64_t)1 << 40)) {
        snprintf(err, n, "Conv1D is too large");
        return -1;
    }
    l->out = (NnmShape){2, {out, cv->filters, 0, 0}};
    l->nparams = k * cv->filters + (cv->use_bias ? cv->filters : 0);
    return 0;
}

static int conv2d_infer(NnmLayer *l, char *err, size_t n)
{
    ConvAttr *cv = l->attr;
    char s[96];
    shape_str(&l->in, s, sizeof s);
    if (layer_need_images(l, err, n))
        return -1;
    if ((cv->window.strides[0] > 1 || cv->window.strides[1] > 1) && (cv->window.dilation[0] > 1 || cv->window.dilation[1] > 1)) {
        snprintf(err, n, "Conv2D cannot combine strides > 1 with dilation_rate > 1 (as in Keras)");
        return -1;
    }
    int64_t out[2];
    for (int a = 0; a < 2; a++) {
        out[a] = conv_out_size(l->in.dim[a], cv->window.kernel[a], cv->window.strides[a], cv->window.dilation[a], cv->window.padding, &cv->window.pad[a]);
        if (out[a] < 1) {
            snprintf(err, n, "Conv2D: a %lldx%lld kernel%s does not fit the %lldx%lld input %s with padding 'valid'",
                     (long long)cv->window.kernel[0], (long long)cv->window.kernel[1],
                     cv->window.dilation[a] > 1 ? " (dilated)" : "", (long long)l->in.dim[0],
                     (long long)l->in.dim[1], s);
            return -1;
        }
    }
    int64_t k = cv->window.kernel[0] * cv->window.kernel[1] * l->in.dim[2];
    if (k > ((int64_t)1 << 40) / cv->filters || out[0] * out[1] * cv->filters > ((int64_t)1 << 40) ||
        out[0] * out[1] * k > ((int64_t)1 << 40)) {
        snprintf(err, n, "Conv2D is too large");
        return -1;
    }
    l->out = (NnmShape){3, {out[0], out[1], cv->filters, 0}};
    l->nparams = k * cv->filters + (cv->use_bias ? cv->filters : 0);
    return 0;
}

static int64_t conv2d_col_size(const NnmLayer *l)
{
    NnmWindow g = layer_window(l);
    return g.oh * g.ow * g.kh * g.kw * g.c;
}

/* Weight gradients are summed in fixed groups of images, in parallel, then
 * the groups' partial sums are added in order: the figures do not depend on
 * the number of threads.  The partials live in the call's batch_work: they
 * are made and summed within one backward call. */
#define GRAD_GROUP 8

static int64_t partial_size(const NnmLayer *l)
{
    const ConvAttr *cv = l->attr;
    NnmWindow g = layer_window(l);
    return g.kh * g.kw * g.c * cv->filters + cv->filters;
}

/* per sample: z when kept (layer_keeps_z; else z is y, activated in place) */
static int64_t conv2d_scratch(const NnmLayer *l)
{
    return layer_keeps_z(l) ? shape_size(&l->out) : 0;
}

/* forward: the kernel packed for nnm_gemm; backward: the partials, then
 * the kernel's transpose packed */
static int64_t conv2d_batch_work(const NnmLayer *l, int64_t batch)
{
    const ConvAttr *cv = l->attr;
    NnmWindow g = layer_window(l);
    const int64_t k = g.kh * g.kw * g.c;
    return NNM_MAX((batch + GRAD_GROUP - 1) / GRAD_GROUP * partial_size(l) + nnm_gemm_packed_size(cv->filters, k),
                   nnm_gemm_packed_size(k, cv->filters));
}

/* Images are lowered to columns a few at a time: as many as fit in
 * CHUNK_FLOATS (so that they stay in a core's cache while multiplied), at
 * least one, at most a gradient group, and a power of two so that chunks
 * tile the groups.  Chunks start at multiples of their size, whatever the
 * number of threads. */
#define CHUNK_FLOATS (160 * 1024) /* 640 KiB */

static int64_t chunk_images(const NnmLayer *l)
{
    int64_t n = 1, col = conv2d_col_size(l);
    while (2 * n <= GRAD_GROUP && 2 * n * col <= CHUNK_FLOATS)
        n *= 2;
    return n;
}

/* Kernel rows shorter than this are too short to be the blocks of
 * nnm_gemm (each block costs a reload of the row pointers): such layers
 * (first layers, with one or three channels) are lowered by im2col and
 * multiplied as one block. */
#define MIN_SPAN 16

static int64_t gemm_work(const NnmLayer *l)
{
    NnmWindow g = layer_window(l);
    return g.kw * g.c < MIN_SPAN ? nnm_gemm_work_size(g.kh * g.kw * g.c, 1) : nnm_gemm_work_size(g.kw * g.c, g.kh);
}

/* a chunk's columns packed as the weight gradient's B */
static int64_t packed_col_size(const NnmLayer *l)
{
    NnmWindow g = layer_window(l);
    return nnm_gemm_packed_size(chunk_images(l) * g.oh * g.ow, g.kh * g.kw * g.c);
}

/* Per thread.  Forward: the columns when they are built (MIN_SPAN), then
 * nnm_gemm's work.  Backward: one chunk's columns, rebuilt from x rather
 * than kept from the forward pass (rebuilding is cheaper than fetching a
 * batch's worth of columns back from memory), then their gradient in the
 * same place; the columns packed, dz transposed, and nnm_gemm's work for
 * the two products. */
static int64_t conv2d_workspace(const NnmLayer *l)
{
    const ConvAttr *cv = l->attr;
    NnmWindow g = layer_window(l);
    const int64_t cols = chunk_images(l) * conv2d_col_size(l), rows = chunk_images(l) * g.oh * g.ow;
    const int64_t back = cols + packed_col_size(l) + rows * cv->filters +
                         NNM_MAX(nnm_gemm_work_size(cv->filters, 1), nnm_gemm_work_size(rows, 1));
    return NNM_MAX(back, cols + gemm_work(l));
}

static int conv2d_weights(const NnmLayer *l, WeightInfo out[LAYER_MAX_WEIGHTS])
{
    const ConvAttr *cv = l->attr;
    if (l->in.rank == 2) /* Conv1D: (k, C, F) */
        return layer_kernel_bias((NnmShape){3, {cv->window.kernel[1], l->in.dim[1], cv->filters, 0}}, cv->filters, cv->use_bias, out);
    return layer_kernel_bias((NnmShape){4, {cv->window.kernel[0], cv->window.kernel[1], l->in.dim[2], cv->filters}}, cv->filters, cv->use_bias, out);
}

static void conv2d_init(const NnmLayer *l, float *w, NnmRng *rng)
{
    const ConvAttr *cv = l->attr;
    NnmWindow g = layer_window(l);
    int64_t rf = g.kh * g.kw, k = rf * g.c, f = cv->filters;
    /* fans of a convolution kernel: receptive field times channels */
    nnm_init_fill(cv->kinit, w, k * f, k, rf * f, rng);
    if (cv->use_bias)
        nnm_init_fill(cv->binit, w + k * f, f, f, f, rng);
}

/* Chunk by chunk, the chunks shared between the threads: a chunk's
 * columns are built in the thread's workspace and multiplied while they are
 * still in cache, and each GEMM runs on one thread (no splitting of small
 * products). */
typedef struct {
    const LayerRun *r;
    NnmWindow g;
    int64_t pix, k, f, isz; /* output pixels per image, K*K*C, filters, input floats per image */
    int64_t chunk, cols;    /* images per im2col (chunk_images), floats of their columns */
    float *z;               /* pre-activations [batch, pix, f] (y when not kept) */
    float *parts;           /* backward: one partial dWᵀ and db per group */
    const float *x;         /* forward: the images of one chunk */
    const float *packed_wt; /* backward: Wᵀ packed for nnm_gemm (dcol = dz Wᵀ) */
} ConvJob;

static ConvJob conv_job(const LayerRun *r)
{
    const NnmLayer *l = r->l;
    const ConvAttr *cv = l->attr;
    ConvJob j = {r, layer_window(l), 0, 0, cv->filters, 0, chunk_images(l), 0, NULL, NULL, NULL, NULL};
    j.pix = j.g.oh * j.g.ow;
    j.k = j.g.kh * j.g.kw * j.g.c;
    j.isz = j.g.h * j.g.w * j.g.c;
    j.cols = j.chunk * j.pix * j.k;
    j.z = layer_keeps_z(l) ? r->scratch : r->y;
    j.parts = r->bwork;
    return j;
}

/* The rows of the columns matrix for nnm_gemm, read from the images in
 * place: output pixel row's block ky is the kernel row ky of its window, kw*c
 * values that lie side by side in x when the window row is inside the image
 * (no dilation); the others are built in scratch, zeros for the padding. */
static void conv_rows(const void *p, int64_t i0, int mr, int64_t ky, const float **ptr, float *scratch)
{
    const ConvJob *j = p;
    const NnmWindow *g = &j->g;
    const int64_t c = g->c, span = g->kw * c;
    for (int i = 0; i < mr; i++) {
        const int64_t row = i0 + i, b = row / j->pix, at = row % j->pix, oy = at / g->ow, ox = at % g->ow;
        const int64_t iy = oy * g->sh - g->pt + ky * g->dh, ix0 = ox * g->sw - g->pl;
        const float *img = j->x + b * j->isz;
        if (iy >= 0 && iy < g->h && g->dw == 1 && ix0 >= 0 && ix0 + g->kw <= g->w) {
            ptr[i] = img + (iy * g->w + ix0) * c;
            continue;
        }
        float *d = scratch + i * span;
        for (int64_t kx = 0; kx < g->kw; kx++) {
            const int64_t ix = ix0 + kx * g->dw;
            if (iy < 0 || iy >= g->h || ix < 0 || ix >= g->w)
                memset(d + kx * c, 0, (size_t)c * sizeof *d);
            else
                memcpy(d + kx * c, img + (iy * g->w + ix) * c, (size_t)c * sizeof *d);
        }
        ptr[i] = d;
    }
}

/* rows [i0, i0 + n) of a chunk's pre-activations are final: the bias and
 * the activation, while they are in cache (the same operations, in the
 * same order, as passes over the whole batch) */
typedef struct {
    const LayerRun *r;
    const float *bias;
    int64_t f;
    float *z, *y; /* the chunk's first row */
} ConvDone;

static void conv_done(const void *p, int64_t i0, int64_t n)
{
    const ConvDone *d = p;
    const NnmLayer *l = d->r->l;
    float *z = d->z + i0 * d->f;
    if (d->bias)
        nnm_add_bias(n, d->f, d->bias, z);
    if (l->act != ACT_LINEAR)
        nnm_act_forward(l->act, (float)l->alpha, n, d->f, z, d->y + i0 * d->f);
}

/* images [b0, b1), b0 a multiple of the chunk size */
static void forward_images(void *p, int64_t b0, int64_t b1)
{
    const ConvJob *j = p;
    const LayerRun *r = j->r;
    float *col = layer_work(r, conv2d_workspace(r->l)), *work = col + j->cols;
    const int64_t span = j->g.kw * j->g.c;
    const float *bias = ((const ConvAttr *)r->l->attr)->use_bias ? r->w + j->k * j->f : NULL;
    for (int64_t b = b0; b < b1; b += j->chunk) {
        int64_t nb = NNM_MIN(j->chunk, b1 - b), rows = nb * j->pix;
        float *z = j->z + b * j->pix * j->f;
        const ConvDone cd = {r, bias, j->f, z, r->y + b * j->pix * j->f};
        const NnmGemmDone done = {conv_done, &cd};
        if (span < MIN_SPAN) {
            nnm_im2col(&j->g, nb, r->x + b * j->isz, col);
            const NnmGemmMatrix a = {col, j->k, j->k};
            nnm_gemm(rows, j->f, j->k, 1, nnm_gemm_matrix_rows, &a, r->bwork, 0, z, j->f, work, &done);
        } else {
            ConvJob part = *j;
            part.x = r->x + b * j->isz;
            nnm_gemm(rows, j->f, span, j->g.kh, conv_rows, &part, r->bwork, 0, z, j->f, work, &done);
        }
    }
}

static void conv2d_forward(const LayerRun *r)
{
    ConvJob j = conv_job(r);
    nnm_gemm_pack_b(j.k, j.f, r->w, j.f, 0, r->bwork);
    nnm_par_each(r->batch, j.chunk, forward_images, &j);
}

/* Groups [g0, g1): for each chunk of a group, dz = dy * act'(z); the
 * chunk's share of the group's partial dW, kept transposed: dWᵀ = dzᵀ col
 * (F rows: dz transposed is a few times smaller than the columns, and the
 * columns, packed as B, are copied in runs), each chain continuing the
 * previous chunk's (the chunks of a group add up as one product; thin
 * first layers too: their padded panels cost about 1% of an MNIST CNN
 * epoch, and keep the figures free of any BLAS library's kernels); then
 * dcol = dz Wᵀ,
 * in col's place, and dx = col2im(dcol). */
static void backward_groups(void *p, int64_t g0, int64_t g1)
{
    const ConvJob *j = p;
    const LayerRun *r = j->r;
    const NnmLayer *l = r->l;
    const int64_t psz = j->k * j->f + j->f;
    float *col = layer_work(r, conv2d_workspace(l)), *pcol = col + j->cols, *dzt = pcol + packed_col_size(l);
    float *work = dzt + j->chunk * j->pix * j->f;
    for (int64_t grp = g0; grp < g1; grp++) {
        int64_t first = grp * GRAD_GROUP, last = NNM_MIN(first + GRAD_GROUP, r->batch);
        float *part = j->parts + grp * psz;
        for (int64_t b = first; b < last; b += j->chunk) {
            int64_t nb = NNM_MIN(j->chunk, last - b), rows = nb * j->pix;
            float *dz = r->dy + b * j->pix * j->f;
            if (!r->fused && l->act != ACT_LINEAR) /* here, while dz is about to be used */
                nnm_act_backward(l->act, (float)l->alpha, rows, j->f, j->z + b * j->pix * j->f,
                                 r->y + b * j->pix * j->f, dz);
            nnm_im2col(&j->g, nb, r->x + b * j->isz, col);
            nnm_gemm_pack_b(rows, j->k, col, j->k, 0, pcol);
            nnm_transpose(rows, j->f, dz, dzt);
            const NnmGemmMatrix a = {dzt, rows, rows};
            nnm_gemm(j->f, j->k, rows, 1, nnm_gemm_matrix_rows, &a, pcol, b != first, part, j->k, work, NULL);
            if (r->dx) {
                const NnmGemmMatrix d = {dz, j->f, j->f};
                nnm_gemm(rows, j->k, j->f, 1, nnm_gemm_matrix_rows, &d, j->packed_wt, 0, col, j->k, work, NULL);
                nnm_col2im(&j->g, nb, col, r->dx + b * j->isz);
            }
        }
        nnm_col_sums((last - first) * j->pix, j->f, r->dy + first * j->pix * j->f, part + j->k * j->f);
    }
}

typedef struct {
    const float *parts;
    float *out;
    int64_t n, k, f; /* groups; the partials' dW is (f, k), out's is (k, f) */
} SumJob;

/* Entries [a0, a1) of the partials' layout: the groups' partials added in
 * group order, dW transposed back to Keras's (K*K*C, F) as it is written,
 * then db.  Walking the partials in their own order reads each as one
 * stream; only the writes, into a dW that stays in cache, jump. */
NNM_ISA_KERNEL(sum_partials, (void *p, int64_t a0, int64_t a1), (p, a0, a1))
{
    const SumJob *j = p;
    const int64_t size = j->k * j->f + j->f, kf = j->k * j->f;
    float acc[256];
    for (int64_t b = a0; b < a1; b += 256) {
        const int64_t n = NNM_MIN(256, a1 - b);
        memcpy(acc, j->parts + b, (size_t)n * sizeof *acc);
        for (int64_t grp = 1; grp < j->n; grp++) {
            const float *part = j->parts + grp * size + b;
            for (int64_t t = 0; t < n; t++)
                acc[t] += part[t];
        }
        for (int64_t t = 0; t < n; t++) {
            const int64_t at = b + t;
            j->out[at < kf ? at % j->k * j->f + at / j->k : at] = acc[t];
        }
    }
}

static void conv2d_backward(const LayerRun *r)
{
    const NnmLayer *l = r->l;
    const ConvAttr *cv = l->attr;
    ConvJob j = conv_job(r);
    int64_t groups = (r->batch + GRAD_GROUP - 1) / GRAD_GROUP;
    if (r->dx) {
        float *wt = r->bwork + groups * (j.k * j.f + j.f);
        nnm_gemm_pack_b(j.f, j.k, r->w, j.f, 1, wt);
        j.packed_wt = wt;
    }
    nnm_par_each(groups, 1, backward_groups, &j);
    SumJob sj = {j.parts, r->dw, groups, j.k, j.f};
    nnm_par_for(j.k * j.f + (cv->use_bias ? j.f : 0), 16, 4096, sum_partials, &sj);
}

const LayerKind layer_conv2d = {
    .name = "Conv2D", .snake = "conv2d", .args = conv2d_args, LAYER_ATTR(ConvAttr), .defaults = layer_conv_defaults, .infer = conv2d_infer,
    .scratch = conv2d_scratch, .workspace = conv2d_workspace, .batch_work = conv2d_batch_work, .weights = conv2d_weights, .init = conv2d_init, .forward = conv2d_forward,
    .backward = conv2d_backward, .has_act = 1,
};

const LayerKind layer_conv1d = {
    .name = "Conv1D", .snake = "conv1d", .args = conv2d_args1d, LAYER_ATTR(ConvAttr), .defaults = layer_conv_defaults, .infer = infer1d,
    .scratch = conv2d_scratch, .workspace = conv2d_workspace, .batch_work = conv2d_batch_work, .weights = conv2d_weights, .init = conv2d_init, .forward = conv2d_forward,
    .backward = conv2d_backward, .has_act = 1,
};
