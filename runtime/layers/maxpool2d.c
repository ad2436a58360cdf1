/* runtime/layers/maxpool2d.c — MaxPooling2D on channels-last images.
 *
 *   in  x [B, H, W, C]     out y [B, OH, OW, C]; strides default to the pool size
 *   'same' padding by TensorFlow's rule; padded cells never win the max
 *   scratch per sample: the input index of each output's maximum (int32),
 *   so backward routes each dy to the one input that produced it. */
#include <stddef.h>
#include <stdio.h>
#include "kernels.h"
#include "layer.h"

static const ArgSpec args[] = {
    {.name = "pool_size", .type = ARG_PAIR, .off = offsetof(NnmLayer, kernel), .positional = 1, .min = 1},
    {.name = "strides", .type = ARG_PAIR, .off = offsetof(NnmLayer, strides), .positional = 1, .min = 1, .none_ok = 1},
    {.name = "padding", .type = ARG_PADDING, .off = offsetof(NnmLayer, padding), .positional = 1},
    {.name = "data_format", .type = ARG_FORMAT, .positional = 1},
    {0},
};

static void defaults(NnmLayer *l)
{
    l->kernel[0] = l->kernel[1] = 2;
    l->strides[0] = l->strides[1] = 0; /* None: the pool size */
    l->dilation[0] = l->dilation[1] = 1;
    l->padding = PAD_VALID;
}

static NnmWindow window(const NnmLayer *l)
{
    NnmWindow g = {l->in.dim[0], l->in.dim[1], l->in.dim[2], l->out.dim[0], l->out.dim[1],
                   l->kernel[0], l->kernel[1], l->strides[0], l->strides[1], 1, 1, l->pad[0], l->pad[1]};
    return g;
}

static int infer(NnmLayer *l, char *err, size_t n)
{
    char s[96];
    shape_str(&l->in, s, sizeof s);
    if (l->in.rank != 3) {
        snprintf(err, n, "MaxPooling2D expects images (None, height, width, channels) but gets %s", s);
        return -1;
    }
    for (int a = 0; a < 2; a++)
        if (l->strides[a] == 0)
            l->strides[a] = l->kernel[a];
    int64_t out[2];
    for (int a = 0; a < 2; a++) {
        out[a] = conv_out_size(l->in.dim[a], l->kernel[a], l->strides[a], 1, l->padding, &l->pad[a]);
        if (out[a] < 1) {
            snprintf(err, n, "MaxPooling2D: a %lldx%lld pool leaves nothing of the input %s with padding 'valid'",
                     (long long)l->kernel[0], (long long)l->kernel[1], s);
            return -1;
        }
    }
    l->out = (NnmShape){3, {out[0], out[1], l->in.dim[2], 0}};
    l->nparams = 0;
    return 0;
}

static int64_t scratch(const NnmLayer *l) { return shape_size(&l->out); }

static void forward(const LayerRun *r)
{
    NnmWindow g = window(r->l);
    nnm_maxpool(&g, r->batch, r->x, r->y, (int32_t *)r->scratch);
}

static void backward(const LayerRun *r)
{
    if (!r->dx)
        return;
    NnmWindow g = window(r->l);
    nnm_maxpool_back(&g, r->batch, r->dy, (const int32_t *)r->scratch, r->dx);
}

const LayerKind layer_maxpool2d = {
    .name = "MaxPooling2D", .snake = "max_pooling2d", .args = args, .defaults = defaults,
    .infer = infer, .scratch = scratch, .weights = layer_no_weights, .init = layer_no_init,
    .forward = forward, .backward = backward,
};
