/* runtime/layers/depthwise.c — DepthwiseConv2D and SeparableConv2D on
 * channels-last images.
 *
 * DepthwiseConv2D(kernel_size, strides, padding, depth_multiplier=dm):
 *   each input channel c has its own dm filters: out channel c*dm + m is
 *   sum over the window of x[.., c] * k[ky, kx, c, m]
 *   weights: depthwise_kernel [KH, KW, C, dm], bias [C*dm]
 * SeparableConv2D(filters, kernel_size, ..., depth_multiplier=dm):
 *   the depthwise step, then a pointwise (1x1) convolution to `filters`
 *   weights: depthwise_kernel [KH, KW, C, dm], pointwise_kernel [1, 1, C*dm, F], bias [F]
 *
 * Both lower the batch with im2col (col [P, KH*KW*C], P = B*OH*OW); the
 * depthwise product is a short loop per pixel, the pointwise one a GEMM.
 * scratch per sample: col, the depthwise output d [OH*OW*C*dm] (separable),
 * and z [OH*OW*out] when the activation is not linear.  The pointwise
 * products are nnm_matmul's: its blocks in the thread workspace, d
 * transposed (for the pointwise kernel's gradient) in the batch work. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "gemm.h"
#include "kernels.h"
#include "layer.h"
#include "util.h"

static const ArgSpec dw_args[] = {
    {.name = "kernel_size", .type = ARG_PAIR, ATTR(ConvAttr, window.kernel), .positional = 1, .required = 1, .min = 1},
    {.name = "strides", .type = ARG_PAIR, ATTR(ConvAttr, window.strides), .positional = 1, .min = 1},
    {.name = "padding", .type = ARG_PADDING, ATTR(ConvAttr, window.padding), .positional = 1},
    {.name = "depth_multiplier", .type = ARG_INT, ATTR(ConvAttr, depth_multiplier), .positional = 1, .min = 1, .max = 1e6},
    {.name = "data_format", .type = ARG_FORMAT, .positional = 1},
    {.name = "dilation_rate", .type = ARG_PAIR, ATTR(ConvAttr, window.dilation), .positional = 1, .min = 1},
    LAYER_ACT_BIAS_ARGS(ConvAttr, "depthwise"),
    LAYER_WINDOW_FIELDS(ConvAttr),
    {0},
};

static const ArgSpec sep_args[] = {
    {.name = "filters", .type = ARG_INT, ATTR(ConvAttr, filters), .positional = 1, .required = 1, .min = 1, .max = 1e9},
    {.name = "kernel_size", .type = ARG_PAIR, ATTR(ConvAttr, window.kernel), .positional = 1, .required = 1, .min = 1},
    {.name = "strides", .type = ARG_PAIR, ATTR(ConvAttr, window.strides), .positional = 1, .min = 1},
    {.name = "padding", .type = ARG_PADDING, ATTR(ConvAttr, window.padding), .positional = 1},
    {.name = "data_format", .type = ARG_FORMAT, .positional = 1},
    {.name = "dilation_rate", .type = ARG_PAIR, ATTR(ConvAttr, window.dilation), .positional = 1, .min = 1},
    {.name = "depth_multiplier", .type = ARG_INT, ATTR(ConvAttr, depth_multiplier), .positional = 1, .min = 1, .max = 1e6},
    LAYER_ACT_BIAS_ARGS(ConvAttr, "depthwise"),
    {.name = "pointwise_initializer", .type = ARG_NONE_ONLY, .positional = 1},
    {.name = "pointwise_regularizer", .type = ARG_NONE_ONLY, .positional = 1},
    {.name = "pointwise_constraint", .type = ARG_NONE_ONLY, .positional = 1},
    LAYER_WINDOW_FIELDS(ConvAttr),
    {0},
};

static void depthwise_defaults(NnmLayer *l)
{
    ConvAttr *cv = l->attr;
    layer_conv_defaults(l);
    cv->depth_multiplier = 1;
}

static int separable(const NnmLayer *l) { return l->kind == LK_SEPARABLE_CONV2D; }
static int64_t out_channels(const NnmLayer *l)
{
    const ConvAttr *cv = l->attr;
    return separable(l) ? cv->filters : l->in.dim[2] * cv->depth_multiplier;
}

static int depthwise_infer(NnmLayer *l, char *err, size_t n)
{
    ConvAttr *cv = l->attr;
    char s[96];
    shape_str(&l->in, s, sizeof s);
    if (layer_need_images(l, err, n))
        return -1;
    int64_t out[2];
    for (int a = 0; a < 2; a++) {
        out[a] = conv_out_size(l->in.dim[a], cv->window.kernel[a], cv->window.strides[a], cv->window.dilation[a], cv->window.padding, &cv->window.pad[a]);
        if (out[a] < 1) {
            snprintf(err, n, "%s: a %lldx%lld kernel does not fit the input %s with padding 'valid'",
                     layer_kinds[l->kind]->name, (long long)cv->window.kernel[0], (long long)cv->window.kernel[1], s);
            return -1;
        }
    }
    int64_t c = l->in.dim[2], cm = c * cv->depth_multiplier, f = out_channels(l);
    if (cm > (1 << 24) || f > (1 << 24) || out[0] * out[1] * cv->window.kernel[0] * cv->window.kernel[1] * c > ((int64_t)1 << 40)) {
        snprintf(err, n, "%s is too large", layer_kinds[l->kind]->name);
        return -1;
    }
    l->out = (NnmShape){3, {out[0], out[1], f, 0}};
    l->nparams = cv->window.kernel[0] * cv->window.kernel[1] * cm + (separable(l) ? cm * f : 0) + (cv->use_bias ? f : 0);
    return 0;
}

static int64_t depthwise_col_size(const NnmLayer *l)
{
    const ConvAttr *cv = l->attr;
    return l->out.dim[0] * l->out.dim[1] * cv->window.kernel[0] * cv->window.kernel[1] * l->in.dim[2];
}
static int64_t mid_size(const NnmLayer *l)
{
    const ConvAttr *cv = l->attr;
    return l->out.dim[0] * l->out.dim[1] * l->in.dim[2] * cv->depth_multiplier;
}

static int64_t depthwise_scratch(const NnmLayer *l)
{
    return depthwise_col_size(l) + (separable(l) ? mid_size(l) : 0) + (l->act == ACT_LINEAR ? 0 : shape_size(&l->out));
}

static int64_t depthwise_workspace(const NnmLayer *l)
{
    const int64_t cdm = l->in.dim[2] * ((const ConvAttr *)l->attr)->depth_multiplier, f = out_channels(l);
    if (!separable(l))
        return 0;
    return NNM_MAX(nnm_matmul_workspace(1, f, cdm), NNM_MAX(nnm_matmul_workspace(cdm, f, 1 << 30), nnm_matmul_workspace(1, cdm, f)));
}

static int64_t depthwise_batch_work(const NnmLayer *l, int64_t batch)
{
    const int64_t cdm = l->in.dim[2] * ((const ConvAttr *)l->attr)->depth_multiplier;
    return separable(l) ? nnm_matmul_shared_size(1, cdm, batch * l->out.dim[0] * l->out.dim[1]) : 0;
}

static int depthwise_weights(const NnmLayer *l, WeightInfo out[LAYER_MAX_WEIGHTS])
{
    const ConvAttr *cv = l->attr;
    int64_t c = l->in.dim[2], f = out_channels(l);
    int k = 0;
    out[k++] = (WeightInfo){"depthwise_kernel", {4, {cv->window.kernel[0], cv->window.kernel[1], c, cv->depth_multiplier}}};
    if (separable(l))
        out[k++] = (WeightInfo){"pointwise_kernel", {4, {1, 1, c * cv->depth_multiplier, f}}};
    if (cv->use_bias)
        out[k++] = (WeightInfo){"bias", {1, {f, 0, 0, 0}}};
    return k;
}

static void depthwise_init(const NnmLayer *l, float *w, NnmRng *rng)
{
    const ConvAttr *cv = l->attr;
    int64_t rf = cv->window.kernel[0] * cv->window.kernel[1], c = l->in.dim[2], dm = cv->depth_multiplier, f = out_channels(l);
    /* Keras's fans for a (kh, kw, C, dm) kernel: rf*C in, rf*dm out */
    nnm_init_fill(cv->kinit, w, rf * c * dm, rf * c, rf * dm, rng);
    w += rf * c * dm;
    if (separable(l)) {
        nnm_init_fill(INIT_GLOROT_UNIFORM, w, c * dm * f, c * dm, f, rng);
        w += c * dm * f;
    }
    if (cv->use_bias)
        nnm_init_fill(cv->binit, w, f, f, f, rng);
}

/* d[p, c*dm + m] = sum_t col[p, t*C + c] * k[t, c, m] */
static void depthwise(int64_t rows, int64_t taps, int64_t c, int64_t dm, const float *col, const float *k, float *d)
{
    memset(d, 0, (size_t)(rows * c * dm) * sizeof *d);
    for (int64_t p = 0; p < rows; p++) {
        float *dp = d + p * c * dm;
        const float *cp = col + p * taps * c;
        for (int64_t t = 0; t < taps; t++)
            for (int64_t ci = 0; ci < c; ci++) {
                float x = cp[t * c + ci];
                const float *kk = k + (t * c + ci) * dm;
                for (int64_t m = 0; m < dm; m++)
                    dp[ci * dm + m] += x * kk[m];
            }
    }
}

static void depthwise_forward(const LayerRun *r)
{
    const NnmLayer *l = r->l;
    const ConvAttr *cv = l->attr;
    NnmWindow g = layer_window(l);
    int64_t p = r->batch * g.oh * g.ow, taps = g.kh * g.kw, c = g.c, dm = cv->depth_multiplier, f = out_channels(l);
    float *col = r->scratch, *mid = col + r->batch * depthwise_col_size(l);
    float *z = l->act == ACT_LINEAR ? r->y : mid + (separable(l) ? r->batch * mid_size(l) : 0);
    const float *kd = r->w, *kp = r->w + taps * c * dm, *bias = kp + (separable(l) ? c * dm * f : 0);
    nnm_im2col(&g, r->batch, r->x, col);
    if (separable(l)) {
        depthwise(p, taps, c, dm, col, kd, mid);
        nnm_matmul(0, 0, p, f, c * dm, mid, c * dm, kp, f, 0, z, f, NULL, r->work, layer_work_stride(depthwise_workspace(l)));
    } else {
        depthwise(p, taps, c, dm, col, kd, z);
    }
    if (cv->use_bias)
        nnm_add_bias(p, f, bias, z);
    if (l->act != ACT_LINEAR)
        nnm_act_forward(l->act, (float)l->alpha, p, f, z, r->y);
}

static void depthwise_backward(const LayerRun *r)
{
    const NnmLayer *l = r->l;
    const ConvAttr *cv = l->attr;
    NnmWindow g = layer_window(l);
    int64_t p = r->batch * g.oh * g.ow, taps = g.kh * g.kw, c = g.c, dm = cv->depth_multiplier, f = out_channels(l);
    float *col = r->scratch, *mid = col + r->batch * depthwise_col_size(l);
    float *dz = r->dy;
    const float *kd = r->w, *kp = r->w + taps * c * dm;
    float *gkd = r->dw, *gkp = r->dw + taps * c * dm, *gb = gkp + (separable(l) ? c * dm * f : 0);
    if (!r->fused && l->act != ACT_LINEAR)
        nnm_act_backward(l->act, (float)l->alpha, p, f, mid + (separable(l) ? r->batch * mid_size(l) : 0), r->y, dz);
    if (cv->use_bias)
        nnm_col_sums(p, f, dz, gb);
    const float *dd = dz; /* gradient at the depthwise output */
    if (separable(l)) {
        nnm_matmul(1, 0, c * dm, f, p, mid, c * dm, dz, f, 0, gkp, f, r->bwork, r->work, layer_work_stride(depthwise_workspace(l)));
        /* the depthwise output is not needed any more: its buffer takes its gradient */
        nnm_matmul(0, 1, p, c * dm, f, dz, f, kp, f, 0, mid, c * dm, NULL, r->work, layer_work_stride(depthwise_workspace(l)));
        dd = mid;
    }
    memset(gkd, 0, (size_t)(taps * c * dm) * sizeof(float));
    for (int64_t q = 0; q < p; q++) {
        const float *cp = col + q * taps * c, *dp = dd + q * c * dm;
        for (int64_t t = 0; t < taps; t++)
            for (int64_t ci = 0; ci < c; ci++) {
                float x = cp[t * c + ci];
                float *gk = gkd + (t * c + ci) * dm;
                for (int64_t m = 0; m < dm; m++)
                    gk[m] += x * dp[ci * dm + m];
            }
    }
    if (!r->dx)
        return;
    /* dcol[q, t*C + c] = sum_m dd[q, c*dm + m] * k[t, c, m], written over col */
    for (int64_t q = 0; q < p; q++) {
        float *cp = col + q * taps * c;
        const float *dp = dd + q * c * dm;
        for (int64_t t = 0; t < taps; t++)
            for (int64_t ci = 0; ci < c; ci++) {
                const float *kk = kd + (t * c + ci) * dm;
                float s = 0;
                for (int64_t m = 0; m < dm; m++)
                    s += dp[ci * dm + m] * kk[m];
                cp[t * c + ci] = s;
            }
    }
    nnm_col2im(&g, r->batch, col, r->dx);
}

const LayerKind layer_depthwise_conv2d = {
    .name = "DepthwiseConv2D", .snake = "depthwise_conv2d", .args = dw_args, LAYER_ATTR(ConvAttr), .defaults = depthwise_defaults,
    .infer = depthwise_infer, .scratch = depthwise_scratch, .workspace = depthwise_workspace, .batch_work = depthwise_batch_work, .weights = depthwise_weights, .init = depthwise_init, .forward = depthwise_forward,
    .backward = depthwise_backward, .has_act = 1,
};

const LayerKind layer_separable_conv2d = {
    .name = "SeparableConv2D", .snake = "separable_conv2d", .args = sep_args, LAYER_ATTR(ConvAttr), .defaults = depthwise_defaults,
    .infer = depthwise_infer, .scratch = depthwise_scratch, .workspace = depthwise_workspace, .batch_work = depthwise_batch_work, .weights = depthwise_weights, .init = depthwise_init, .forward = depthwise_forward,
    .backward = depthwise_backward, .has_act = 1,
};
