/* runtime/layers/conv2d_transpose.c — Conv2DTranspose ("deconvolution"):
 * the adjoint of a Conv2D, as in Keras 2.2.4 with output_padding=None.
 *
 *   in  x [B, H, W, C]     weights  kernel [KH, KW, F, C] (Keras's reversed layout), bias [F]
 *   out y [B, OH, OW, F]   'valid': OH = H*s + max(KH - s, 0);  'same': OH = H*s
 *
 * Seen from the output, x is what a convolution of the output with this
 * kernel would produce, so the window g describes that convolution (image =
 * the output, its result = x) and forward is that convolution's backward:
 *   cols = x Kᵀ  (K as a (KH*KW*F, C) matrix);  y = col2im(cols) + b
 * and backward is its forward:
 *   dcols = im2col(dz);  dK = dcolsᵀ x;  dx = dcols K
 * scratch per sample: cols [H*W, KH*KW*F], and z [OH*OW*F] for the activation. */
#include <stddef.h>
#include <stdio.h>
#include "gemm.h"
#include "kernels.h"
#include "layer.h"
#include "util.h"

static const ArgSpec conv2d_transpose_args[] = {
    {.name = "filters", .type = ARG_INT, ATTR(ConvAttr, filters), .positional = 1, .required = 1, .min = 1, .max = 1e9},
    {.name = "kernel_size", .type = ARG_PAIR, ATTR(ConvAttr, window.kernel), .positional = 1, .required = 1, .min = 1},
    {.name = "strides", .type = ARG_PAIR, ATTR(ConvAttr, window.strides), .positional = 1, .min = 1},
    {.name = "padding", .type = ARG_PADDING, ATTR(ConvAttr, window.padding), .positional = 1},
    {.name = "output_padding", .type = ARG_NONE_ONLY, .positional = 1},
    {.name = "data_format", .type = ARG_FORMAT, .positional = 1},
    {.name = "dilation_rate", .type = ARG_PAIR, ATTR(ConvAttr, window.dilation), .positional = 1, .min = 1, .max = 1},
    LAYER_ACT_BIAS_ARGS(ConvAttr, "kernel"),
    LAYER_WINDOW_FIELDS(ConvAttr),
    {0},
};

/* the convolution from the output (image) back to the input */
static NnmWindow window(const NnmLayer *l)
{
    const ConvAttr *cv = l->attr;
    NnmWindow g = {l->out.dim[0], l->out.dim[1], cv->filters, l->in.dim[0], l->in.dim[1],
                   cv->window.kernel[0], cv->window.kernel[1], cv->window.strides[0], cv->window.strides[1], 1, 1, cv->window.pad[0], cv->window.pad[1]};
    return g;
}

static int conv2d_transpose_infer(NnmLayer *l, char *err, size_t n)
{
    ConvAttr *cv = l->attr;
    if (layer_need_images(l, err, n))
        return -1;
    int64_t out[2];
    for (int a = 0; a < 2; a++) {
        int64_t in = l->in.dim[a], k = cv->window.kernel[a], s = cv->window.strides[a];
        out[a] = cv->window.padding == PAD_SAME ? in * s : in * s + (k > s ? k - s : 0);
        if (out[a] > (1 << 20)) {
            snprintf(err, n, "Conv2DTranspose output is too large");
            return -1;
        }
        /* the padding of the equivalent convolution from out back to in */
        int64_t back = conv_out_size(out[a], k, s, 1, cv->window.padding, &cv->window.pad[a]);
        if (back != in) {
            snprintf(err, n, "Conv2DTranspose: no convolution maps %lld back to %lld", (long long)out[a], (long long)in);
            return -1;
        }
    }
    int64_t k = cv->window.kernel[0] * cv->window.kernel[1] * cv->filters;
    if (k > ((int64_t)1 << 40) / l->in.dim[2] || l->in.dim[0] * l->in.dim[1] * k > ((int64_t)1 << 40)) {
        snprintf(err, n, "Conv2DTranspose is too large");
        return -1;
    }
    l->out = (NnmShape){3, {out[0], out[1], cv->filters, 0}};
    l->nparams = k * l->in.dim[2] + (cv->use_bias ? cv->filters : 0);
    return 0;
}

static int64_t cols_size(const NnmLayer *l)
{
    const ConvAttr *cv = l->attr;
    return l->in.dim[0] * l->in.dim[1] * cv->window.kernel[0] * cv->window.kernel[1] * cv->filters;
}

static int64_t conv2d_transpose_scratch(const NnmLayer *l)
{
    return cols_size(l) + (l->act == ACT_LINEAR ? 0 : shape_size(&l->out));
}

/* the products are nnm_matmul's: its blocks in the thread workspace, the
 * columns transposed (for the kernel's gradient) in the batch work */
static int64_t conv2d_transpose_workspace(const NnmLayer *l)
{
    const ConvAttr *cv = l->attr;
    int64_t kk = cv->window.kernel[0] * cv->window.kernel[1] * cv->filters, c = l->in.dim[2];
    return NNM_MAX(nnm_matmul_workspace(1, kk, c), NNM_MAX(nnm_matmul_workspace(kk, c, 1 << 30), nnm_matmul_workspace(1, c, kk)));
}

static int64_t conv2d_transpose_batch_work(const NnmLayer *l, int64_t batch)
{
    const ConvAttr *cv = l->attr;
    return nnm_matmul_shared_size(1, cv->window.kernel[0] * cv->window.kernel[1] * cv->filters, batch * l->in.dim[0] * l->in.dim[1]);
}

static int conv2d_transpose_weights(const NnmLayer *l, WeightInfo out[LAYER_MAX_WEIGHTS])
{
    const ConvAttr *cv = l->attr;
    return layer_kernel_bias((NnmShape){4, {cv->window.kernel[0], cv->window.kernel[1], cv->filters, l->in.dim[2]}}, cv->filters, cv->use_bias, out);
}

static void conv2d_transpose_init(const NnmLayer *l, float *w, NnmRng *rng)
{
    const ConvAttr *cv = l->attr;
    int64_t rf = cv->window.kernel[0] * cv->window.kernel[1], c = l->in.dim[2], f = cv->filters;
    /* Keras computes fans from the (KH, KW, F, C) shape: rf*F in, rf*C out */
    nnm_init_fill(cv->kinit, w, rf * f * c, rf * f, rf * c, rng);
    if (cv->use_bias)
        nnm_init_fill(cv->binit, w + rf * f * c, f, f, f, rng);
}

static void conv2d_transpose_forward(const LayerRun *r)
{
    const NnmLayer *l = r->l;
    const ConvAttr *cv = l->attr;
    NnmWindow g = window(l);
    int64_t m = r->batch * g.oh * g.ow, kk = g.kh * g.kw * g.c, c = l->in.dim[2], f = cv->filters;
    float *cols = r->scratch, *z = l->act == ACT_LINEAR ? r->y : r->scratch + r->batch * cols_size(l);
    nnm_matmul(0, 1, m, kk, c, r->x, c, r->w, c, 0, cols, kk, NULL, r->work, layer_work_stride(conv2d_transpose_workspace(l)));
    nnm_col2im(&g, r->batch, cols, z);
    int64_t pixels = r->batch * l->out.dim[0] * l->out.dim[1];
    if (cv->use_bias)
        nnm_add_bias(pixels, f, r->w + kk * c, z);
    if (l->act != ACT_LINEAR)
        nnm_act_forward(l->act, (float)l->alpha, pixels, f, z, r->y);
}

static void conv2d_transpose_backward(const LayerRun *r)
{
    const NnmLayer *l = r->l;
    const ConvAttr *cv = l->attr;
    NnmWindow g = window(l);
    int64_t m = r->batch * g.oh * g.ow, kk = g.kh * g.kw * g.c, c = l->in.dim[2], f = cv->filters;
    int64_t pixels = r->batch * l->out.dim[0] * l->out.dim[1];
    float *cols = r->scratch, *dz = r->dy;
    if (!r->fused && l->act != ACT_LINEAR)
        nnm_act_backward(l->act, (float)l->alpha, pixels, f, r->scratch + r->batch * cols_size(l), r->y, dz);
    if (cv->use_bias)
        nnm_col_sums(pixels, f, dz, r->dw + kk * c);
    nnm_im2col(&g, r->batch, dz, cols);
    nnm_matmul(1, 0, kk, c, m, cols, kk, r->x, c, 0, r->dw, c, r->bwork, r->work, layer_work_stride(conv2d_transpose_workspace(l)));
    if (r->dx)
        nnm_matmul(0, 0, m, c, kk, cols, kk, r->w, c, 0, r->dx, c, NULL, r->work, layer_work_stride(conv2d_transpose_workspace(l)));
}

const LayerKind layer_conv2d_transpose = {
    .name = "Conv2DTranspose", .snake = "conv2d_transpose", .args = conv2d_transpose_args, LAYER_ATTR(ConvAttr), .defaults = layer_conv_defaults,
    .infer = conv2d_transpose_infer, .scratch = conv2d_transpose_scratch, .workspace = conv2d_transpose_workspace, .batch_work = conv2d_transpose_batch_work, .weights = conv2d_transpose_weights, .init = conv2d_transpose_init, .forward = conv2d_transpose_forward,
    .backward = conv2d_transpose_backward, .has_act = 1,
};
